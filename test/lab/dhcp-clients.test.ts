// Outpost's DHCP server against three real clients, each asking for option 150 its own way:
// udhcpc (-O 150), dhclient (a cisco-tftp option definition) and dhcpcd (tftp_servers), plus
// scapy for a REQUEST that names another server. Lease, renew (unicast to Outpost), rebind
// (broadcast, when Outpost's address is unreachable), release, and INIT-REBOOT with a wrong
// address (NAK) are all checked on both sides: the client's own report and Outpost's state.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabPhone } from '../../src/lab/topology.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { sh } from '../../src/lab/netns.js';
import { requireLabPrerequisites } from './prerequisites.js';
import {
  CISCO_VENDOR_CLASS, OUTPOST_IP, addressesOf, clientScript, dhcpJourney, leaseOf, sleep, startDhcpOutpost, waitFor,
  type DhcpOutpost, type LeaseView,
} from './dhcp-helpers.js';

// Short T1/T2 so that real clients renew and rebind within a test.
const DHCP = '{ pool: 10.20.0.100-10.20.0.199, router: 10.20.0.1, lease: 120, renewal: 3, rebinding: 8 }';

describe('DHCP server against udhcpc, dhclient, dhcpcd and scapy', () => {
  let lab: Lab;
  let outpost: DhcpOutpost;
  const running: ChildProcess[] = [];
  const phone = (i: number): LabPhone => lab.phones[i];

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 4, kamailio: false });
    outpost = await startDhcpOutpost(lab, DHCP);
  });

  afterAll(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    await outpost?.stop();
    await lab?.down();
  });

  it('udhcpc: lease with option 150, unicast renew, release', async () => {
    const p = phone(0);
    const script = clientScript(lab, 'udhcpc', `case "$1" in
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";;
  deconfig) ip addr flush dev "$interface";;
esac
echo "event=$1 ip=$ip serverid=$serverid opt150=$opt150" >> $LOG`);
    const udhcpc = lab.space.spawn(`phone${p.index}`, 'udhcpc', ['-f', '-i', 'eth0', '-t', '5', '-O', '150', '-V', CISCO_VENDOR_CLASS, '-s', script.path]);
    running.push(udhcpc);
    const bound = await waitFor('udhcpc bound', 20_000, () => script.events().find((e) => e.event === 'bound'));
    expect(bound.ip).toMatch(/^10\.20\.0\.1\d\d$/);
    expect(bound.serverid).toBe(OUTPOST_IP);
    expect(bound.opt150).toBe('0a140001');
    expect(await leaseOf(outpost, p.mac)).toMatchObject({ ip: bound.ip, vendorClass: CISCO_VENDOR_CLASS });
    const journey = await dhcpJourney(outpost, p);
    expect(journey).toEqual(expect.arrayContaining([`DISCOVER (${CISCO_VENDOR_CLASS})`, `OFFER ${bound.ip}, option 150 ${OUTPOST_IP}`, `ACK ${bound.ip} (selecting), option 150 ${OUTPOST_IP}`]));

    udhcpc.kill('SIGUSR1'); // renew: a unicast REQUEST to Outpost's address
    const renewed = await waitFor('udhcpc renew', 10_000, () => script.events().find((e) => e.event === 'renew'));
    expect(renewed.ip).toBe(bound.ip);
    expect(await dhcpJourney(outpost, p)).toContain(`ACK ${bound.ip} (renewing), option 150 ${OUTPOST_IP}`);

    udhcpc.kill('SIGUSR2'); // release
    await waitFor('release recorded', 10_000, async () => {
      const leases = await outpost.api<LeaseView[]>('/api/leases');
      return leases?.find((l) => l.ip === bound.ip && l.state === 'released');
    });
    udhcpc.kill('SIGTERM');
  }, 60_000);

  it('dhclient: lease with cisco-tftp, renew at T1, rebind at T2 when Outpost is unreachable by unicast, INIT-REBOOT NAK', async () => {
    const p = phone(1);
    const conf = join(lab.workDir, 'dhclient.conf');
    const leases = join(lab.workDir, 'dhclient.leases');
    writeFileSync(conf, `option cisco-tftp code 150 = array of ip-address;
send vendor-class-identifier "${CISCO_VENDOR_CLASS}";
request subnet-mask, routers, cisco-tftp;
`);
    const script = clientScript(lab, 'dhclient', `case "$reason" in
  BOUND|RENEW|REBIND|REBOOT) ip addr flush dev "$interface"; ip addr add "$new_ip_address/24" dev "$interface";;
  EXPIRE|FAIL|RELEASE|STOP) ip addr flush dev "$interface";;
esac
echo "reason=$reason ip=$new_ip_address tftp=$new_cisco_tftp" >> $LOG`);
    let output = '';
    const start = () => {
      const c = lab.space.spawn(`phone${p.index}`, 'dhclient', ['-4', '-d', '-cf', conf, '-lf', leases, '-pf', join(lab.workDir, 'dhclient.pid'), '-sf', script.path, 'eth0']);
      c.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
      running.push(c);
      return c;
    };
    let dhclient = start();
    const bound = await waitFor('dhclient BOUND', 20_000, () => script.events().find((e) => e.reason === 'BOUND'));
    expect(bound.ip).toMatch(/^10\.20\.0\.1\d\d$/);
    expect(bound.tftp).toBe(OUTPOST_IP);
    expect(await leaseOf(outpost, p.mac)).toMatchObject({ ip: bound.ip });

    await waitFor('dhclient RENEW', 15_000, () => script.events().find((e) => e.reason === 'RENEW'));
    expect(await dhcpJourney(outpost, p)).toContain(`ACK ${bound.ip} (renewing), option 150 ${OUTPOST_IP}`);

    // The switch loses unicast to Outpost's port 67: renewals vanish, and at T2 the client
    // broadcasts (REBINDING), which still gets through.
    const nft = (cmd: string) => sh('ip', ['netns', 'exec', lab.ns('switch'), 'nft', '-f', '-'], cmd);
    nft(`table bridge cut {\n  chain c {\n    type filter hook forward priority 0;\n    ip daddr ${OUTPOST_IP} udp dport 67 drop\n  }\n}\n`);
    const cutAt = output.length;
    await waitFor('a rebinding ACK', 25_000, async () => (await dhcpJourney(outpost, p)).includes(`ACK ${bound.ip} (rebinding), option 150 ${OUTPOST_IP}`));
    expect(output.slice(cutAt)).toMatch(new RegExp(`DHCPREQUEST for ${bound.ip.replaceAll('.', '\\.')} on eth0 to 255\\.255\\.255\\.255 port 67\nDHCPACK of ${bound.ip.replaceAll('.', '\\.')}`));
    nft('delete table bridge cut\n');

    // The phone reboots believing it has another address: INIT-REBOOT, NAK, then DISCOVER.
    dhclient.kill('SIGKILL');
    await new Promise((r) => dhclient.once('exit', r));
    const wrong = bound.ip === '10.20.0.150' ? '10.20.0.151' : '10.20.0.150';
    writeFileSync(leases, `lease {
  interface "eth0";
  fixed-address ${wrong};
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier ${OUTPOST_IP};
  renew 4 2037/01/01 00:00:00;
  rebind 4 2037/01/01 00:00:00;
  expire 4 2037/01/01 00:00:00;
}
`);
    const before = script.events().length;
    dhclient = start();
    const after = await waitFor('dhclient bound again', 30_000, () => script.events().slice(before).find((e) => e.reason === 'BOUND' || e.reason === 'REBOOT'));
    expect(after.ip).toBe(bound.ip);
    expect(await dhcpJourney(outpost, p)).toContain(`NAK ${wrong} (init-reboot): client's lease is ${bound.ip}`);
    dhclient.kill('SIGTERM');
  }, 90_000);

  it('dhcpcd: lease with tftp_servers and its own client id, renew, release', async () => {
    const p = phone(2);
    const conf = join(lab.workDir, 'dhcpcd.conf');
    writeFileSync(conf, `duid\noption tftp_servers\nvendorclassid ${CISCO_VENDOR_CLASS}\nnoipv6rs\nipv4only\n`);
    const script = clientScript(lab, 'dhcpcd', 'echo "reason=$reason ip=$new_ip_address tftp=$new_tftp_servers" >> $LOG');
    // Private /run and /var/lib/dhcpcd: dhcpcd's sockets and lease files stay in this test.
    const dhcpcd = lab.space.spawn(`phone${p.index}`, 'unshare', ['-m', 'sh', '-c',
      'mount --make-rprivate / && mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/dhcpcd && mount -t tmpfs -o mode=0755 tmpfs /var/lib/dhcpcd && '
      + `exec dhcpcd -4 -B -d -f ${conf} -c ${script.path} eth0`]);
    running.push(dhcpcd);
    let output = '';
    dhcpcd.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const bound = await waitFor('dhcpcd BOUND', 30_000, () => script.events().find((e) => e.reason === 'BOUND')).catch((e: Error) => {
      throw new Error(`${e.message}\n${output}`);
    });
    expect(bound.ip).toMatch(/^10\.20\.0\.1\d\d$/);
    expect(bound.tftp).toBe(OUTPOST_IP);
    expect(await addressesOf(p.ns)).toContain(bound.ip);
    const lease = await leaseOf(outpost, p.mac);
    expect(lease).toMatchObject({ ip: bound.ip });
    expect(lease?.clientId).toMatch(/^ff/); // RFC 4361 IAID + DUID

    await waitFor('dhcpcd RENEW', 15_000, () => script.events().find((e) => e.reason === 'RENEW')).catch((e: Error) => {
      throw new Error(`${e.message}\n${output}`);
    });
    expect(await dhcpJourney(outpost, p)).toContain(`ACK ${bound.ip} (renewing), option 150 ${OUTPOST_IP}`);

    dhcpcd.kill('SIGALRM'); // dhcpcd: release the lease and exit
    await waitFor('release recorded', 10_000, async () => {
      const leases = await outpost.api<LeaseView[]>('/api/leases');
      return leases?.find((l) => l.ip === bound.ip && l.state === 'released');
    });
  }, 60_000);

  it('stays silent to a REQUEST that names another server, and frees the offer', async () => {
    const p = phone(3);
    const py = `
import json
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, AsyncSniffer, conf, mac2str, sendp, srp1
conf.checkIPaddr = False
mac = '${p.mac}'
def msg(opts):
    return (Ether(src=mac, dst='ff:ff:ff:ff:ff:ff') / IP(src='0.0.0.0', dst='255.255.255.255') / UDP(sport=68, dport=67)
            / BOOTP(chaddr=mac2str(mac), xid=0x5eed, flags=0x8000) / DHCP(options=opts + ['end']))
offer = srp1(msg([('message-type', 'discover')]), iface='eth0', timeout=5, verbose=False)
ip = offer[BOOTP].yiaddr if offer else None
sniff = AsyncSniffer(iface='eth0', lfilter=lambda p: UDP in p and p[UDP].sport == 67)
sniff.start()
sendp(msg([('message-type', 'request'), ('server_id', '10.20.0.99'), ('requested_addr', ip or '0.0.0.0')]), iface='eth0', verbose=False)
import time; time.sleep(2)
print(json.dumps({'offer': ip, 'replies': len(sniff.stop())}))
`;
    const r = await execIn(p.ns, '/usr/bin/python3', ['-c', py], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { offer: string | null; replies: number };
    expect(out.offer).toMatch(/^10\.20\.0\.1\d\d$/);
    expect(out.replies).toBe(0);
    const leases = await outpost.api<LeaseView[]>('/api/leases');
    expect(leases?.filter((l) => l.mac === p.mac)).toEqual([]);
    await sleep(0);
  }, 40_000);

  it('shows the bindings IOS-style and counts offers, acks and naks', async () => {
    const { execFileSync } = await import('node:child_process');
    const table = execFileSync('ip', ['netns', 'exec', lab.ns('app'), process.execPath, 'bin/outpost.js', 'show', 'ip', 'dhcp', 'binding', '--api', '127.0.0.1:8080'], { encoding: 'utf8' });
    expect(table).toMatch(/IP address\s+Client-ID\/Hardware address\s+Lease expiration\s+Type\s+State/);
    expect(table).toMatch(/10\.20\.0\.1\d\d\s+\S+\s+\S+\s+Automatic\s+Active/);
    const metrics = await outpost.text('/metrics');
    for (const kind of ['offer', 'ack', 'nak', 'release']) expect(metrics).toMatch(new RegExp(`outpost_dhcp_events_total\\{kind="${kind}"\\} [1-9]`));
    expect(metrics).toMatch(/outpost_dhcp_pool_addresses\{state="size"\} 100/);
  });
});
