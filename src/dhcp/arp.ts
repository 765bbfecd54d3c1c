// ARP for the DHCP server's conflict check (RFC 826 packets, RFC 5227 probes): before a
// never-used address is offered, Outpost asks the segment whether anyone already has it.
// Pure: decode returns a Result and never throws on hostile bytes.

import { ok, err, type Result } from '../util/result.js';
import { ZERO_IP, readIp, writeIp } from '../util/ipv4.js';
import { BROADCAST_MAC, formatMac, requireMac } from '../util/mac.js';

const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV4 = 0x0800;
const HTYPE_ETHERNET = 1;
const ETHERNET_HEADER = 14;
const ARP_IPV4_LENGTH = 28;
const ETHERNET_MIN_FRAME = 60;

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Decodes an Ethernet frame carrying ARP for IPv4 over Ethernet. */
export function decodeArpFrame(frame: Buffer): Result<ArpPacket> {
  if (frame.length < ETHERNET_HEADER + ARP_IPV4_LENGTH) return err(`ARP frame too short: ${frame.length} bytes`);
  if (frame.readUInt16BE(12) !== ETHERTYPE_ARP) return err('not ARP');
  const a = ETHERNET_HEADER;
  if (frame.readUInt16BE(a) !== HTYPE_ETHERNET || frame.readUInt16BE(a + 2) !== ETHERTYPE_IPV4) return err('ARP is not IPv4 over Ethernet');
  if (frame[a + 4] !== 6 || frame[a + 5] !== 4) return err(`ARP address lengths ${frame[a + 4]}/${frame[a + 5]}, expected 6/4`);
  return ok({
    op: frame.readUInt16BE(a + 6),
    senderMac: formatMac(frame.subarray(a + 8, a + 14)),
    senderIp: readIp(frame, a + 14),
    targetMac: formatMac(frame.subarray(a + 18, a + 24)),
    targetIp: readIp(frame, a + 24),
  });
}

export function encodeArpFrame(p: ArpPacket, dstMac: string): Buffer {
  const frame = Buffer.alloc(ETHERNET_MIN_FRAME);
  requireMac(dstMac).copy(frame, 0);
  requireMac(p.senderMac).copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_ARP, 12);
  const a = ETHERNET_HEADER;
  frame.writeUInt16BE(HTYPE_ETHERNET, a);
  frame.writeUInt16BE(ETHERTYPE_IPV4, a + 2);
  frame[a + 4] = 6;
  frame[a + 5] = 4;
  frame.writeUInt16BE(p.op, a + 6);
  requireMac(p.senderMac).copy(frame, a + 8);
  writeIp(frame, a + 14, p.senderIp);
  requireMac(p.targetMac).copy(frame, a + 18);
  writeIp(frame, a + 24, p.targetIp);
  return frame;
}

/**
 * An RFC 5227 probe: broadcast, sender address 0.0.0.0 so that no host's ARP cache learns a
 * binding for an address that may belong to someone else.
 */
export function arpProbeFrame(ownMac: string, targetIp: string): Buffer {
  return encodeArpFrame({ op: ARP_REQUEST, senderMac: ownMac, senderIp: ZERO_IP, targetMac: '00:00:00:00:00:00', targetIp }, BROADCAST_MAC);
}

/**
 * The MAC of another host that uses `ip`, if this packet shows one: any ARP sent from that
 * address, or another host's own probe for it (RFC 5227 §2.1.1).
 */
export function conflictIn(p: ArpPacket, ip: string, ownMac: string): string | undefined {
  if (p.senderMac === ownMac) return undefined;
  if (p.senderIp === ip) return p.senderMac;
  if (p.op === ARP_REQUEST && p.senderIp === ZERO_IP && p.targetIp === ip) return p.senderMac;
  return undefined;
}
