// Whole dialogs through Outpost in survival (WAN cut), judged by sipp on both ends: a call between
// two branch phones and a call out through the branch's own gateway each carry a hold re-INVITE,
// an UPDATE the other way and a BYE, with retransmissions forced by late answers. Without a
// gateway configured, the same outside number is refused with 503 and a Warning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabPhone } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost, LAB_API } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { sh } from '../../src/lab/netns.js';
import { sippRegisterArgs } from '../../src/lab/sipp.js';
import type { WanSnapshot } from '../../src/core/wan-state.js';
import type { SipBinding } from '../../src/sip/bindings.js';
import { requireLabPrerequisites } from './prerequisites.js';
import { branchOf, cseqOf, describeRun, header, startSipp, tagOf, values, waitUdpListener, type SippMessage, type SippRun } from './helpers/sipp-dialog.js';

const OUTPOST = '10.20.0.1';
const CALLER_IP = '10.20.0.231';
const CALLEE_IP = '10.20.0.232';
const GATEWAY_IP = '10.20.0.233';
const OUTSIDE_NUMBER = '5550100';
/** Outpost's own Record-Route entries: a flow token naming the peer on that side, on its LAN address. */
const OWN_ROUTE = /^<sip:opu_[^@>]*@10\.20\.0\.1:5060;lr>$/;

