// CDP data model: one PDU is a header plus an ordered list of TLVs. Order is kept so that
// re-encoding what a neighbour sent gives the same bytes (and the same checksum).

/** TLV type codes, as Cisco numbers them. */
export const CdpTlvCode = {
  deviceId: 0x01,
  addresses: 0x02,
  portId: 0x03,
  capabilities: 0x04,
  softwareVersion: 0x05,
  platform: 0x06,
  ipPrefix: 0x07,
  vtpDomain: 0x09,
  nativeVlan: 0x0a,
  duplex: 0x0b,
  voipVlanReply: 0x0e,
  voipVlanQuery: 0x0f,
  powerConsumption: 0x10,
  mtu: 0x11,
  trustBitmap: 0x12,
  untrustedCos: 0x13,
  systemName: 0x14,
  systemObjectId: 0x15,
  managementAddresses: 0x16,
  location: 0x17,
  powerRequested: 0x19,
  powerAvailable: 0x1a,
  sparePairPoe: 0x1f,
} as const;

/** Capability bits of TLV 0x04. */
export const CdpCapability = {
  router: 0x001,
  transparentBridge: 0x002,
  sourceRouteBridge: 0x004,
  switch: 0x008,
  host: 0x010,
  igmp: 0x020,
  repeater: 0x040,
  phone: 0x080,
  remotelyManaged: 0x100,
  cvta: 0x200,
  twoPortMacRelay: 0x400,
} as const;
export type CdpCapabilityName = keyof typeof CdpCapability;

/** Spare-pair PoE bits of TLV 0x1f. */
export const CdpSparePair = {
  fourPairPoeSupported: 0x01,
  sparePairDetectionRequired: 0x02,
  pdSparePairDesired: 0x04,
  pseSparePairOn: 0x08,
} as const;

/** One entry of an Addresses / Management Addresses TLV, kept as bytes so unusual protocols survive. */
export interface CdpAddress {
  /** 1 = NLPID, 2 = 802.2 SNAP. */
  protocolType: number;
  protocol: Buffer;
  address: Buffer;
  /** Text form when the entry is IPv4 or IPv6 (informational; encode uses the bytes). */
  ip?: string;
}

export interface CdpIpPrefix {
  network: string;
  length: number;
}

export type CdpTlv =
  | { type: 'deviceId'; value: string }
  | { type: 'addresses'; addresses: CdpAddress[] }
  | { type: 'portId'; value: string }
  | { type: 'capabilities'; bits: number }
  | { type: 'softwareVersion'; value: string }
  | { type: 'platform'; value: string }
  /** On-demand routing sends prefixes; a stub router sends just its default gateway (4 bytes). */
  | { type: 'ipPrefix'; prefixes: CdpIpPrefix[]; defaultGateway?: string }
  | { type: 'vtpDomain'; value: string }
  | { type: 'nativeVlan'; vlanId: number }
  /** 0 = half, 1 = full. */
  | { type: 'duplex'; value: number }
  /** Switch → phone: "your voice VLAN is ...". Usually data byte + VLAN; some senders omit the data byte. */
  | { type: 'voipVlanReply'; data?: number; vlanId?: number }
  /** Phone → switch: asks for the voice VLAN. */
  | { type: 'voipVlanQuery'; data?: number; vlanId?: number }
  | { type: 'powerConsumption'; milliwatts: number }
  | { type: 'mtu'; bytes: number }
  | { type: 'trustBitmap'; value: number }
  | { type: 'untrustedCos'; value: number }
  | { type: 'systemName'; value: string }
  | { type: 'systemObjectId'; data: Buffer }
  | { type: 'managementAddresses'; addresses: CdpAddress[] }
  | { type: 'location'; locationType: number; value: string }
  /** Phone → switch: the power levels it can run at, best first. */
  | { type: 'powerRequested'; requestId: number; managementId: number; levelsMw: number[] }
  /** Switch → phone: echoes the request id and grants power. */
  | { type: 'powerAvailable'; requestId: number; managementId: number; levelsMw: number[] }
  | { type: 'sparePairPoe'; bits: number }
  | { type: 'unknown'; code: number; data: Buffer };

export type CdpTlvType = CdpTlv['type'];

export interface CdpPdu {
  /** 1 or 2. */
  version: number;
  /** Hold time in seconds. */
  ttl: number;
  /** As received; encode computes its own. */
  checksum: number;
  tlvs: CdpTlv[];
}

/** A decoded PDU plus what decode learned about it on the wire. */
export interface CdpDecoded extends CdpPdu {
  checksumValid: boolean;
  /** Type code and total TLV length (header included) of every TLV, in order. */
  layout: { type: number; length: number }[];
}

export interface CdpFrame {
  dst: string;
  src: string;
  vlanTag?: number;
  /** The 802.3 length field claimed more bytes than the frame held. */
  truncated?: boolean;
  pdu: CdpDecoded;
}
