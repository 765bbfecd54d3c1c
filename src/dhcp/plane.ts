// DHCP plane: the RFC 2131 engine wired to raw sockets on the phones' interface only, so a
// broadcast DISCOVER is seen where it arrived and an OFFER reaches a client without an
// address. Unicast RENEWING requests to Outpost's address reach the raw socket too; a UDP
// socket on port 67 only keeps the kernel from answering them with "port unreachable".
//
// Order of work for one packet: admission (rate limits), decision, ARP probe for a
// never-used address, then either send at once (OFFER, NAK) or join the group commit (ACK,
// and the RELEASE/DECLINE that change a lease): no ACK leaves before its lease is on disk.
import { createSocket, type Socket } from 'node:dgram';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import type { OutpostConfig } from '../config/schema.js';
import type { Migration } from '../store/database.js';
import { RawSocket, ETH_P_ARP, ETH_P_IP } from '../native/raw-socket.js';
import { arpFilter, dhcpServerFilter } from '../native/bpf.js';
import { ArpProber } from './arp-probe.js';
import { decodeDhcp, encodeDhcpFitted, type DhcpMessage } from './codec.js';
import { DhcpEngine, type DhcpDecision, type DhcpServerConfig, type Reply } from './engine.js';
import { buildUdpFrame, parseDhcpFrame, type UdpFrame } from './frame.js';
import { GroupCommit } from './group-commit.js';
import { openWriteBehind } from '../store/write-behind.js';
import { BROADCAST_IP, numberToIp, requireIp } from '../util/ipv4.js';
import { discoverEntry, isPhone, journeyEntry, type JourneyEntry } from './journey.js';
import { DHCP_MIGRATIONS, LeaseStore, UPSERT_LEASE_SQL, toRow } from './leases.js';
import { DhcpMetrics } from './metrics.js';
import { KeyedRateLimit, TokenBucket } from './rate-limit.js';

export const DHCP_PLANE_MIGRATIONS: Migration[] = DHCP_MIGRATIONS.map((sql, i) => ({ id: `dhcp-${String(i + 1).padStart(3, '0')}`, sql }));

// A conflicting address is skipped and the next one probed, a few times at most per DISCOVER.
const MAX_PROBES_PER_DISCOVER = 4;
const POOL_CHECK_MS = 5000;
const POOL_WARN_FRACTION = 0.9;
const WARN_INTERVAL_MS = 10_000;

const prefixToMask = (len: number) => numberToIp(len === 0 ? 0 : (~0 << (32 - len)) >>> 0);

export function engineConfig(config: OutpostConfig): DhcpServerConfig {
  const d = config.dhcp;
  return {
    serverAddress: config.lan.address, subnetMask: prefixToMask(config.lan.prefixLength), pool: d.pool,
    router: d.router, dnsServers: d.dns, domainName: d.domain, ntpServers: d.ntp,
    leaseTimeSeconds: d.lease, renewalTimeSeconds: d.renewal, rebindingTimeSeconds: d.rebinding,
    tftpServers: [config.lan.address], reservations: d.reservations,
    maxOutstandingOffers: d.limits.maxOutstandingOffers,
  };
}