describe('in survival, dialogs routed by Outpost alone carry re-INVITE, UPDATE and BYE end to end', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let caller: LabPhone;
  let callee: LabPhone;

  const hex = (p: LabPhone) => p.mac.replace(/:/g, '');
  const contactOf = (p: LabPhone, ip: string) => `sip:a0000000-0000-4000-8000-${hex(p)}@${ip}:5060;transport=UDP`;
  const metric = async (name: string): Promise<number> => {
    const r = await execIn(lab.ns('app'), 'curl', ['-sf', '--max-time', '2', `http://${LAB_API}/metrics`], { timeoutMs: 5000 });
    return Number(r.stdout.split('\n').find((l) => l.startsWith(name))?.split(' ').pop() ?? 0);
  };
  const waitWan = async (state: WanSnapshot['state']) => {
    const end = Date.now() + 20_000;
    while ((await outpost.api<WanSnapshot>('/api/wan'))?.state !== state) {
      if (Date.now() > end) throw new Error(`WAN not ${state} within 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const register = async (p: LabPhone, ip: string) => {
    const r = await execIn(p.ns, 'sipp', sippRegisterArgs(p, { target: `${OUTPOST}:5060`, localIp: ip, localPort: 5060 }), { timeoutMs: 20_000 });
    expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(0);
  };

  /** The caller phone dials `number`; the far end (`role` at `ip`) answers with the UAS scenario as `user`. */
  const dialog = async (number: string, far: { role: `phone${number}`; ip: string; user: string }) => {
    const uas = startSipp(lab, far.role, 'sipp-call-uas.xml', ['-key', 'user', far.user, '-i', far.ip, '-p', '5060', '-timeout', '60', '-timeout_error'], { name: `uas-${number}`, timeoutMs: 70_000 });
    await waitUdpListener(lab, far.role, far.ip, 5060);
    const uac = startSipp(lab, 'phone1', 'sipp-call-uac.xml', ['-key', 'mac', hex(caller), '-key', 'dn', caller.dn, '-s', number,
      '-i', CALLER_IP, '-p', '5060', '-timeout', '60', '-timeout_error', `${OUTPOST}:5060`], { name: `uac-${number}`, timeoutMs: 70_000 });
    const from = await uac.done;
    if (from.code !== 0) uas.kill();
    const to = await uas.done;
    const why = `${describeRun('caller', from)}\n${describeRun('far end', to)}\n${outpost.log().slice(-2000)}`;
    expect(from.code, why).toBe(0);
    expect(to.code, why).toBe(0);
    return { caller: from, far: to };
  };

  const received = (run: SippRun, cseq: string) => run.messages.filter((m) => m.direction === 'received' && cseqOf(m) === cseq);
  const one = (msgs: SippMessage[], what: string): SippMessage => {
    expect(msgs.length, what).toBeGreaterThan(0);
    return msgs[0];
  };

  /** What both ends must have seen of the dialog, whoever the far end is. */
  const checkDialog = ({ caller: a, far: b }: { caller: SippRun; far: SippRun }, farContact: string) => {
    const invite = one(received(b, '1 INVITE').filter((m) => m.method === 'INVITE'), 'far end got the INVITE');
    const answer = one(received(a, '1 INVITE').filter((m) => m.status === 200), 'caller got the 200');
    const callerTag = tagOf(header(invite, 'From'));
    const farTag = tagOf(header(answer, 'To'));
    const callId = header(invite, 'Call-ID');
    expect(callerTag).toBeTruthy();
    expect(farTag).toBeTruthy();
    expect(tagOf(header(invite, 'To'))).toBeUndefined();

    // Outpost stays in the route set with one entry per side, both naming its LAN address.
    const rr = values(invite, 'Record-Route');
    expect(rr).toHaveLength(2);
    for (const r of rr) expect(r).toMatch(OWN_ROUTE);
    expect(values(answer, 'Record-Route')).toEqual(rr);
    expect(values(invite, 'Via')).toHaveLength(2);
    expect(values(answer, 'Via')).toHaveLength(1);
    expect(header(invite, 'Max-Forwards')).toBe('69');

    // Every in-dialog request reaches the other end at its Contact, without Route (Outpost took its
    // own entries off), with both tags and the sender's CSeq unchanged.
    const toFar = ['1 ACK', '2 INVITE', '2 ACK', '3 BYE'].map((c) => one(received(b, c).filter((m) => m.method), `far end got ${c}`));
    for (const req of toFar) {
      expect(req.uri, cseqOf(req)).toBe(farContact);
      expect(values(req, 'Route').filter(Boolean), cseqOf(req)).toEqual([]);
      expect(tagOf(header(req, 'From')), cseqOf(req)).toBe(callerTag);
      expect(tagOf(header(req, 'To')), cseqOf(req)).toBe(farTag);
      expect(header(req, 'Call-ID')).toBe(callId);
    }
    expect(toFar[1].body).toMatch(/a=sendonly/);
    const update = one(received(a, '101 UPDATE').filter((m) => m.method === 'UPDATE'), 'caller got the UPDATE');
    expect(update.uri).toBe(contactOf(caller, CALLER_IP));
    expect(values(update, 'Route').filter(Boolean)).toEqual([]);
    expect(tagOf(header(update, 'From'))).toBe(farTag);
    expect(tagOf(header(update, 'To'))).toBe(callerTag);
    expect(header(update, 'Call-ID')).toBe(callId);

    // Both late answers made Outpost retransmit (one client transaction: one branch for every
    // copy), and the one answer reached the sender of every copy.
    for (const [run, cseq] of [[b, '2 INVITE'], [a, '101 UPDATE']] as const) {
      const copies = received(run, cseq).filter((m) => m.method);
      expect(copies.length, `${cseq} copies`).toBeGreaterThanOrEqual(2);
      expect(new Set(copies.map((m) => branchOf(values(m, 'Via')[0]))).size, `${cseq} branches`).toBe(1);
    }
    for (const [run, cseq] of [[a, '1 INVITE'], [a, '2 INVITE'], [b, '101 UPDATE'], [a, '3 BYE']] as const) {
      expect(received(run, cseq).some((m) => m.status === 200), `200 for ${cseq}`).toBe(true);
    }
  };

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 3 });
    [caller, callee] = lab.phones;
    for (const [p, ip] of [[lab.phones[0], CALLER_IP], [lab.phones[1], CALLEE_IP], [lab.phones[2], GATEWAY_IP]] as const) {
      sh('ip', ['-n', p.ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    }
    outpost = await startLabOutpost(lab, { overrides: `sip: { gateway: "${GATEWAY_IP}:5060" }\n` });
    lab.cutWan();
    await waitWan('survival');
    await register(caller, CALLER_IP);
    await register(callee, CALLEE_IP);
    const regs = await outpost.api<SipBinding[]>('/api/registrations');
    expect(regs).toContainEqual(expect.objectContaining({ dn: callee.dn, servedBy: 'local' }));
  }, 120_000);

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  it('a call between two branch phones: hold re-INVITE, UPDATE back, BYE', async () => {
    const [local, invites, updates] = await Promise.all(['outpost_sip_calls_total{route="local"}',
      'outpost_sip_transactions_total{side="server",method="INVITE"}', 'outpost_sip_transactions_total{side="server",method="UPDATE"}'].map(metric));
    const run = await dialog(callee.dn, { role: 'phone2', ip: CALLEE_IP, user: `a0000000-0000-4000-8000-${hex(callee)}` });
    checkDialog(run, contactOf(callee, CALLEE_IP));
    // Retransmissions were absorbed, not relayed as new transactions; only the first INVITE counts as a call.
    expect(await metric('outpost_sip_transactions_total{side="server",method="INVITE"}')).toBe(invites + 2);
    expect(await metric('outpost_sip_transactions_total{side="server",method="UPDATE"}')).toBe(updates + 1);
    expect(await metric('outpost_sip_calls_total{route="local"}')).toBe(local + 1);
    // The callee got the INVITE at the Contact it registered with.
    expect(run.far.messages.find((m) => m.method === 'INVITE')?.uri).toBe(contactOf(callee, CALLEE_IP));
  }, 90_000);

  it('a number that is not a branch phone goes to the configured gateway: the same dialog completes', async () => {
    const before = await metric('outpost_sip_calls_total{route="gateway"}');
    const run = await dialog(OUTSIDE_NUMBER, { role: 'phone3', ip: GATEWAY_IP, user: OUTSIDE_NUMBER });
    checkDialog(run, `sip:${OUTSIDE_NUMBER}@${GATEWAY_IP}:5060;transport=UDP`);
    expect(await metric('outpost_sip_calls_total{route="gateway"}')).toBe(before + 1);
    // Retargeted to the gateway (RFC 3261 §16.6 step 2): its own address, not Outpost's, with the dialled number kept.
    expect(run.far.messages.find((m) => m.method === 'INVITE')?.uri).toBe(`sip:${OUTSIDE_NUMBER}@${GATEWAY_IP}:5060`);
  }, 90_000);

  it('without a gateway the caller gets 503 with a Warning naming the number, and its ACK ends the transaction', async () => {
    await outpost.stop();
    outpost = await startLabOutpost(lab, { name: 'outpost-no-gateway' });
    await waitWan('survival');
    await register(caller, CALLER_IP);
    const rejected = await metric('outpost_sip_calls_total{route="rejected"}');
    const run = await startSipp(lab, 'phone1', 'sipp-call-refused.xml', ['-key', 'mac', hex(caller), '-key', 'dn', caller.dn, '-s', OUTSIDE_NUMBER,
      '-i', CALLER_IP, '-p', '5060', '-timeout', '30', '-timeout_error', `${OUTPOST}:5060`], { name: 'refused', timeoutMs: 40_000 }).done;
    expect(run.code, describeRun('caller', run)).toBe(0);
    const refusal = one(run.messages.filter((m) => m.status === 503), 'caller got the 503');
    expect(header(refusal, 'Warning')).toBe(`399 outpost "CUCM unreachable: ${OUTSIDE_NUMBER} is not a branch phone and no local gateway is configured"`);
    expect(tagOf(header(refusal, 'To'))).toBeTruthy();
    expect(await metric('outpost_sip_calls_total{route="rejected"}')).toBe(rejected + 1);
    // The ACK matched the INVITE's server transaction: it stops the 503's retransmissions and the
    // transaction ends after Timer I (5 s) instead of waiting out Timer H (32 s).
    const end = Date.now() + 25_000;
    while (await metric('outpost_sip_open_transactions{side="server"}') > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    expect(await metric('outpost_sip_open_transactions{side="server"}')).toBe(0);
  }, 90_000);
});
