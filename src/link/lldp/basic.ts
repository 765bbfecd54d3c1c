// The IEEE 802.1AB base TLVs (types 0–8): identities, TTL, descriptions, capabilities,
// management address.

import { type Result, ok, err } from '../../util/result.js';
import { ipToString, parseIp } from '../ethernet.js';
import { formatMac, parseMac } from '../../util/mac.js';
import { decodeText, encodeText } from '../cdp/text.js';
import { ChassisIdSubtype, type LldpId, type LldpTlv, LldpTlvCode, PortIdSubtype } from './types.js';

/** IANA address family numbers used by LLDP network-address IDs and management addresses. */
const IANA_IPV4 = 1;
const IANA_IPV6 = 2;

export function decodeBasicTlv(code: number, v: Buffer): Result<LldpTlv> {
  switch (code) {
    case LldpTlvCode.end:
      if (v.length !== 0) return err(`End TLV must be empty, has ${v.length} bytes`);
      return ok({ type: 'end' });
    case LldpTlvCode.chassisId:
    case LldpTlvCode.portId: {
      const isChassis = code === LldpTlvCode.chassisId;
      // 802.1AB: 1 subtype byte + 1..255 bytes of ID.
      if (v.length < 2 || v.length > 256) return err(`${isChassis ? 'chassis' : 'port'} ID TLV length ${v.length} out of range 2..256`);
      const id = decodeId(v[0], Buffer.from(v.subarray(1)), isChassis ? ChassisIdSubtype.macAddress : PortIdSubtype.macAddress,
        isChassis ? ChassisIdSubtype.networkAddress : PortIdSubtype.networkAddress);
      return ok(isChassis ? { type: 'chassisId', ...id } : { type: 'portId', ...id });
    }
    case LldpTlvCode.ttl:
      if (v.length < 2) return err(`TTL TLV too short (${v.length} bytes)`);
      if (v.length !== 2) return err(`TTL TLV must be 2 bytes, got ${v.length}`);
      return ok({ type: 'ttl', seconds: v.readUInt16BE(0) });
    case LldpTlvCode.portDescription: return ok({ type: 'portDescription', value: decodeText(v) });
    case LldpTlvCode.systemName: return ok({ type: 'systemName', value: decodeText(v) });
    case LldpTlvCode.systemDescription: return ok({ type: 'systemDescription', value: decodeText(v) });
    case LldpTlvCode.systemCapabilities:
      if (v.length !== 4) return err(`system capabilities TLV must be 4 bytes, got ${v.length}`);
      return ok({ type: 'systemCapabilities', capabilities: v.readUInt16BE(0), enabled: v.readUInt16BE(2) });
    case LldpTlvCode.managementAddress: return decodeManagementAddress(v);
    default:
      return ok({ type: 'unknown', code, data: Buffer.from(v) });
  }
}

function decodeId(subtype: number, data: Buffer, macSubtype: number, networkSubtype: number): LldpId {
  return { subtype, data, text: idText(subtype, data, macSubtype, networkSubtype) };
}

function idText(subtype: number, data: Buffer, macSubtype: number, networkSubtype: number): string {
  if (subtype === macSubtype && data.length === 6) return formatMac(data);
  if (subtype === networkSubtype && data.length >= 1) {
    const ip = ipToString(data.subarray(1));
    if (ip && ((data[0] === IANA_IPV4 && data.length === 5) || (data[0] === IANA_IPV6 && data.length === 17))) return ip;
    return data.toString('hex');
  }
  const text = decodeText(data);
  // Binary IDs (some chassis components are raw bytes) are shown as hex, not as control characters.
  return /^[\x20-\x7e\u00a0-\uffff]*$/.test(text) ? text : data.toString('hex');
}

