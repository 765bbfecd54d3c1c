// ANSI/TIA-1057 LLDP-MED TLVs (OUI 00:12:bb): capabilities, network policy (how Outpost
// tells a phone its voice VLAN, CoS and DSCP), location, extended power, inventory.

import { type Result, ok, err } from '../../util/result.js';
import { decodeText, encodeText } from '../cdp/text.js';
import { type CivicAddressElement, type LldpTlv, type MedInventoryField, MedInventorySubtype, type MedLocation } from './types.js';

const MED_CAPABILITIES = 1;
const MED_NETWORK_POLICY = 2;
const MED_LOCATION = 3;
const MED_POWER = 4;

const LOCATION_COORDINATE = 1;
const LOCATION_CIVIC = 2;
const LOCATION_ELIN = 3;
const COORDINATE_LENGTH = 16;

const inventoryField = new Map<number, MedInventoryField>(
  (Object.entries(MedInventorySubtype) as [MedInventoryField, number][]).map(([field, sub]) => [sub, field]),
);

export function decodeMed(subtype: number, v: Buffer): Result<LldpTlv> | undefined {
  switch (subtype) {
    case MED_CAPABILITIES:
      if (v.length !== 3) return err(`LLDP-MED capabilities must be 3 bytes, got ${v.length}`);
      return ok({ type: 'medCapabilities', capabilities: v.readUInt16BE(0), deviceClass: v[2] });
    case MED_NETWORK_POLICY: {
      if (v.length !== 4) return err(`LLDP-MED network policy must be 4 bytes, got ${v.length}`);
      const bits = v.readUIntBE(1, 3);
      const tlv: LldpTlv = {
        type: 'medNetworkPolicy', application: v[0],
        unknown: (bits & 0x800000) !== 0, tagged: (bits & 0x400000) !== 0,
        vlanId: (bits >> 9) & 0x0fff, priority: (bits >> 6) & 0x07, dscp: bits & 0x3f,
      };
      if (bits & 0x200000) tlv.reserved = true;
      return ok(tlv);
    }
    case MED_LOCATION: {
      const location = decodeLocation(v);
      return location.ok ? ok({ type: 'medLocation', location: location.value }) : location;
    }
    case MED_POWER: {
      if (v.length !== 3) return err(`LLDP-MED extended power must be 3 bytes, got ${v.length}`);
      return ok({ type: 'medPower', powerType: v[0] >> 6, source: (v[0] >> 4) & 0x03, priority: v[0] & 0x0f, deciWatts: v.readUInt16BE(1) });
    }
    default: {
      const field = inventoryField.get(subtype);
      if (!field) return undefined;
      if (v.length > 32) return err(`LLDP-MED inventory ${field} longer than 32 bytes (${v.length})`);
      return ok({ type: 'medInventory', field, value: decodeText(v) });
    }
  }
}

function decodeLocation(v: Buffer): Result<MedLocation> {
  if (v.length < 1) return err('LLDP-MED location has no data format byte');
  const format = v[0];
  const data = v.subarray(1);
  switch (format) {
    case LOCATION_COORDINATE: {
      if (data.length !== COORDINATE_LENGTH) return err(`coordinate location must be ${COORDINATE_LENGTH} bytes, got ${data.length}`);
      return ok({ format: 'coordinate', data: Buffer.from(data), ...coordinate(data) });
    }
    case LOCATION_CIVIC: return decodeCivic(data);
    case LOCATION_ELIN:
      if (data.length < 10 || data.length > 25) return err(`ELIN location must be 10 to 25 digits, got ${data.length} bytes`);
      return ok({ format: 'elin', value: decodeText(data) });
    default:
      return ok({ format: 'unknown', formatCode: format, data: Buffer.from(data) });
  }
}

/** RFC 3825 fixed point: latitude/longitude 9.25 bits, altitude 22.8 bits, all two's complement. */
function coordinate(d: Buffer): { latitude: number; longitude: number; altitude: number; altitudeType: number; datum: number } {
  const fixed = (raw: number, bits: number, fraction: number): number => {
    const signed = raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw;
    return signed / 2 ** fraction;
  };
  const lat = (d.readUIntBE(0, 5) % 2 ** 34);
  const lon = (d.readUIntBE(5, 5) % 2 ** 34);
  const alt = d.readUInt32BE(11) & 0x3fffffff;
  return { latitude: fixed(lat, 34, 25), longitude: fixed(lon, 34, 25), altitude: fixed(alt, 30, 8), altitudeType: d[10] >> 4, datum: d[15] };
}

