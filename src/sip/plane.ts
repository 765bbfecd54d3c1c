// SIP plane: UDP and TCP on the SIP port, the transaction layer, the stateful proxy toward CUCM,
// the survivable registrar and local call routing, and the paced hand-back of phones to CUCM
// once the WAN has been stable for the hold-down time.
import { Counter, Gauge, type Metric } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import type { WanSnapshot, WanStateName } from '../core/wan-state.js';
import { localAddressToward } from '../util/net.js';
import { ipToNumber, requireIp } from '../util/ipv4.js';
import { BindingStore, SIP_MIGRATIONS, type SipBinding } from './bindings.js';
import { SipProxy } from './proxy.js';
import { Registrations } from './registration.js';
import { RehomePacer } from './rehome.js';
import { TransactionLayer } from './transaction.js';
import { SipTransport, type Peer } from './transport.js';
import type { OwnAddresses } from './route.js';

export function createSipPlane(ctx: PlaneContext): Plane {
  const { config, wan, inventory, log, metrics, db } = ctx;
  const sip = config.sip;
  const bindings = new BindingStore(db, (e) => log.error({ err: e }, 'SIP bindings could not be written to disk'));
  const members = new Set(config.upstream.cucm);
  const own: OwnAddresses = { lan: config.lan.address, wan: config.lan.address, port: sip.port };
  const lanMask = (0xffffffff << (32 - config.lan.prefixLength)) >>> 0;
  const lanNet = (requireIp(config.lan.address) & lanMask) >>> 0;
  const isLan = (address: string) => {
    const n = ipToNumber(address);
    return n !== undefined && ((n & lanMask) >>> 0) === lanNet;
  };

  const registers = new Counter({ name: 'outpost_sip_registers_total', help: 'REGISTERs by who answered and the result', labelNames: ['served_by', 'result'], registers: [] });
  const dropped = new Counter({ name: 'outpost_sip_dropped_total', help: 'SIP messages dropped, by reason', labelNames: ['reason'], registers: [] });
  const transactions = new Counter({ name: 'outpost_sip_transactions_total', help: 'SIP transactions started, by side and method', labelNames: ['side', 'method'], registers: [] });
  const calls = new Counter({ name: 'outpost_sip_calls_total', help: 'New calls (INVITE) by route: relayed to CUCM, local, gateway, rejected', labelNames: ['route'], registers: [] });
  const rehomed = new Counter({ name: 'outpost_sip_rehome_registers_total', help: 'Bindings handed back to CUCM, by result', labelNames: ['result'], registers: [] });
  const open = new Gauge({ name: 'outpost_sip_open_transactions', help: 'SIP transactions in progress', labelNames: ['side'], registers: [],
    collect() { const c = layer.counts; this.set({ side: 'server' }, c.server); this.set({ side: 'client' }, c.client); } });
  const flows = new Gauge({ name: 'outpost_sip_tcp_flows', help: 'Open TCP connections from phones and to CUCM', registers: [],
    collect() { this.set(transport.openFlows); } });
  const udpSent = new Gauge({ name: 'outpost_sip_udp_datagrams_sent', help: 'UDP datagrams the SIP port\'s sending thread handed to the kernel, or could not (failed, dropped: queue full)', labelNames: ['result'], registers: [],
    collect() { const s = transport.udpSendStats; if (s) { this.set({ result: 'sent' }, s.sent); this.set({ result: 'failed' }, s.errors); this.set({ result: 'dropped' }, s.dropped); } } });
  const allMetrics: Metric[] = [registers, dropped, transactions, calls, rehomed, open, flows, udpSent];

  const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE', 'REGISTER', 'OPTIONS', 'UPDATE', 'INFO', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']);
  const methodLabel = (m: string) => (KNOWN_METHODS.has(m) ? m : 'other');

  const transport = new SipTransport({ port: sip.port, idleMs: sip.tcpIdleSeconds * 1000 });
  const layer = new TransactionLayer((msg, to) => transport.send(msg, to));
  const upstream = (): Peer => {
    const member = config.upstream.cucm.find((m) => wan.isReachable(m)) ?? config.upstream.cucm[0];
    return { transport: 'udp', address: member, port: config.upstream.sipPort };
  };
  const gateway = sip.gateway ? (() => {
    const i = sip.gateway.lastIndexOf(':');
    return { transport: 'udp' as const, address: sip.gateway.slice(0, i), port: Number(sip.gateway.slice(i + 1)) };
  })() : undefined;

  const survival = () => wan.isSurvival;
  const registrations: Registrations = new Registrations({
    proxy: () => proxy, layer, bindings, inventory, own: () => own, upstream, survival,
    localExpiresSeconds: sip.localExpiresSeconds,
    count: (servedBy, result) => registers.inc({ served_by: servedBy, result }),
  });
  const proxy: SipProxy = new SipProxy({
    own: () => own, transport, layer, bindings, log, upstream, survival, gateway,
    isUpstream: (a) => members.has(a), isLan,
    knownNumber: (n) => inventory.list().some((p) => p.dn === n || (p.lines ?? []).includes(n)),
    maxTransactions: sip.maxTransactions,
    onRegister: (tx, req, source) => registrations.onRegister(tx, req, source),
    onCall: (route, _req, source, detail) => {
      calls.inc({ route });
      inventory.record({ ip: source.address }, 'call', route === 'rejected' ? 'fail' : 'ok', detail);
    },
    count: {
      transaction: (side, method) => transactions.inc({ side, method: methodLabel(method) }),
      dropped: (reason) => dropped.inc({ reason }),
    },
  });

  const pacer = new RehomePacer<SipBinding>({
    ratePerSecond: sip.rehomeRatePerSecond,
    jitter: 0.8,
    send: async (b) => {
      // A phone that re-registered by itself meanwhile is already back with CUCM.
      const current = bindings.get(b.aor, b.contact);
      if (!current || current.servedBy !== 'local' || wan.state !== 'online') return;
      const status = await registrations.rehome(current);
      rehomed.inc({ result: status === undefined ? 'timeout' : String(status) });
    },
    onDone: (sent) => log.info({ sent }, 'SIP hand-back to CUCM finished'),
  });

  const onWanChange = (snap: WanSnapshot, previous: WanStateName) => {
    if (snap.state === 'survival') {
      pacer.stop();
      registrations.answerPendingLocally();
      return;
    }
    if (snap.state === 'online' && (previous === 'recovering' || previous === 'survival')) {
      const now = Date.now();
      const local = bindings.list().filter((b) => b.servedBy === 'local' && Date.parse(b.expiresAt) > now);
      if (local.length === 0) return;
      log.info({ bindings: local.length, ratePerSecond: sip.rehomeRatePerSecond }, 'handing SIP phones back to CUCM');
      pacer.start(local);
    }
  };

  transport.on('message', (msg, source) => {
    try {
      proxy.onMessage(msg, source);
    } catch (e) {
      // A message no handler anticipated must cost that message only, never the daemon.
      dropped.inc({ reason: 'internal-error' });
      log.error({ err: e, from: `${source.address}:${source.port}` }, 'SIP message could not be handled');
    }
  });
  transport.on('dropped', (reason) => dropped.inc({ reason }));

  // Expired bindings stay a day, so a call to a phone that vanished gets 480 rather than 503.
  const PURGE_AFTER_MS = 24 * 3600_000;
  let purger: NodeJS.Timeout | undefined;

  return {
    registrations: () => bindings.list().map(({ register: _raw, ...b }) => b),
    async start() {
      for (const m of allMetrics) metrics.registerMetric(m);
      own.wan = await localAddressToward(config.upstream.cucm[0], config.upstream.sipPort).catch(() => config.lan.address);
      await transport.start();
      wan.on('change', onWanChange);
      purger = setInterval(() => bindings.purgeExpired(Date.now() - PURGE_AFTER_MS), 60_000);
      purger.unref();
      log.info({ port: sip.port, wanAddress: own.wan, transports: ['udp', 'tcp'] }, 'SIP proxy listening');
    },
    async stop() {
      wan.off('change', onWanChange);
      clearInterval(purger);
      pacer.stop();
      layer.stop();
      await transport.stop();
      await bindings.close();
      for (const m of allMetrics) metrics.removeSingleMetric((m as unknown as { name: string }).name);
    },
  };
}

export const sipPlane: PlaneModule = { name: 'sip', migrations: SIP_MIGRATIONS, create: createSipPlane };
