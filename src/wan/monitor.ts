// WAN monitor plane: SIP OPTIONS to every CUCM member each interval; the answers (any status
// counts as alive) and send errors drive the shared WAN state.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import type { WanSnapshot } from '../core/wan-state.js';
import { decodeSip, getHeader } from '../sip/message.js';
import { WanStateMachine } from './state-machine.js';

interface Pending {
  member: string;
  sentAt: number;
  resolve: (rttMs: number | undefined) => void;
}

export function buildOptions(target: string, port: number, local: { address: string; port: number }, callId: string): Buffer {
  const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
  return Buffer.from([
    `OPTIONS sip:${target}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:outpost@${local.address}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${target}:${port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'User-Agent: Outpost',
    'Accept: application/sdp',
    'Content-Length: 0',
    '', '',
  ].join('\r\n'));
}

export function createWanMonitor(ctx: PlaneContext): Plane {
  const { config, wan, log, metrics } = ctx;
  const cfg = config.wan;
  const machine = new WanStateMachine(wan.state, cfg);
  const pending = new Map<string, Pending>();
  const members: WanSnapshot['members'] = {};
  const probes = new Counter({ name: 'outpost_wan_probes_total', help: 'SIP OPTIONS probes by result', labelNames: ['member', 'result'], registers: [] });
  const stateGauge = new Gauge({ name: 'outpost_wan_survival', help: '1 while phones are served locally', registers: [] });
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const onMessage = (buf: Buffer) => {
    const msg = decodeSip(buf);
    if (!msg.ok || msg.value.kind !== 'response') return;
    const callId = getHeader(msg.value, 'call-id');
    const p = callId ? pending.get(callId) : undefined;
    if (!p) return;
    pending.delete(callId!);
    p.resolve(Date.now() - p.sentAt);
  };

  const probe = (member: string): Promise<number | undefined> => new Promise((resolve) => {
    const callId = `${randomBytes(10).toString('hex')}@outpost`;
    const local = socket!.address();
    const done = (rtt: number | undefined) => { clearTimeout(t); pending.delete(callId); resolve(rtt); };
    const t = setTimeout(() => done(undefined), cfg.probeTimeoutMs);
    pending.set(callId, { member, sentAt: Date.now(), resolve: done });
    socket!.send(buildOptions(member, config.upstream.sipPort, { address: local.address, port: local.port }, callId), config.upstream.sipPort, member, (e) => {
      if (e) done(undefined); // "Network is unreachable": the WAN port is down
    });
  });

  const round = async () => {
    const results = await Promise.all(config.upstream.cucm.map(async (m) => [m, await probe(m)] as const));
    if (stopped) return;
    for (const [m, rtt] of results) {
      const prev = members[m]?.consecutiveFailures ?? 0;
      members[m] = { reachable: rtt !== undefined, lastRttMs: rtt, consecutiveFailures: rtt === undefined ? prev + 1 : 0 };
      probes.inc({ member: m, result: rtt === undefined ? 'timeout' : 'answered' });
    }
    wan.setMembers(members);
    const change = machine.observe(results.some(([, rtt]) => rtt !== undefined), Date.now());
    if (change) wan.set(change.state, change.reason);
    stateGauge.set(wan.isSurvival ? 1 : 0);
    timer = setTimeout(() => void round(), cfg.probeIntervalMs);
  };

  return {
    async start() {
      metrics.registerMetric(probes);
      metrics.registerMetric(stateGauge);
      socket = createSocket('udp4');
      socket.on('message', onMessage);
      socket.on('error', (e) => log.warn({ err: e }, 'WAN probe socket error'));
      await new Promise<void>((resolve) => socket!.bind(0, resolve));
      void round();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      for (const p of pending.values()) p.resolve(undefined);
      socket?.close();
      metrics.removeSingleMetric('outpost_wan_probes_total');
      metrics.removeSingleMetric('outpost_wan_survival');
    },
  };
}

export const wanPlane: PlaneModule = { name: 'wan', create: createWanMonitor };
