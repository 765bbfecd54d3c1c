// SCCP plane: phones' Skinny connections on TCP 2000, relayed to CUCM while the WAN is up and
// served by Outpost's own call agent in survival; handed back to CUCM at a bounded rate after.
import { createServer, type Server } from 'node:net';
import { Counter, Gauge } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import type { WanSnapshot, WanStateName } from '../core/wan-state.js';
import { CallAgent, type CallEvent } from './call-agent.js';
import { PhoneConnection, type ConnectionEvent } from './connection.js';
import { RehomeScheduler } from './rehome.js';
import type { StationFacts } from './station.js';

export const SCCP_DEFAULT_PORT = 2000;

const METRIC_NAMES = ['outpost_sccp_registrations_total', 'outpost_sccp_dropped_total', 'outpost_sccp_takeovers_total',
  'outpost_sccp_rehomed_total', 'outpost_sccp_calls_total', 'outpost_sccp_sessions'];

export interface SccpRegistrationView {
  deviceName?: string;
  ip: string;
  port: number;
  protocol: 'sccp';
  state: string;
  servedBy?: 'upstream' | 'local';
  upstream?: string;
  deviceType?: number;
  protocolVersion?: number;
  negotiatedVersion?: number;
  firmware?: string;
  dn?: string;
  lines: string[];
  keepAliveSeconds?: number;
  connectedAt: string;
  lastMessageAt: string;
  call?: string;
}

