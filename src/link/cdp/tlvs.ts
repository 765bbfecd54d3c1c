// Value codecs for each CDP TLV type. decodeCdpTlv never throws: every length is checked
// before it is read and a short or inconsistent value comes back as an error string.

import { type Result, ok, err } from '../../util/result.js';
import { ipToString, parseIp } from '../ethernet.js';
import { type CdpAddress, type CdpIpPrefix, type CdpTlv, CdpTlvCode } from './types.js';
import { decodeText, encodeText } from './text.js';

const NLPID = 1;
const SNAP_8022 = 2;
const NLPID_IP = Buffer.from([0xcc]);
/** 802.2 LLC/SNAP header + EtherType 0x86dd, how CDP names IPv6. */
const SNAP_IPV6 = Buffer.from([0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd]);

const nameOf = new Map<number, string>(Object.entries(CdpTlvCode).map(([name, code]) => [code, name]));

export function decodeCdpTlv(code: number, v: Buffer): Result<CdpTlv> {
  const name = nameOf.get(code);
  const exact = (n: number): string | undefined => (v.length === n ? undefined : `${name} TLV value must be ${n} bytes, got ${v.length}`);
  let problem: string | undefined;
  switch (code) {
    case CdpTlvCode.deviceId: return ok({ type: 'deviceId', value: decodeText(v) });
    case CdpTlvCode.portId: return ok({ type: 'portId', value: decodeText(v) });
    case CdpTlvCode.softwareVersion: return ok({ type: 'softwareVersion', value: decodeText(v) });
    case CdpTlvCode.platform: return ok({ type: 'platform', value: decodeText(v) });
    case CdpTlvCode.vtpDomain: return ok({ type: 'vtpDomain', value: decodeText(v) });
    case CdpTlvCode.systemName: return ok({ type: 'systemName', value: decodeText(v) });
    case CdpTlvCode.systemObjectId: return ok({ type: 'systemObjectId', data: Buffer.from(v) });
    case CdpTlvCode.addresses:
    case CdpTlvCode.managementAddresses: {
      const addresses = decodeAddresses(v);
      if (!addresses.ok) return addresses;
      const type = code === CdpTlvCode.addresses ? 'addresses' : 'managementAddresses';
      return ok({ type, addresses: addresses.value });
    }
    case CdpTlvCode.capabilities:
      if ((problem = exact(4))) return err(problem);
      return ok({ type: 'capabilities', bits: v.readUInt32BE(0) });
    case CdpTlvCode.ipPrefix: return decodeIpPrefix(v);
    case CdpTlvCode.nativeVlan:
      if ((problem = exact(2))) return err(problem);
      return ok({ type: 'nativeVlan', vlanId: v.readUInt16BE(0) });
    case CdpTlvCode.duplex:
      if ((problem = exact(1))) return err(problem);
      return ok({ type: 'duplex', value: v[0] });
    case CdpTlvCode.voipVlanReply:
    case CdpTlvCode.voipVlanQuery: {
      const type = code === CdpTlvCode.voipVlanReply ? 'voipVlanReply' : 'voipVlanQuery';
      // 1 byte: data only; 2: VLAN only (older senders); 3: data + VLAN.
      if (v.length === 1) return ok({ type, data: v[0] });
      if (v.length === 2) return ok({ type, vlanId: v.readUInt16BE(0) });
      if (v.length === 3) return ok({ type, data: v[0], vlanId: v.readUInt16BE(1) });
      return err(`${type} TLV value must be 1 to 3 bytes, got ${v.length}`);
    }
    case CdpTlvCode.powerConsumption:
      if ((problem = exact(2))) return err(problem);
      return ok({ type: 'powerConsumption', milliwatts: v.readUInt16BE(0) });
    case CdpTlvCode.mtu:
      if ((problem = exact(4))) return err(problem);
      return ok({ type: 'mtu', bytes: v.readUInt32BE(0) });
    case CdpTlvCode.trustBitmap:
      if ((problem = exact(1))) return err(problem);
      return ok({ type: 'trustBitmap', value: v[0] });
    case CdpTlvCode.untrustedCos:
      if ((problem = exact(1))) return err(problem);
      return ok({ type: 'untrustedCos', value: v[0] });
    case CdpTlvCode.location:
      if (v.length < 1) return err('location TLV value is empty');
      return ok({ type: 'location', locationType: v[0], value: decodeText(v.subarray(1)) });
    case CdpTlvCode.powerRequested:
    case CdpTlvCode.powerAvailable: {
      const type = code === CdpTlvCode.powerRequested ? 'powerRequested' : 'powerAvailable';
      if (v.length < 4 || (v.length - 4) % 4 !== 0) return err(`${type} TLV value must be 4 + 4n bytes, got ${v.length}`);
      const levelsMw: number[] = [];
      for (let o = 4; o < v.length; o += 4) levelsMw.push(v.readUInt32BE(o));
      return ok({ type, requestId: v.readUInt16BE(0), managementId: v.readUInt16BE(2), levelsMw });
    }
    case CdpTlvCode.sparePairPoe:
      if ((problem = exact(1))) return err(problem);
      return ok({ type: 'sparePairPoe', bits: v[0] });
    default:
      return ok({ type: 'unknown', code, data: Buffer.from(v) });
  }
}

