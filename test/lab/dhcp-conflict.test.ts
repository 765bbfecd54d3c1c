// Address conflicts on the phones' segment. With the ARP probe, an address another host
// already uses is never offered; without it, a client that checks (udhcpc -a) DECLINEs it
// and Outpost quarantines the address and offers another.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { requireLabPrerequisites } from './prerequisites.js';
import { CISCO_VENDOR_CLASS, clientScript, leaseOf, startDhcpOutpost, waitFor, type DhcpOutpost, type LeaseView } from './dhcp-helpers.js';

const POOL = '10.20.0.100-10.20.0.110';

describe('DHCP address conflicts: ARP probe and DECLINE', () => {
  let lab: Lab;
  let outpost: DhcpOutpost | undefined;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 3, kamailio: false });
    // A forgotten static device: phone 3's namespace answers ARP for the first pool address.
    await execIn(lab.phones[2].ns, 'ip', ['addr', 'add', '10.20.0.100/24', 'dev', 'eth0']);
  });

  afterAll(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    await outpost?.stop();
    await lab?.down();
  });

  it('never offers an address that answers its ARP probe, and quarantines it', async () => {
    outpost = await startDhcpOutpost(lab, `{ pool: ${POOL}, router: 10.20.0.1, lease: 600, arpProbe: { enabled: true, timeoutMs: 300 } }`, 'probing');
    const p = lab.phones[0];
    const r = await execIn(p.ns, 'udhcpc', ['-i', 'eth0', '-n', '-q', '-t', '5', '-V', CISCO_VENDOR_CLASS, '-s', '/bin/true'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/10\.20\.0\.100\b/);
    expect((await leaseOf(outpost, p.mac))?.ip).toBe('10.20.0.101');
    const leases = await outpost.api<LeaseView[]>('/api/leases');
    expect(leases).toContainEqual(expect.objectContaining({ ip: '10.20.0.100', state: 'declined', mac: lab.phones[2].mac }));
    expect(await outpost.text('/metrics')).toMatch(/outpost_dhcp_arp_conflicts_total 1/);
    await outpost.stop();
    outpost = undefined;
  }, 60_000);

  it('without the probe, quarantines the address a client DECLINEs and gives it another', async () => {
    outpost = await startDhcpOutpost(lab, `{ pool: ${POOL}, router: 10.20.0.1, lease: 600, arpProbe: { enabled: false } }`, 'declining');
    const p = lab.phones[1];
    const script = clientScript(lab, 'udhcpc-arp', 'echo "event=$1 ip=$ip" >> $LOG');
    // udhcpc -a checks the offered address with ARP and declines it when someone answers.
    const udhcpc = lab.space.spawn(`phone${p.index}`, 'udhcpc', ['-f', '-q', '-a', '-i', 'eth0', '-t', '8', '-T', '1', '-s', script.path]);
    running.push(udhcpc);
    const bound = await waitFor('udhcpc bound', 40_000, () => script.events().find((e) => e.event === 'bound'));
    expect(bound.ip).toBe('10.20.0.101');
    const leases = await outpost.api<LeaseView[]>('/api/leases');
    expect(leases).toContainEqual(expect.objectContaining({ ip: '10.20.0.100', state: 'declined', mac: p.mac }));
    expect(await outpost.text('/metrics')).toMatch(/outpost_dhcp_events_total\{kind="decline"\} 1/);
  }, 60_000);
});
