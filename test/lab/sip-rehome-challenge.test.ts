// The hand-back of a phone to a CUCM that wants credentials Outpost does not have: Kamailio (the
// CUCM stand-in) challenges DNs 9000-9999. Outpost's hand-back REGISTER gets 401, so Outpost keeps
// serving the phone; the phone's own next REGISTER is relayed, challenged, answered by the phone
// and lands at Kamailio. Sampled throughout: the phone is never without a registration. The phone
// registers as a Cisco phone does, with one Call-ID and a rising CSeq: 101/102 online (401, then
// credentials), 103 in survival, then 104/105 after the hand-back, which replays 103 (CUCM never saw it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabPhone } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost, LAB_API } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { sh } from '../../src/lab/netns.js';
import { sippRegisterArgs } from '../../src/lab/sipp.js';
import { repoPath } from '../../src/lab/repo-root.js';
import type { WanSnapshot } from '../../src/core/wan-state.js';
import type { SipBinding } from '../../src/sip/bindings.js';
import { requireLabPrerequisites } from './prerequisites.js';

const OUTPOST = '10.20.0.1';
const PHONE_IP = '10.20.0.241';
const DN = '9241';
const CALL_ID = `a0000000-9241@${PHONE_IP}`;

describe('rehome after a challenge: CUCM answers the hand-back with 401', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let phone: LabPhone;

  const metric = async (name: string): Promise<number> => {
    const r = await execIn(lab.ns('app'), 'curl', ['-sf', '--max-time', '2', `http://${LAB_API}/metrics`], { timeoutMs: 5000 });
    return Number(r.stdout.split('\n').find((l) => l.startsWith(name))?.split(' ').pop() ?? 0);
  };
  const waitFor = async (what: string, withinMs: number, done: () => Promise<boolean>) => {
    const end = Date.now() + withinMs;
    while (!(await done())) {
      if (Date.now() > end) throw new Error(`${what} not within ${withinMs} ms\n${outpost.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const waitWan = (state: WanSnapshot['state']) => waitFor(`WAN ${state}`, 20_000, async () => (await outpost.api<WanSnapshot>('/api/wan'))?.state === state);
  const binding = async () => (await outpost.api<SipBinding[]>('/api/registrations'))?.find((b) => b.dn === DN);
  const atKamailio = () => lab.kamailioLocations().filter((l) => l.aor === DN);

  /** The phone's REGISTER with CSeq `cseq` from its SIP port; with `auth`, the digest scenario (401, then `cseq + 1` with credentials, 200). */
  const register = async (cseq: number, auth: boolean) => {
    const args = sippRegisterArgs(phone, { target: `${OUTPOST}:5060`, localIp: PHONE_IP, localPort: 5060, callId: CALL_ID, cseq });
    if (auth) {
      args[args.indexOf('-sf') + 1] = repoPath('scripts', 'lab', 'sipp-register-auth.xml');
      args.splice(args.length - 1, 0, '-au', DN, '-ap', 'lab-secret');
    }
    const r = await execIn(phone.ns, 'sipp', args, { timeoutMs: 20_000 });
    expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(0);
  };
  /**
   * The CSeqs of the phone's REGISTERs Kamailio logged ("REGISTER-IN <time> <user> <Call-ID> <CSeq>")
   * since `sinceS`, a retransmitted copy counted once.
   */
  const registersAtKamailio = (sinceS: number) => [...readFileSync(join(lab.workDir, 'kamailio.log'), 'utf8').matchAll(/REGISTER-IN (\d+\.\d+) (\S+) (\S+) (\d+)/g)]
    .filter((m) => Number(m[1]) >= sinceS && m[2] === DN && m[3] === CALL_ID).map((m) => Number(m[4]))
    .filter((cseq, i, all) => i === 0 || cseq !== all[i - 1]);

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 1 });
    phone = { ...lab.phones[0], dn: DN };
    sh('ip', ['-n', phone.ns, 'addr', 'add', `${PHONE_IP}/24`, 'dev', 'eth0']);
    outpost = await startLabOutpost(lab);
  }, 120_000);

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  it('online, the phone registers through Outpost with its credentials', async () => {
    await register(101, true);
    expect(atKamailio()).toMatchObject([{ callId: CALL_ID, cseq: 102 }]);
    expect(await binding()).toMatchObject({ servedBy: 'upstream', cseq: 102 });
  }, 30_000);

  it('in survival Outpost serves it; after the restore the 401 leaves it served locally until its own REGISTER lands at Kamailio', async () => {
    lab.cutWan();
    await waitWan('survival');
    await register(103, false);
    expect(await binding()).toMatchObject({ servedBy: 'local', callId: CALL_ID, cseq: 103 });

    // From here on, sample both registrars until the phone is back with Kamailio.
    const samples: { outpost?: string; kamailio: number }[] = [];
    let sampling = true;
    const sample = async () => { samples.push({ outpost: (await binding())?.servedBy, kamailio: atKamailio().length }); };
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const challenged = await metric('outpost_sip_rehome_registers_total{result="401"}');
    const restoredAt = Date.now() / 1000;
    lab.restoreWan();
    await waitFor('the hand-back REGISTER', 30_000, async () => await metric('outpost_sip_rehome_registers_total{result="401"}') === challenged + 1);
    // Kamailio saw the hand-back (the phone's survival REGISTER replayed as it was) and refused
    // it: it still holds what the phone registered online.
    expect(registersAtKamailio(restoredAt)).toEqual([103]);
    expect(atKamailio()).toMatchObject([{ callId: CALL_ID, cseq: 102 }]);
    const kept = await binding();
    expect(kept).toMatchObject({ servedBy: 'local', cseq: 103 });
    expect(Date.parse(kept!.expiresAt)).toBeGreaterThan(Date.now() + 600_000);
    const journey = await outpost.api<{ journey: { detail: string }[] }>(`/api/phones/${phone.deviceName}`);
    expect(journey?.journey.map((e) => e.detail).join('\n')).toMatch(/hand-back REGISTER got 401/);

    // The phone's own next REGISTER: relayed, challenged, answered with its credentials, accepted.
    const phoneAt = Date.now() / 1000;
    await register(104, true);
    expect(registersAtKamailio(phoneAt)).toEqual([104, 105]);
    expect(atKamailio()).toMatchObject([{ callId: CALL_ID, cseq: 105 }]);
    await waitFor('Outpost to mirror the upstream binding', 10_000, async () => (await binding())?.servedBy === 'upstream');
    sampling = false;
    await sampler;
    await sample();

    expect(samples.length).toBeGreaterThan(5);
    expect(samples.filter((s) => !s.outpost || s.kamailio === 0)).toEqual([]);
    // Served locally, then by CUCM, never back and forth.
    const order = samples.map((s) => s.outpost).filter((s, i, all) => i === 0 || s !== all[i - 1]);
    expect(order).toEqual(['local', 'upstream']);
  }, 90_000);
});
