// Server side of option negotiation (RFC 2347/2348/2349/7440). Options Outpost cannot
// honour are left out of the OACK rather than failing the request: the phone then simply
// falls back to the RFC 1350 defaults.
import { MAX_BLKSIZE, type TftpOption } from './codec.js';

export interface NegotiationLimits {
  /** Largest block size granted (default 1468: one unfragmented datagram on a 1500-byte MTU). */
  blksizeMax: number;
  /** Largest window granted (RFC 7440). */
  windowsizeMax: number;
}

export interface TransferParams {
  blksize: number;
  windowsize: number;
  /** Retransmission timeout the client asked for, in seconds. */
  timeoutSec: number | undefined;
  /** Options to answer in an OACK, in the client's order; empty means no OACK. */
  oack: TftpOption[];
}

const DIGITS = /^[0-9]{1,10}$/;

export function negotiate(
  requested: TftpOption[],
  fileSize: number | undefined,
  mode: 'octet' | 'netascii',
  limits: NegotiationLimits,
): TransferParams {
  const params: TransferParams = { blksize: 512, windowsize: 1, timeoutSec: undefined, oack: [] };
  const seen = new Set<string>();
  for (const { name, value } of requested) {
    const key = name.toLowerCase();
    if (seen.has(key)) continue; // a repeated option is answered once, first one wins
    seen.add(key);
    if (!DIGITS.test(value)) continue;
    const n = Number(value);
    switch (key) {
      case 'blksize':
        if (n < 8) break;
        params.blksize = Math.min(n, MAX_BLKSIZE, limits.blksizeMax);
        params.oack.push({ name, value: String(params.blksize) });
        break;
      case 'tsize':
        // netascii changes the length on the wire, so its size is only known after sending.
        if (fileSize === undefined || mode !== 'octet') break;
        params.oack.push({ name, value: String(fileSize) });
        break;
      case 'timeout':
        if (n < 1 || n > 255) break;
        params.timeoutSec = n;
        params.oack.push({ name, value: String(n) });
        break;
      case 'windowsize':
        if (n < 1 || n > 65535) break;
        params.windowsize = Math.min(n, limits.windowsizeMax);
        params.oack.push({ name, value: String(params.windowsize) });
        break;
    }
  }
  return params;
}
