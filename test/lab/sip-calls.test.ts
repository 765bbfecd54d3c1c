// Two baresip phones (one on UDP, one on TCP) register through Outpost to Kamailio and call
// each other: online through Kamailio, in survival through Outpost alone, and across a WAN cut
// in the middle of a call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost, LAB_API } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import type { WanSnapshot } from '../../src/core/wan-state.js';
import type { SipBinding } from '../../src/sip/bindings.js';
import { requireLabPrerequisites } from './prerequisites.js';
import { BaresipPhone } from './helpers/baresip.js';

const OUTPOST = '10.20.0.1';

describe('SIP calls between two baresip phones through Outpost', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let a: BaresipPhone;
  let b: BaresipPhone;
  let c: BaresipPhone;

  const metric = async (name: string): Promise<number> => {
    const r = await execIn(lab.ns('app'), 'curl', ['-sf', '--max-time', '2', `http://${LAB_API}/metrics`], { timeoutMs: 5000 });
    const line = r.stdout.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  const waitWan = async (state: WanSnapshot['state'], withinMs: number) => {
    const end = Date.now() + withinMs;
    let wan: WanSnapshot | undefined;
    while (Date.now() < end) {
      wan = await outpost.api<WanSnapshot>('/api/wan');
      if (wan?.state === state) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(wan?.state).toBe(state);
  };

  /** A calls B, B answers automatically; both see the call established. */
  const call = async () => {
    const ma = a.mark();
    const mb = b.mark();
    const r = await a.command('dial', `sip:${b.dn}@${OUTPOST}`);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await b.waitEvent('CALL_ESTABLISHED', 15_000, mb);
    await a.waitEvent('CALL_ESTABLISHED', 15_000, ma);
  };

  const hangUp = async (from: BaresipPhone, other: BaresipPhone) => {
    const mo = other.mark();
    await from.command('hangup');
    await other.waitEvent('CALL_CLOSED', 15_000, mo);
  };

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 3 });
    outpost = await startLabOutpost(lab);
    if (process.env.SIP_TRACE) lab.space.spawn('app', 'tshark', ['-i', 'any', '-f', 'port 5060', '-w', process.env.SIP_TRACE]);
    a = await BaresipPhone.start(lab, 'phone1', { dn: '2101', ip: '10.20.0.201', registrar: OUTPOST, transport: 'udp' });
    b = await BaresipPhone.start(lab, 'phone2', { dn: '2102', ip: '10.20.0.202', registrar: OUTPOST, transport: 'tcp' });
    c = await BaresipPhone.start(lab, 'phone3', { dn: '2103', ip: '10.20.0.203', registrar: OUTPOST, transport: 'udp', answer: 'manual' });
  }, 120_000);

  afterAll(async () => {
    a?.stop();
    b?.stop();
    c?.stop();
    await outpost?.stop();
    await lab?.down();
  });

  it('both phones register through Outpost: Kamailio holds them with Outpost\'s Path, Outpost mirrors them', async () => {
    // baresip registers before its control connection is up: watch Outpost's mirror instead.
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const regs = await outpost.api<SipBinding[]>('/api/registrations');
      if (['2101', '2102', '2103'].every((dn) => regs?.some((r) => r.dn === dn))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const at = lab.kamailioLocations();
    expect(at.map((l) => l.aor)).toEqual(expect.arrayContaining(['2101', '2102']));
    const regs = await outpost.api<SipBinding[]>('/api/registrations');
    expect(regs).toContainEqual(expect.objectContaining({ dn: '2101', servedBy: 'upstream', transport: 'udp', protocol: 'sip' }));
    expect(regs).toContainEqual(expect.objectContaining({ dn: '2102', servedBy: 'upstream', transport: 'tcp', protocol: 'sip' }));
  }, 30_000);

  it('online: a call from the UDP phone to the TCP phone goes through Kamailio and back, and hangs up', async () => {
    const relayed = await metric('outpost_sip_calls_total{route="relayed"}');
    await call();
    expect(await metric('outpost_sip_calls_total{route="relayed"}')).toBe(relayed + 1);
    await hangUp(a, b);
  }, 40_000);

  /** A calls C (which only rings); `end` ends the ringing call; returns A's CALL_CLOSED event. */
  const ringAndEnd = async (end: () => Promise<unknown>) => {
    const ma = a.mark();
    const mc = c.mark();
    await a.command('dial', `sip:${c.dn}@${OUTPOST}`);
    await c.waitEvent('CALL_INCOMING', 15_000, mc);
    await a.waitEvent('CALL_RINGING', 15_000, ma);
    await end();
    await c.waitEvent('CALL_CLOSED', 15_000, mc);
    return a.waitEvent('CALL_CLOSED', 15_000, ma);
  };

  it('online: the caller cancels a ringing call; CANCEL reaches the callee through Kamailio', async () => {
    await ringAndEnd(() => a.command('hangup'));
  }, 40_000);

  it('online: a busy callee\'s rejection reaches the caller', async () => {
    const closed = await ringAndEnd(() => c.command('hangup'));
    expect(closed.param ?? '').toMatch(/486|Busy|4\d\d/);
  }, 40_000);

  it('survival: the same call is connected by Outpost alone, and the callee hangs up', async () => {
    lab.cutWan();
    await waitWan('survival', 5000);
    const local = await metric('outpost_sip_calls_total{route="local"}');
    await call();
    expect(await metric('outpost_sip_calls_total{route="local"}')).toBe(local + 1);
    await hangUp(b, a);
  }, 40_000);

  it('survival: a ringing call is cancelled, and a busy callee is reported, by Outpost alone', async () => {
    await ringAndEnd(() => a.command('hangup'));
    const closed = await ringAndEnd(() => c.command('hangup'));
    expect(closed.param ?? '').toMatch(/486|Busy|4\d\d/);
  }, 60_000);

  it('survival: a number that is not a branch phone is refused with 503 and a Warning', async () => {
    const m = a.mark();
    const rejected = await metric('outpost_sip_calls_total{route="rejected"}');
    await a.command('dial', `sip:5550100@${OUTPOST}`);
    const closed = await a.waitEvent('CALL_CLOSED', 15_000, m);
    expect(closed.param ?? '').toMatch(/503/);
    expect(await metric('outpost_sip_calls_total{route="rejected"}')).toBe(rejected + 1);
  }, 30_000);

  it('a call set up through Kamailio survives a WAN cut: it stays up and hangs up cleanly through Outpost', async () => {
    lab.restoreWan();
    await waitWan('online', 20_000);
    await call();
    lab.cutWan();
    await waitWan('survival', 5000);
    // Still up: neither side saw the call end.
    expect(a.events.slice(-3).some((e) => e.type === 'CALL_CLOSED')).toBe(false);
    await hangUp(b, a);
    lab.restoreWan();
    await waitWan('online', 20_000);
  }, 60_000);

  it('no phone was unregistered at Kamailio at any point', async () => {
    expect(lab.kamailioLocations().map((l) => l.aor)).toEqual(expect.arrayContaining(['2101', '2102']));
    expect(a.events.some((e) => e.type === 'REGISTER_FAIL') || b.events.some((e) => e.type === 'REGISTER_FAIL')).toBe(false);
  });
});
