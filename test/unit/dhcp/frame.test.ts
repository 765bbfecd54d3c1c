// Ethernet/IPv4/UDP framing: real frames parse, built frames carry checksums tshark accepts,
// and every kind of broken header is refused with a reason.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildUdpFrame, parseDhcpFrame, type UdpFrameSpec } from '../../../src/dhcp/frame.js';
import { doraFrames, tempDir, tsharkFields, writePcap } from './helpers.js';

const spec: UdpFrameSpec = {
  srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '10.20.0.1', dstIp: '255.255.255.255',
  srcPort: 67, dstPort: 68, payload: Buffer.from('a DHCP reply would be here'),
};

/** A copy of the built frame with one change, for the refusal tests. */
function broken(change: (frame: Buffer) => void, base: UdpFrameSpec = spec): Buffer {
  const frame = Buffer.from(buildUdpFrame(base));
  change(frame);
  return frame;
}

/** Recomputes the IPv4 header checksum after a header field was changed on purpose. */
function fixIpChecksum(frame: Buffer, ip = 14): void {
  frame.writeUInt16BE(0, ip + 10);
  let sum = 0;
  for (let o = ip; o < ip + (frame[ip] & 15) * 4; o += 2) sum += frame.readUInt16BE(o);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  frame.writeUInt16BE(~sum & 0xffff, ip + 10);
}

describe('parseDhcpFrame', () => {
  it('parses the frames of the real capture, UDP checksums included', () => {
    const parsed = doraFrames().map((f) => parseDhcpFrame(f.data, { verifyUdpChecksum: true }));
    for (const p of parsed) expect(p.ok).toBe(true);
    const [discover, offer] = parsed.map((p) => (p.ok ? p.value : undefined));
    expect(discover).toMatchObject({ srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, srcMac: '00:0c:29:1f:74:06', dstMac: 'ff:ff:ff:ff:ff:ff', ttl: 128 });
    expect(discover?.payload.length).toBe(300);
    expect(offer).toMatchObject({ srcIp: '192.168.1.1', dstIp: '192.168.1.4', srcPort: 67, dstPort: 68 });
  });

  it('reads back what buildUdpFrame wrote, with and without a VLAN tag', () => {
    const plain = parseDhcpFrame(buildUdpFrame(spec), { verifyUdpChecksum: true });
    expect(plain.ok && plain.value).toMatchObject({ ...spec, ttl: 64 });
    expect(plain.ok && plain.value.vlan).toBeUndefined();
    const tagged = parseDhcpFrame(buildUdpFrame({ ...spec, vlan: { id: 100, priority: 5 } }), { verifyUdpChecksum: true });
    expect(tagged.ok && tagged.value).toMatchObject({ ...spec, vlan: 100 });
  });

  it('ignores Ethernet padding after the datagram', () => {
    const tiny = buildUdpFrame({ ...spec, payload: Buffer.from([1]) });
    expect(tiny.length).toBe(60);
    const r = parseDhcpFrame(tiny, { verifyUdpChecksum: true });
    expect(r.ok && r.value.payload).toEqual(Buffer.from([1]));
  });

  it('accepts a zero (absent) UDP checksum, and a wrong one unless asked to verify', () => {
    const zero = broken((f) => f.writeUInt16BE(0, 14 + 20 + 6));
    expect(parseDhcpFrame(zero, { verifyUdpChecksum: true }).ok).toBe(true);
    const wrong = broken((f) => f.writeUInt16BE(0x1234, 14 + 20 + 6));
    expect(parseDhcpFrame(wrong).ok).toBe(true);
    expect(parseDhcpFrame(wrong, { verifyUdpChecksum: true })).toEqual({ ok: false, error: 'UDP checksum is wrong' });
  });

  const refusals: [string, Buffer, RegExp][] = [
    ['a runt', Buffer.alloc(10), /Ethernet header truncated/],
    ['a truncated VLAN tag', Buffer.from('ffffffffffff0200000000018100', 'hex'), /802.1Q/],
    ['ARP', broken((f) => f.writeUInt16BE(0x0806, 12)), /not IPv4/],
    ['IPv6 in an IPv4 frame', broken((f) => { f[14] = 0x65; fixIpChecksum(f); }), /version 6/],
    ['an IHL below 5', broken((f) => { f[14] = 0x44; }), /header length 16/],
    ['an IHL past the frame', broken((f) => { f[14] = 0x4f; }, { ...spec, payload: Buffer.alloc(0) }), /truncated/],
    ['a wrong header checksum', broken((f) => { f[14 + 10] ^= 0xff; }), /header checksum/],
    ['a total length past the frame', broken((f) => { f.writeUInt16BE(2000, 16); fixIpChecksum(f); }), /exceeds/],
    ['a total length below the header', broken((f) => { f.writeUInt16BE(10, 16); fixIpChecksum(f); }), /shorter than its header/],
    ['a first fragment', broken((f) => { f.writeUInt16BE(0x2000, 20); fixIpChecksum(f); }), /fragment/],
    ['a later fragment', broken((f) => { f.writeUInt16BE(0x0010, 20); fixIpChecksum(f); }), /fragment/],
    ['TCP', broken((f) => { f[23] = 6; fixIpChecksum(f); }), /not UDP/],
    ['a UDP length past the datagram', broken((f) => f.writeUInt16BE(500, 38)), /UDP length 500/],
    ['a UDP length below 8', broken((f) => f.writeUInt16BE(4, 38)), /below 8/],
    ['no room for a UDP header', broken((f) => { f.writeUInt16BE(24, 16); fixIpChecksum(f); }), /UDP header truncated/],
  ];
  for (const [what, frame, reason] of refusals) {
    it(`refuses ${what}`, () => {
      const r = parseDhcpFrame(frame);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(reason);
    });
  }
});