function decodeAddresses(v: Buffer): Result<CdpAddress[]> {
  if (v.length < 4) return err(`addresses TLV value too short (${v.length} bytes)`);
  const count = v.readUInt32BE(0);
  const addresses: CdpAddress[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    if (o + 2 > v.length) return err(`address ${i + 1} of ${count} truncated`);
    const protocolType = v[o], protocolLength = v[o + 1];
    o += 2;
    if (o + protocolLength + 2 > v.length) return err(`address ${i + 1} protocol field truncated`);
    const protocol = Buffer.from(v.subarray(o, o + protocolLength));
    o += protocolLength;
    const addressLength = v.readUInt16BE(o);
    o += 2;
    if (o + addressLength > v.length) return err(`address ${i + 1} value truncated`);
    const address = Buffer.from(v.subarray(o, o + addressLength));
    o += addressLength;
    const entry: CdpAddress = { protocolType, protocol, address };
    const ip = addressIp(entry);
    addresses.push(ip ? { ...entry, ip } : entry);
  }
  if (o !== v.length) return err(`addresses TLV has ${v.length - o} bytes after its ${count} entries`);
  return ok(addresses);
}

function addressIp(a: CdpAddress): string | undefined {
  const isV4 = a.protocolType === NLPID && a.protocol.equals(NLPID_IP) && a.address.length === 4;
  const isV6 = a.protocolType === SNAP_8022 && a.protocol.equals(SNAP_IPV6) && a.address.length === 16;
  return isV4 || isV6 ? ipToString(a.address) : undefined;
}

function decodeIpPrefix(v: Buffer): Result<CdpTlv> {
  if (v.length === 4) return ok({ type: 'ipPrefix', prefixes: [], defaultGateway: ipToString(v) });
  if (v.length % 5 !== 0) return err(`ipPrefix TLV value must be 4 or 5n bytes, got ${v.length}`);
  const prefixes: CdpIpPrefix[] = [];
  for (let o = 0; o < v.length; o += 5) prefixes.push({ network: ipToString(v.subarray(o, o + 4)) ?? '', length: v[o + 4] });
  return ok({ type: 'ipPrefix', prefixes });
}

/** Builds an Addresses entry for an IPv4 or IPv6 address given as text. */
export function cdpAddress(ip: string): CdpAddress {
  const address = parseIp(ip);
  if (!address) throw new TypeError(`not an IP address: ${ip}`);
  return address.length === 4
    ? { protocolType: NLPID, protocol: Buffer.from(NLPID_IP), address, ip }
    : { protocolType: SNAP_8022, protocol: Buffer.from(SNAP_IPV6), address, ip };
}

export function cdpTlvCode(tlv: CdpTlv): number {
  return tlv.type === 'unknown' ? tlv.code : CdpTlvCode[tlv.type];
}

export function encodeCdpTlvValue(tlv: CdpTlv): Buffer {
  switch (tlv.type) {
    case 'deviceId': case 'portId': case 'softwareVersion': case 'platform': case 'vtpDomain': case 'systemName':
      return encodeText(tlv.value);
    case 'systemObjectId': return tlv.data;
    case 'unknown': return tlv.data;
    case 'addresses': case 'managementAddresses': return encodeAddresses(tlv.addresses);
    case 'capabilities': return u32(tlv.bits);
    case 'ipPrefix': {
      if (tlv.defaultGateway !== undefined) return ipv4(tlv.defaultGateway);
      return Buffer.concat(tlv.prefixes.map((p) => Buffer.concat([ipv4(p.network), Buffer.from([p.length])])));
    }
    case 'nativeVlan': return u16(tlv.vlanId);
    case 'duplex': case 'trustBitmap': case 'untrustedCos': return Buffer.from([tlv.value]);
    case 'sparePairPoe': return Buffer.from([tlv.bits]);
    case 'voipVlanReply': case 'voipVlanQuery': {
      const parts: Buffer[] = [];
      if (tlv.data !== undefined) parts.push(Buffer.from([tlv.data]));
      if (tlv.vlanId !== undefined) parts.push(u16(tlv.vlanId));
      return Buffer.concat(parts);
    }
    case 'powerConsumption': return u16(tlv.milliwatts);
    case 'mtu': return u32(tlv.bytes);
    case 'location': return Buffer.concat([Buffer.from([tlv.locationType]), encodeText(tlv.value)]);
    case 'powerRequested': case 'powerAvailable':
      return Buffer.concat([u16(tlv.requestId), u16(tlv.managementId), ...tlv.levelsMw.map(u32)]);
  }
}

function encodeAddresses(addresses: CdpAddress[]): Buffer {
  const parts = [u32(addresses.length)];
  for (const a of addresses) {
    parts.push(Buffer.from([a.protocolType, a.protocol.length]), a.protocol, u16(a.address.length), a.address);
  }
  return Buffer.concat(parts);
}

function ipv4(text: string): Buffer {
  const bytes = parseIp(text);
  if (!bytes || bytes.length !== 4) throw new TypeError(`not an IPv4 address: ${text}`);
  return bytes;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
