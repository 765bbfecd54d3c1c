// Client side of option negotiation: what Outpost asks the upstream CUCM TFTP for, and
// whether the OACK it gets back is one it can live with (RFC 2347: a server may only
// answer options that were asked for, and never raise blksize or windowsize).
import { err, ok, type Result } from '../../util/result.js';
import { MAX_BLKSIZE, type TftpOption } from './codec.js';

export interface OptionRequest {
  blksize?: number;
  windowsize?: number;
  tsize?: boolean;
  timeoutMs: number;
}

export interface Negotiated {
  blksize: number;
  windowsize: number;
  /** File size the server announced, when it answered tsize. */
  tsize: number | undefined;
  /** Retransmission timeout agreed in whole seconds, when the server answered it. */
  timeoutSec: number | undefined;
  /** False when the transfer ran as plain RFC 1350 (server ignored or refused options). */
  optionsAccepted: boolean;
}

export const PLAIN: Negotiated = { blksize: 512, windowsize: 1, tsize: undefined, timeoutSec: undefined, optionsAccepted: false };

/** Options for the RRQ; empty when nothing beyond RFC 1350 was asked for. */
export function requestOptions(req: OptionRequest): TftpOption[] {
  const options: TftpOption[] = [];
  if (req.blksize !== undefined) options.push({ name: 'blksize', value: String(clamp(Math.floor(req.blksize), 8, MAX_BLKSIZE)) });
  if (req.tsize) options.push({ name: 'tsize', value: '0' });
  if (req.windowsize !== undefined) options.push({ name: 'windowsize', value: String(clamp(Math.floor(req.windowsize), 1, 65535)) });
  if (options.length > 0) {
    // Whole seconds only: tftpd-hpa and RFC 2349 know nothing smaller.
    options.push({ name: 'timeout', value: String(timeoutSeconds(req.timeoutMs)) });
  }
  return options;
}

export function timeoutSeconds(timeoutMs: number): number {
  return clamp(Math.round(timeoutMs / 1000), 1, 255);
}

/** Checks an OACK against what was requested and returns the transfer parameters. */
export function acceptOack(requested: TftpOption[], answered: TftpOption[]): Result<Negotiated> {
  const asked = new Map(requested.map((o) => [o.name.toLowerCase(), o.value]));
  const result: Negotiated = { ...PLAIN, optionsAccepted: true };
  const seen = new Set<string>();
  for (const { name, value } of answered) {
    const key = name.toLowerCase();
    const askedValue = asked.get(key);
    if (askedValue === undefined) return err(`server answered option ${name} that was not requested`);
    if (seen.has(key)) return err(`server answered option ${name} twice`);
    seen.add(key);
    if (!/^[0-9]{1,15}$/.test(value)) return err(`server answered ${name}=${value}, not a number`);
    const n = Number(value);
    switch (key) {
      case 'blksize':
        if (n < 8 || n > Number(askedValue)) return err(`server answered blksize ${n}, asked for ${askedValue}`);
        result.blksize = n;
        break;
      case 'windowsize':
        if (n < 1 || n > Number(askedValue)) return err(`server answered windowsize ${n}, asked for ${askedValue}`);
        result.windowsize = n;
        break;
      case 'tsize':
        result.tsize = n;
        break;
      case 'timeout':
        if (n !== Number(askedValue)) return err(`server answered timeout ${n}, asked for ${askedValue}`);
        result.timeoutSec = n;
        break;
    }
  }
  return ok(result);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
