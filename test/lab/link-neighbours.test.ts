// The link plane against real peers: lldpd as a receive-only phone (reads Outpost's LLDP-MED),
// lldpd as an LLDP-MED class 3 phone asking for 15.4 W, the CP-7970's CDP Power Requested frame
// sent by scapy, tshark watching what Outpost answers, and a PoE budget run dry by crafted phones.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, LAN } from '../../src/lab/topology.js';
import { startLabOutpost, LAB_API, type LabOutpost } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { repoPath } from '../../src/lab/repo-root.js';
import { decodeCdpFrame, encodeCdpFrame, type CdpPdu } from '../../src/link/cdp/index.js';
import type { NeighbourView, PowerView } from '../../src/link/neighbour-view.js';
import { readCapture } from '../../src/util/pcap.js';
import { readFileSync } from 'node:fs';
import { requireLabPrerequisites } from './prerequisites.js';

const CP7970 = 'test/fixtures/pcap/cdp/cdp_phones_cp7912_cp7970_power_request.pcap';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CP-7970's real CDP frame, re-addressed as a phone with `mac` and a fresh request id. */
function cp7970Frame(mac: string, requestId: number, levelsMw?: number[]): Buffer {
  const capture = readCapture(readFileSync(repoPath(CP7970)));
  const decoded = decodeCdpFrame(capture.frames[1].data);
  if (!decoded.ok) throw new Error(decoded.error);
  const pdu: CdpPdu = {
    ...decoded.value.pdu,
    tlvs: decoded.value.pdu.tlvs.map((t) => {
      if (t.type === 'deviceId') return { ...t, value: `SEP${mac.replaceAll(':', '').toUpperCase()}` };
      if (t.type === 'powerRequested') return { ...t, requestId, levelsMw: levelsMw ?? t.levelsMw };
      return t;
    }),
  };
  return encodeCdpFrame(pdu, mac);
}

/** Sends raw frames with scapy (a sender independent of Outpost's own addon). */
async function scapySend(ns: string, frames: Buffer[]): Promise<void> {
  const script = `from scapy.all import sendp, Raw\nimport sys\nsendp([Raw(bytes.fromhex(h)) for h in sys.argv[1:]], iface='eth0', verbose=0)`;
  const r = await execIn(ns, '/usr/bin/python3', ['-c', script, ...frames.map((f) => f.toString('hex'))], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`scapy failed: ${r.stderr}`);
}

