// DHCPv4 message codec (RFC 2131 header, RFC 2132 options, RFC 3396 long options).
// Pure: decode returns a Result and never throws on hostile bytes; encode builds the
// bytes Outpost sends, ordered and trimmed so that a phone will accept them.

import { ok, err, type Result } from '../util/result.js';
import { readIp, writeIp } from '../util/ipv4.js';
import { formatMac } from '../util/mac.js';
import { DhcpOption, FIELD_BY_CODE, OPTION_FIELDS, emptyOptions, type DhcpOptions } from './options.js';

export type { DhcpOptions, DhcpMessageType, ClientId, RelayAgentInfo } from './options.js';
export { DhcpOption } from './options.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

export interface DhcpMessage {
  /** 1 = BOOTREQUEST (client to server), 2 = BOOTREPLY. */
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  /** The broadcast bit of `flags`: the client cannot receive unicast before it has an address. */
  broadcast: boolean;
  /** The other 15 flag bits; RFC 2131 says they must be zero. */
  reservedFlags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The first `hlen` (at most 16) bytes of chaddr, as colon-separated hex. */
  chaddr: string;
  /** Empty when the field carries overloaded options instead of a name. */
  sname: string;
  file: string;
  options: DhcpOptions;
}

const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
const MAGIC_COOKIE = 0x63825363;

/** BOOTP's fixed 64-byte vendor area makes 300 bytes the smallest message old relays accept. */
export const BOOTP_MIN_SIZE = 300;
/** 576-byte IP datagram every host must accept, minus 20 bytes of IP and 8 of UDP. */
export const DEFAULT_MAX_DHCP_SIZE = 548;

export function decodeDhcp(buf: Buffer): Result<DhcpMessage> {
  if (buf.length < OPTIONS_OFFSET) return err(`DHCP message too short: ${buf.length} bytes, need at least ${OPTIONS_OFFSET}`);
  if (buf.readUInt32BE(COOKIE_OFFSET) !== MAGIC_COOKIE) return err('no DHCP magic cookie (plain BOOTP is not served)');

  const chunks = new Map<number, Buffer[]>();
  const main = scanOptions(buf.subarray(OPTIONS_OFFSET), 'options', chunks);
  if (!main.ok) return main;

  // Option 52 must sit in the options field; it says whether file and sname continue it.
  const overloadBytes = chunks.get(DhcpOption.Overload);
  const overload = overloadBytes?.length === 1 && overloadBytes[0].length === 1 ? overloadBytes[0][0] : 0;
  const fileHoldsOptions = (overload & 1) !== 0;
  const snameHoldsOptions = (overload & 2) !== 0;
  // RFC 3396: the aggregate is options, then file, then sname.
  if (fileHoldsOptions) {
    const r = scanOptions(buf.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH), 'file', chunks);
    if (!r.ok) return r;
  }
  if (snameHoldsOptions) {
    const r = scanOptions(buf.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH), 'sname', chunks);
    if (!r.ok) return r;
  }

  const hlen = buf[2];
  const flags = buf.readUInt16BE(10);
  return ok({
    op: buf[0],
    htype: buf[1],
    hlen,
    hops: buf[3],
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    broadcast: (flags & 0x8000) !== 0,
    reservedFlags: flags & 0x7fff,
    ciaddr: readIp(buf, 12),
    yiaddr: readIp(buf, 16),
    siaddr: readIp(buf, 20),
    giaddr: readIp(buf, 24),
    chaddr: formatMac(buf.subarray(28, 28 + Math.min(hlen, 16))),
    sname: snameHoldsOptions ? '' : cString(buf.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH)),
    file: fileHoldsOptions ? '' : cString(buf.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH)),
    options: typedOptions(chunks),
  });
}

/** Collects each option's bytes in order of appearance; repeated codes are concatenated later. */
function scanOptions(area: Buffer, where: string, chunks: Map<number, Buffer[]>): Result<true> {
  let o = 0;
  while (o < area.length) {
    const code = area[o];
    if (code === DhcpOption.Pad) { o += 1; continue; }
    if (code === DhcpOption.End) return ok(true);
    if (o + 2 > area.length) return err(`option ${code} in ${where} has no length byte`);
    const len = area[o + 1];
    if (o + 2 + len > area.length) return err(`option ${code} in ${where} runs past the end (${len} bytes declared)`);
    const list = chunks.get(code) ?? [];
    list.push(area.subarray(o + 2, o + 2 + len));
    chunks.set(code, list);
    o += 2 + len;
  }
  // A missing End option is tolerated: the bytes read so far are all well formed.
  return ok(true);
}

function typedOptions(chunks: Map<number, Buffer[]>): DhcpOptions {
  const options = emptyOptions();
  const typed = options as unknown as Record<string, unknown>;
  for (const [code, parts] of chunks) {
    const value = parts.length === 1 ? Buffer.from(parts[0]) : Buffer.concat(parts);
    const field = FIELD_BY_CODE.get(code);
    const decoded = field?.decode(value);
    if (field && decoded !== undefined) typed[field.key] = decoded;
    else options.raw.set(code, value);
  }
  return options;
}

function cString(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('latin1');
}

export interface EncodeOptions {
  /** Largest DHCP message (UDP payload) the receiver accepts; default 548. */
  maxSize?: number;
  /** The client's parameter request list: options are written in this order, after 53 and 54. */
  prl?: number[];
}

export interface EncodedDhcp {
  packet: Buffer;
  /** Option codes left out because the message would not fit in maxSize, lowest priority first. */
  dropped: number[];
}

