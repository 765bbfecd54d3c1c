// Outpost's AF_PACKET socket on a real veth link, checked against tcpdump and scapy running
// in the neighbouring namespace. Needs root; the socket side runs in a child Node process
// (test/lab/helpers/raw-socket-peer.mjs) because this test process lives in the host namespace.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { requireLabPrerequisites } from './prerequisites.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSpace, uniquePrefix } from '../../src/lab/netns.js';
import { readCapture } from '../../src/util/pcap.js';
import { ETH_P_ALL, ETH_P_LLDP, RawSocket } from '../../src/native/raw-socket.js';

const ROOT = join(import.meta.dirname, '../..');
const PEER = join(ROOT, 'test/lab/helpers/raw-socket-peer.mjs');
const A_MAC = '02:00:00:00:0a:01';
const B_MAC = '02:00:00:00:0b:01';
const LLDP_MULTICAST = '01:80:c2:00:00:0e';

const hex = (mac: string) => mac.replaceAll(':', '');
// A UDP datagram to port 8080: an ordinary unicast frame that no Outpost filter wants.
const udpFrame = (src: string, dst: string) => hex(dst) + hex(src) + '0800' + '4500001c00010000401100000a0000020a000001' + '1f901f90' + '00080000';
// Hand-made frames of each kind, all from the B side (scapy needs an explicit source MAC).
const FRAMES = {
  // Chassis ID (MAC), Port ID "sw1", TTL 120, End.
  lldp: hex(LLDP_MULTICAST) + hex(B_MAC) + '88cc' + '020704' + hex(B_MAC) + '040405737731' + '06020078' + '0000',
  // 802.3 length 21: SNAP (8), version 2, TTL 180, checksum, Device ID "SEP01".
  cdp: '01000ccccccc' + hex(B_MAC) + '0015' + 'aaaa0300000c2000' + '02b4' + 'ffff' + '00010009' + '5345503031',
  // IPv4/UDP 68 -> 67 with a zeroed 264-byte body: enough for the filter, not a valid BOOTP message.
  dhcp: 'ffffffffffff' + hex(B_MAC) + '0800' + '45000124000100004011' + '0000' + '00000000ffffffff' + '00440043' + '01100000' + '00'.repeat(264),
  arp: 'ffffffffffff' + hex(B_MAC) + '0806' + '0001080006040001' + hex(B_MAC) + 'c0a80a02' + '000000000000' + 'c0a80a01' + '00'.repeat(18),
  udp: udpFrame(B_MAC, A_MAC),
};

type PeerEvent = { event: string; hex?: string; message?: string; code?: string; mac?: string; stats?: Record<string, number> };

/** A RawSocket in a child process in one namespace, driven over stdin/stdout. */
class Peer {
  readonly events: PeerEvent[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as PeerEvent);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  frames(): string[] {
    return this.events.filter((e) => e.event === 'frame').map((e) => e.hex!);
  }

