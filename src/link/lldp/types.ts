// LLDP data model (IEEE 802.1AB with the IEEE 802.1/802.3 and ANSI/TIA-1057 LLDP-MED
// extensions). An LLDPDU is an ordered list of TLVs; order is kept so that re-encoding what
// a neighbour sent gives the same bytes. Where a value has a wire form that text cannot
// always carry (IDs, addresses), the bytes are authoritative and the text is for people.

export const LldpTlvCode = {
  end: 0,
  chassisId: 1,
  portId: 2,
  ttl: 3,
  portDescription: 4,
  systemName: 5,
  systemDescription: 6,
  systemCapabilities: 7,
  managementAddress: 8,
  orgSpecific: 127,
} as const;

export const OUI_IEEE_8021 = 0x0080c2;
export const OUI_IEEE_8023 = 0x00120f;
export const OUI_TIA_MED = 0x0012bb;

export const ChassisIdSubtype = { chassisComponent: 1, interfaceAlias: 2, portComponent: 3, macAddress: 4, networkAddress: 5, interfaceName: 6, local: 7 } as const;
export const PortIdSubtype = { interfaceAlias: 1, portComponent: 2, macAddress: 3, networkAddress: 4, interfaceName: 5, agentCircuitId: 6, local: 7 } as const;

/** System capability bits (TLV 7). */
export const LldpCapability = {
  other: 0x0001, repeater: 0x0002, bridge: 0x0004, wlanAccessPoint: 0x0008, router: 0x0010,
  telephone: 0x0020, docsis: 0x0040, stationOnly: 0x0080, cVlan: 0x0100, sVlan: 0x0200, tpmr: 0x0400,
} as const;
export type LldpCapabilityName = keyof typeof LldpCapability;

/** LLDP-MED capability bits (MED subtype 1). */
export const MedCapability = {
  capabilities: 0x01, networkPolicy: 0x02, location: 0x04, extendedPowerPse: 0x08, extendedPowerPd: 0x10, inventory: 0x20,
} as const;
export type MedCapabilityName = keyof typeof MedCapability;

/** LLDP-MED network policy application types (TIA-1057 table 12). */
export const MedApplication = {
  voice: 1, voiceSignaling: 2, guestVoice: 3, guestVoiceSignaling: 4,
  softphoneVoice: 5, videoConferencing: 6, streamingVideo: 7, videoSignaling: 8,
} as const;
export type MedApplicationName = keyof typeof MedApplication;

/** LLDP-MED inventory subtypes 5–11. */
export const MedInventorySubtype = {
  hardwareRevision: 5, firmwareRevision: 6, softwareRevision: 7, serialNumber: 8, manufacturer: 9, model: 10, assetId: 11,
} as const;
export type MedInventoryField = keyof typeof MedInventorySubtype;

/** Chassis or port identifier: `data` is sent as is, `text` is MAC / IP / text / hex for display. */
export interface LldpId {
  subtype: number;
  data: Buffer;
  text: string;
}

export interface CivicAddressElement {
  /** CA type (RFC 4776): 1 = state, 3 = city, 19 = house number, 22 = location info, ... */
  caType: number;
  value: string;
}

export type MedLocation =
  | { format: 'coordinate'; data: Buffer; latitude: number; longitude: number; altitude: number; altitudeType: number; datum: number }
  | { format: 'civic'; what: number; country: string; elements: CivicAddressElement[]; padding?: Buffer }
  | { format: 'elin'; value: string }
  | { format: 'unknown'; formatCode: number; data: Buffer };

/** The 802.3bt additions to Power via MDI (all values 0.1 W unless noted). */
export interface Dot3BtPower {
  pdRequestedA: number;
  pdRequestedB: number;
  pseAllocatedA: number;
  pseAllocatedB: number;
  powerStatus: number;
  systemSetup: number;
  pseMaxAvailable: number;
  autoclass: number;
  /** 24 bits: power-down request (6) + time (18). */
  powerDown: number;
}

/** The 802.3at additions to Power via MDI. */
export interface Dot3AtPower {
  /** Raw byte: bits 7-6 power type, 5-4 source, 3-2 PD 4PID / reserved, 1-0 priority. */
  typeSourcePriority: number;
  /** 0.1 W. */
  pdRequested: number;
  /** 0.1 W. */
  pseAllocated: number;
}

export type LldpTlv =
  | { type: 'end' }
  | ({ type: 'chassisId' } & LldpId)
  | ({ type: 'portId' } & LldpId)
  | { type: 'ttl'; seconds: number }
  | { type: 'portDescription'; value: string }
  | { type: 'systemName'; value: string }
  | { type: 'systemDescription'; value: string }
  | { type: 'systemCapabilities'; capabilities: number; enabled: number }
  | { type: 'managementAddress'; addressSubtype: number; address: Buffer; ip?: string; interfaceSubtype: number; interfaceNumber: number; oid: Buffer }
  // IEEE 802.1
  | { type: 'dot1PortVlan'; vlanId: number }
  | { type: 'dot1ProtocolVlan'; flags: number; vlanId: number }
  | { type: 'dot1VlanName'; vlanId: number; name: string }
  // IEEE 802.3
  | { type: 'dot3MacPhy'; autoneg: number; advertised: number; mauType: number }
  | { type: 'dot3Power'; mdiSupport: number; psePair: number; powerClass: number; at?: Dot3AtPower; bt?: Dot3BtPower }
  | { type: 'dot3MaxFrameSize'; bytes: number }
  // ANSI/TIA-1057 LLDP-MED
  | { type: 'medCapabilities'; capabilities: number; deviceClass: number }
  | { type: 'medNetworkPolicy'; application: number; unknown: boolean; tagged: boolean; vlanId: number; priority: number; dscp: number; reserved?: boolean }
  | { type: 'medLocation'; location: MedLocation }
  /** powerType 0 = PSE, 1 = PD; source and priority as TIA-1057 numbers them; value in 0.1 W. */
  | { type: 'medPower'; powerType: number; source: number; priority: number; deciWatts: number }
  | { type: 'medInventory'; field: MedInventoryField; value: string }
  // Anything else, byte for byte.
  | { type: 'org'; oui: number; subtype: number; data: Buffer }
  | { type: 'unknown'; code: number; data: Buffer };

export type LldpTlvType = LldpTlv['type'];

export interface LldpPdu {
  tlvs: LldpTlv[];
}

export interface LldpDecoded extends LldpPdu {
  /** Type code and value length of every TLV, in order (org TLVs report 127). */
  layout: { type: number; length: number }[];
  /** Bytes of the LLDPDU through the End TLV (what re-encoding reproduces). */
  length: number;
}

export interface LldpFrame {
  dst: string;
  src: string;
  vlanTag?: number;
  pdu: LldpDecoded;
}
