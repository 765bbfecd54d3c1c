// TFTP wire format (RFC 1350, options per RFC 2347). Pure: decodeTftp never throws on
// what a hostile LAN sends; it returns an error Result that the server counts and drops.
import { err, ok, type Result } from '../../util/result.js';

export const TftpOpcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** Standard error codes (RFC 1350, plus 8 from RFC 2347). */
export const TftpErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_NEGOTIATION: 8,
} as const;

const ERROR_CODE_NAMES: Record<number, string> = {
  0: 'not defined',
  1: 'file not found',
  2: 'access violation',
  3: 'disk full',
  4: 'illegal operation',
  5: 'unknown transfer id',
  6: 'file already exists',
  7: 'no such user',
  8: 'option negotiation failed',
};

/** Human name of an error code, for logs and the phone journey. */
export function tftpErrorName(code: number): string {
  return ERROR_CODE_NAMES[code] ?? `error ${code}`;
}

/** One option as it appeared on the wire; order is kept so OACKs can mirror the request. */
export interface TftpOption {
  name: string;
  value: string;
}

export type TftpPacket =
  | { op: 'rrq' | 'wrq'; filename: string; mode: string; options: TftpOption[] }
  | { op: 'data'; block: number; data: Buffer }
  | { op: 'ack'; block: number }
  | { op: 'error'; code: number; message: string }
  | { op: 'oack'; options: TftpOption[] };

/** RFC 2347: a request (with its options) fits in 512 octets. OACKs answer a subset of it. */
export const MAX_REQUEST_BYTES = 512;
export const MAX_OACK_BYTES = 512;
/** RFC 2348: the largest block size a peer may negotiate. */
export const MAX_BLKSIZE = 65464;
export const MAX_DATA_BYTES = 4 + MAX_BLKSIZE;
/** Error messages are meant for humans; 512 octets is plenty and bounds what we accept. */
export const MAX_ERROR_BYTES = 4 + 512;

export function decodeTftp(buf: Buffer): Result<TftpPacket> {
  if (buf.length < 2) return err('packet shorter than an opcode');
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case TftpOpcode.RRQ:
    case TftpOpcode.WRQ:
      return decodeRequest(buf, opcode === TftpOpcode.RRQ ? 'rrq' : 'wrq');
    case TftpOpcode.DATA:
      if (buf.length < 4) return err('DATA shorter than its header');
      if (buf.length > MAX_DATA_BYTES) return err(`DATA of ${buf.length} bytes exceeds the largest block size`);
      return ok({ op: 'data', block: buf.readUInt16BE(2), data: buf.subarray(4) });
    case TftpOpcode.ACK:
      if (buf.length !== 4) return err(`ACK must be 4 bytes, got ${buf.length}`);
      return ok({ op: 'ack', block: buf.readUInt16BE(2) });
    case TftpOpcode.ERROR:
      return decodeError(buf);
    case TftpOpcode.OACK: {
      if (buf.length > MAX_OACK_BYTES) return err(`OACK of ${buf.length} bytes is too long`);
      const fields = splitStrings(buf, 2);
      if (!fields.ok) return fields;
      const options = pairOptions(fields.value);
      if (!options.ok) return options;
      return ok({ op: 'oack', options: options.value });
    }
    default:
      return err(`unknown opcode ${opcode}`);
  }
}

function decodeRequest(buf: Buffer, op: 'rrq' | 'wrq'): Result<TftpPacket> {
  if (buf.length > MAX_REQUEST_BYTES) return err(`request of ${buf.length} bytes exceeds ${MAX_REQUEST_BYTES}`);
  const fields = splitStrings(buf, 2);
  if (!fields.ok) return fields;
  const [filename, mode, ...rest] = fields.value;
  if (filename === undefined) return err('request has no filename');
  if (mode === undefined) return err('request has no mode');
  if (mode.length === 0) return err('request has an empty mode');
  const options = pairOptions(rest);
  if (!options.ok) return options;
  return ok({ op, filename, mode, options: options.value });
}