export function encodeDhcp(msg: DhcpMessage, opts: EncodeOptions = {}): Buffer {
  return encodeDhcpFitted(msg, opts).packet;
}

/** Encodes, dropping the lowest-priority options until the message fits, and says which. */
export function encodeDhcpFitted(msg: DhcpMessage, opts: EncodeOptions = {}): EncodedDhcp {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_DHCP_SIZE;
  const byPriority = prioritise(optionValues(msg.options), opts.prl ?? []);
  const dropped: number[] = [];
  let size = OPTIONS_OFFSET + 1 + byPriority.reduce((n, o) => n + wireSize(o), 0);
  // The message type is what makes the packet DHCP at all: it is never dropped.
  while (size > maxSize && byPriority.length > 1) {
    const victim = byPriority.pop();
    if (!victim) break;
    size -= wireSize(victim);
    dropped.push(victim.code);
  }

  const packet = Buffer.alloc(Math.max(size, BOOTP_MIN_SIZE));
  writeHeader(packet, msg);
  let o = OPTIONS_OFFSET;
  // Relay agent information goes last, where the relay put it (RFC 3046 §2.1).
  const relay = byPriority.filter((v) => v.code === DhcpOption.RelayAgentInfo);
  for (const value of [...byPriority.filter((v) => v.code !== DhcpOption.RelayAgentInfo), ...relay]) {
    o = writeOption(packet, o, value);
  }
  packet[o] = DhcpOption.End;
  return { packet, dropped };
}

interface OptionValue {
  code: number;
  data: Buffer;
}

function optionValues(options: DhcpOptions): OptionValue[] {
  const values = new Map<number, Buffer>();
  for (const [code, data] of options.raw) values.set(code, data);
  const typed = options as unknown as Record<string, unknown>;
  for (const f of OPTION_FIELDS) {
    const v = typed[f.key];
    if (v !== undefined) values.set(f.code, f.encode(v));
  }
  // Outpost never overloads file/sname, so a 52 carried over from a decoded message would lie.
  for (const code of [DhcpOption.Pad, DhcpOption.End, DhcpOption.Overload]) values.delete(code);
  return [...values].map(([code, data]) => ({ code, data }));
}

// Highest priority first: what makes the reply a usable lease, then what the client asked
// for in its own order, then the rest by code.
const LEASE_ESSENTIALS: number[] = [
  DhcpOption.MessageType, DhcpOption.ServerId, DhcpOption.LeaseTime,
  DhcpOption.RenewalTime, DhcpOption.RebindingTime, DhcpOption.RelayAgentInfo,
];

function prioritise(values: OptionValue[], prl: number[]): OptionValue[] {
  const rank = new Map<number, number>();
  for (const code of [...LEASE_ESSENTIALS, ...prl]) if (!rank.has(code)) rank.set(code, rank.size);
  const rankOf = (code: number) => rank.get(code) ?? rank.size + code;
  return [...values].sort((a, b) => rankOf(a.code) - rankOf(b.code));
}

/**
 * Options longer than 255 bytes are split into consecutive instances (RFC 3396). Lists are
 * cut between elements, so that a client which does not join the pieces (older phone
 * firmware, and tshark) still reads each piece as a valid list.
 */
function chunkSize(code: number): number {
  const element = FIELD_BY_CODE.get(code)?.elementSize ?? 1;
  return 255 - (255 % element);
}

function wireSize({ code, data }: OptionValue): number {
  return data.length + 2 * Math.max(1, Math.ceil(data.length / chunkSize(code)));
}

function writeOption(packet: Buffer, offset: number, { code, data }: OptionValue): number {
  const chunk = chunkSize(code);
  let o = offset;
  let rest = data;
  do {
    const part = rest.subarray(0, chunk);
    packet[o] = code;
    packet[o + 1] = part.length;
    part.copy(packet, o + 2);
    o += 2 + part.length;
    rest = rest.subarray(part.length);
  } while (rest.length > 0);
  return o;
}

function writeHeader(packet: Buffer, msg: DhcpMessage): void {
  packet[0] = msg.op;
  packet[1] = msg.htype;
  packet[2] = msg.hlen;
  packet[3] = msg.hops;
  packet.writeUInt32BE(msg.xid >>> 0, 4);
  packet.writeUInt16BE(msg.secs, 8);
  packet.writeUInt16BE((msg.broadcast ? 0x8000 : 0) | (msg.reservedFlags & 0x7fff), 10);
  writeIp(packet, 12, msg.ciaddr);
  writeIp(packet, 16, msg.yiaddr);
  writeIp(packet, 20, msg.siaddr);
  writeIp(packet, 24, msg.giaddr);
  hexColonBytes(msg.chaddr).copy(packet, 28);
  writeCString(packet, SNAME_OFFSET, SNAME_LENGTH, msg.sname, 'sname');
  writeCString(packet, FILE_OFFSET, FILE_LENGTH, msg.file, 'file');
  packet.writeUInt32BE(MAGIC_COOKIE, COOKIE_OFFSET);
}

function hexColonBytes(text: string): Buffer {
  if (text === '') return Buffer.alloc(0);
  const parts = text.split(':');
  if (parts.length > 16 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`chaddr must be up to 16 colon-separated hex bytes: ${JSON.stringify(text)}`);
  }
  return Buffer.from(parts.join(''), 'hex');
}

function writeCString(packet: Buffer, offset: number, length: number, value: string, name: string): void {
  const bytes = Buffer.from(value, 'latin1');
  // A name that fills the whole field has no NUL; clients cope, and decode produces such names.
  if (bytes.length > length) throw new RangeError(`${name} is longer than ${length} bytes`);
  bytes.copy(packet, offset);
}
