// DHCP plane: the RFC 2131 engine wired to a raw socket on the phones' interface only, so a
// broadcast DISCOVER is seen where it arrived and an OFFER reaches a client without an address.
import { Counter } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import type { Migration } from '../store/database.js';
import { intToIp } from '../config/schema.js';
import { RawSocket, ETH_P_IP } from '../native/raw-socket.js';
import { dhcpServerFilter } from '../native/bpf.js';
import { decodeDhcp, encodeDhcpFitted } from './codec.js';
import { DhcpEngine, type DhcpEvent, type Reply } from './engine.js';
import { buildUdpFrame, parseDhcpFrame, type UdpFrame } from './frame.js';
import { DHCP_MIGRATIONS, LeaseStore } from './leases.js';

export const DHCP_PLANE_MIGRATIONS: Migration[] = DHCP_MIGRATIONS.map((sql, i) => ({ id: `dhcp-${String(i + 1).padStart(3, '0')}`, sql }));

const prefixToMask = (len: number) => intToIp(len === 0 ? 0 : (~0 << (32 - len)) >>> 0);

function journeyOf(e: DhcpEvent): { outcome: 'ok' | 'fail' | 'info'; detail: string } | undefined {
  switch (e.kind) {
    case 'offer': return { outcome: 'info', detail: `OFFER ${e.ip}` };
    case 'ack': return { outcome: 'ok', detail: `ACK ${e.ip}${e.vendorClass ? ` (${e.vendorClass})` : ''}` };
    case 'nak': return { outcome: 'fail', detail: `NAK: ${e.reason ?? ''}` };
    case 'decline': return { outcome: 'fail', detail: `DECLINE ${e.ip ?? ''}: address in use` };
    case 'release': return { outcome: 'info', detail: `RELEASE ${e.ip ?? ''}` };
    case 'inform': return { outcome: 'info', detail: 'INFORM answered' };
    case 'exhausted': return { outcome: 'fail', detail: 'pool exhausted' };
    default: return undefined;
  }
}

export function createDhcpPlane(ctx: PlaneContext): Plane {
  const { config, inventory, log, metrics, db } = ctx;
  const store = new LeaseStore(db);
  const engine = new DhcpEngine({
    serverAddress: config.lan.address, subnetMask: prefixToMask(config.lan.prefixLength), pool: config.dhcp.pool,
    router: config.dhcp.router, dnsServers: config.dhcp.dns, domainName: config.dhcp.domain, ntpServers: config.dhcp.ntp,
    leaseTimeSeconds: config.dhcp.lease, tftpServers: [config.lan.address],
  }, store);
  const messages = new Counter({ name: 'outpost_dhcp_events_total', help: 'DHCP outcomes by kind', labelNames: ['kind'], registers: [] });
  const malformed = new Counter({ name: 'outpost_dhcp_malformed_total', help: 'Undecodable DHCP packets dropped', registers: [] });
  let sock: RawSocket | undefined;

  const frameFor = (reply: Reply, packet: Buffer, request: UdpFrame, ownMac: string): Buffer => {
    const d = reply.destination;
    const base = { srcMac: ownMac, srcIp: config.lan.address, srcPort: 67, payload: packet };
    if (d.kind === 'relay') return buildUdpFrame({ ...base, dstMac: request.srcMac, dstIp: d.ip, dstPort: 67 });
    return buildUdpFrame({ ...base, dstMac: d.mac, dstIp: d.ip, dstPort: 68 });
  };

  const onFrame = (frame: Buffer) => {
    const udp = parseDhcpFrame(frame);
    if (!udp.ok) { malformed.inc(); return; }
    const msg = decodeDhcp(udp.value.payload);
    if (!msg.ok) { malformed.inc(); return; }
    const viaRelay = udp.value.srcPort === 67;
    // The engine commits a lease to disk before it returns an ACK: sending afterwards keeps
    // "on disk before the ACK leaves".
    const decision = engine.handle(msg.value, { viaRelay, giaddr: udp.value.srcIp }, Date.now());
    messages.inc({ kind: decision.event.kind });
    const j = journeyOf(decision.event);
    if (j) inventory.record({ mac: decision.event.mac }, 'dhcp', j.outcome, j.detail, decision.event.kind === 'ack' ? { ip: decision.event.ip } : undefined);
    if (decision.event.kind === 'exhausted') log.warn({ mac: decision.event.mac }, 'DHCP pool exhausted');
    if (!decision.reply || !sock) return;
    const encoded = encodeDhcpFitted(decision.reply.message, decision.reply.encode);
    if (encoded.dropped.length) log.debug({ dropped: encoded.dropped }, 'DHCP options left out to fit the client');
    try {
      sock.send(frameFor(decision.reply, encoded.packet, udp.value, sock.mac));
    } catch (e) {
      log.warn({ err: e }, 'DHCP send failed');
    }
  };

  return {
    views: {
      leases: () => store.list(Date.now()).map((l) => ({
        ip: l.address, mac: l.mac, state: l.state, expiresAt: new Date(l.expiresAt).toISOString(),
        vendorClass: l.vendorClass ?? undefined, hostname: l.hostname ?? undefined,
      })),
    },
    async start() {
      metrics.registerMetric(messages);
      metrics.registerMetric(malformed);
      sock = RawSocket.open({ interface: config.lan.interface, protocol: ETH_P_IP, filter: dhcpServerFilter() });
      sock.on('frame', onFrame);
      log.info({ interface: config.lan.interface, pool: config.dhcp.pool }, 'DHCP serving');
    },
    async stop() {
      sock?.close();
      metrics.removeSingleMetric('outpost_dhcp_events_total');
      metrics.removeSingleMetric('outpost_dhcp_malformed_total');
    },
  };
}

export const dhcpPlane: PlaneModule = {
  name: 'dhcp', migrations: DHCP_PLANE_MIGRATIONS, enabled: (c) => c.dhcp.enabled, create: createDhcpPlane,
};