function decodeError(buf: Buffer): Result<TftpPacket> {
  if (buf.length < 5) return err('ERROR shorter than code and terminator');
  if (buf.length > MAX_ERROR_BYTES) return err(`ERROR of ${buf.length} bytes is too long`);
  const fields = splitStrings(buf, 4);
  if (!fields.ok) return fields;
  if (fields.value.length !== 1) return err('ERROR carries more than one message');
  return ok({ op: 'error', code: buf.readUInt16BE(2), message: fields.value[0] });
}

/**
 * NUL-terminated strings from `start` to the end. Trailing zero padding after the last
 * string is tolerated (some boot ROMs pad requests); bytes without a terminator are not.
 */
function splitStrings(buf: Buffer, start: number): Result<string[]> {
  const out: string[] = [];
  let pos = start;
  while (pos < buf.length) {
    const end = buf.indexOf(0, pos);
    if (end < 0) return err(`field at offset ${pos} has no NUL terminator`);
    if (end === pos && out.length > 0 && isZeroFrom(buf, pos)) break;
    // latin1 maps each byte to one code unit, so names round-trip byte for byte.
    out.push(buf.toString('latin1', pos, end));
    pos = end + 1;
  }
  return ok(out);
}

function isZeroFrom(buf: Buffer, pos: number): boolean {
  for (let i = pos; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function pairOptions(fields: string[]): Result<TftpOption[]> {
  if (fields.length % 2 !== 0) return err(`option "${fields[fields.length - 1]}" has no value`);
  const options: TftpOption[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i].length === 0) return err('option with an empty name');
    options.push({ name: fields[i], value: fields[i + 1] });
  }
  return ok(options);
}

/**
 * Encodes a packet. Callers build packets from their own state, so impossible values
 * (a NUL inside a string, a block number outside 0..65535) are programming errors and throw.
 * Error messages are truncated to fit MAX_ERROR_BYTES instead.
 */
export function encodeTftp(pkt: TftpPacket): Buffer {
  switch (pkt.op) {
    case 'rrq':
    case 'wrq':
      return Buffer.concat([
        u16(pkt.op === 'rrq' ? TftpOpcode.RRQ : TftpOpcode.WRQ),
        cstring(pkt.filename),
        cstring(pkt.mode),
        ...pkt.options.flatMap((o) => [cstring(o.name), cstring(o.value)]),
      ]);
    case 'data': {
      const out = Buffer.allocUnsafe(4 + pkt.data.length);
      out.writeUInt16BE(TftpOpcode.DATA, 0);
      out.writeUInt16BE(checkU16(pkt.block), 2);
      pkt.data.copy(out, 4);
      return out;
    }
    case 'ack': {
      const out = Buffer.allocUnsafe(4);
      out.writeUInt16BE(TftpOpcode.ACK, 0);
      out.writeUInt16BE(checkU16(pkt.block), 2);
      return out;
    }
    case 'error': {
      const message = cstring(pkt.message);
      const limit = MAX_ERROR_BYTES - 4;
      const body = message.length > limit ? Buffer.concat([message.subarray(0, limit - 1), Buffer.alloc(1)]) : message;
      return Buffer.concat([u16(TftpOpcode.ERROR), u16(checkU16(pkt.code)), body]);
    }
    case 'oack':
      return Buffer.concat([u16(TftpOpcode.OACK), ...pkt.options.flatMap((o) => [cstring(o.name), cstring(o.value)])]);
  }
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function checkU16(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`TFTP field ${n} does not fit 16 bits`);
  return n;
}

function cstring(s: string): Buffer {
  if (s.includes('\0')) throw new RangeError('TFTP strings cannot contain NUL');
  const b = Buffer.alloc(s.length + 1);
  b.write(s, 0, 'latin1');
  return b;
}
