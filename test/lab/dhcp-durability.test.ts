// Leases survive Outpost's restarts, a kill -9 included: a phone that got its address before
// the crash renews the same address afterwards, nobody else is given it meanwhile, and
// during a flood of clients every ACK that left Outpost before a kill -9 is on disk.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { requireLabPrerequisites } from './prerequisites.js';
import {
  CISCO_VENDOR_CLASS, OUTPOST_IP, clientScript, dhcpJourney, leaseOf, sleep, startDhcpOutpost, waitFor,
  type DhcpOutpost, type LeaseView,
} from './dhcp-helpers.js';

const DHCP = '{ pool: 10.20.0.100-10.20.0.250, router: 10.20.0.1, lease: 600 }';

describe('DHCP leases across restarts and kill -9', () => {
  let lab: Lab;
  let outpost: DhcpOutpost;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 3, kamailio: false });
    outpost = await startDhcpOutpost(lab, DHCP);
  });

  afterAll(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    await outpost?.stop();
    await lab?.down();
  });

  it('keeps a lease across SIGTERM and kill -9: the phone renews the same address', async () => {
    const p = lab.phones[0];
    const script = clientScript(lab, 'udhcpc-restart', `case "$1" in
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";;
esac
echo "event=$1 ip=$ip" >> $LOG`);
    const udhcpc = lab.space.spawn(`phone${p.index}`, 'udhcpc', ['-f', '-i', 'eth0', '-t', '5', '-O', '150', '-V', CISCO_VENDOR_CLASS, '-s', script.path]);
    running.push(udhcpc);
    const bound = await waitFor('udhcpc bound', 20_000, () => script.events().find((e) => e.event === 'bound'));

    for (const restart of ['SIGTERM', 'kill -9'] as const) {
      if (restart === 'SIGTERM') await outpost.stop();
      else await outpost.crash();
      outpost = await startDhcpOutpost(lab, DHCP);
      expect(await leaseOf(outpost, p.mac), restart).toMatchObject({ ip: bound.ip, state: 'bound' });
      // Another phone booting now must not be given the address.
      const other = lab.phones[restart === 'SIGTERM' ? 1 : 2];
      const r = await execIn(other.ns, 'udhcpc', ['-i', 'eth0', '-n', '-q', '-t', '5', '-r', bound.ip, '-s', '/bin/true'], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(0);
      expect((await leaseOf(outpost, other.mac))?.ip).not.toBe(bound.ip);
      const renewsBefore = script.events().filter((e) => e.event === 'renew').length;
      udhcpc.kill('SIGUSR1');
      const renewed = await waitFor(`renew after ${restart}`, 10_000, () => script.events().filter((e) => e.event === 'renew')[renewsBefore]);
      expect(renewed.ip, restart).toBe(bound.ip);
      expect(await dhcpJourney(outpost, p)).toContain(`ACK ${bound.ip} (renewing), option 150 ${OUTPOST_IP}`);
    }
    udhcpc.kill('SIGTERM');
  }, 90_000);

  it('has on disk every lease it acknowledged before a kill -9 in the middle of a flood', async () => {
    // perfdhcp as a relay on phone 3's namespace; tshark there records every ACK that arrived.
    const ns = lab.phones[2].ns;
    await execIn(ns, 'ip', ['addr', 'add', '10.20.0.9/24', 'dev', 'eth0']);
    const capture = join(lab.workDir, 'acks.txt');
    const tshark = lab.space.spawn(`phone${lab.phones[2].index}`, 'sh', ['-c',
      `exec tshark -i eth0 -l -f 'udp src port 67' -Y 'dhcp.option.dhcp == 5' -T fields -e dhcp.hw.mac_addr -e dhcp.ip.your > ${capture}`]);
    running.push(tshark);
    let tsharkErr = '';
    tshark.stderr?.on('data', (d: Buffer) => { tsharkErr += d.toString(); });
    await waitFor('tshark capturing', 10_000, () => tsharkErr.includes('Capturing on'));
    const flood = execIn(ns, 'perfdhcp', ['-4', '-l', '10.20.0.9', '-r', '200', '-R', '120', '-p', '4', OUTPOST_IP], { timeoutMs: 20_000 });
    await sleep(1500);
    await outpost.crash();
    await flood;
    await sleep(500);
    tshark.kill('SIGINT');
    await new Promise((r) => tshark.once('exit', r));
    const acked = readFileSync(capture, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')).map(([mac, ip]) => ({ mac, ip }));
    expect(acked.length).toBeGreaterThan(20);

    outpost = await startDhcpOutpost(lab, DHCP);
    const leases = await outpost.api<LeaseView[]>('/api/leases') ?? [];
    const bound = new Set(leases.filter((l) => l.state === 'bound').map((l) => `${l.mac} ${l.ip}`));
    const lost = acked.filter((a) => !bound.has(`${a.mac} ${a.ip}`));
    expect(lost).toEqual([]);
  }, 60_000);
});
