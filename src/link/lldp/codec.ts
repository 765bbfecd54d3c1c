// LLDPDU and frame codec. An LLDPDU rides in an Ethernet II frame (EtherType 0x88cc) to
// 01:80:c2:00:00:0e; each TLV is a 7-bit type and a 9-bit length, then the value. Type 127
// carries an OUI and subtype and is dispatched to the IEEE or LLDP-MED tables.

import { type Result, ok, err } from '../../util/result.js';
import { decodeEthernet, encodeEthernet2 } from '../ethernet.js';
import { formatMac } from '../../util/mac.js';
import { decodeBasicTlv, encodeBasicTlvValue } from './basic.js';
import { decodeDot1, decodeDot3, encodeIeee } from './ieee.js';
import { decodeMed, encodeMed } from './med.js';
import { type LldpDecoded, type LldpFrame, type LldpPdu, type LldpTlv, LldpTlvCode, OUI_IEEE_8021, OUI_IEEE_8023, OUI_TIA_MED } from './types.js';

export const LLDP_MULTICAST = '01:80:c2:00:00:0e';
export const LLDP_ETHERTYPE = 0x88cc;
const MAX_TLV_VALUE = 511;

export function decodeLldp(pdu: Buffer): Result<LldpDecoded> {
  const tlvs: LldpTlv[] = [];
  const layout: { type: number; length: number }[] = [];
  let o = 0;
  while (o < pdu.length) {
    if (o + 2 > pdu.length) return err(`TLV header truncated at offset ${o}`);
    const head = pdu.readUInt16BE(o);
    const code = head >> 9, length = head & 0x1ff;
    if (o + 2 + length > pdu.length) return err(`TLV type ${code} at offset ${o} claims ${length} bytes, only ${pdu.length - o - 2} left`);
    const tlv = decodeTlv(code, pdu.subarray(o + 2, o + 2 + length));
    if (!tlv.ok) return err(`TLV type ${code} at offset ${o}: ${tlv.error}`);
    const expected = (['chassisId', 'portId', 'ttl'] as const)[tlvs.length];
    if (expected && tlv.value.type !== expected) return err(`LLDPDU must start with chassis ID, port ID, TTL; TLV ${tlvs.length + 1} is ${tlv.value.type}`);
    tlvs.push(tlv.value);
    layout.push({ type: code, length });
    o += 2 + length;
    if (code === LldpTlvCode.end) break;
  }
  if (tlvs.length < 3) return err('LLDPDU lacks the chassis ID, port ID and TTL TLVs');
  return ok({ tlvs, layout, length: o });
}

function decodeTlv(code: number, v: Buffer): Result<LldpTlv> {
  const tlv = decodeTypedTlv(code, v);
  if (!tlv.ok) return tlv;
  // A value the typed form cannot reproduce (text that is not UTF-8, say) is kept as bytes.
  if (encodeTlv(tlv.value)[1].equals(v)) return tlv;
  if (code !== LldpTlvCode.orgSpecific) return ok({ type: 'unknown', code, data: Buffer.from(v) });
  return ok({ type: 'org', oui: v.readUIntBE(0, 3), subtype: v[3], data: Buffer.from(v.subarray(4)) });
}

function decodeTypedTlv(code: number, v: Buffer): Result<LldpTlv> {
  if (code !== LldpTlvCode.orgSpecific) return decodeBasicTlv(code, v);
  if (v.length < 4) return err(`organizationally specific TLV too short (${v.length} bytes)`);
  const oui = v.readUIntBE(0, 3), subtype = v[3], info = v.subarray(4);
  const decoded = oui === OUI_TIA_MED ? decodeMed(subtype, info)
    : oui === OUI_IEEE_8021 ? decodeDot1(subtype, info)
      : oui === OUI_IEEE_8023 ? decodeDot3(subtype, info)
        : undefined;
  return decoded ?? ok({ type: 'org', oui, subtype, data: Buffer.from(info) });
}

/** Encodes the TLVs in order; include `{ type: 'end' }` last, as 802.1AB requires. */
export function encodeLldp(pdu: LldpPdu): Buffer {
  const parts: Buffer[] = [];
  for (const tlv of pdu.tlvs) {
    const [code, value] = encodeTlv(tlv);
    if (value.length > MAX_TLV_VALUE) throw new RangeError(`LLDP ${tlv.type} TLV value too long (${value.length} bytes)`);
    const head = Buffer.alloc(2);
    head.writeUInt16BE((code << 9) | value.length);
    parts.push(head, value);
  }
  return Buffer.concat(parts);
}

function encodeTlv(tlv: LldpTlv): [number, Buffer] {
  const basic = encodeBasicTlvValue(tlv);
  if (basic) return [tlv.type === 'unknown' ? tlv.code : LldpTlvCode[tlv.type as keyof typeof LldpTlvCode], basic];
  if (tlv.type === 'org') return [LldpTlvCode.orgSpecific, Buffer.concat([ouiHeader(tlv.oui, tlv.subtype), tlv.data])];
  const med = encodeMed(tlv);
  if (med) return [LldpTlvCode.orgSpecific, Buffer.concat([ouiHeader(OUI_TIA_MED, med[0]), med[1]])];
  const ieee = encodeIeee(tlv);
  if (ieee) return [LldpTlvCode.orgSpecific, Buffer.concat([ouiHeader(ieee[0] === 'dot1' ? OUI_IEEE_8021 : OUI_IEEE_8023, ieee[1]), ieee[2]])];
  throw new TypeError(`no encoder for LLDP TLV ${tlv.type}`);
}

function ouiHeader(oui: number, subtype: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUIntBE(oui, 0, 3);
  b[3] = subtype;
  return b;
}

export function decodeLldpFrame(frame: Buffer): Result<LldpFrame> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const f = eth.value;
  if (f.kind !== 'ethernet2' || f.etherType !== LLDP_ETHERTYPE) return err('not an LLDP frame (needs EtherType 0x88cc)');
  const pdu = decodeLldp(f.payload);
  if (!pdu.ok) return pdu;
  // 802.1AB allows three group addresses (nearest bridge, non-TPMR, customer bridge): accept all.
  const decoded: LldpFrame = { dst: formatMac(f.dst), src: formatMac(f.src), pdu: pdu.value };
  if (f.vlan) decoded.vlanTag = f.vlan.vlanId;
  return ok(decoded);
}

/** An untagged Ethernet II frame to the nearest-bridge address, padded to 60 bytes if short. */
export function encodeLldpFrame(pdu: LldpPdu, srcMac: Buffer | string): Buffer {
  return encodeEthernet2(LLDP_MULTICAST, srcMac, LLDP_ETHERTYPE, encodeLldp(pdu));
}