const DHCP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export function createDhcpPlane(ctx: PlaneContext): Plane {
  const { config, inventory, log, db } = ctx;
  const d = config.dhcp;
  const serverIp = config.lan.address;
  const subnetBroadcast = numberToIp((requireIp(serverIp) | ~requireIp(prefixToMask(config.lan.prefixLength))) >>> 0);
  const store = new LeaseStore(db, { offerHoldMs: d.limits.offerHoldSeconds * 1000 });
  const engine = new DhcpEngine(engineConfig(config), store);
  const metrics = new DhcpMetrics(() => engine.poolUsage(Date.now()));
  const perClient = new KeyedRateLimit(d.limits.perMacPerSecond, Math.max(2, d.limits.perMacPerSecond * 2));
  const everyone = new TokenBucket(d.limits.globalPerSecond, d.limits.globalPerSecond, Date.now());
  const writer = openWriteBehind(db, (e) => log.error({ err: e.message }, 'DHCP lease writer thread lost; writing on the main thread'));
  const group = new GroupCommit(() => {
    const leases = store.takeStaged();
    if (leases.length === 0) return Promise.resolve();
    return writer.write([{ sql: UPSERT_LEASE_SQL, rows: leases.map(toRow) }]).catch((e: unknown) => {
      store.resync();
      throw e;
    });
  }, d.groupCommitMs, (n) => {
    metrics.commits.inc();
    metrics.committed.inc(n);
  });
  let dhcpSock: RawSocket | undefined;
  let arpSock: RawSocket | undefined;
  let prober: ArpProber | undefined;
  let sink: Socket | undefined;
  let poolTimer: NodeJS.Timeout | undefined;
  let poolWarned = false;
  const lastWarn = new Map<string, { at: number; suppressed: number }>();

  /** Warns at most once per interval per topic, saying how many were suppressed. */
  const warnSometimes = (topic: string, fields: object, message: string) => {
    const now = Date.now();
    const seen = lastWarn.get(topic);
    if (seen && now - seen.at < WARN_INTERVAL_MS) { seen.suppressed++; return; }
    log.warn({ ...fields, suppressed: seen?.suppressed ?? 0 }, message);
    lastWarn.set(topic, { at: now, suppressed: 0 });
  };

  const record = (msg: DhcpMessage, entry: JourneyEntry | undefined, ip?: string) => {
    if (!entry || !isPhone(inventory, msg.chaddr, msg.options.vendorClassId)) return;
    inventory.record({ mac: msg.chaddr }, 'dhcp', entry.outcome, entry.detail, ip ? { ip } : undefined);
  };

  const frameFor = (reply: Reply, packet: Buffer, request: UdpFrame, ownMac: string): Buffer => {
    const dest = reply.destination;
    const base = { srcMac: ownMac, srcIp: serverIp, srcPort: 67, payload: packet };
    if (dest.kind === 'relay') return buildUdpFrame({ ...base, dstMac: request.srcMac, dstIp: dest.ip, dstPort: 67 });
    return buildUdpFrame({ ...base, dstMac: dest.mac, dstIp: dest.ip, dstPort: 68 });
  };

  /** Counts, journals and sends a decision whose lease (if any) is on disk. */
  const complete = (msg: DhcpMessage, decision: DhcpDecision, request: UdpFrame) => {
    const { event, reply } = decision;
    metrics.events.inc({ kind: event.kind });
    record(msg, journeyEntry(event, reply?.message.options.tftpServers), event.kind === 'ack' ? event.ip : undefined);
    if (event.kind === 'exhausted' || event.kind === 'throttled') warnSometimes(event.kind, { mac: event.mac, reason: event.reason }, 'DHCP: a client got no address');
    if (event.kind === 'error') log.error({ mac: event.mac, ip: event.ip, reason: event.reason }, 'DHCP lease not stored; no ACK sent');
    if (!reply || !dhcpSock) return;
    const encoded = encodeDhcpFitted(reply.message, reply.encode);
    if (encoded.dropped.length) log.debug({ dropped: encoded.dropped }, 'DHCP options left out to fit the client');
    try {
      dhcpSock.send(frameFor(reply, encoded.packet, request, dhcpSock.mac));
    } catch (e) {
      warnSometimes('send', { err: e }, 'DHCP send failed');
    }
  };

  const deliver = (msg: DhcpMessage, decision: DhcpDecision, request: UdpFrame) => {
    if (!decision.durable) { complete(msg, decision, request); return; }
    group.add({
      send: () => complete(msg, decision, request),
      fail: (e) => complete(msg, engine.storeFailed(decision, e), request),
    });
  };

  const serve = (msg: DhcpMessage, request: UdpFrame, probes = 0): void => {
    const ctxArrival = { viaRelay: request.srcPort === 67, giaddr: request.srcIp, broadcast: request.dstIp !== serverIp };
    const decision = engine.decide(msg, ctxArrival, Date.now());
    const address = decision.probe;
    if (address === undefined || !prober) { deliver(msg, decision, request); return; }
    void prober.probe(address).then((result) => {
      if (!result.inUse) { deliver(msg, decision, request); return; }
      metrics.conflicts.inc();
      log.warn({ ip: address, holder: result.holderMac, client: msg.chaddr }, 'DHCP: address answered ARP; quarantined and not offered');
      engine.addressInUse(address, result.holderMac, Date.now());
      group.add({ send: () => undefined, fail: (e) => log.error({ err: e, ip: address }, 'DHCP: quarantine not stored') });
      if (probes + 1 < MAX_PROBES_PER_DISCOVER) serve(msg, request, probes + 1);
    });
  };

  const onFrame = (frame: Buffer) => {
    const udp = parseDhcpFrame(frame);
    if (!udp.ok) { metrics.drop('malformed'); return; }
    const { dstIp } = udp.value;
    if (dstIp !== BROADCAST_IP && dstIp !== serverIp && dstIp !== subnetBroadcast) { metrics.drop('not-for-us'); return; }
    const msg = decodeDhcp(udp.value.payload);
    if (!msg.ok) { metrics.drop('malformed'); return; }
    const now = Date.now();
    if (!everyone.take(now)) { metrics.drop('rate-limit-global'); warnSometimes('global-rate', {}, 'DHCP: global rate limit reached; dropping'); return; }
    if (!perClient.take(msg.value.chaddr, now)) { metrics.drop('rate-limit-client'); warnSometimes('client-rate', { mac: msg.value.chaddr }, 'DHCP: client over its rate limit; dropping'); return; }
    if (msg.value.options.messageType === 'DISCOVER') record(msg.value, discoverEntry(msg.value));
    serve(msg.value, udp.value);
  };

  const checkPool = () => {
    const u = engine.poolUsage(Date.now());
    const used = (u.bound + u.offered + u.declined) / u.size;
    if (used >= POOL_WARN_FRACTION && !poolWarned) log.warn({ ...u }, `DHCP pool ${Math.round(used * 100)} % in use`);
    poolWarned = used >= POOL_WARN_FRACTION ? true : used >= POOL_WARN_FRACTION - 0.1 && poolWarned;
  };

  return {
    views: {
      leases: () => store.list(Date.now()).map((l) => ({
        ip: l.address, mac: l.mac, clientId: l.clientId ?? undefined, state: l.state,
        type: d.reservations.some((r) => r.ip === l.address) ? 'manual' : 'automatic',
        expiresAt: new Date(l.expiresAt).toISOString(),
        vendorClass: l.vendorClass ?? undefined, hostname: l.hostname ?? undefined,
      })),
    },
    async start() {
      metrics.register(ctx.metrics);
      // A boot storm arrives faster than one event-loop turn: a deep queue keeps it in the kernel.
      dhcpSock = RawSocket.open({ interface: config.lan.interface, protocol: ETH_P_IP, filter: dhcpServerFilter(), receiveBufferBytes: DHCP_RECEIVE_BUFFER_BYTES });
      dhcpSock.on('frame', onFrame);
      if (d.arpProbe.enabled) {
        arpSock = RawSocket.open({ interface: config.lan.interface, protocol: ETH_P_ARP, filter: arpFilter() });
        const p = new ArpProber(arpSock, d.arpProbe.timeoutMs);
        arpSock.on('frame', (f: Buffer) => p.onFrame(f));
        prober = p;
      }
      sink = await bindSink(serverIp).catch((e: Error) => {
        log.warn({ err: e.message }, 'DHCP: cannot bind UDP 67; unicast renewals still served, the kernel may add ICMP errors');
        return undefined;
      });
      poolTimer = setInterval(checkPool, POOL_CHECK_MS);
      poolTimer.unref();
      log.info({ interface: config.lan.interface, pool: d.pool, arpProbe: d.arpProbe.enabled, groupCommitMs: d.groupCommitMs }, 'DHCP serving');
    },
    async stop() {
      if (poolTimer) clearInterval(poolTimer);
      // Stop taking requests, let the leases in flight reach disk and their ACKs leave, then close.
      dhcpSock?.off('frame', onFrame);
      prober?.close();
      arpSock?.close();
      sink?.close();
      await group.drain();
      await writer.close();
      dhcpSock?.close();
      metrics.unregister(ctx.metrics);
    },
  };
}

/**
 * A UDP socket on Outpost's address, port 67, whose datagrams are discarded (see the top).
 * Its receive buffer is as small as the kernel allows, so nearly all of them are dropped by
 * the kernel rather than read by the event loop.
 */
function bindSink(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: 1 });
    s.once('error', reject);
    s.on('message', () => undefined);
    s.bind({ port: 67, address, exclusive: true }, () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

export const dhcpPlane: PlaneModule = {
  name: 'dhcp', migrations: DHCP_PLANE_MIGRATIONS, enabled: (c) => c.dhcp.enabled, create: createDhcpPlane,
};
