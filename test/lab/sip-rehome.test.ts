// After an outage Outpost hands the phones it served back to CUCM at the configured rate, with
// jitter, never as one burst; Kamailio (the CUCM stand-in) logs each REGISTER it receives with
// a timestamp, and holds every phone at every moment of the cut and the restore.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { sh } from '../../src/lab/netns.js';
import { SIPP_REGISTER_MANY_SCENARIO, sippPhonesCsv, syntheticPhones } from '../../src/lab/sipp.js';
import { repoPath } from '../../src/lab/repo-root.js';
import type { WanSnapshot } from '../../src/core/wan-state.js';
import type { SipBinding } from '../../src/sip/bindings.js';
import { requireLabPrerequisites } from './prerequisites.js';

const OUTPOST = '10.20.0.1';
const PHONE_IP = '10.20.0.221';
const PHONES = 30;
const RATE = 10;

describe('rehome: phones handed back to Kamailio at a bounded rate', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  const phones = syntheticPhones(PHONES, 41000);
  const dns = phones.map((p) => p.dn);

  const registerAll = async () => {
    const csv = join(lab.workDir, 'phones.csv');
    writeFileSync(csv, sippPhonesCsv(phones));
    const r = await execIn(lab.phones[0].ns, 'sipp', ['-sf', repoPath(...SIPP_REGISTER_MANY_SCENARIO), '-inf', csv, '-key', 'expires', '3600',
      '-m', String(PHONES), '-r', '50', '-nostdin', '-timeout', '20', '-timeout_error', '-t', 'u1', '-i', PHONE_IP, `${OUTPOST}:5060`], { timeoutMs: 30_000 });
    expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(0);
  };

  const waitWan = async (state: WanSnapshot['state'], withinMs: number) => {
    const end = Date.now() + withinMs;
    while (Date.now() < end) {
      if ((await outpost.api<WanSnapshot>('/api/wan'))?.state === state) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`WAN not ${state} within ${withinMs} ms`);
  };

  const heldAtKamailio = () => new Set(lab.kamailioLocations().map((l) => l.aor).filter((a) => dns.includes(a))).size;

  /** Kamailio's "REGISTER-IN <epoch seconds> <user>" log lines for our phones after `sinceS`. */
  const kamailioRegisters = (sinceS: number) => {
    const log = readFileSync(join(lab.workDir, 'kamailio.log'), 'utf8');
    return [...log.matchAll(/REGISTER-IN (\d+\.\d+) (\d+)/g)].map((m) => ({ at: Number(m[1]), dn: m[2] }))
      .filter((e) => e.at >= sinceS && dns.includes(e.dn));
  };

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 1 });
    sh('ip', ['-n', lab.phones[0].ns, 'addr', 'add', `${PHONE_IP}/24`, 'dev', 'eth0']);
    outpost = await startLabOutpost(lab, { overrides: `sip: { rehomeRatePerSecond: ${RATE} }\n` });
  }, 120_000);

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  it(`${PHONES} phones register through Outpost while online`, async () => {
    await registerAll();
    expect(heldAtKamailio()).toBe(PHONES);
  }, 40_000);

  it('in survival they re-register with Outpost; after the restore they reach Kamailio paced, and none is ever missing there', async () => {
    lab.cutWan();
    await waitWan('survival', 5000);
    await registerAll();
    const regs = await outpost.api<SipBinding[]>('/api/registrations');
    expect(regs?.filter((r) => dns.includes(r.dn ?? '') && r.servedBy === 'local')).toHaveLength(PHONES);

    const restoredAt = Date.now() / 1000;
    lab.restoreWan();
    let minHeld = PHONES;
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      minHeld = Math.min(minHeld, heldAtKamailio());
      const all = await outpost.api<SipBinding[]>('/api/registrations');
      if (all?.filter((r) => dns.includes(r.dn ?? '') && r.servedBy === 'upstream').length === PHONES) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(minHeld).toBe(PHONES);
    const arrivals = kamailioRegisters(restoredAt);
    expect(new Set(arrivals.map((a) => a.dn)).size).toBe(PHONES);
    // Paced: no one-second window holds more than rate + 1 REGISTERs (slots of 1/rate s).
    const times = arrivals.map((a) => a.at).sort((x, y) => x - y);
    let busiest = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j] - times[i] < 1) j++;
      busiest = Math.max(busiest, j - i);
    }
    expect(busiest).toBeLessThanOrEqual(RATE + 1);
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual((PHONES - RATE - 1) / RATE);
  }, 60_000);
});