describe('buildUdpFrame checked by tshark', () => {
  const dir = tempDir('dhcp-frame');
  afterAll(() => dir.remove());

  it('writes IPv4 and UDP checksums that tshark verifies as good', () => {
    // A payload whose checksum sums to zero must be sent as 0xffff: find its last two bytes.
    const probe = buildUdpFrame({ ...spec, payload: Buffer.alloc(40) });
    const zeroSumPayload = Buffer.alloc(40);
    zeroSumPayload.writeUInt16BE(probe.readUInt16BE(14 + 20 + 6), 38);
    const frames = [
      buildUdpFrame(spec),
      buildUdpFrame({ ...spec, payload: Buffer.from('odd') }),
      buildUdpFrame({ ...spec, srcIp: '0.0.0.0', srcPort: 68, dstPort: 67, payload: Buffer.alloc(300, 0xa5), ttl: 1 }),
      buildUdpFrame({ ...spec, dstMac: '00:1b:54:aa:bb:cc', dstIp: '10.20.0.100', payload: Buffer.alloc(548, 7) }),
      buildUdpFrame({ ...spec, payload: zeroSumPayload }),
    ];
    expect(frames[4].readUInt16BE(14 + 20 + 6)).toBe(0xffff);
    const file = join(dir.path, 'built.pcap');
    writePcap(file, frames);
    // The payloads are not DHCP, so only the framing is compared; codec-tshark checks real replies.
    const rows = tsharkFields(file, ['ip.checksum.status', 'udp.checksum.status', 'udp.length'],
      ['udp.check_checksum:TRUE', 'ip.check_checksum:TRUE']);
    expect(rows.map((r) => r.slice(0, 2))).toEqual(frames.map(() => ['1', '1']));
    expect(rows.map((r) => Number(r[2]))).toEqual([8 + spec.payload.length, 11, 308, 556, 48]);
  });

  it('writes a VLAN tag tshark reads', () => {
    const file = join(dir.path, 'tagged.pcap');
    writePcap(file, [buildUdpFrame({ ...spec, vlan: { id: 100, priority: 5 } })]);
    const rows = tsharkFields(file, ['vlan.id', 'vlan.priority', 'ip.checksum.status', 'udp.checksum.status'],
      ['udp.check_checksum:TRUE', 'ip.check_checksum:TRUE']);
    expect(rows).toEqual([['100', '5', '1', '1']]);
  });
});
