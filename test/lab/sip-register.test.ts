// Registration through Outpost against Kamailio as the upstream registrar: sipp as a Cisco phone
// over UDP and over TCP, a digest challenge passed through, and hostile input that must cost
// nothing but a counted drop.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost, LAB_API } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { sh } from '../../src/lab/netns.js';
import { sippRegisterArgs } from '../../src/lab/sipp.js';
import { repoPath } from '../../src/lab/repo-root.js';
import type { SipBinding } from '../../src/sip/bindings.js';
import { requireLabPrerequisites } from './prerequisites.js';

const OUTPOST = '10.20.0.1';
const PHONE_IP = '10.20.0.211';

describe('SIP registration through Outpost to Kamailio', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let ns: string;

  const phone = (n: number) => ({ mac: `00:11:22:33:52:${n.toString(16).padStart(2, '0')}`, deviceName: `SEP0011223352${n.toString(16).padStart(2, '0').toUpperCase()}`, dn: String(2200 + n) });
  const metrics = async () => (await execIn(lab.ns('app'), 'curl', ['-sf', '--max-time', '2', `http://${LAB_API}/metrics`], { timeoutMs: 5000 })).stdout;
  const metric = async (name: string) => Number((await metrics()).split('\n').find((l) => l.startsWith(name))?.split(' ').pop() ?? 0);
  const ulDump = () => sh('kamcmd', ['-s', `unix:${lab.cucm.kamailioCtl}`, 'ul.dump']);

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 1 });
    ns = lab.phones[0].ns;
    sh('ip', ['-n', ns, 'addr', 'add', `${PHONE_IP}/24`, 'dev', 'eth0']);
    outpost = await startLabOutpost(lab);
  }, 120_000);

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  for (const [n, transport] of [[1, 'udp'], [2, 'tcp']] as const) {
    it(`a Cisco REGISTER over ${transport.toUpperCase()} (Contact params, Supported list, cisco-alarm Reason) reaches Kamailio with Outpost's Path`, async () => {
      const p = phone(n);
      const r = await execIn(ns, 'sipp', sippRegisterArgs(p, { target: `${OUTPOST}:5060`, localIp: PHONE_IP, transport }), { timeoutMs: 20_000 });
      expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(0);
      const record = ulDump().split(/AoR: /).find((b) => b.startsWith(p.dn));
      expect(record, ulDump()).toBeDefined();
      expect(record).toMatch(/Path: <sip:opt?u?_[^>]*@10\.30\.0\.2:5060[^>]*;lr>/);
      const regs = await outpost.api<SipBinding[]>('/api/registrations');
      expect(regs).toContainEqual(expect.objectContaining({ dn: p.dn, deviceName: p.deviceName, servedBy: 'upstream', transport, protocol: 'sip' }));
      const journey = await outpost.api<{ journey: { step: string; detail: string }[] }>(`/api/phones/${p.deviceName}`);
      expect(journey?.journey.map((e) => e.detail).join('\n')).toMatch(/REGISTER 200 from CUCM 10\.30\.0\.1.*alarm 25 last=initialized load=sip88xx/);
    }, 30_000);
  }

  it('sends UDP from its sending thread (the REGISTER relayed to Kamailio and the 200 to the phone), none failed or dropped', async () => {
    expect(await metric('outpost_sip_udp_datagrams_sent{result="sent"}')).toBeGreaterThanOrEqual(2);
    expect(await metric('outpost_sip_udp_datagrams_sent{result="failed"}')).toBe(0);
    expect(await metric('outpost_sip_udp_datagrams_sent{result="dropped"}')).toBe(0);
  });

  it('a digest challenge from Kamailio is passed through unchanged and the answered REGISTER succeeds', async () => {
    const p = { ...phone(3), dn: '9203' };
    const args = sippRegisterArgs(p, { target: `${OUTPOST}:5060`, localIp: PHONE_IP });
    args[args.indexOf('-sf') + 1] = repoPath('scripts', 'lab', 'sipp-register-auth.xml');
    args.splice(args.length - 1, 0, '-au', p.dn, '-ap', 'lab-secret');
    const challenged = await metric('outpost_sip_registers_total{served_by="upstream",result="401"}');
    const r = await execIn(ns, 'sipp', args, { timeoutMs: 20_000 });
    expect(r.code, r.stdout.slice(-1500) + r.stderr).toBe(0);
    expect(await metric('outpost_sip_registers_total{served_by="upstream",result="401"}')).toBe(challenged + 1);
    expect(lab.kamailioLocations().map((l) => l.aor)).toContain(p.dn);
  }, 30_000);

  it('malformed and oversized input is dropped and counted; Outpost keeps answering', async () => {
    const script = join(lab.workDir, 'hostile.cjs');
    writeFileSync(script, `
      const dgram = require('node:dgram'); const net = require('node:net');
      const s = dgram.createSocket('udp4');
      s.send(Buffer.from('REGISTER sip:x SIP/2.0\\r\\nVia: broken\\r\\nContent-Length: 99999\\r\\n\\r\\n'), 5060, '${OUTPOST}', () => {
        s.send(Buffer.alloc(3000, 0x41), 5060, '${OUTPOST}', () => {
          const c = net.connect(5060, '${OUTPOST}', () => c.write('INVITE sip:a@b SIP/2.0\\r\\n' + 'X: '.padEnd(70000, 'y') + '\\r\\n'));
          c.on('close', () => { s.close(); process.exit(0); });
          c.on('error', () => process.exit(0));
        });
      });`);
    const before = await metric('outpost_sip_dropped_total{reason="malformed-stream"}');
    const r = await execIn(ns, process.execPath, [script], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await metric('outpost_sip_dropped_total{reason="malformed-stream"}')).toBe(before + 1);
    expect(await metric('outpost_sip_dropped_total{reason="malformed"}')).toBeGreaterThanOrEqual(2);
    const again = await execIn(ns, 'sipp', sippRegisterArgs(phone(1), { target: `${OUTPOST}:5060`, localIp: PHONE_IP }), { timeoutMs: 20_000 });
    expect(again.code).toBe(0);
  }, 30_000);
});
