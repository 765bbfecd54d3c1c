// SIP plane: phones' REGISTERs relayed to CUCM while the WAN is up (bindings mirrored),
// answered by Outpost's own registrar in survival.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { Counter } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import { localAddressToward } from '../util/net.js';
import { BindingStore, SIP_MIGRATIONS } from './bindings.js';
import { ciscoRegistration } from './cisco.js';
import { decodeSip, encodeSip, getHeader, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { parseSipUri, formatSipUri } from './headers.js';
import { addressOfRecord, grantedExpires, registerLocally } from './registrar.js';
import { popOwnVia, prepareRelay, relayBranch, responseDestination, stampReceived } from './relay.js';
import { buildResponse } from './response.js';

interface PendingRegister {
  request: SipRequest;
  phone: { address: string; port: number };
  deviceName?: string;
  member: string;
  sentAt: number;
}

const PENDING_TTL_MS = 32_000;

export function createSipPlane(ctx: PlaneContext): Plane {
  const { config, wan, inventory, log, metrics, db } = ctx;
  const bindings = new BindingStore(db);
  const pending = new Map<string, PendingRegister>();
  const registers = new Counter({ name: 'outpost_sip_registers_total', help: 'REGISTERs by who answered and the result', labelNames: ['served_by', 'result'], registers: [] });
  const dropped = new Counter({ name: 'outpost_sip_dropped_total', help: 'SIP datagrams dropped, by reason', labelNames: ['reason'], registers: [] });
  const members = new Set(config.upstream.cucm);
  let socket: Socket;
  let wanAddress = config.lan.address;
  let sweeper: NodeJS.Timeout;

  const send = (msg: SipMessage, to: { address: string; port: number }) => {
    socket.send(encodeSip(msg), to.port, to.address, (e) => { if (e) log.debug({ err: e, to }, 'SIP send failed'); });
  };

  const upstreamMember = (): string => {
    const snap = wan.snapshot().members;
    return config.upstream.cucm.find((m) => snap[m]?.reachable) ?? config.upstream.cucm[0];
  };

  const answerLocally = (req: SipRequest, phone: { address: string; port: number }, why: string) => {
    const reg = ciscoRegistration(req);
    const info = reg.ok ? reg.value : undefined;
    const outcome = registerLocally(req, { maxExpires: config.sip.localExpiresSeconds, source: `${phone.address}:${phone.port}`, deviceName: info?.deviceName, keepAlive: info?.keepAlive ?? false });
    for (const b of outcome.save) bindings.save(b);
    for (const r of outcome.remove) bindings.delete(r.aor, r.contact);
    send(outcome.response, phone);
    registers.inc({ served_by: 'local', result: String(outcome.response.status) });
    if (info?.keepAlive) return;
    const saved = outcome.save[0];
    recordRegister(info?.deviceName, phone.address, outcome.response.status === 200 ? 'ok' : 'fail',
      `REGISTER ${outcome.response.status} from Outpost (${why})`, saved && { protocol: 'sip', servedBy: 'local', contact: saved.contact, expiresAt: saved.expiresAt }, info);
  };

  const recordRegister = (deviceName: string | undefined, ip: string, outcome: 'ok' | 'fail' | 'info', detail: string,
    registration?: { protocol: 'sip'; servedBy: 'upstream' | 'local'; contact: string; expiresAt: string }, info?: { dn?: string; model?: string; firmware?: string }) => {
    const key = deviceName ? { deviceName } : { ip };
    inventory.record(key, 'register', outcome, detail, { ip, dn: info?.dn, model: info?.model, firmware: info?.firmware, registration });
  };

  const relayUpstream = (req: SipRequest, phone: { address: string; port: number }) => {
    const member = upstreamMember();
    const branch = relayBranch(req);
    const uri = parseSipUri(req.uri);
    // Phones were told Outpost is their call control: requests for Outpost go on to CUCM.
    let out: SipRequest = req;
    if (uri.ok && (uri.value.host === config.lan.address || req.method === 'REGISTER')) {
      out = { ...req, uri: formatSipUri({ ...uri.value, host: member, port: config.upstream.sipPort }) };
    }
    const relayed = prepareRelay(out, { address: wanAddress, port: config.sip.port }, branch);
    if (!relayed) {
      send(buildResponse(req, 483, 'Too Many Hops'), phone);
      return;
    }
    if (req.method === 'REGISTER') {
      const reg = ciscoRegistration(req);
      pending.set(branch, { request: req, phone, deviceName: reg.ok ? reg.value.deviceName : undefined, member, sentAt: Date.now() });
    }
    send(relayed, { address: member, port: config.upstream.sipPort });
  };

  const onPhoneRequest = (raw: SipRequest, rinfo: RemoteInfo) => {
    const phone = { address: rinfo.address, port: rinfo.port };
    const req = stampReceived(raw, phone);
    if (req.method === 'REGISTER') {
      const reg = ciscoRegistration(req);
      if (reg.ok && reg.value.keepAlive) return answerLocally(req, phone, 'keep-alive');
      if (wan.isSurvival) return answerLocally(req, phone, 'WAN down');
      return relayUpstream(req, phone);
    }
    if (req.method === 'OPTIONS' && !parseSipUri(req.uri).ok) return send(buildResponse(req, 400, 'Bad Request'), phone);
    if (req.method === 'OPTIONS' && isForOutpost(req)) return send(buildResponse(req, 200, 'OK'), phone);
    if (wan.isSurvival) {
      if (req.method !== 'ACK') send(buildResponse(req, 503, 'Service Unavailable', [{ name: 'Warning', value: '399 outpost "CUCM unreachable; branch calls are not routed yet"' }]), phone);
      return;
    }
    relayUpstream(req, phone);
  };

  const isForOutpost = (req: SipRequest) => {
    const uri = parseSipUri(req.uri);
    return uri.ok && !uri.value.user && (uri.value.host === config.lan.address || uri.value.host === wanAddress);
  };

  const onResponse = (res: SipResponse) => {
    const popped = popOwnVia(res);
    if (!popped) return dropped.inc({ reason: 'response-not-ours' });
    const dest = responseDestination(popped.message);
    if (!dest) return dropped.inc({ reason: 'response-without-via' });
    const p = pending.get(popped.branch);
    if (p && res.status >= 200) {
      pending.delete(popped.branch);
      mirrorUpstreamRegister(p, res);
    }
    send(popped.message, dest);
  };

  const mirrorUpstreamRegister = (p: PendingRegister, res: SipResponse) => {
    const reg = ciscoRegistration(p.request);
    const info = reg.ok ? reg.value : undefined;
    registers.inc({ served_by: 'upstream', result: String(res.status) });
    if (res.status >= 300) {
      recordRegister(p.deviceName, p.phone.address, res.status === 401 || res.status === 407 ? 'info' : 'fail', `REGISTER ${res.status} from CUCM ${p.member}`, undefined, info);
      return;
    }
    const to = getHeader(p.request, 'to');
    const aor = to ? addressOfRecord(to) : undefined;
    if (!aor || !info?.contactUri) return;
    const expires = grantedExpires(res, info.contactUri) ?? info.expires ?? 3600;
    if (expires === 0) {
      bindings.delete(aor, info.contactUri);
      recordRegister(p.deviceName, p.phone.address, 'info', `unregistered at CUCM ${p.member}`, undefined, info);
      return;
    }
    const expiresAt = new Date(Date.now() + expires * 1000).toISOString();
    bindings.save({ aor, contact: info.contactUri, deviceName: info.deviceName, dn: info.dn, callId: getHeader(p.request, 'call-id') ?? '',
      cseq: Number((getHeader(p.request, 'cseq') ?? '0').split(/\s/)[0]) || 0, expiresAt, servedBy: 'upstream', source: `${p.phone.address}:${p.phone.port}` });
    recordRegister(p.deviceName, p.phone.address, 'ok', `REGISTER 200 from CUCM ${p.member}`, { protocol: 'sip', servedBy: 'upstream', contact: info.contactUri, expiresAt }, info);
  };

  const onMessage = (buf: Buffer, rinfo: RemoteInfo) => {
    const decoded = decodeSip(buf);
    if (!decoded.ok) {
      if (buf.length > 4 && buf.toString('latin1').trim() !== '') dropped.inc({ reason: 'malformed' });
      return;
    }
    const msg = decoded.value;
    if (msg.kind === 'response') return onResponse(msg);
    if (members.has(rinfo.address)) {
      // CUCM asking Outpost itself (OPTIONS keep-alive); requests for phones take the direct route.
      if (msg.method === 'OPTIONS') send(buildResponse(msg, 200, 'OK'), { address: rinfo.address, port: rinfo.port });
      return;
    }
    onPhoneRequest(msg, rinfo);
  };

  // REGISTERs CUCM never answered are answered locally the moment the WAN monitor says so.
  const onWanChange = () => {
    if (!wan.isSurvival) return;
    for (const [branch, p] of pending) {
      pending.delete(branch);
      answerLocally(p.request, p.phone, 'WAN down while relaying');
    }
  };

  return {
    views: { registrations: () => bindings.list() },
    async start() {
      metrics.registerMetric(registers);
      metrics.registerMetric(dropped);
      wanAddress = await localAddressToward(config.upstream.cucm[0], config.upstream.sipPort).catch(() => config.lan.address);
      socket = createSocket({ type: 'udp4', reuseAddr: false });
      socket.on('message', onMessage);
      socket.on('error', (e) => log.warn({ err: e }, 'SIP socket error'));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(config.sip.port, '0.0.0.0', () => { socket.off('error', reject); resolve(); });
      });
      wan.on('change', onWanChange);
      sweeper = setInterval(() => {
        const cutoff = Date.now() - PENDING_TTL_MS;
        for (const [b, p] of pending) if (p.sentAt < cutoff) pending.delete(b);
      }, 5000);
      log.info({ port: config.sip.port, wanAddress }, 'SIP proxy listening');
    },
    async stop() {
      clearInterval(sweeper);
      wan.off('change', onWanChange);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      metrics.removeSingleMetric('outpost_sip_registers_total');
      metrics.removeSingleMetric('outpost_sip_dropped_total');
    },
  };
}

export const sipPlane: PlaneModule = { name: 'sip', migrations: SIP_MIGRATIONS, create: createSipPlane };
