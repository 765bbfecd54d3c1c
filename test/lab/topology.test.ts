// The lab topology with its real upstream stand-ins: a phone reaches the CUCM TFTP and registrar
// through the appliance namespace, the WAN cut is silent loss, LLDP crosses the switch, and
// down() leaves nothing behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLabPrerequisites } from './prerequisites.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUlDump } from '../../src/lab/kamailio-locations.js';
import { readLabState } from '../../src/lab/lab-state.js';
import { sh, uniquePrefix } from '../../src/lab/netns.js';
import { namespacesWithPrefix } from '../../src/lab/network.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { loadPhoneConfigTemplate, renderPhoneConfig } from '../../src/lab/phone-config.js';
import { phoneIdentity } from '../../src/lab/phone-identity.js';
import { sippRegisterArgs } from '../../src/lab/sipp.js';
import { Lab, labDown, labStatus, labUp, type LabPhone } from '../../src/lab/topology.js';

const PHONE1_IP = '10.20.0.50';

/** Processes anywhere on the host whose command line mentions `needle` (the lab's work dir). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

describe('lab topology', () => {
  beforeAll(() => requireLabPrerequisites());
  let lab: Lab;
  let phone1: LabPhone;
  let scratch: string;

  /** tftp-hpa from phone 1 with a short total timeout, so a cut WAN fails quickly. */
  async function tftpGet(file: string): Promise<{ ok: boolean; bytes?: Buffer; output: string }> {
    const out = join(scratch, `${file}.${Date.now()}`);
    const script = `mode octet\nrexmt 1\ntimeout 3\nget ${file} ${out}\nquit\n`;
    const r = await execIn(phone1.ns, 'tftp', ['10.30.0.1'], { input: script, timeoutMs: 20_000 });
    let bytes: Buffer | undefined;
    try { bytes = readFileSync(out); } catch { /* nothing received */ }
    const failed = /timed out|error/i.test(r.stdout + r.stderr);
    return { ok: !failed && bytes !== undefined, bytes, output: r.stdout + r.stderr };
  }

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'outpost-lab-test-'));
    lab = await Lab.up({ prefix: uniquePrefix('lt'), phones: 2 });
    phone1 = lab.phones[0];
    // No Outpost runs here: give phone 1 a static address and route via the appliance's lan0.
    lab.space.exec('phone1', 'ip', ['addr', 'add', `${PHONE1_IP}/24`, 'dev', 'eth0']);
    lab.space.exec('phone1', 'ip', ['route', 'add', 'default', 'via', '10.20.0.1']);
  });

  afterAll(async () => {
    await lab?.down();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('builds the phones with fixed MACs, device names and DNs', () => {
    expect(lab.phones.map((p) => [p.mac, p.deviceName, p.dn, p.ns])).toEqual([
      ['00:11:22:33:44:01', 'SEP001122334401', '2001', lab.ns('phone1')],
      ['00:11:22:33:44:02', 'SEP001122334402', '2002', lab.ns('phone2')],
    ]);
    const eth0 = JSON.parse(lab.space.exec('phone2', 'ip', ['-j', 'addr', 'show', 'eth0'])) as { address: string; addr_info: { family: string }[] }[];
    expect(eth0[0].address).toBe('00:11:22:33:44:02');
    expect(eth0[0].addr_info.filter((a) => a.family === 'inet')).toEqual([]);
    const status = lab.status();
    expect(status.processes.map((p) => [p.name, p.alive])).toEqual([['tftpd', true], ['kamailio', true]]);
    expect(status.namespaces.every((n) => n.exists)).toBe(true);
  });

  it('serves the rendered SEP<MAC>.cnf.xml byte for byte from the CUCM TFTP, through the appliance', async () => {
    const expected = renderPhoneConfig(loadPhoneConfigTemplate(), { deviceName: 'SEP001122334401', dn: '2001', cucmAddress: '10.30.0.1' });
    expect(expected).toContain('<processNodeName>10.30.0.1</processNodeName>');
    expect(expected).toContain('<name>2001</name>');
    const got = await tftpGet('SEP001122334401.cnf.xml');
    expect(got.ok, got.output).toBe(true);
    expect(got.bytes?.equals(Buffer.from(expected))).toBe(true);
  });

  it('registers a Cisco-shaped REGISTER with the CUCM registrar (Kamailio)', async () => {
    const r = await execIn(phone1.ns, 'sipp', sippRegisterArgs(phone1, { target: '10.30.0.1:5060', localIp: PHONE1_IP }), { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const binding = lab.kamailioLocations().find((l) => l.aor === '2001');
    expect(binding?.contact).toContain(`@${PHONE1_IP}:`);
    expect(binding?.instance).toBe('<urn:uuid:00000000-0000-0000-0000-001122334401>');
    expect(binding?.expires).toBeGreaterThan(0);
  });

  it('cutWan silently drops WAN traffic and restoreWan brings it back', async () => {
    lab.cutWan();
    try {
      expect(lab.wanIsCut()).toBe(true);
      // The appliance's own WAN port stays up: loss, not a link failure.
      expect(lab.space.exec('app', 'ip', ['-br', 'link', 'show', 'wan0'])).toMatch(/\bUP\b/);
      const cut = await tftpGet('SEP001122334401.cnf.xml');
      expect(cut.ok).toBe(false);
      expect(cut.output).toMatch(/timed out/i);
    } finally {
      lab.restoreWan();
    }
    expect(lab.wanIsCut()).toBe(false);
    const back = await tftpGet('SEP001122334401.cnf.xml');
    expect(back.ok, back.output).toBe(true);
  });

  it('passes LLDP from a phone across the switch bridge to the appliance', async () => {
    const capture = lab.space.spawn('app', 'tcpdump', ['-i', 'lan0', '-nn', '-e', '-l', '-c', '1', 'ether', 'proto', '0x88cc']);
    let stdout = '';
    capture.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    const exited = new Promise<void>((resolve) => capture.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      capture.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); if (/listening on/.test(stderr)) resolve(); });
      capture.on('exit', () => reject(new Error(`tcpdump exited: ${stderr}`)));
    });
    // A minimal LLDPDU (chassis MAC, port MAC, TTL 120, end), sent with an explicit source MAC.
    const py = [
      'from scapy.all import Ether, Raw, sendp',
      'import struct',
      "mac = bytes.fromhex('001122334401')",
      'def tlv(t, v): return struct.pack("!H", (t << 9) | len(v)) + v',
      'pdu = tlv(1, b"\\x04" + mac) + tlv(2, b"\\x03" + mac) + tlv(3, struct.pack("!H", 120)) + tlv(0, b"")',
      "sendp(Ether(src='00:11:22:33:44:01', dst='01:80:c2:00:00:0e', type=0x88cc)/Raw(pdu), iface='eth0', count=3, inter=0.2, verbose=False)",
    ].join('\n');
    const sent = await execIn(phone1.ns, '/usr/bin/python3', ['-c', py], { timeoutMs: 30_000 });
    expect(sent.code, sent.stderr).toBe(0);
    const timer = setTimeout(() => capture.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    expect(stdout).toMatch(/00:11:22:33:44:01 > 01:80:c2:00:00:0e/);
    expect(stdout).toMatch(/LLDP/);
  });

  it('down() leaves no namespace with the prefix and no process', async () => {
    const { prefix, workDir } = lab;
    const pids = lab.processes.map((p) => p.pid);
    await lab.down();
    await lab.down(); // idempotent
    const left = sh('ip', ['netns', 'list']).split('\n').filter((l) => l.startsWith(`${prefix}-`));
    expect(left).toEqual([]);
    expect(processesMentioning(workDir)).toEqual([]);
    for (const pid of pids) expect(() => readFileSync(`/proc/${pid}/cmdline`)).toThrow();
  });
});

