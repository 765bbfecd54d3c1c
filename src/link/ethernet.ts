// Ethernet framing for the link plane: Ethernet II (LLDP) and IEEE 802.3 + LLC/SNAP (CDP),
// with an optional 802.1Q tag (switches send CDP tagged on trunk and voice ports), plus the
// MAC and IP address string helpers the CDP and LLDP codecs share. Pure: no I/O, never throws
// on frame bytes.

import { isIPv4, isIPv6 } from 'node:net';
import { type Result, ok, err } from '../util/result.js';
import { parseMac } from '../util/mac.js';

/** 802.3 says a frame (without FCS) is at least 60 bytes; shorter ones are padded. */
export const MIN_FRAME_LENGTH = 60;
const HEADER_LENGTH = 14;
const VLAN_TPID = 0x8100;
/** Type/length values up to 1500 are an 802.3 length, from 1536 on an EtherType. */
const MAX_8023_LENGTH = 1500;
const MIN_ETHERTYPE = 0x0600;
const LLC_SNAP_SAP = 0xaa;
const LLC_UI = 0x03;

export interface VlanTag {
  /** 802.1p priority (PCP). */
  priority: number;
  dropEligible: boolean;
  vlanId: number;
}

interface FrameCommon {
  dst: Buffer;
  src: Buffer;
  vlan?: VlanTag;
  /** The bytes after the framing headers; for 802.3 exactly `length` bytes (padding removed). */
  payload: Buffer;
}

export interface Ethernet2Frame extends FrameCommon {
  kind: 'ethernet2';
  etherType: number;
}

export interface LlcSnapFrame extends FrameCommon {
  kind: 'llc-snap';
  /** 802.3 length field: LLC header + SNAP header + payload. */
  length: number;
  /** The length field claims more bytes than the frame holds; payload is what is there. */
  truncated?: boolean;
  dsap: number;
  ssap: number;
  control: number;
  oui: number;
  pid: number;
}

/** 802.3 with a plain LLC header (STP, etc.): kept so callers can tell it apart and ignore it. */
export interface LlcFrame extends FrameCommon {
  kind: 'llc';
  length: number;
  dsap: number;
  ssap: number;
  control: number;
}

export type EthernetFrame = Ethernet2Frame | LlcSnapFrame | LlcFrame;

export function decodeEthernet(frame: Buffer): Result<EthernetFrame> {
  if (frame.length < HEADER_LENGTH) return err(`frame too short for an Ethernet header (${frame.length} bytes)`);
  const dst = Buffer.from(frame.subarray(0, 6));
  const src = Buffer.from(frame.subarray(6, 12));
  let offset = 12;
  let typeOrLength = frame.readUInt16BE(offset);
  let vlan: VlanTag | undefined;
  if (typeOrLength === VLAN_TPID) {
    if (frame.length < offset + 6) return err('802.1Q tag truncated');
    const tci = frame.readUInt16BE(offset + 2);
    vlan = { priority: tci >> 13, dropEligible: (tci & 0x1000) !== 0, vlanId: tci & 0x0fff };
    offset += 4;
    typeOrLength = frame.readUInt16BE(offset);
  }
  offset += 2;
  const common = vlan ? { dst, src, vlan } : { dst, src };
  if (typeOrLength >= MIN_ETHERTYPE) {
    return ok({ kind: 'ethernet2', ...common, etherType: typeOrLength, payload: frame.subarray(offset) });
  }
  if (typeOrLength > MAX_8023_LENGTH) return err(`type/length field 0x${typeOrLength.toString(16)} is neither a length nor an EtherType`);
  const length = typeOrLength;
  // Captures cut short (or edited) claim more than they hold: decode what is there, say so.
  const truncated = offset + length > frame.length;
  const llc = frame.subarray(offset, Math.min(frame.length, offset + length));
  if (llc.length < 3) return err(`802.3 frame too short for an LLC header (${llc.length} bytes)`);
  const dsap = llc[0], ssap = llc[1], control = llc[2];
  if (dsap === LLC_SNAP_SAP && ssap === LLC_SNAP_SAP && control === LLC_UI) {
    if (llc.length < 8) return err(`802.3 frame too short for a SNAP header (${llc.length} bytes)`);
    const oui = llc.readUIntBE(3, 3);
    const pid = llc.readUInt16BE(6);
    const snap: LlcSnapFrame = { kind: 'llc-snap', ...common, length, dsap, ssap, control, oui, pid, payload: llc.subarray(8) };
    if (truncated) snap.truncated = true;
    return ok(snap);
  }
  return ok({ kind: 'llc', ...common, length, dsap, ssap, control, payload: llc.subarray(3) });
}

/** Builds an untagged Ethernet II frame, padded to the 60-byte minimum. */
export function encodeEthernet2(dst: Buffer | string, src: Buffer | string, etherType: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  macBytes(dst).copy(header, 0);
  macBytes(src).copy(header, 6);
  header.writeUInt16BE(etherType, 12);
  return padFrame(Buffer.concat([header, payload]));
}

/** Builds an untagged 802.3 LLC/SNAP frame; the length field counts LLC+SNAP+payload, never padding. */
export function encodeLlcSnap(dst: Buffer | string, src: Buffer | string, oui: number, pid: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH + 8);
  macBytes(dst).copy(header, 0);
  macBytes(src).copy(header, 6);
  header.writeUInt16BE(8 + payload.length, 12);
  header[14] = LLC_SNAP_SAP;
  header[15] = LLC_SNAP_SAP;
  header[16] = LLC_UI;
  header.writeUIntBE(oui, 17, 3);
  header.writeUInt16BE(pid, 20);
  return padFrame(Buffer.concat([header, payload]));
}

function padFrame(frame: Buffer): Buffer {
  if (frame.length >= MIN_FRAME_LENGTH) return frame;
  return Buffer.concat([frame, Buffer.alloc(MIN_FRAME_LENGTH - frame.length)]);
}

// ---- MAC addresses ----------------------------------------------------------------------

/** For encoders: a MAC given by the caller (config, not the wire) that is wrong is a programming error. */
export function macBytes(mac: Buffer | string): Buffer {
  const bytes = typeof mac === 'string' ? parseMac(mac) : mac;
  if (!bytes || bytes.length !== 6) throw new TypeError(`not a MAC address: ${String(mac)}`);
  return bytes;
}

// ---- IP addresses -----------------------------------------------------------------------

/** 4 bytes → dotted quad, 16 bytes → RFC 5952 text; other lengths → undefined. */
export function ipToString(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i));
  // Compress the longest run (at least two) of zero words, leftmost on a tie.
  let bestStart = -1, bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Dotted quad or IPv6 text → 4 or 16 bytes, or undefined. */
export function parseIp(text: string): Buffer | undefined {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!isIPv6(text)) return undefined;
  let head = text, tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) { head = text.slice(0, dbl); tail = text.slice(dbl + 2); }
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = g.split('.').map(Number);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head), t = groups(tail);
  const words = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}
