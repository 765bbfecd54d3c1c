// One SIP phone boots through Outpost end to end, against real peers on the phone side (lldpd,
// tshark, udhcpc, tftp-hpa, sipp) and real upstream stand-ins (tftpd-hpa, Kamailio), then the
// WAN is cut and restored.
import { readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { sippRegisterArgs } from '../../src/lab/sipp.js';
import { sh } from '../../src/lab/netns.js';
import type { WanSnapshot } from '../../src/core/wan-state.js';
import type { SipBinding } from '../../src/sip/bindings.js';
import { rewriteConfig } from '../../src/files/cnf/rewrite.js';
import { requireLabPrerequisites } from './prerequisites.js';

const OUTPOST = '10.20.0.1';

describe('walking skeleton: one SIP phone through Outpost, WAN up and down', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let phoneNs: string;
  let phoneIp: string;
  const phone = () => lab.phones[0];

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 1 });
    phoneNs = phone().ns;
    outpost = await startLabOutpost(lab);
  });

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  it('lldpd on the phone sees voice VLAN 100 and 15.4 W PSE power from Outpost', async () => {
    const sock = join(lab.workDir, 'lldpd.sock');
    lab.space.spawn(`phone${phone().index}`, 'lldpd', ['-d', '-r', '-c', '-H', '0', '-I', 'eth0', '-u', sock]);
    let med: { vlan?: string; power?: string; type?: string } = {};
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await execIn(phoneNs, 'lldpcli', ['-u', sock, '-f', 'json0', 'show', 'neighbors', 'details', 'hidden'], { timeoutMs: 5000 });
      const iface = JSON.parse(r.stdout || '{}')?.lldp?.[0]?.interface?.find?.((i: { via?: string }) => i.via === 'LLDP');
      const lldpMed = iface?.['lldp-med']?.[0];
      const policy = lldpMed?.policy?.find?.((p: { 'apptype': string }) => p.apptype === 'Voice');
      if (policy) {
        med = { vlan: policy.vlan?.[0]?.vid, power: lldpMed.poe?.[0]?.power?.[0]?.value, type: lldpMed.poe?.[0]?.['device-type']?.[0]?.value };
        break;
      }
    }
    expect(med.vlan).toBe('100');
    expect(med.power).toBe('15400');
    expect(med.type).toBe('PSE');
  }, 40_000);

  it('tshark on the phone decodes Outpost\'s CDP: VoIP VLAN 100, Power Available, good checksum', async () => {
    const r = await execIn(phoneNs, 'tshark', ['-i', 'eth0', '-a', 'duration:7', '-c', '1', '-f', 'ether dst 01:00:0c:cc:cc:cc',
      '-T', 'fields', '-e', 'cdp.voice_vlan', '-e', 'cdp.power_available', '-e', 'cdp.checksum.status'], { timeoutMs: 15_000 });
    const [vlan, power, checksum] = r.stdout.trim().split('\t');
    expect(vlan).toBe('100');
    expect(power.split(',')[0]).toBe('15400');
    expect(checksum).toBe('1');
  }, 20_000);

  it('udhcpc gets a lease with option 150 = Outpost, committed in Outpost\'s lease table', async () => {
    const script = join(lab.workDir, 'udhcpc.sh');
    const env = join(lab.workDir, 'udhcpc.env');
    writeFileSync(script, `#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface"; env > ${env};; esac\n`);
    chmodSync(script, 0o755);
    const r = await execIn(phoneNs, 'udhcpc', ['-i', 'eth0', '-n', '-q', '-f', '-t', '5', '-O', '150', '-V', 'Cisco Systems, Inc. IP Phone CP-8845', '-s', script], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const vars = Object.fromEntries(readFileSync(env, 'utf8').split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    phoneIp = vars.ip;
    expect(phoneIp).toMatch(/^10\.20\.0\.1\d\d$/);
    expect(vars.opt150).toBe('0a140001'); // 10.20.0.1
    expect(vars.serverid).toBe(OUTPOST);
    const leases = await outpost.api<{ ip: string; mac: string; state: string }[]>('/api/leases');
    expect(leases).toContainEqual(expect.objectContaining({ ip: phoneIp, state: 'bound' }));
  }, 40_000);

  const fetchConfig = async (): Promise<Buffer> => {
    const out = join(lab.workDir, `fetched-${Date.now()}.xml`);
    const r = await execIn(phoneNs, 'tftp', [OUTPOST, '-m', 'binary', '-c', 'get', `${phone().deviceName}.cnf.xml`, out], { timeoutMs: 20_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(existsSync(out), r.stdout + r.stderr).toBe(true);
    return readFileSync(out);
  };
  // The lab runs the default proxy mode: the phone gets CUCM's file with Outpost as its call manager.
  const upstreamCopy = () => Buffer.from(rewriteConfig(readFileSync(join(lab.cucm.tftpDir, `${phone().deviceName}.cnf.xml`), 'latin1'),
    { mode: 'proxy', address: OUTPOST, sipPort: 5060 }), 'latin1');

  const register = async () => {
    const r = await execIn(phoneNs, 'sipp', sippRegisterArgs(phone(), { target: `${OUTPOST}:5060`, localIp: phoneIp, timeoutS: 10 }), { timeoutMs: 20_000 });
    return r;
  };

  it('tftp-hpa fetches SEP<MAC>.cnf.xml through Outpost: the upstream copy naming Outpost as call manager', async () => {
    const got = await fetchConfig();
    expect(got.equals(upstreamCopy())).toBe(true);
    expect(got.toString('latin1')).toContain(`<processNodeName>${OUTPOST}</processNodeName>`);
  }, 30_000);

  it('sipp\'s REGISTER gets 200 through Outpost and Kamailio holds the binding', async () => {
    const r = await register();
    expect(r.code, r.stdout.slice(-2000)).toBe(0);
    expect(lab.kamailioLocations().map((l) => l.aor)).toContainEqual(expect.stringContaining(phone().dn));
    const regs = await outpost.api<SipBinding[]>('/api/registrations');
    expect(regs).toContainEqual(expect.objectContaining({ dn: phone().dn, servedBy: 'upstream', deviceName: phone().deviceName }));
  }, 30_000);

  it('after a WAN cut: survival within 5 s, config from the cache, REGISTER answered by Outpost', async () => {
    const cutAt = Date.now();
    lab.cutWan();
    let wan: WanSnapshot | undefined;
    while (Date.now() - cutAt < 5000) {
      wan = await outpost.api<WanSnapshot>('/api/wan');
      if (wan?.state === 'survival') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(wan?.state).toBe('survival');
    expect((await fetchConfig()).equals(upstreamCopy())).toBe(true);
    const r = await register();
    expect(r.code, r.stdout.slice(-2000)).toBe(0);
    const regs = await outpost.api<SipBinding[]>('/api/registrations');
    expect(regs).toContainEqual(expect.objectContaining({ dn: phone().dn, servedBy: 'local' }));
  }, 40_000);

  it('after the WAN is restored: online again, and a new REGISTER reaches Kamailio', async () => {
    // Forget the binding at Kamailio so only a REGISTER relayed after the restore can bring it back.
    sh('kamcmd', ['-s', `unix:${lab.cucm.kamailioCtl}`, 'ul.rm', 'location', `s:${phone().dn}`]);
    expect(lab.kamailioLocations().some((l) => l.aor.includes(phone().dn))).toBe(false);
    lab.restoreWan();
    const end = Date.now() + 20_000;
    let wan: WanSnapshot | undefined;
    while (Date.now() < end) {
      wan = await outpost.api<WanSnapshot>('/api/wan');
      if (wan?.state === 'online') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(wan?.state).toBe('online');
    const r = await register();
    expect(r.code, r.stdout.slice(-2000)).toBe(0);
    expect(lab.kamailioLocations().map((l) => l.aor)).toContainEqual(expect.stringContaining(phone().dn));
  }, 40_000);

  it('shows the phone\'s journey through every step', async () => {
    const p = await outpost.api<{ journey: { step: string; outcome: string }[] }>(`/api/phones/${phone().deviceName}`);
    const steps = new Set(p?.journey.map((e) => e.step));
    for (const step of ['dhcp', 'tftp', 'register']) expect(steps).toContain(step);
  });

  it('stops cleanly on SIGTERM within 5 s', async () => {
    const t = Date.now();
    expect(await outpost.stop(5000)).toBe(0);
    expect(Date.now() - t).toBeLessThan(5000);
  });
});
