// IPv4 helpers shared by the configuration, the codecs and the planes. Addresses travel through
// Outpost as dotted-quad strings (what operators read in logs and journeys); arithmetic on pools
// and subnets uses unsigned 32-bit numbers.

import { ok, err, type Result } from './result.js';

export const ZERO_IP = '0.0.0.0';
export const BROADCAST_IP = '255.255.255.255';

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad into an unsigned 32-bit number; undefined when it is not one. */
export function ipToNumber(ip: string): number | undefined {
  const m = DOTTED_QUAD.exec(ip);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function numberToIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIpv4(ip: string): boolean {
  return ipToNumber(ip) !== undefined;
}

/** Like ipToNumber, for values Outpost itself built or validated: a bad one is a programming error. */
export function requireIp(ip: string): number {
  const n = ipToNumber(ip);
  if (n === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return n;
}

export function readIp(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

export function writeIp(buf: Buffer, offset: number, ip: string): void {
  buf.writeUInt32BE(requireIp(ip), offset);
}

export function sameSubnet(a: string, b: string, mask: string): boolean {
  const m = requireIp(mask);
  return ((requireIp(a) & m) >>> 0) === ((requireIp(b) & m) >>> 0);
}

/** An inclusive range of addresses, e.g. a DHCP pool `10.20.0.100-10.20.0.199`. */
export interface AddressRange {
  first: number;
  last: number;
}

export function parseAddressRange(text: string): Result<AddressRange> {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return err(`address range must be FIRST-LAST: ${JSON.stringify(text)}`);
  const first = ipToNumber(parts[0]);
  const last = ipToNumber(parts[1]);
  if (first === undefined || last === undefined) return err(`address range has a bad address: ${JSON.stringify(text)}`);
  if (first > last) return err(`address range runs backwards: ${JSON.stringify(text)}`);
  return ok({ first, last });
}

export function rangeContains(range: AddressRange, ip: string): boolean {
  const n = ipToNumber(ip);
  return n !== undefined && n >= range.first && n <= range.last;
}
