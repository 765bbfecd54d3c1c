// The DHCP options Outpost understands (RFC 2132, 3046, 5859), as one table: option code,
// the field it fills in DhcpOptions, and how its value is read and written. Options that are
// not in the table, and known options whose value is malformed, stay as raw bytes so that a
// message can be inspected and echoed without losing anything.

import { readIp, writeIp } from '../util/ipv4.js';

export const DhcpOption = {
  Pad: 0,
  SubnetMask: 1,
  Routers: 3,
  DnsServers: 6,
  Hostname: 12,
  DomainName: 15,
  BroadcastAddress: 28,
  NtpServers: 42,
  VendorSpecific: 43,
  RequestedIp: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClassId: 60,
  ClientId: 61,
  TftpServerName: 66,
  BootfileName: 67,
  RelayAgentInfo: 82,
  TftpServers: 150,
  End: 255,
} as const;

export const DHCP_MESSAGE_TYPES = ['DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'] as const;
export type DhcpMessageType = (typeof DHCP_MESSAGE_TYPES)[number];

export function messageTypeCode(type: DhcpMessageType): number {
  return DHCP_MESSAGE_TYPES.indexOf(type) + 1;
}

/** Option 61: a type byte (1 = Ethernet MAC follows) and an opaque identifier. */
export interface ClientId {
  type: number;
  id: Buffer;
}

/** Option 82 as a relay agent adds it; Outpost echoes it back in replies (RFC 3046 §2.2). */
export interface RelayAgentInfo {
  circuitId?: Buffer;
  remoteId?: Buffer;
  /** Sub-options other than 1 and 2, in the order they arrived. */
  others: { code: number; data: Buffer }[];
}

export interface DhcpOptions {
  subnetMask?: string; // 1
  routers?: string[]; // 3
  dnsServers?: string[]; // 6
  hostname?: string; // 12
  domainName?: string; // 15
  broadcastAddress?: string; // 28
  ntpServers?: string[]; // 42
  vendorSpecific?: Buffer; // 43
  requestedIp?: string; // 50
  leaseTime?: number; // 51, seconds
  /** 52: 1 = `file` holds options, 2 = `sname` does, 3 = both. Informational after decode. */
  overload?: number;
  messageType?: DhcpMessageType; // 53
  serverId?: string; // 54
  parameterRequestList?: number[]; // 55
  maxMessageSize?: number; // 57
  renewalTime?: number; // 58, seconds (T1)
  rebindingTime?: number; // 59, seconds (T2)
  vendorClassId?: string; // 60
  clientId?: ClientId; // 61
  tftpServerName?: string; // 66
  bootfileName?: string; // 67
  relayAgentInfo?: RelayAgentInfo; // 82
  tftpServers?: string[]; // 150
  /** Every other option, and known ones whose value did not parse, keyed by code. */
  raw: Map<number, Buffer>;
}

export type TypedOptionKey = Exclude<keyof DhcpOptions, 'raw'>;

interface ValueCodec<T> {
  elementSize?: number;
  /** undefined = the bytes are not a valid value of this option. */
  decode(data: Buffer): T | undefined;
  encode(value: T): Buffer;
}

export interface OptionField {
  code: number;
  key: TypedOptionKey;
  /** Size of one list element: a long option is split on element boundaries. */
  elementSize: number;
  decode(data: Buffer): unknown;
  encode(value: unknown): Buffer;
}

// Strings are read as latin1 so that any byte sequence survives a decode/encode round trip.
const text: ValueCodec<string> = {
  decode: (d) => (d.length >= 1 ? d.toString('latin1') : undefined),
  encode: (v) => Buffer.from(v, 'latin1'),
};

const address: ValueCodec<string> = {
  decode: (d) => (d.length === 4 ? readIp(d, 0) : undefined),
  encode: (v) => {
    const b = Buffer.alloc(4);
    writeIp(b, 0, v);
    return b;
  },
};

const addressList: ValueCodec<string[]> = {
  elementSize: 4,
  decode: (d) => {
    if (d.length === 0 || d.length % 4 !== 0) return undefined;
    const list: string[] = [];
    for (let o = 0; o < d.length; o += 4) list.push(readIp(d, o));
    return list;
  },
  encode: (v) => {
    const b = Buffer.alloc(v.length * 4);
    v.forEach((ip, i) => writeIp(b, i * 4, ip));
    return b;
  },
};

function unsigned(size: 1 | 2 | 4): ValueCodec<number> {
  return {
    decode: (d) => (d.length === size ? d.readUIntBE(0, size) : undefined),
    encode: (v) => {
      const b = Buffer.alloc(size);
      b.writeUIntBE(v, 0, size);
      return b;
    },
  };
}

