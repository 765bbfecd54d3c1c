// Ethernet II (optionally 802.1Q-tagged) + IPv4 + UDP framing for the DHCP server's raw
// socket. Outpost has to build whole frames itself: a client without an address can only
// be reached by a frame addressed to its MAC, which an ordinary UDP socket cannot send.
// Pure: parse returns a Result and never throws on hostile bytes.

import { ok, err, type Result } from '../util/result.js';
import { readIp, writeIp } from '../util/ipv4.js';
import { formatMac, requireMac } from '../util/mac.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const IPPROTO_UDP = 17;
const ETHERNET_HEADER = 14;
const VLAN_TAG = 4;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
/** Shortest Ethernet frame without its FCS; shorter ones are runts that switches drop. */
const ETHERNET_MIN_FRAME = 60;

export interface UdpFrame {
  dstMac: string;
  srcMac: string;
  /** 802.1Q VLAN id when the frame carried a tag. */
  vlan?: number;
  srcIp: string;
  dstIp: string;
  ttl: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload; a view into the frame's buffer, not a copy. */
  payload: Buffer;
}

export interface ParseFrameOptions {
  /**
   * Also verify the UDP checksum. Off by default: frames sent by a UDP socket on this same
   * host or over a veth reach a packet socket before checksum offload has filled it in.
   */
  verifyUdpChecksum?: boolean;
}

/** Parses an Ethernet frame carrying IPv4/UDP (any ports: the socket's filter chose DHCP). */
export function parseDhcpFrame(frame: Buffer, opts: ParseFrameOptions = {}): Result<UdpFrame> {
  const l2 = ethernetPayloadOffset(frame);
  if (!l2.ok) return l2;
  const { ipOffset, etherType, vlan } = l2.value;
  if (etherType !== ETHERTYPE_IPV4) return err(`not IPv4 (ethertype 0x${etherType.toString(16).padStart(4, '0')})`);

  const available = frame.length - ipOffset;
  if (available < IPV4_HEADER) return err('IPv4 header truncated');
  const version = frame[ipOffset] >> 4;
  const headerLength = (frame[ipOffset] & 0x0f) * 4;
  if (version !== 4) return err(`IP version ${version}, expected 4`);
  if (headerLength < IPV4_HEADER) return err(`IPv4 header length ${headerLength} is below 20`);
  if (headerLength > available) return err('IPv4 header (with options) truncated');
  const totalLength = frame.readUInt16BE(ipOffset + 2);
  if (totalLength < headerLength) return err(`IPv4 total length ${totalLength} is shorter than its header`);
  // Frames may carry Ethernet padding after the datagram, but never less than it claims.
  if (totalLength > available) return err(`IPv4 total length ${totalLength} exceeds the ${available} bytes present`);
  if (checksum(frame, ipOffset, ipOffset + headerLength, 0) !== 0) return err('IPv4 header checksum is wrong');
  const fragment = frame.readUInt16BE(ipOffset + 6);
  if ((fragment & 0x2000) !== 0 || (fragment & 0x1fff) !== 0) return err('IPv4 fragment (DHCP is never fragmented)');
  const protocol = frame[ipOffset + 9];
  if (protocol !== IPPROTO_UDP) return err(`not UDP (IP protocol ${protocol})`);

  const udpOffset = ipOffset + headerLength;
  const udpRoom = totalLength - headerLength;
  if (udpRoom < UDP_HEADER) return err('UDP header truncated');
  const udpLength = frame.readUInt16BE(udpOffset + 4);
  if (udpLength < UDP_HEADER) return err(`UDP length ${udpLength} is below 8`);
  if (udpLength > udpRoom) return err(`UDP length ${udpLength} exceeds the ${udpRoom} bytes of the IP payload`);
  const srcIp = readIp(frame, ipOffset + 12);
  const dstIp = readIp(frame, ipOffset + 16);
  if (opts.verifyUdpChecksum && frame.readUInt16BE(udpOffset + 6) !== 0) {
    const sum = checksum(frame, udpOffset, udpOffset + udpLength, pseudoHeaderSum(frame, ipOffset, udpLength));
    if (sum !== 0) return err('UDP checksum is wrong');
  }

  return ok({
    dstMac: formatMac(frame.subarray(0, 6)),
    srcMac: formatMac(frame.subarray(6, 12)),
    ...(vlan === undefined ? {} : { vlan }),
    srcIp,
    dstIp,
    ttl: frame[ipOffset + 8],
    srcPort: frame.readUInt16BE(udpOffset),
    dstPort: frame.readUInt16BE(udpOffset + 2),
    payload: frame.subarray(udpOffset + UDP_HEADER, udpOffset + udpLength),
  });
}