function decodeManagementAddress(v: Buffer): Result<LldpTlv> {
  if (v.length < 1) return err('management address TLV is empty');
  const addrLength = v[0];
  if (addrLength < 2 || addrLength > 32) return err(`management address length ${addrLength} out of range 2..32`);
  if (1 + addrLength + 6 > v.length) return err('management address TLV truncated');
  const addressSubtype = v[1];
  const address = Buffer.from(v.subarray(2, 1 + addrLength));
  let o = 1 + addrLength;
  const interfaceSubtype = v[o];
  const interfaceNumber = v.readUInt32BE(o + 1);
  o += 5;
  const oidLength = v[o];
  o += 1;
  if (o + oidLength !== v.length) return err(`management address OID length ${oidLength} does not match the ${v.length - o} bytes left`);
  const oid = Buffer.from(v.subarray(o));
  const ipOk = (addressSubtype === IANA_IPV4 && address.length === 4) || (addressSubtype === IANA_IPV6 && address.length === 16);
  const tlv: LldpTlv = { type: 'managementAddress', addressSubtype, address, interfaceSubtype, interfaceNumber, oid };
  if (ipOk) tlv.ip = ipToString(address);
  return ok(tlv);
}

export function encodeBasicTlvValue(tlv: LldpTlv): Buffer | undefined {
  switch (tlv.type) {
    case 'end': return Buffer.alloc(0);
    case 'chassisId': case 'portId': return Buffer.concat([Buffer.from([tlv.subtype]), tlv.data]);
    case 'ttl': { const b = Buffer.alloc(2); b.writeUInt16BE(tlv.seconds); return b; }
    case 'portDescription': case 'systemName': case 'systemDescription': return encodeText(tlv.value);
    case 'systemCapabilities': {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(tlv.capabilities, 0);
      b.writeUInt16BE(tlv.enabled, 2);
      return b;
    }
    case 'managementAddress': {
      const head = Buffer.from([tlv.address.length + 1, tlv.addressSubtype]);
      const iface = Buffer.alloc(5);
      iface[0] = tlv.interfaceSubtype;
      iface.writeUInt32BE(tlv.interfaceNumber >>> 0, 1);
      return Buffer.concat([head, tlv.address, iface, Buffer.from([tlv.oid.length]), tlv.oid]);
    }
    case 'unknown': return tlv.data;
    default: return undefined;
  }
}

// ---- builders for what Outpost sends ----------------------------------------------------

/** Chassis ID from a MAC ('00:11:..'), an IP address, or (any other subtype) text. */
export function lldpChassisId(subtype: number, text: string): LldpTlv {
  return { type: 'chassisId', ...buildId(subtype, text, ChassisIdSubtype.macAddress, ChassisIdSubtype.networkAddress) };
}

/** Port ID from a MAC, an IP address, or (any other subtype) text such as an interface name. */
export function lldpPortId(subtype: number, text: string): LldpTlv {
  return { type: 'portId', ...buildId(subtype, text, PortIdSubtype.macAddress, PortIdSubtype.networkAddress) };
}

function buildId(subtype: number, text: string, macSubtype: number, networkSubtype: number): LldpId {
  let data: Buffer | undefined;
  if (subtype === macSubtype) data = parseMac(text);
  else if (subtype === networkSubtype) {
    const ip = parseIp(text);
    data = ip && Buffer.concat([Buffer.from([ip.length === 4 ? IANA_IPV4 : IANA_IPV6]), ip]);
  } else data = encodeText(text);
  if (!data) throw new TypeError(`cannot encode ID subtype ${subtype} from "${text}"`);
  return { subtype, data, text };
}

/** Management address TLV for an IP address, with an ifIndex. */
export function lldpManagementAddress(ip: string, ifIndex = 0): LldpTlv {
  const address = parseIp(ip);
  if (!address) throw new TypeError(`not an IP address: ${ip}`);
  // Interface numbering subtype 2 = ifIndex.
  return { type: 'managementAddress', addressSubtype: address.length === 4 ? IANA_IPV4 : IANA_IPV6, address, ip, interfaceSubtype: 2, interfaceNumber: ifIndex, oid: Buffer.alloc(0) };
}