/** tshark in a phone namespace, started and ready ("Capturing on") before anything is sent. */
async function capture(lab: Lab, role: `phone${number}`, seconds: number, filter: string, fields: string[]): Promise<() => Promise<string[][]>> {
  const child: ChildProcess = lab.space.spawn(role, 'tshark', ['-i', 'eth0', '-l', '-a', `duration:${seconds}`, '-f', filter,
    '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])]);
  let out = '', err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) { clearTimeout(t); resolve(); }
    });
  });
  // dumpcap may print "Capturing on" a few milliseconds before its filter sees frames.
  await sleep(500);
  return async () => {
    await done;
    return out.split('\n').filter(Boolean).map((l) => l.split('\t'));
  };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('link plane against lldpd, tshark and scapy', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let lldpdPhone: ChildProcess;
  const macHex = (mac: string) => mac.replaceAll(':', '').toUpperCase();
  const neighbour = async (mac: string) => (await outpost.api<NeighbourView[]>('/api/neighbors'))?.find((n) => n.mac === macHex(mac));

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 2, kamailio: false });
    outpost = await startLabOutpost(lab);
  });

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  it('lldpd (receive-only) on a phone reads Outpost\'s LLDP-MED voice and voice-signaling policies and PSE power', async () => {
    const sock = join(lab.workDir, 'lldpd-rx.sock');
    lab.space.spawn('phone1', 'lldpd', ['-d', '-r', '-c', '-H', '0', '-I', 'eth0', '-u', sock]);
    const med = await until('Outpost in lldpd', async () => {
      const r = await execIn(lab.phones[0].ns, 'lldpcli', ['-u', sock, '-f', 'json0', 'show', 'neighbors', 'details', 'hidden'], { timeoutMs: 5000 });
      const iface = JSON.parse(r.stdout || '{}')?.lldp?.[0]?.interface?.find?.((i: { via?: string }) => i.via === 'LLDP');
      return iface?.['lldp-med']?.[0] as { policy?: { apptype: string; vlan?: { vid: string }[]; priority?: { value: string }[]; dscp?: { value: string }[] }[]; poe?: { 'device-type'?: { value: string }[]; power?: { value: string }[] }[] } | undefined;
    }, 20_000);
    const policy = (app: string) => med.policy?.find((p) => p.apptype === app);
    expect(policy('Voice')?.vlan?.[0]?.vid).toBe('100');
    expect(policy('Voice')?.dscp?.[0]?.value).toBe('46');
    expect(policy('Voice Signaling')?.vlan?.[0]?.vid).toBe('100');
    expect(policy('Voice Signaling')?.dscp?.[0]?.value).toBe('24');
    expect(med.poe?.[0]?.['device-type']?.[0]?.value).toBe('PSE');
    expect(med.poe?.[0]?.power?.[0]?.value).toBe('15400');
  }, 40_000);

  it('scapy\'s CP-7970 Power Requested gets Power Available with the phone\'s own request id within 1 s, granted 10.25 W', async () => {
    const phone = lab.phones[0];
    const requestId = 4242;
    const read = await capture(lab, 'phone1', 4, 'ether dst 01:00:0c:cc:cc:cc',
      ['frame.time_epoch', 'eth.src', 'cdp.request_id', 'cdp.management_id', 'cdp.power_available', 'cdp.checksum.status']);
    await scapySend(phone.ns, [cp7970Frame(phone.mac, requestId)]);
    const rows = await read();
    const request = rows.find((r) => r[1] === phone.mac && r[2] === String(requestId));
    const reply = rows.find((r) => r[1] === LAN.appMac && r[2] === String(requestId));
    expect(request, JSON.stringify(rows)).toBeDefined();
    expect(reply, JSON.stringify(rows)).toBeDefined();
    // Cisco phones wait about a second for the echo before asking again.
    expect(Number(reply![0]) - Number(request![0])).toBeLessThan(1);
    expect(reply!.slice(3)).toEqual(['0', '10250,4294967295', '1']);

    const n = await until('the CDP phone in /api/neighbors', () => neighbour(phone.mac));
    expect(n).toMatchObject({
      deviceName: phone.deviceName, isPhone: true, model: 'Cisco IP Phone 7970', firmware: 'SIP70.8-5-3S', protocols: ['cdp'],
      cdp: { powerRequested: { requestId, levelsMw: [10250, 6300] }, holdtimeSeconds: 180 },
      power: { state: 'granted', grantedMw: 10250, request: { source: 'cdp' } },
    });
    const journey = (await outpost.api<{ journey: { step: string; outcome: string; detail: string }[] }>(`/api/phones/${phone.deviceName}`))?.journey ?? [];
    expect(journey).toContainEqual(expect.objectContaining({ step: 'link', outcome: 'ok', detail: expect.stringContaining('Cisco IP Phone 7970') }));
    expect(journey).toContainEqual(expect.objectContaining({ step: 'power', outcome: 'ok', detail: expect.stringContaining('granted 10250 mW') }));
  }, 30_000);

  it('lldpd as an LLDP-MED class 3 phone asking for 15.4 W: fast start (4 LLDPDUs about 1 s apart) and a neighbour entry', async () => {
    const phone = lab.phones[1];
    const read = await capture(lab, 'phone2', 7, `ether src ${LAN.appMac} and ether proto 0x88cc`, ['frame.time_epoch']);
    const sock = join(lab.workDir, 'lldpd-phone.sock');
    lldpdPhone = lab.space.spawn('phone2', 'lldpd', ['-d', '-M', '3', '-I', 'eth0', '-u', sock]);
    const lldpcli = (...args: string[]) => execIn(phone.ns, 'lldpcli', ['-u', sock, ...args], { timeoutMs: 5000 });
    await until('lldpd control socket', async () => ((await lldpcli('show', 'configuration')).code === 0 ? true : undefined), 10_000);
    expect((await lldpcli('configure', 'system', 'hostname', phone.deviceName)).code).toBe(0);
    expect((await lldpcli('configure', 'med', 'policy', 'application', 'voice', 'tagged', 'vlan', '100', 'priority', 'voice', 'dscp', '46')).code).toBe(0);
    expect((await lldpcli('configure', 'med', 'power', 'pd', 'source', 'pse', 'priority', 'high', 'value', '15400')).code).toBe(0);

    const times = (await read()).map((r) => Number(r[0]));
    expect(oneSecondChain(times), `LLDPDU times: ${times.map((t) => (t - times[0]).toFixed(2)).join(' ')}`).toBeGreaterThanOrEqual(4);

    const n = await until('the LLDP-MED phone with its power request', async () => {
      const v = await neighbour(phone.mac);
      return v?.power ? v : undefined;
    });
    expect(n).toMatchObject({
      deviceName: phone.deviceName, isPhone: true, protocols: ['lldp'],
      lldp: { med: { deviceClass: 3, power: { type: 'pd', milliwatts: 15400, priority: 'high' } } },
      power: { state: 'granted', grantedMw: 15400, request: { source: 'lldp', levelsMw: [15400] } },
    });
    expect(n.lldp?.med?.policies).toContainEqual(expect.objectContaining({ application: 'voice', vlanId: 100, tagged: true, dscp: 46 }));
  }, 40_000);

  it('phones beyond the switch budget are refused, reported in /api/power, `outpost show power inline` and the journey', async () => {
    const before = await outpost.api<PowerView>('/api/power');
    expect(before?.portLimitMw).toBe(15400);
    const fits = Math.floor(before!.remainingMw / 15400);
    const macs = Array.from({ length: fits + 2 }, (_, i) => `02:00:00:77:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`);
    await scapySend(lab.phones[0].ns, macs.map((mac, i) => cp7970Frame(mac, 100 + i, [15400])));

    const power = await until('every crafted phone decided', async () => {
      const v = await outpost.api<PowerView>('/api/power');
      return v && macs.every((m) => v.phones.some((p) => p.mac === macHex(m))) ? v : undefined;
    });
    const mine = power.phones.filter((p) => macs.some((m) => macHex(m) === p.mac));
    expect(mine.filter((p) => p.state === 'granted')).toHaveLength(fits);
    const refused = mine.filter((p) => p.state === 'refused');
    expect(refused).toHaveLength(2);
    expect(refused[0].reason).toMatch(/left of the 370\.0 W switch budget/);
    expect(power.usedMw).toBeLessThanOrEqual(power.totalMw);

    const last = macs[macs.length - 1];
    expect((await neighbour(last))?.power).toMatchObject({ state: 'refused', grantedMw: 0 });
    const show = await execIn(lab.ns('app'), process.execPath, [repoPath('bin', 'outpost.js'), 'show', 'power', 'inline', '--api', LAB_API], { timeoutMs: 10_000 });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^lan0\\s+SEP${macHex(last)}\\s+denied\\s+0\\.0\\s+15\\.4`, 'm'));
    expect(show.stdout).toContain('2 phone(s) refused power');
    const journey = (await outpost.api<{ journey: { step: string; outcome: string; detail: string }[] }>(`/api/phones/SEP${macHex(last)}`))?.journey ?? [];
    expect(journey).toContainEqual(expect.objectContaining({ step: 'power', outcome: 'fail', detail: expect.stringContaining('refused 15400 mW over CDP') }));

    const cdp = await execIn(lab.ns('app'), process.execPath, [repoPath('bin', 'outpost.js'), 'show', 'cdp', 'neighbors', '--api', LAB_API], { timeoutMs: 10_000 });
    expect(cdp.stdout).toMatch(new RegExp(`^${lab.phones[0].deviceName}\\s+lan0\\s+\\d+\\s+H P M\\s+Cisco IP Phone 7970\\s+Port 1$`, 'm'));
    const lldp = await execIn(lab.ns('app'), process.execPath, [repoPath('bin', 'outpost.js'), 'show', 'lldp', 'neighbors', 'detail', '--api', LAB_API], { timeoutMs: 10_000 });
    expect(lldp.stdout).toContain(`System Name: ${lab.phones[1].deviceName}`);
    expect(lldp.stdout).toContain('Device type: Endpoint Class III');
  }, 60_000);

  it('when the LLDP-MED phone leaves (lldpd\'s TTL 0 on exit) its 15.4 W go to the first refused phone, which is told at once', async () => {
    const phone = lab.phones[1];
    const before = await outpost.api<PowerView>('/api/power');
    const firstRefused = before!.phones.find((p) => p.state === 'refused')!;
    const read = await capture(lab, 'phone1', 4, `ether src ${LAN.appMac} and ether dst 01:00:0c:cc:cc:cc`, ['cdp.request_id', 'cdp.power_available']);
    lldpdPhone.kill('SIGTERM');
    await until('the LLDP phone gone from /api/neighbors', async () => ((await neighbour(phone.mac)) ? undefined : true), 5000);
    const after = await outpost.api<PowerView>('/api/power');
    expect(after?.phones.find((p) => p.mac === macHex(phone.mac))).toBeUndefined();
    expect(after?.phones.find((p) => p.mac === firstRefused.mac)).toMatchObject({ state: 'granted', grantedMw: 15400 });
    const rows = await read();
    expect(rows, JSON.stringify(rows)).toContainEqual([String(firstRefused.request.requestId), '15400,4294967295']);
    const journey = (await outpost.api<{ journey: { step: string; outcome: string; detail: string }[] }>(`/api/phones/${phone.deviceName}`))?.journey ?? [];
    expect(journey).toContainEqual(expect.objectContaining({ step: 'link', detail: 'LLDP: neighbour left the port (TTL 0)' }));
  }, 30_000);

  it('sends CDP and LLDP goodbyes (TTL 0) when it stops', async () => {
    const read = await capture(lab, 'phone1', 4, `ether src ${LAN.appMac}`, ['cdp.ttl', 'lldp.time_to_live']);
    expect(await outpost.stop(5000)).toBe(0);
    const rows = await read();
    expect(rows.some((r) => r[0] === '0'), JSON.stringify(rows)).toBe(true);
    expect(rows.some((r) => r[1] === '0'), JSON.stringify(rows)).toBe(true);
  }, 20_000);
});

/** Length of the longest chain of frames each 0.75–1.25 s after the previous one. */
function oneSecondChain(times: number[]): number {
  let best = times.length ? 1 : 0;
  const chain = (i: number): number => {
    let longest = 1;
    for (let j = i + 1; j < times.length; j++) {
      const gap = times[j] - times[i];
      if (gap > 1.25) break;
      if (gap >= 0.75) longest = Math.max(longest, 1 + chain(j));
    }
    return longest;
  };
  for (let i = 0; i < times.length; i++) best = Math.max(best, chain(i));
  return best;
}