  async waitFor(what: string, test: (e: PeerEvent) => boolean, timeoutMs = 10_000): Promise<PeerEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(test);
      if (found) return found;
      if (Date.now() > end) throw new Error(`peer: no ${what} within ${timeoutMs} ms; events ${JSON.stringify(this.events)}; stderr ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  command(cmd: object): void {
    this.child.stdin!.write(JSON.stringify(cmd) + '\n');
  }

  /** Closes the socket and returns the child's exit code, or 'still running' if it hangs on. */
  async close(): Promise<number | null | string> {
    this.command({ cmd: 'close' });
    await this.waitFor('closed', (e) => e.event === 'closed');
    return Promise.race([this.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
  }
}

describe('RawSocket on a veth link (lab)', () => {
  beforeAll(() => requireLabPrerequisites());
  let lab: LabSpace;
  let scratch: string;

  beforeAll(() => {
    const missing = ['dist/native/raw-socket.js', 'dist/native/bpf.js', 'build/Release/outpost_packet.node'].filter((f) => !existsSync(join(ROOT, f)));
    if (missing.length > 0) {
      throw new Error(`missing ${missing.join(', ')}: build with \`npm run install\` (addon) and \`npx tsc -p tsconfig.build.json\` (dist) first`);
    }
    scratch = mkdtempSync(join(tmpdir(), 'outpost-rawsock-'));
    lab = new LabSpace(uniquePrefix('rs'));
    lab.addNamespace('a');
    lab.addNamespace('b');
    lab.veth({ role: 'a', ifname: 'eth0', mac: A_MAC }, { role: 'b', ifname: 'eth0', mac: B_MAC });
    for (const role of ['a', 'b']) {
      // Quiet link: no IPv6 router solicitations or DAD frames mixed into what the peers see.
      lab.exec(role, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.eth0.disable_ipv6=1']);
      lab.exec(role, 'ip', ['link', 'set', 'eth0', 'up']);
    }
  });

  afterAll(() => {
    lab?.destroy();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function startPeer(opts: { iface?: string; protocol: number; filter?: string; multicast?: string[] }): Promise<Peer> {
    const child = lab.spawn('a', process.execPath, [PEER, JSON.stringify({ iface: 'eth0', ...opts })], { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new Peer(child);
    await peer.waitFor('open or error', (e) => e.event === 'open' || e.event === 'error');
    return peer;
  }

  /** Sends raw frames from namespace B with scapy, in order, in one call. */
  function scapySend(...frames: string[]): void {
    lab.exec('b', '/usr/bin/python3', ['-c',
      'import sys\nfrom scapy.all import Raw, sendp\nsendp([Raw(bytes.fromhex(h)) for h in sys.argv[1:]], iface="eth0", verbose=False)',
      ...frames]);
  }

  /** Starts tcpdump in namespace B; resolves once it is capturing, to a wait for its `count` frames. */
  async function startCapture(file: string, count: number): Promise<() => Promise<void>> {
    const child = lab.spawn('b', 'tcpdump', ['-i', 'eth0', '-U', '-n', '-c', String(count), '-w', file, 'ether', 'src', A_MAC]);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('listening on')) { clearTimeout(timer); resolve(); }
      });
    });
    return async () => {
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
      const outcome = await Promise.race([exited, timeout]);
      if (outcome !== 0) throw new Error(`tcpdump did not capture ${count} frames (${String(outcome)}): ${stderr}`);
    };
  }

  it('puts sent frames on the wire byte for byte and never hands them back to itself', async () => {
    const peer = await startPeer({ protocol: ETH_P_ALL });
    expect(peer.events[0]).toMatchObject({ event: 'open', mac: A_MAC });
    const file = join(scratch, 'sent.pcap');
    const tcpdumpDone = await startCapture(file, 2);
    // An LLDPDU and a short unicast UDP frame from A (no padding is added on veth).
    const lldpFromA = hex(LLDP_MULTICAST) + hex(A_MAC) + FRAMES.lldp.slice(24);
    peer.command({ cmd: 'send', hex: lldpFromA });
    peer.command({ cmd: 'send', hex: udpFrame(A_MAC, B_MAC) });
    await tcpdumpDone();
    const captured = readCapture(readFileSync(file));
    expect(captured.ok).toBe(true);
    expect(captured.frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual([lldpFromA, udpFrame(A_MAC, B_MAC)]);

    // A marker from B proves the socket was receiving all along; own frames would have come first.
    scapySend(FRAMES.arp);
    await peer.waitFor('marker frame', (e) => e.event === 'frame' && e.hex === FRAMES.arp);
    expect(peer.frames()).toEqual([FRAMES.arp]);
    expect(peer.events.filter((e) => e.event === 'sent')).toHaveLength(2);
    expect(await peer.close()).toBe(0);
    expect(peer.events.at(-1)?.stats).toMatchObject({ framesSent: 2, framesReceived: 1, sendErrors: 0 });
  });

  it('receives, unchanged, a DHCPDISCOVER that scapy builds itself', async () => {
    const peer = await startPeer({ protocol: ETH_P_ALL, filter: 'dhcp' });
    const script = [
      'from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp, mac2str',
      `f = Ether(src="${B_MAC}", dst="ff:ff:ff:ff:ff:ff")/IP(src="0.0.0.0", dst="255.255.255.255")/UDP(sport=68, dport=67)`,
      `f = f/BOOTP(chaddr=mac2str("${B_MAC}"), xid=0x1234)/DHCP(options=[("message-type", "discover"), ("vendor_class_id", b"Cisco Systems, Inc. IP Phone CP-8845"), "end"])`,
      'sendp(f, iface="eth0", verbose=False)',
      'print(bytes(f).hex())',
    ].join('\n');
    const sent = lab.exec('b', '/usr/bin/python3', ['-c', script]).trim();
    expect(sent).toMatch(/^ffffffffffff/);
    const got = await peer.waitFor('DHCPDISCOVER', (e) => e.event === 'frame');
    expect(got.hex).toBe(sent);
    expect(await peer.close()).toBe(0);
  });

  const filterCases: Array<[string, keyof typeof FRAMES, number]> = [
    ['lldp', 'lldp', ETH_P_LLDP],
    ['lldp', 'lldp', ETH_P_ALL],
    ['cdp', 'cdp', ETH_P_ALL],
    ['dhcp', 'dhcp', ETH_P_ALL],
    ['arp', 'arp', ETH_P_ALL],
  ];
  for (const [filter, wanted, protocol] of filterCases) {
    it(`a ${filter}-filtered socket (protocol 0x${protocol.toString(16)}) gets only ${wanted} frames`, async () => {
      const peer = await startPeer({ protocol, filter, multicast: filter === 'lldp' ? [LLDP_MULTICAST] : undefined });
      expect(peer.events[0].event).toBe('open');
      if (filter === 'lldp') {
        // iproute2's view of the interface: the group Outpost joined.
        expect(lab.exec('a', 'ip', ['maddr', 'show', 'dev', 'eth0'])).toContain(LLDP_MULTICAST);
      }
      const others = (Object.keys(FRAMES) as Array<keyof typeof FRAMES>).filter((k) => k !== wanted).map((k) => FRAMES[k]);
      // Unwanted frames first: had any passed the filter it would be queued ahead of the wanted one.
      scapySend(...others, FRAMES[wanted]);
      await peer.waitFor(`${wanted} frame`, (e) => e.event === 'frame');
      expect(peer.frames()).toEqual([FRAMES[wanted]]);
      expect(await peer.close()).toBe(0);
    });
  }

  it('sees an 802.1Q-tagged frame untagged, as the unit tests of the filters assume', async () => {
    const peer = await startPeer({ protocol: ETH_P_ALL, filter: 'lldp' });
    const tagged = FRAMES.lldp.slice(0, 24) + '81000064' + FRAMES.lldp.slice(24); // VLAN 100
    scapySend(tagged);
    const got = await peer.waitFor('LLDP frame', (e) => e.event === 'frame');
    expect(got.hex).toBe(FRAMES.lldp);
    expect(await peer.close()).toBe(0);
  });

  it('reports a nonexistent interface by name, in the child and in process', async () => {
    const peer = await startPeer({ iface: 'nosuch0', protocol: ETH_P_ALL });
    expect(peer.events[0]).toMatchObject({ event: 'error', code: 'ENODEV' });
    expect(peer.events[0].message).toMatch(/nosuch0.*No such device/);
    expect(await peer.exited).toBe(2);
    expect(() => RawSocket.open({ interface: 'nosuch0', protocol: ETH_P_ALL })).toThrow(/nosuch0\): No such device/);
  });
});
