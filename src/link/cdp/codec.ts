// CDP PDU and frame codec. A CDP PDU rides in an 802.3 LLC/SNAP frame to 01:00:0c:cc:cc:cc
// (OUI 00:00:0c, PID 0x2000): version, TTL, checksum, then TLVs of type u16, length u16
// (header included), value.

import { type Result, ok, err } from '../../util/result.js';
import { decodeEthernet, encodeLlcSnap } from '../ethernet.js';
import { formatMac } from '../../util/mac.js';
import { cdpChecksum, cdpChecksumValid } from './checksum.js';
import { cdpTlvCode, decodeCdpTlv, encodeCdpTlvValue } from './tlvs.js';
import type { CdpDecoded, CdpFrame, CdpPdu, CdpTlv } from './types.js';

export const CDP_MULTICAST = '01:00:0c:cc:cc:cc';
export const CDP_SNAP_OUI = 0x00000c;
export const CDP_SNAP_PID = 0x2000;
const HEADER_LENGTH = 4;
const TLV_HEADER_LENGTH = 4;
const MAX_TLV_VALUE = 0xffff - TLV_HEADER_LENGTH;

export function decodeCdp(pdu: Buffer): Result<CdpDecoded> {
  if (pdu.length < HEADER_LENGTH) return err(`CDP PDU too short (${pdu.length} bytes)`);
  const version = pdu[0];
  if (version !== 1 && version !== 2) return err(`unsupported CDP version ${version}`);
  const tlvs: CdpTlv[] = [];
  const layout: { type: number; length: number }[] = [];
  let o = HEADER_LENGTH;
  while (o < pdu.length) {
    if (o + TLV_HEADER_LENGTH > pdu.length) return err(`TLV header truncated at offset ${o}`);
    const code = pdu.readUInt16BE(o);
    const length = pdu.readUInt16BE(o + 2);
    if (length < TLV_HEADER_LENGTH) return err(`TLV 0x${hex4(code)} at offset ${o} has impossible length ${length}`);
    if (o + length > pdu.length) return err(`TLV 0x${hex4(code)} at offset ${o} runs ${o + length - pdu.length} bytes past the PDU`);
    const value = pdu.subarray(o + TLV_HEADER_LENGTH, o + length);
    const tlv = decodeCdpTlv(code, value);
    if (!tlv.ok) return err(`TLV 0x${hex4(code)} at offset ${o}: ${tlv.error}`);
    // A value the typed form cannot reproduce (text that is not UTF-8, say) is kept as bytes.
    tlvs.push(encodeCdpTlvValue(tlv.value).equals(value) ? tlv.value : { type: 'unknown', code, data: Buffer.from(value) });
    layout.push({ type: code, length });
    o += length;
  }
  return ok({ version, ttl: pdu[1], checksum: pdu.readUInt16BE(2), checksumValid: cdpChecksumValid(pdu), tlvs, layout });
}

/** Encodes the PDU with a freshly computed checksum (the `checksum` field is ignored). */
export function encodeCdp(pdu: CdpPdu): Buffer {
  const parts: Buffer[] = [Buffer.from([pdu.version, pdu.ttl, 0, 0])];
  for (const tlv of pdu.tlvs) {
    const value = encodeCdpTlvValue(tlv);
    if (value.length > MAX_TLV_VALUE) throw new RangeError(`CDP ${tlv.type} TLV value too long (${value.length} bytes)`);
    const header = Buffer.alloc(TLV_HEADER_LENGTH);
    header.writeUInt16BE(cdpTlvCode(tlv), 0);
    header.writeUInt16BE(value.length + TLV_HEADER_LENGTH, 2);
    parts.push(header, value);
  }
  const out = Buffer.concat(parts);
  out.writeUInt16BE(cdpChecksum(out), 2);
  return out;
}

export function decodeCdpFrame(frame: Buffer): Result<CdpFrame> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const f = eth.value;
  if (f.kind !== 'llc-snap' || f.oui !== CDP_SNAP_OUI || f.pid !== CDP_SNAP_PID) return err('not a CDP frame (needs 802.3 LLC/SNAP, OUI 00:00:0c, PID 0x2000)');
  const dst = formatMac(f.dst);
  if (dst !== CDP_MULTICAST) return err(`CDP frame sent to ${dst}, not ${CDP_MULTICAST}`);
  const pdu = decodeCdp(f.payload);
  if (!pdu.ok) return pdu;
  const decoded: CdpFrame = { dst, src: formatMac(f.src), pdu: pdu.value };
  if (f.vlan) decoded.vlanTag = f.vlan.vlanId;
  if (f.truncated) decoded.truncated = true;
  return ok(decoded);
}

/** An untagged 802.3 frame to the CDP multicast address, padded to 60 bytes if short. */
export function encodeCdpFrame(pdu: CdpPdu, srcMac: Buffer | string): Buffer {
  return encodeLlcSnap(CDP_MULTICAST, srcMac, CDP_SNAP_OUI, CDP_SNAP_PID, encodeCdp(pdu));
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