/** The UDP ports of an untagged or tagged IPv4/UDP frame, without validating anything else. */
export function peekUdpPorts(frame: Buffer): { srcPort: number; dstPort: number } | undefined {
  const l2 = ethernetPayloadOffset(frame);
  if (!l2.ok || l2.value.etherType !== ETHERTYPE_IPV4) return undefined;
  const ip = l2.value.ipOffset;
  if (frame.length < ip + IPV4_HEADER || frame[ip + 9] !== IPPROTO_UDP) return undefined;
  const udp = ip + (frame[ip] & 0x0f) * 4;
  if (frame.length < udp + 4) return undefined;
  return { srcPort: frame.readUInt16BE(udp), dstPort: frame.readUInt16BE(udp + 2) };
}

function ethernetPayloadOffset(frame: Buffer): Result<{ ipOffset: number; etherType: number; vlan?: number }> {
  if (frame.length < ETHERNET_HEADER) return err('Ethernet header truncated');
  const outer = frame.readUInt16BE(12);
  if (outer !== ETHERTYPE_VLAN) return ok({ ipOffset: ETHERNET_HEADER, etherType: outer });
  if (frame.length < ETHERNET_HEADER + VLAN_TAG) return err('802.1Q tag truncated');
  return ok({
    ipOffset: ETHERNET_HEADER + VLAN_TAG,
    etherType: frame.readUInt16BE(16),
    vlan: frame.readUInt16BE(14) & 0x0fff,
  });
}

export interface UdpFrameSpec {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  /** Default 64. */
  ttl?: number;
  /** Adds an 802.1Q tag: for a socket on the trunk rather than on the voice VLAN interface. */
  vlan?: { id: number; priority?: number };
}

export function buildUdpFrame(spec: UdpFrameSpec): Buffer {
  const l2Length = ETHERNET_HEADER + (spec.vlan ? VLAN_TAG : 0);
  const udpLength = UDP_HEADER + spec.payload.length;
  const totalLength = IPV4_HEADER + udpLength;
  if (totalLength > 0xffff) throw new RangeError(`UDP payload of ${spec.payload.length} bytes does not fit in one IPv4 datagram`);
  const frame = Buffer.alloc(Math.max(l2Length + totalLength, ETHERNET_MIN_FRAME));

  requireMac(spec.dstMac).copy(frame, 0);
  requireMac(spec.srcMac).copy(frame, 6);
  if (spec.vlan) {
    frame.writeUInt16BE(ETHERTYPE_VLAN, 12);
    frame.writeUInt16BE((((spec.vlan.priority ?? 0) & 7) << 13) | (spec.vlan.id & 0x0fff), 14);
  }
  frame.writeUInt16BE(ETHERTYPE_IPV4, l2Length - 2);

  const ip = l2Length;
  frame[ip] = 0x45; // version 4, 20-byte header
  frame.writeUInt16BE(totalLength, ip + 2);
  frame[ip + 8] = spec.ttl ?? 64;
  frame[ip + 9] = IPPROTO_UDP;
  writeIp(frame, ip + 12, spec.srcIp);
  writeIp(frame, ip + 16, spec.dstIp);
  frame.writeUInt16BE(checksum(frame, ip, ip + IPV4_HEADER, 0), ip + 10);

  const udp = ip + IPV4_HEADER;
  frame.writeUInt16BE(spec.srcPort, udp);
  frame.writeUInt16BE(spec.dstPort, udp + 2);
  frame.writeUInt16BE(udpLength, udp + 4);
  spec.payload.copy(frame, udp + UDP_HEADER);
  const udpSum = checksum(frame, udp, udp + udpLength, pseudoHeaderSum(frame, ip, udpLength));
  // A computed zero is sent as 0xffff: zero on the wire means "no checksum" (RFC 768).
  frame.writeUInt16BE(udpSum === 0 ? 0xffff : udpSum, udp + 6);
  return frame;
}

/** Sum of the UDP pseudo-header (source, destination, protocol, UDP length), not yet folded. */
function pseudoHeaderSum(frame: Buffer, ipOffset: number, udpLength: number): number {
  let sum = 0;
  for (let o = ipOffset + 12; o < ipOffset + 20; o += 2) sum += frame.readUInt16BE(o);
  return sum + IPPROTO_UDP + udpLength;
}

/**
 * Internet checksum (RFC 1071) of frame[start, end) plus an initial sum: the value to put in
 * a checksum field that holds zero, or 0 when verifying bytes whose checksum is right.
 */
function checksum(frame: Buffer, start: number, end: number, initial: number): number {
  let sum = initial;
  let o = start;
  for (; o + 1 < end; o += 2) sum += (frame[o] << 8) | frame[o + 1];
  if (o < end) sum += frame[o] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