export function createSccpPlane(ctx: PlaneContext): Plane {
  const { config, wan, inventory, log, metrics } = ctx;
  const cfg = config.sccp;
  const connections = new Set<PhoneConnection>();
  const registrations = new Counter({ name: 'outpost_sccp_registrations_total', help: 'SCCP registrations by who answered and the result', labelNames: ['served_by', 'result'], registers: [] });
  const dropped = new Counter({ name: 'outpost_sccp_dropped_total', help: 'SCCP messages or connections dropped, by reason', labelNames: ['reason'], registers: [] });
  const takeovers = new Counter({ name: 'outpost_sccp_takeovers_total', help: 'Relayed phones Outpost started serving itself, by reason', labelNames: ['reason'], registers: [] });
  const rehomed = new Counter({ name: 'outpost_sccp_rehomed_total', help: 'Locally served phones handed back to CUCM', registers: [] });
  const calls = new Counter({ name: 'outpost_sccp_calls_total', help: 'Local SCCP call events', labelNames: ['event'], registers: [] });
  const sessions = new Gauge({
    name: 'outpost_sccp_sessions', help: 'SCCP phone connections by who serves them', labelNames: ['served_by'], registers: [],
    collect() {
      const counts = { upstream: 0, local: 0, none: 0 };
      for (const c of connections) counts[c.servedBy ?? 'none']++;
      for (const [k, v] of Object.entries(counts)) this.set({ served_by: k }, v);
    },
  });
  let server: Server | undefined;

  const callAgent = new CallAgent((e: CallEvent) => {
    calls.inc({ event: e.kind });
    for (const c of connections) {
      const name = c.facts?.deviceName;
      if (name && c.servedBy === 'local' && (c.facts?.lines.includes(e.from) || (e.to && c.facts?.lines.includes(e.to)))) {
        inventory.record({ deviceName: name }, 'call', e.kind === 'failed' ? 'fail' : 'info', `SCCP call ${e.kind}: ${e.detail}`);
      }
    }
  });

  const stationConfig = {
    keepAliveSeconds: cfg.keepAliveSeconds, secondaryKeepAliveSeconds: cfg.secondaryKeepAliveSeconds, dateTemplate: cfg.dateTemplate,
    maxProtocolVersion: cfg.maxProtocolVersion, prompt: cfg.prompt, serverName: 'Outpost',
  };

  const upstreamFor = (deviceName: string | undefined) => {
    const phone = deviceName ? inventory.find({ deviceName }) : undefined;
    const fromCnf = (phone?.callManagers ?? []).map((m) => ({ host: m.host, port: m.sccpPort ?? SCCP_DEFAULT_PORT }));
    const configured = [...config.upstream.cucm].sort((a, b) => Number(wan.isReachable(b)) - Number(wan.isReachable(a)))
      .map((host) => ({ host, port: SCCP_DEFAULT_PORT }));
    return fromCnf.length > 0 ? fromCnf : configured;
  };

  const linesOf = (deviceName: string): string[] => {
    const phone = inventory.find({ deviceName });
    return phone?.lines?.length ? [...phone.lines] : phone?.dn ? [phone.dn] : [];
  };

  const recordFacts = (c: PhoneConnection, facts: StationFacts, outcome: 'ok' | 'fail' | 'info', detail: string, servedBy?: 'upstream' | 'local') => {
    inventory.record({ deviceName: facts.deviceName }, 'register', outcome, detail, {
      ip: c.peer.address, protocol: 'sccp', firmware: facts.firmware,
      ...(facts.lines.length ? { lines: facts.lines, dn: facts.lines[0] } : {}),
      ...(servedBy ? { registration: { protocol: 'sccp', servedBy, contact: `${c.peer.address}:${c.peer.port}` } } : {}),
    });
  };

  const report = (c: PhoneConnection, e: ConnectionEvent) => {
    const facts = c.facts;
    const name = facts?.deviceName;
    switch (e.kind) {
      case 'relay-observed': {
        const o = e.observation;
        if (o.kind === 'register-request') recordFacts(c, o.facts, 'info', `SCCP RegisterReq (protocol ${o.facts.protocolVersion}, type ${o.facts.deviceType}) relayed to CUCM ${c.upstream}`);
        if (o.kind === 'registered') {
          registrations.inc({ served_by: 'upstream', result: 'ack' });
          recordFacts(c, o.facts, 'ok', `SCCP RegisterAck from CUCM ${c.upstream} (protocol ${o.facts.negotiatedVersion}, keepalive ${o.facts.keepAliveSeconds} s)`, 'upstream');
        }
        if (o.kind === 'rejected' && name) {
          registrations.inc({ served_by: 'upstream', result: 'reject' });
          inventory.record({ deviceName: name }, 'register', 'fail', `SCCP RegisterReject from CUCM ${c.upstream}: ${o.reason}`);
        }
        if (o.kind === 'lines') recordFacts(c, o.facts, 'info', `SCCP lines ${o.facts.lines.filter(Boolean).join(', ')} from CUCM`, c.servedBy);
        if (o.kind === 'unregistered' && name) inventory.record({ deviceName: name }, 'register', 'info', 'SCCP UnregisterReq relayed to CUCM');
        if (o.kind === 'alarm' && name) inventory.record({ deviceName: name }, 'register', 'info', `SCCP alarm: ${o.text.slice(0, 200)}`);
        return;
      }
      case 'local': {
        const o = e.outcome;
        if (o.kind === 'registered' && facts) {
          registrations.inc({ served_by: 'local', result: 'ack' });
          recordFacts(c, facts, 'ok', `SCCP registered locally by Outpost (protocol ${facts.negotiatedVersion}, lines ${facts.lines.join(', ') || 'none known'})`, 'local');
        }
        if (o.kind === 'rejected') {
          registrations.inc({ served_by: 'local', result: 'reject' });
          inventory.record({ ip: c.peer.address }, 'register', 'fail', `SCCP registration refused: ${o.reason}`);
        }
        if (o.kind === 'unregistered' && name) inventory.record({ deviceName: name }, 'register', 'info', 'SCCP unregistered from Outpost');
        if (o.kind === 'alarm' && name) inventory.record({ deviceName: name }, 'register', 'info', `SCCP alarm: ${o.text.slice(0, 200)}`);
        return;
      }
      case 'taken-over':
        takeovers.inc({ reason: e.reason });
        if (facts) recordFacts(c, facts, 'ok', `SCCP served locally by Outpost without re-registering (${e.reason})`, 'local');
        log.info({ deviceName: name, reason: e.reason }, 'SCCP phone taken over locally');
        return;
      case 'serving-locally':
        log.info({ peer: c.peer, reason: e.reason }, 'SCCP phone served locally');
        return;
      case 'upstream-connected':
        return;
      case 'dropped':
        dropped.inc({ reason: e.reason });
        return;
      case 'closed':
        connections.delete(c);
        if (name) inventory.record({ deviceName: name }, 'register', 'info', `SCCP connection closed: ${e.reason}`);
        log.debug({ peer: c.peer, deviceName: name, reason: e.reason }, 'SCCP connection closed');
        return;
    }
  };

  const rehome = new RehomeScheduler(cfg.rehomeRatePerSecond, () => [...connections].filter((c) => c.state === 'local'), (n) => rehomed.inc(n));

  const onWanChange = (snap: WanSnapshot, _previous: WanStateName) => {
    if (snap.state === 'survival') {
      rehome.stop();
      for (const c of connections) c.onSurvival();
    } else if (snap.state === 'online') {
      rehome.start();
    } else {
      rehome.stop();
    }
  };

  const view = (): SccpRegistrationView[] => [...connections].map((c) => {
    const f = c.facts;
    return {
      deviceName: f?.deviceName, ip: c.peer.address, port: c.peer.port, protocol: 'sccp' as const, state: c.state, servedBy: c.servedBy, upstream: c.upstream,
      deviceType: f?.deviceType, protocolVersion: f?.protocolVersion, negotiatedVersion: f?.negotiatedVersion, firmware: f?.firmware,
      dn: f?.lines[0], lines: f?.lines ?? [], keepAliveSeconds: f?.keepAliveSeconds, connectedAt: c.connectedAt,
      lastMessageAt: new Date(c.lastMessageAt).toISOString(), call: c.callState,
    };
  }).sort((a, b) => (a.deviceName ?? a.ip).localeCompare(b.deviceName ?? b.ip));

  return {
    registrations: view,
    views: { sccpCalls: () => callAgent.list() },
    async start() {
      metrics.registerMetric(registrations);
      metrics.registerMetric(dropped);
      metrics.registerMetric(takeovers);
      metrics.registerMetric(rehomed);
      metrics.registerMetric(calls);
      metrics.registerMetric(sessions);
      server = createServer((socket) => {
        if (connections.size >= cfg.maxConnections) {
          dropped.inc({ reason: 'too-many-connections' });
          socket.destroy();
          return;
        }
        const conn = new PhoneConnection(socket, {
          stationConfig, upstreamConnectTimeoutMs: cfg.upstreamConnectTimeoutMs, upstreamKeepAliveTimeoutMs: cfg.upstreamKeepAliveTimeoutMs,
        }, { wan, log, callAgent, upstreamFor, linesOf, report });
        connections.add(conn);
      });
      server.on('error', (e) => log.warn({ err: e }, 'SCCP listener error'));
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(cfg.port, '0.0.0.0', () => { server!.off('error', reject); resolve(); });
      });
      wan.on('change', onWanChange);
      log.info({ port: cfg.port }, 'SCCP listening');
    },
    async stop() {
      wan.off('change', onWanChange);
      rehome.stop();
      for (const c of [...connections]) c.close('Outpost stopping');
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      for (const name of METRIC_NAMES) metrics.removeSingleMetric(name);
    },
  };
}

export const sccpPlane: PlaneModule = { name: 'sccp', enabled: (c) => c.sccp.enabled, create: createSccpPlane };