/** Civic address LCI: length, what, country code (2), then CA type / length / value triples. */
function decodeCivic(d: Buffer): Result<MedLocation> {
  if (d.length < 1) return err('civic location has no LCI length');
  const lciLength = d[0];
  if (lciLength < 3) return err(`civic location LCI length ${lciLength} is too short for what + country code`);
  if (1 + lciLength > d.length) return err(`civic location LCI length ${lciLength} exceeds the ${d.length - 1} bytes present`);
  const end = 1 + lciLength;
  const what = d[1];
  const country = decodeText(d.subarray(2, 4));
  const elements: CivicAddressElement[] = [];
  let o = 4;
  while (o < end) {
    if (o + 2 > end) return err(`civic address element at offset ${o} truncated`);
    const caType = d[o], caLength = d[o + 1];
    if (o + 2 + caLength > end) return err(`civic address element type ${caType} claims ${caLength} bytes, only ${end - o - 2} left`);
    elements.push({ caType, value: decodeText(d.subarray(o + 2, o + 2 + caLength)) });
    o += 2 + caLength;
  }
  const civic: MedLocation = { format: 'civic', what, country, elements };
  // Some switches send a fixed-size TLV with the LCI zero-padded; keep the padding for re-encoding.
  if (end < d.length) civic.padding = Buffer.from(d.subarray(end));
  return ok(civic);
}

/** [subtype, value] for the MED TLVs, or undefined for any other TLV. */
export function encodeMed(tlv: LldpTlv): [subtype: number, value: Buffer] | undefined {
  switch (tlv.type) {
    case 'medCapabilities': {
      const b = Buffer.alloc(3);
      b.writeUInt16BE(tlv.capabilities, 0);
      b[2] = tlv.deviceClass;
      return [MED_CAPABILITIES, b];
    }
    case 'medNetworkPolicy': {
      const bits = (tlv.unknown ? 0x800000 : 0) | (tlv.tagged ? 0x400000 : 0) | (tlv.reserved ? 0x200000 : 0)
        | ((tlv.vlanId & 0x0fff) << 9) | ((tlv.priority & 0x07) << 6) | (tlv.dscp & 0x3f);
      const b = Buffer.alloc(4);
      b[0] = tlv.application;
      b.writeUIntBE(bits, 1, 3);
      return [MED_NETWORK_POLICY, b];
    }
    case 'medLocation': return [MED_LOCATION, encodeLocation(tlv.location)];
    case 'medPower': {
      const b = Buffer.alloc(3);
      b[0] = ((tlv.powerType & 0x03) << 6) | ((tlv.source & 0x03) << 4) | (tlv.priority & 0x0f);
      b.writeUInt16BE(tlv.deciWatts, 1);
      return [MED_POWER, b];
    }
    case 'medInventory': return [MedInventorySubtype[tlv.field], encodeText(tlv.value)];
    default: return undefined;
  }
}

function encodeLocation(loc: MedLocation): Buffer {
  switch (loc.format) {
    case 'coordinate': return Buffer.concat([Buffer.from([LOCATION_COORDINATE]), loc.data]);
    case 'elin': return Buffer.concat([Buffer.from([LOCATION_ELIN]), encodeText(loc.value)]);
    case 'unknown': return Buffer.concat([Buffer.from([loc.formatCode]), loc.data]);
    case 'civic': {
      const elements = loc.elements.map((e) => {
        const value = encodeText(e.value);
        return Buffer.concat([Buffer.from([e.caType, value.length]), value]);
      });
      const body = Buffer.concat([Buffer.from([loc.what]), encodeText(loc.country), ...elements]);
      return Buffer.concat([Buffer.from([LOCATION_CIVIC, body.length]), body, loc.padding ?? Buffer.alloc(0)]);
    }
  }
}
