// Two simulated SCCP phones register through Outpost's relay to a scripted CUCM stand-in; the WAN
// is cut and Outpost serves them itself on the same connections; they call each other (media
// channels carry each phone's own address); the WAN comes back and they are handed back to CUCM.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost } from '../../src/lab/outpost.js';
import { uniquePrefix } from '../../src/lab/netns.js';
import { repoPath } from '../../src/lab/repo-root.js';
import type { SccpRegistrationView } from '../../src/sccp/plane.js';
import { requireLabPrerequisites } from './prerequisites.js';

interface SimPhone {
  deviceName: string;
  ip: string;
  rtpPort: number;
  dn: string;
  child: ChildProcess;
  events: Record<string, unknown>[];
  command(line: string): void;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SCCP phones through Outpost: relay, survival, a local call, rehome', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  const phones: SimPhone[] = [];

  const registrations = async () => ((await outpost.api<SccpRegistrationView[]>('/api/registrations')) ?? []).filter((r) => r.protocol === 'sccp');
  const registrationOf = async (p: SimPhone) => (await registrations()).find((r) => r.deviceName === p.deviceName);
  const eventsSince = (p: SimPhone, from: number) => p.events.slice(from);

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 2, prefix: uniquePrefix('sccp') });
    const directory = lab.phones.flatMap((p) => ['--dn', `${p.deviceName}=${p.dn}`]);
    const standIn = lab.space.spawn('cucm', process.execPath, [repoPath('dist', 'sim', 'sccp-cucm-standin.js'), '--listen', '10.30.0.1:2000', '--keepalive', '2', ...directory]);
    await until('the CUCM stand-in to listen', 10_000, () => new Promise<boolean | undefined>((resolve) => {
      standIn.stdout?.once('data', (d: Buffer) => resolve(d.toString().includes('listening') || undefined));
      setTimeout(() => resolve(undefined), 500);
    }));
    outpost = await startLabOutpost(lab, { overrides: 'sccp: { keepAliveSeconds: 2, upstreamKeepAliveTimeoutMs: 1000, rehomeRatePerSecond: 2 }\n' });
    for (const [i, p] of lab.phones.entries()) {
      const ip = `10.20.0.5${i + 1}`;
      lab.space.exec(`phone${p.index}`, 'ip', ['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      lab.space.exec(`phone${p.index}`, 'ip', ['route', 'add', 'default', 'via', '10.20.0.1']);
      const rtpPort = 20_000 + i * 2;
      const child = lab.space.spawn(`phone${p.index}`, process.execPath,
        [repoPath('dist', 'sim', 'sccp-phone.js'), '--server', '10.20.0.1:2000', '--name', p.deviceName, '--ip', ip, '--rtp-port', String(rtpPort)],
        { stdio: ['pipe', 'pipe', 'pipe'] });
      const phone: SimPhone = { deviceName: p.deviceName, ip, rtpPort, dn: p.dn, child, events: [], command: (line) => child.stdin?.write(`${line}\n`) };
      let buffered = '';
      child.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) phone.events.push(JSON.parse(l) as Record<string, unknown>);
      });
      phones.push(phone);
    }
  }, 90_000);

  afterAll(async () => {
    for (const p of phones) p.child.kill('SIGTERM');
    await outpost?.stop();
    await lab?.down();
  });

  it('registers both phones with CUCM through the relay, learning their directory numbers', async () => {
    for (const p of phones) {
      const r = await until(`${p.deviceName} registered with CUCM`, 20_000, async () => {
        const reg = await registrationOf(p);
        return reg?.servedBy === 'upstream' && reg.dn === p.dn ? reg : undefined;
      });
      expect(r).toMatchObject({ state: 'proxied', upstream: '10.30.0.1:2000', protocolVersion: 20, negotiatedVersion: 20, keepAliveSeconds: 2, ip: p.ip });
      await until(`${p.deviceName} to finish registering`, 10_000, () => p.events.some((e) => e.event === 'registered'));
    }
    const phone = await outpost.api<{ registration?: { protocol: string; servedBy: string }; dn?: string }>(`/api/phones/${phones[0].deviceName}`);
    expect(phone).toMatchObject({ dn: phones[0].dn, registration: { protocol: 'sccp', servedBy: 'upstream' } });
  }, 60_000);

  it('serves the phones itself within 5 s of their next keepalive after the WAN is cut, without a re-registration', async () => {
    const marks = phones.map((p) => p.events.length);
    lab.cutWan();
    for (const [i, p] of phones.entries()) {
      await until(`${p.deviceName} to send a keepalive after the cut`, 10_000, () => eventsSince(p, marks[i]).some((e) => e.event === 'keepalive-sent'));
      const sentAt = Date.now();
      await until(`${p.deviceName} served locally`, 5_000, async () => (await registrationOf(p))?.servedBy === 'local');
      expect(Date.now() - sentAt).toBeLessThan(5_000);
      await until(`${p.deviceName} keepalives answered by Outpost`, 10_000, () => eventsSince(p, marks[i]).filter((e) => e.event === 'keepalive-ack').length >= 2);
      expect(eventsSince(p, marks[i]).filter((e) => e.event === 'disconnected' || e.event === 'keepalive-failed')).toEqual([]);
      expect(eventsSince(p, marks[i])).toContainEqual(expect.objectContaining({ event: 'message', promptStatus: 'CM Fallback Service Operating' }));
    }
  }, 60_000);

  it('connects a local call between the two phones, each told to send media to the other\'s address', async () => {
    const [a, b] = phones;
    const markA = a.events.length;
    const markB = b.events.length;
    a.command('offhook');
    await until('dial tone', 5_000, () => eventsSince(a, markA).some((e) => e.name === 'StartTone' && e.tone === 0x21));
    a.command(`dial ${b.dn}`);
    await until('ringing', 5_000, () => eventsSince(b, markB).some((e) => e.name === 'SetRinger' && e.ringMode === 2));
    expect(eventsSince(a, markA)).toContainEqual(expect.objectContaining({ name: 'CallState', callState: 3 }));
    b.command('answer');
    const toB = await until('A told to send media to B', 5_000, () => eventsSince(a, markA).find((e) => e.name === 'StartMediaTransmission'));
    const toA = await until('B told to send media to A', 5_000, () => eventsSince(b, markB).find((e) => e.name === 'StartMediaTransmission'));
    expect(toB).toMatchObject({ remoteIpAddr: b.ip, remotePortNumber: b.rtpPort, compressionType: 4, milliSecondPacketSize: 20 });
    expect(toA).toMatchObject({ remoteIpAddr: a.ip, remotePortNumber: a.rtpPort, compressionType: 4 });
    for (const [p, mark] of [[a, markA], [b, markB]] as const) {
      expect(eventsSince(p, mark)).toContainEqual(expect.objectContaining({ name: 'CallState', callState: 5 }));
      expect(eventsSince(p, mark)).toContainEqual(expect.objectContaining({ name: 'OpenReceiveChannel', compressionType: 4 }));
    }
    b.command('onhook');
    for (const [p, mark] of [[a, markA], [b, markB]] as const) {
      await until(`${p.deviceName} back on hook`, 5_000, () => eventsSince(p, mark).some((e) => e.name === 'CallState' && e.callState === 2));
      expect(eventsSince(p, mark)).toContainEqual(expect.objectContaining({ name: 'CloseReceiveChannel' }));
    }
    const journey = await outpost.api<{ journey: { step: string; detail: string }[] }>(`/api/phones/${a.deviceName}`);
    expect(journey?.journey.map((j) => j.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/SCCP call answered/)]));
  }, 60_000);

  it('hands the phones back to CUCM after the WAN is restored', async () => {
    const marks = phones.map((p) => p.events.length);
    lab.restoreWan();
    for (const [i, p] of phones.entries()) {
      const r = await until(`${p.deviceName} registered with CUCM again`, 40_000, async () => {
        const reg = await registrationOf(p);
        return reg?.servedBy === 'upstream' ? reg : undefined;
      });
      expect(r).toMatchObject({ state: 'proxied', dn: p.dn });
      // Rehoming closes the local session; the phone registers again, through the relay.
      expect(eventsSince(p, marks[i]).map((e) => e.event)).toEqual(expect.arrayContaining(['disconnected', 'connected']));
    }
  }, 60_000);
});