describe('lab state file (outpost lab up | status | down)', () => {
  beforeAll(() => requireLabPrerequisites());
  it('brings a detached lab up, reports it from its state file, and takes it down by prefix', async () => {
    const prefix = uniquePrefix('ls');
    try {
      const state = await labUp({ prefix, phones: 1, kamailio: false });
      expect(readLabState(prefix)?.processes.map((p) => p.name)).toEqual(['tftpd']);
      const [status] = labStatus(prefix);
      expect(status.processes.map((p) => p.alive)).toEqual([true]);
      expect(status.namespaces.map((n) => n.name)).toContain(`${prefix}-phone1`);
      expect(status.links.find((l) => l.ns === `${prefix}-app` && l.ifname === 'lan0')?.addresses).toContain('10.20.0.1/24');
      expect(await labDown(prefix)).toEqual([prefix]);
      expect(namespacesWithPrefix(prefix)).toEqual([]);
      expect(readLabState(prefix)).toBeUndefined();
      expect(processesMentioning(state.workDir)).toEqual([]);
    } finally {
      await labDown(prefix);
    }
  });
});

describe('lab helpers', () => {
  beforeAll(() => requireLabPrerequisites());
  it('derives phone identities from the index', () => {
    expect(phoneIdentity(1)).toEqual({ index: 1, mac: '00:11:22:33:44:01', deviceName: 'SEP001122334401', dn: '2001' });
    expect(phoneIdentity(300).mac).toBe('00:11:22:33:45:2c');
  });

  it('parses kamcmd ul.dump output', () => {
    const dump = [
      '{', '\tDomains: {', '\t\tDomain: {', '\t\t\tDomain: location', '\t\t\tAoRs: {', '\t\t\t\tInfo: {',
      '\t\t\t\t\tAoR: 2001', '\t\t\t\t\tContacts: {', '\t\t\t\t\t\tContact: {',
      '\t\t\t\t\t\t\tAddress: sip:a@10.20.0.50:5061;transport=UDP', '\t\t\t\t\t\t\tExpires: 3599',
      '\t\t\t\t\t\t\tUser-Agent: Cisco-CP8845/12.8.1', '\t\t\t\t\t\t\tReceived: [not set]',
      '\t\t\t\t\t\t\tInstance: <urn:uuid:00000000-0000-0000-0000-001122334401>',
      '\t\t\t\t\t\t}', '\t\t\t\t\t\tContact: {', '\t\t\t\t\t\t\tAddress: sip:b@10.20.0.51:5060', '\t\t\t\t\t\t\tExpires: permanent',
      '\t\t\t\t\t\t}', '\t\t\t\t\t}', '\t\t\t\t}', '\t\t\t}', '\t\t}', '\t}', '}',
    ].join('\n');
    expect(parseUlDump(dump)).toEqual([
      { aor: '2001', contact: 'sip:a@10.20.0.50:5061;transport=UDP', expires: 3599, userAgent: 'Cisco-CP8845/12.8.1',
        instance: '<urn:uuid:00000000-0000-0000-0000-001122334401>' },
      { aor: '2001', contact: 'sip:b@10.20.0.51:5060', expires: 0 },
    ]);
  });

  it('renders a phone config that differs from the template only in per-phone values', () => {
    const template = loadPhoneConfigTemplate();
    const a = renderPhoneConfig(template, { deviceName: 'SEP001122334401', dn: '2001', cucmAddress: '10.30.0.1' });
    const b = renderPhoneConfig(template, { deviceName: 'SEP001122334402', dn: '2002', cucmAddress: '10.30.0.1' });
    expect(a).not.toBe(b);
    expect(a.split('\n').length).toBe(template.split('\n').length);
    expect(a).not.toContain('1995');
    expect(a).toContain('<sipPort>5060</sipPort>');
    expect(() => renderPhoneConfig('<device/>', { deviceName: 'SEP0', dn: '1', cucmAddress: '10.30.0.1' })).toThrow(/processNodeName/);
  });
});
