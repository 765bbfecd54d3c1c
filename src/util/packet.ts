// Peels a captured frame down to its UDP or TCP payload: Ethernet II (with up to two VLAN
// tags, as phones on a voice VLAN send them) or raw IP, then IPv4, then UDP/TCP. Used by
// `outpost decode` and the golden tests. Pure; fragments and non-IPv4 are reported, not parsed.

import { type Result, ok, err } from './result.js';

export interface TransportPacket {
  /** VLAN id of the outermost 802.1Q tag, when tagged. */
  vlan?: number;
  srcIp: string;
  dstIp: string;
  protocol: 'udp' | 'tcp';
  srcPort: number;
  dstPort: number;
  /** TCP only: sequence number and flags (SYN/FIN let a caller follow the stream). */
  tcp?: { seq: number; flags: number };
  payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const ETHERTYPE_IPV4 = 0x0800;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

const ipv4 = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** Decodes one captured frame of the given link type (1 = Ethernet, 101 = raw IP). */
export function parseFrame(data: Buffer, linkType = LINKTYPE_ETHERNET): Result<TransportPacket> {
  if (linkType === LINKTYPE_RAW) return parseIpv4(data, undefined);
  if (linkType !== LINKTYPE_ETHERNET) return err(`unsupported link type ${linkType}`);
  if (data.length < 14) return err('Ethernet header truncated');
  let off = 12;
  let type = data.readUInt16BE(off);
  let vlan: number | undefined;
  for (let tags = 0; VLAN_TAGS.has(type) && tags < 2; tags++) {
    if (data.length < off + 6) return err('VLAN tag truncated');
    vlan ??= data.readUInt16BE(off + 2) & 0x0fff;
    off += 4;
    type = data.readUInt16BE(off);
  }
  if (type !== ETHERTYPE_IPV4) return err(`not IPv4 (ethertype 0x${type.toString(16).padStart(4, '0')})`);
  return parseIpv4(data.subarray(off + 2), vlan);
}

function parseIpv4(ip: Buffer, vlan: number | undefined): Result<TransportPacket> {
  if (ip.length < 20) return err('IPv4 header truncated');
  if (ip[0] >> 4 !== 4) return err('not an IPv4 packet');
  const ihl = (ip[0] & 0x0f) * 4;
  const total = ip.readUInt16BE(2);
  if (ihl < 20 || total < ihl || total > ip.length) return err('IPv4 lengths inconsistent');
  const frag = ip.readUInt16BE(6);
  if ((frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0) return err('IPv4 fragment (not reassembled)');
  const proto = ip[9];
  // Ethernet pads short frames: the IPv4 total length says where the packet really ends.
  const seg = ip.subarray(ihl, total);
  const base = { ...(vlan !== undefined ? { vlan } : {}), srcIp: ipv4(ip, 12), dstIp: ipv4(ip, 16) };
  if (proto === 17) {
    if (seg.length < 8) return err('UDP header truncated');
    const len = seg.readUInt16BE(4);
    if (len < 8 || len > seg.length) return err('UDP length inconsistent');
    return ok({ ...base, protocol: 'udp', srcPort: seg.readUInt16BE(0), dstPort: seg.readUInt16BE(2), payload: seg.subarray(8, len) });
  }
  if (proto === 6) {
    if (seg.length < 20) return err('TCP header truncated');
    const dataOff = (seg[12] >> 4) * 4;
    if (dataOff < 20 || dataOff > seg.length) return err('TCP header length inconsistent');
    return ok({
      ...base, protocol: 'tcp', srcPort: seg.readUInt16BE(0), dstPort: seg.readUInt16BE(2),
      tcp: { seq: seg.readUInt32BE(4), flags: seg[13] }, payload: seg.subarray(dataOff),
    });
  }
  return err(`IP protocol ${proto} is neither UDP nor TCP`);
}
