// Organizationally specific TLVs of IEEE 802.1 (OUI 00:80:c2) and IEEE 802.3 (OUI 00:12:0f).
// Subtypes Outpost does not interpret come back as undefined and are kept raw by the caller.

import { type Result, ok, err } from '../../util/result.js';
import { decodeText, encodeText } from '../cdp/text.js';
import type { Dot3BtPower, LldpTlv } from './types.js';

const DOT1_PORT_VLAN = 1;
const DOT1_PROTOCOL_VLAN = 2;
const DOT1_VLAN_NAME = 3;
const DOT3_MAC_PHY = 1;
const DOT3_POWER = 2;
const DOT3_MAX_FRAME = 4;

/** Power via MDI value lengths: 802.3ab base, + 802.3at, + 802.3bt. */
const POWER_BASE = 3, POWER_AT = 8, POWER_BT = 25;

export function decodeDot1(subtype: number, v: Buffer): Result<LldpTlv> | undefined {
  switch (subtype) {
    case DOT1_PORT_VLAN:
      if (v.length !== 2) return err(`802.1 port VLAN ID must be 2 bytes, got ${v.length}`);
      return ok({ type: 'dot1PortVlan', vlanId: v.readUInt16BE(0) });
    case DOT1_PROTOCOL_VLAN:
      if (v.length !== 3) return err(`802.1 port-and-protocol VLAN must be 3 bytes, got ${v.length}`);
      return ok({ type: 'dot1ProtocolVlan', flags: v[0], vlanId: v.readUInt16BE(1) });
    case DOT1_VLAN_NAME: {
      if (v.length < 3) return err(`802.1 VLAN name too short (${v.length} bytes)`);
      const nameLength = v[2];
      if (3 + nameLength !== v.length) return err(`802.1 VLAN name length ${nameLength} does not match the ${v.length - 3} bytes present`);
      return ok({ type: 'dot1VlanName', vlanId: v.readUInt16BE(0), name: decodeText(v.subarray(3)) });
    }
    default: return undefined;
  }
}

export function decodeDot3(subtype: number, v: Buffer): Result<LldpTlv> | undefined {
  switch (subtype) {
    case DOT3_MAC_PHY:
      if (v.length !== 5) return err(`802.3 MAC/PHY TLV must be 5 bytes, got ${v.length}`);
      return ok({ type: 'dot3MacPhy', autoneg: v[0], advertised: v.readUInt16BE(1), mauType: v.readUInt16BE(3) });
    case DOT3_POWER: return decodePower(v);
    case DOT3_MAX_FRAME:
      if (v.length !== 2) return err(`802.3 max frame size must be 2 bytes, got ${v.length}`);
      return ok({ type: 'dot3MaxFrameSize', bytes: v.readUInt16BE(0) });
    default: return undefined;
  }
}

function decodePower(v: Buffer): Result<LldpTlv> {
  if (v.length !== POWER_BASE && v.length !== POWER_AT && v.length !== POWER_BT) {
    return err(`802.3 power via MDI must be ${POWER_BASE}, ${POWER_AT} or ${POWER_BT} bytes, got ${v.length}`);
  }
  const tlv: LldpTlv = { type: 'dot3Power', mdiSupport: v[0], psePair: v[1], powerClass: v[2] };
  if (v.length >= POWER_AT) tlv.at = { typeSourcePriority: v[3], pdRequested: v.readUInt16BE(4), pseAllocated: v.readUInt16BE(6) };
  if (v.length === POWER_BT) {
    tlv.bt = {
      pdRequestedA: v.readUInt16BE(8), pdRequestedB: v.readUInt16BE(10),
      pseAllocatedA: v.readUInt16BE(12), pseAllocatedB: v.readUInt16BE(14),
      powerStatus: v.readUInt16BE(16), systemSetup: v[18], pseMaxAvailable: v.readUInt16BE(19),
      autoclass: v[21], powerDown: v.readUIntBE(22, 3),
    };
  }
  return ok(tlv);
}

/** [subtype, value] for the IEEE TLVs, or undefined for any other TLV. */
export function encodeIeee(tlv: LldpTlv): [oui: 'dot1' | 'dot3', subtype: number, value: Buffer] | undefined {
  switch (tlv.type) {
    case 'dot1PortVlan': return ['dot1', DOT1_PORT_VLAN, u16(tlv.vlanId)];
    case 'dot1ProtocolVlan': return ['dot1', DOT1_PROTOCOL_VLAN, Buffer.concat([Buffer.from([tlv.flags]), u16(tlv.vlanId)])];
    case 'dot1VlanName': {
      const name = encodeText(tlv.name);
      return ['dot1', DOT1_VLAN_NAME, Buffer.concat([u16(tlv.vlanId), Buffer.from([name.length]), name])];
    }
    case 'dot3MacPhy': return ['dot3', DOT3_MAC_PHY, Buffer.concat([Buffer.from([tlv.autoneg]), u16(tlv.advertised), u16(tlv.mauType)])];
    case 'dot3MaxFrameSize': return ['dot3', DOT3_MAX_FRAME, u16(tlv.bytes)];
    case 'dot3Power': {
      const parts: Buffer[] = [Buffer.from([tlv.mdiSupport, tlv.psePair, tlv.powerClass])];
      if (tlv.at) parts.push(Buffer.from([tlv.at.typeSourcePriority]), u16(tlv.at.pdRequested), u16(tlv.at.pseAllocated));
      if (tlv.at && tlv.bt) parts.push(encodeBt(tlv.bt));
      return ['dot3', DOT3_POWER, Buffer.concat(parts)];
    }
    default: return undefined;
  }
}

function encodeBt(bt: Dot3BtPower): Buffer {
  const b = Buffer.alloc(POWER_BT - POWER_AT);
  b.writeUInt16BE(bt.pdRequestedA, 0);
  b.writeUInt16BE(bt.pdRequestedB, 2);
  b.writeUInt16BE(bt.pseAllocatedA, 4);
  b.writeUInt16BE(bt.pseAllocatedB, 6);
  b.writeUInt16BE(bt.powerStatus, 8);
  b[10] = bt.systemSetup;
  b.writeUInt16BE(bt.pseMaxAvailable, 11);
  b[13] = bt.autoclass;
  b.writeUIntBE(bt.powerDown, 14, 3);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