const bytes: ValueCodec<Buffer> = {
  decode: (d) => Buffer.from(d),
  encode: (v) => v,
};

const codeList: ValueCodec<number[]> = {
  decode: (d) => (d.length >= 1 ? [...d] : undefined),
  encode: (v) => Buffer.from(v),
};

const messageType: ValueCodec<DhcpMessageType> = {
  decode: (d) => (d.length === 1 ? DHCP_MESSAGE_TYPES[d[0] - 1] : undefined),
  encode: (v) => Buffer.from([messageTypeCode(v)]),
};

const overload: ValueCodec<number> = {
  decode: (d) => (d.length === 1 && d[0] >= 1 && d[0] <= 3 ? d[0] : undefined),
  encode: (v) => Buffer.from([v]),
};

const clientId: ValueCodec<ClientId> = {
  decode: (d) => (d.length >= 2 ? { type: d[0], id: Buffer.from(d.subarray(1)) } : undefined),
  encode: (v) => Buffer.concat([Buffer.from([v.type]), v.id]),
};

const relayAgentInfo: ValueCodec<RelayAgentInfo> = {
  decode: (d) => {
    const info: RelayAgentInfo = { others: [] };
    let o = 0;
    while (o < d.length) {
      if (o + 2 > d.length || o + 2 + d[o + 1] > d.length) return undefined;
      const code = d[o];
      const data = Buffer.from(d.subarray(o + 2, o + 2 + d[o + 1]));
      if (code === 1 && !info.circuitId) info.circuitId = data;
      else if (code === 2 && !info.remoteId) info.remoteId = data;
      else info.others.push({ code, data });
      o += 2 + d[o + 1];
    }
    return d.length > 0 ? info : undefined;
  },
  encode: (v) => {
    const subs = [
      ...(v.circuitId ? [{ code: 1, data: v.circuitId }] : []),
      ...(v.remoteId ? [{ code: 2, data: v.remoteId }] : []),
      ...v.others,
    ];
    for (const s of subs) if (s.data.length > 255) throw new RangeError(`relay agent sub-option ${s.code} is longer than 255 bytes`);
    return Buffer.concat(subs.map((s) => Buffer.concat([Buffer.from([s.code, s.data.length]), s.data])));
  },
};

function field<K extends TypedOptionKey>(code: number, key: K, codec: ValueCodec<NonNullable<DhcpOptions[K]>>): OptionField {
  return {
    code, key, elementSize: codec.elementSize ?? 1,
    decode: (d) => codec.decode(d),
    encode: (v) => codec.encode(v as NonNullable<DhcpOptions[K]>),
  };
}

export const OPTION_FIELDS: readonly OptionField[] = [
  field(DhcpOption.SubnetMask, 'subnetMask', address),
  field(DhcpOption.Routers, 'routers', addressList),
  field(DhcpOption.DnsServers, 'dnsServers', addressList),
  field(DhcpOption.Hostname, 'hostname', text),
  field(DhcpOption.DomainName, 'domainName', text),
  field(DhcpOption.BroadcastAddress, 'broadcastAddress', address),
  field(DhcpOption.NtpServers, 'ntpServers', addressList),
  field(DhcpOption.VendorSpecific, 'vendorSpecific', bytes),
  field(DhcpOption.RequestedIp, 'requestedIp', address),
  field(DhcpOption.LeaseTime, 'leaseTime', unsigned(4)),
  field(DhcpOption.Overload, 'overload', overload),
  field(DhcpOption.MessageType, 'messageType', messageType),
  field(DhcpOption.ServerId, 'serverId', address),
  field(DhcpOption.ParameterRequestList, 'parameterRequestList', codeList),
  field(DhcpOption.MaxMessageSize, 'maxMessageSize', unsigned(2)),
  field(DhcpOption.RenewalTime, 'renewalTime', unsigned(4)),
  field(DhcpOption.RebindingTime, 'rebindingTime', unsigned(4)),
  field(DhcpOption.VendorClassId, 'vendorClassId', text),
  field(DhcpOption.ClientId, 'clientId', clientId),
  field(DhcpOption.TftpServerName, 'tftpServerName', text),
  field(DhcpOption.BootfileName, 'bootfileName', text),
  field(DhcpOption.RelayAgentInfo, 'relayAgentInfo', relayAgentInfo),
  field(DhcpOption.TftpServers, 'tftpServers', addressList),
];

export const FIELD_BY_CODE: ReadonlyMap<number, OptionField> = new Map(OPTION_FIELDS.map((f) => [f.code, f]));

export function emptyOptions(): DhcpOptions {
  return { raw: new Map() };
}
