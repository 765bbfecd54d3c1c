import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeSip, getHeaders, type SipRequest } from '../../../src/sip/message.js';
import { flowToken, peerFromToken, popOwnRoutes, ownRouteValue, opensDialog } from '../../../src/sip/route.js';
import { routeLocally, dialledNumber } from '../../../src/sip/local-router.js';
import { BindingStore, SIP_MIGRATIONS, type SipBinding } from '../../../src/sip/bindings.js';
import { RehomePacer } from '../../../src/sip/rehome.js';
import { registerLocally } from '../../../src/sip/registrar.js';
import { openDatabase } from '../../../src/store/database.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const own = { lan: '10.20.0.1', wan: '10.30.0.2', port: 5060 };

function req(lines: string[]): SipRequest {
  const m = decodeSip(Buffer.from([...lines, 'Content-Length: 0', '', ''].join('\r\n')));
  if (!m.ok || m.value.kind !== 'request') throw new Error(m.ok ? 'not a request' : m.error);
  return m.value;
}

const invite = (uri: string, routes: string[] = [], to = '<sip:2002@10.20.0.1>') => req([
  `INVITE ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 10.20.0.101:5060;branch=z9hG4bK1', 'From: <sip:2001@10.20.0.1>;tag=1', `To: ${to}`,
  'Call-ID: x', 'CSeq: 1 INVITE', ...routes.map((r) => `Route: ${r}`),
]);

describe('flow tokens and loose routing', () => {
  it('round-trips UDP and TCP peers through a flow token', () => {
    for (const p of [{ transport: 'udp' as const, address: '10.20.0.101', port: 5060 }, { transport: 'tcp' as const, address: '10.20.0.102', port: 41234, flow: 't1f' }]) {
      expect(peerFromToken(flowToken(p))).toEqual(p);
    }
    expect(peerFromToken('2001')).toBeUndefined();
    expect(peerFromToken('opu__10.20.0.1_99999')).toBeUndefined();
  });

  it('pops Outpost\'s own Route entries and keeps the flow of the last one', () => {
    const a = { transport: 'udp' as const, address: '10.20.0.101', port: 5060 };
    const r = popOwnRoutes(invite('sip:x@10.20.0.102', [ownRouteValue(own.wan, 5060, { transport: 'udp', address: '10.30.0.1', port: 5060 }), ownRouteValue(own.lan, 5060, a)]), own);
    expect(r.routes).toEqual([]);
    expect(r.flow).toEqual(a);
    expect(getHeaders(r.request, 'route')).toEqual([]);
  });

  it('stops at the first foreign Route, and in survival skips CUCM to reach Outpost\'s entries behind it', () => {
    const b = { transport: 'tcp' as const, address: '10.20.0.102', port: 40000, flow: 't2' };
    const routes = [ownRouteValue(own.lan, 5060, { transport: 'udp', address: '10.20.0.101', port: 5060 }), '<sip:10.30.0.1;lr>', ownRouteValue(own.wan, 5060, { transport: 'udp', address: '10.30.0.1', port: 5060 }), ownRouteValue(own.lan, 5060, b)];
    const online = popOwnRoutes(invite('sip:x@10.20.0.102', [routes.join(', ')]), own);
    expect(online.routes).toEqual(['<sip:10.30.0.1;lr>', routes[2], routes[3]]);
    const survival = popOwnRoutes(invite('sip:x@10.20.0.102', routes), own, (u) => u.host === '10.30.0.1');
    expect(survival.routes).toEqual([]);
    expect(survival.flow).toEqual(b);
  });

  it('knows which requests open a dialog', () => {
    expect(opensDialog(invite('sip:2002@10.20.0.1'))).toBe(true);
    expect(opensDialog(invite('sip:2002@10.20.0.1', [], '<sip:2002@10.20.0.1>;tag=9'))).toBe(false);
  });
});

describe('local call routing in survival', () => {
  let store: BindingStore;
  const binding = (dn: string, expiresInS: number): SipBinding => ({
    protocol: 'sip', aor: `sip:${dn}@10.20.0.1`, contact: `sip:${dn}@10.20.0.1${dn.slice(-2)}:5060`, dn, callId: 'c', cseq: 1,
    expiresAt: new Date(Date.now() + expiresInS * 1000).toISOString(), servedBy: 'local', source: '10.20.0.1:5060', transport: 'udp', flow: '',
  });
  beforeEach(() => {
    store = new BindingStore(openDatabase(mkdtempSync(join(tmpdir(), 'outpost-sip-')), SIP_MIGRATIONS));
    store.save(binding('2002', 3600));
    store.save(binding('2003', -10));
  });

  it('routes a registered DN to its contact', () => {
    const r = routeLocally(invite('sip:2002@10.20.0.1'), store, {});
    expect(r.kind === 'phone' && r.binding.contact).toBe('sip:2002@10.20.0.102:5060');
  });

  it('answers 480 for a known DN whose binding expired, and for a DN only the cnf.xml knows', () => {
    expect(routeLocally(invite('sip:2003@10.20.0.1'), store, {})).toMatchObject({ kind: 'reject', status: 480 });
    expect(routeLocally(invite('sip:2009@10.20.0.1'), store, { knownNumber: (n) => n === '2009' })).toMatchObject({ kind: 'reject', status: 480 });
  });

  it('sends other numbers to the gateway, or refuses them with 503 and a Warning', () => {
    const gw = { transport: 'udp' as const, address: '10.20.0.2', port: 5060 };
    expect(routeLocally(invite('sip:5550100@10.20.0.1'), store, { gateway: gw })).toEqual({ kind: 'gateway', peer: gw });
    const r = routeLocally(invite('sip:5550100@10.20.0.1'), store, {});
    expect(r).toMatchObject({ kind: 'reject', status: 503 });
    expect(r.kind === 'reject' && r.warning).toMatch(/^399 outpost "/);
  });

  it('reads the dialled number without separators and parameters', () => {
    expect(dialledNumber(invite('sip:555-0100;phone-context=x@10.20.0.1'))).toBe('5550100');
    expect(dialledNumber(invite('sip:10.20.0.1'))).toBeUndefined();
  });

  it('keeps bindings across a restart (written behind, in one transaction)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-sip-'));
    const a = new BindingStore(openDatabase(dir, SIP_MIGRATIONS));
    a.save(binding('2002', 3600));
    await a.close();
    const b = new BindingStore(openDatabase(dir, SIP_MIGRATIONS));
    expect(b.findByNumber('2002')).toHaveLength(1);
  });
});

describe('local registrar', () => {
  const register = (contact: string, expires: string) => req([
    'REGISTER sip:10.20.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 10.20.0.101:5060;branch=z9hG4bKr', 'From: <sip:2001@10.20.0.1>;tag=1',
    'To: <sip:2001@10.20.0.1>', 'Call-ID: r1', 'CSeq: 7 REGISTER', `Contact: ${contact}`, `Expires: ${expires}`,
  ]);
  const opts = { maxExpires: 3600, source: '10.20.0.101:5060', transport: 'udp' as const, flow: 'opu__10.20.0.101_5060', keepAlive: false };

  it('grants a binding with the flow and DN, capped at the configured expiry', () => {
    const out = registerLocally(register('<sip:2001@10.20.0.101:5060>', '7200'), opts);
    expect(out.response.status).toBe(200);
    expect(out.save[0]).toMatchObject({ dn: '2001', flow: 'opu__10.20.0.101_5060', servedBy: 'local', cseq: 7 });
    expect(getHeaders(out.response, 'contact')[0]).toMatch(/expires=3600$/);
  });

  it('answers a Cisco keep-alive 200 without removing anything', () => {
    const out = registerLocally(register('<sip:2001@10.20.0.101:5060>;cisco-keep-alive', '0'), { ...opts, keepAlive: true });
    expect(out.response.status).toBe(200);
    expect(out.remove).toEqual([]);
    expect(out.save).toEqual([]);
  });

  it('removes a binding on Expires 0', () => {
    const out = registerLocally(register('<sip:2001@10.20.0.101:5060>', '0'), opts);
    expect(out.remove).toEqual([{ aor: 'sip:2001@10.20.0.1', contact: 'sip:2001@10.20.0.101:5060' }]);
  });
});

describe('rehome pacing', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('never sends more than rate + 1 in any second, and sends everything', () => {
    const at: number[] = [];
    const done = vi.fn();
    const pacer = new RehomePacer<number>({ ratePerSecond: 20, jitter: 0.8, send: async () => { at.push(Date.now()); }, onDone: done });
    pacer.start(Array.from({ length: 100 }, (_, i) => i));
    vi.advanceTimersByTime(6000);
    expect(at).toHaveLength(100);
    expect(done).toHaveBeenCalledWith(100);
    for (let i = 0; i < at.length; i++) expect(at.filter((t) => t >= at[i] && t < at[i] + 1000).length).toBeLessThanOrEqual(21);
    expect(at[at.length - 1] - at[0]).toBeGreaterThanOrEqual(99 * 50 - 50);
  });

  it('stops at once when asked (the WAN failed again)', () => {
    const send = vi.fn(async () => undefined);
    const pacer = new RehomePacer<number>({ ratePerSecond: 10, jitter: 0, send });
    pacer.start([1, 2, 3, 4, 5]);
    vi.advanceTimersByTime(150);
    pacer.stop();
    vi.advanceTimersByTime(5000);
    expect(send).toHaveBeenCalledTimes(2);
    expect(pacer.active).toBe(false);
  });
});

describe('binding mirror housekeeping', () => {
  it('purges bindings expired before the cutoff, in memory and on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-sip-'));
    const store = new BindingStore(openDatabase(dir, SIP_MIGRATIONS));
    const base = { protocol: 'sip' as const, callId: 'c', cseq: 1, servedBy: 'local' as const, source: 's', transport: 'udp' as const, flow: '' };
    store.save({ ...base, aor: 'sip:1@x', contact: 'sip:1@a', expiresAt: new Date(Date.now() - 2 * 86_400_000).toISOString() });
    store.save({ ...base, aor: 'sip:2@x', contact: 'sip:2@a', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(store.purgeExpired(Date.now() - 86_400_000)).toBe(1);
    await store.close();
    expect(new BindingStore(openDatabase(dir, SIP_MIGRATIONS)).list().map((b) => b.aor)).toEqual(['sip:2@x']);
  });
});
