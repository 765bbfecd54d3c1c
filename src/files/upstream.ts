// Where a cache miss comes from: each CUCM member in order, HTTP :6970 first and TFTP as the
// fallback, with blksize and tsize. HTTP connections are kept open and reused, so a file costs
// no TCP handshake (one more WAN round trip) and inherits a warmed-up window. A member whose
// HTTP service refused, or failed three times in a row, is asked over TFTP only for a while, so
// a WAN round trip is not spent on a dead HTTP service per file.
//
// Across a WAN every TFTP window costs a round trip. A member with RFC 7440 is asked for a
// window of 32 blocks of 1428 bytes (46 KB per round trip); each transfer that fills its window
// twice without a lost block doubles the window asked next time, up to 128 (183 KB, 9 Mbit/s at
// 160 ms), and a transfer that had to recover a block halves it, down to 8: a firmware load
// crosses a clean WAN several times faster, and a lossy one is not flooded. A member that is
// lockstep only (tftpd-hpa: no windowsize in its OACK) is asked for large blocks instead (32 KB
// by default: 23 times fewer round trips), unless large blocks were lost on the way to it.
import { Agent } from 'node:http';
import type { Validators } from './cache.js';
import { fetchHttp, type UpstreamSink } from './upstream-http.js';
import { fetchTftp, type FetchTftpResult, type Negotiated } from './tftp/client.js';

export type { UpstreamSink } from './upstream-http.js';

export interface UpstreamOptions {
  hosts: string[];
  tftpPort: number;
  /** 0: TFTP only. */
  httpPort: number;
  timeoutMs: number;
  /** Block size asked of a lockstep-only TFTP member; 1428 or less: never larger blocks. */
  lockstepBlksize?: number;
}

export type FetchResult =
  /** `blksize` and `windowsize`: what a TFTP transfer ran with. */
  | { kind: 'ok'; size: number; via: 'http' | 'tftp'; host: string; blksize?: number; windowsize?: number }
  | { kind: 'not-modified'; via: 'http' | 'tftp'; host: string }
  | { kind: 'missing'; host: string }
  | { kind: 'unreachable'; error: string }
  | { kind: 'failed'; error: string };

/** A cached copy to revalidate instead of fetching blindly. */
export interface Conditional extends Validators {
  size: number;
}

const UPSTREAM_WINDOW = 32;
const MIN_WINDOW = 8;
const MAX_WINDOW = 128;
const HTTP_RETRY_MS = 60_000;
const HTTP_FAILURES_BEFORE_RETRY = 3;
/** Larger cached files are revalidated over TFTP by size alone instead of a full download. */
const TFTP_SIZE_CHECK_ABOVE = 256 * 1024;
/** Fits one Ethernet frame with IP and UDP headers (and a VPN's overhead): never fragmented. */
const SAFE_BLKSIZE = 1428;
/** After large blocks were lost on the way from a member, it gets small ones for this long. */
const LARGE_BLOCKS_RETRY_MS = 10 * 60_000;

export class Upstream {
  private readonly httpDownUntil = new Map<string, number>();
  private readonly httpFailures = new Map<string, number>();
  private readonly agent = new Agent({ keepAlive: true, keepAliveMsecs: 10_000 });
  /** Members whose TFTP answered options without windowsize. */
  private readonly lockstep = new Set<string>();
  private readonly largeBlocksLostUntil = new Map<string, number>();
  /** The window to ask each RFC 7440 member for, learnt from its transfers. */
  private readonly windows = new Map<string, number>();

  constructor(private readonly opts: UpstreamOptions) {}

  async fetch(name: string, sink: UpstreamSink, conditional?: Conditional): Promise<FetchResult> {
    const errors: string[] = [];
    for (const host of this.opts.hosts) {
      if (this.opts.httpPort > 0 && (this.httpDownUntil.get(host) ?? 0) < Date.now()) {
        const r = await fetchHttp({ host, port: this.opts.httpPort, name, timeoutMs: this.opts.timeoutMs, sink, conditional, agent: this.agent });
        if (r.kind !== 'unavailable') this.httpFailures.delete(host);
        if (r.kind === 'ok') return { kind: 'ok', size: r.size, via: 'http', host };
        if (r.kind === 'not-modified') return { kind: 'not-modified', via: 'http', host };
        if (r.kind === 'missing') return { kind: 'missing', host };
        if (r.kind === 'failed') return { kind: 'failed', error: `${host} HTTP: ${r.error}` };
        // A refused connection means no HTTP service; a timeout may be a moment's overload.
        const failures = (this.httpFailures.get(host) ?? 0) + 1;
        this.httpFailures.set(host, failures);
        if (/ECONNREFUSED/.test(r.error) || failures >= HTTP_FAILURES_BEFORE_RETRY) {
          this.httpDownUntil.set(host, Date.now() + HTTP_RETRY_MS);
          this.httpFailures.delete(host);
        }
        errors.push(`${host} HTTP: ${r.error}`);
      }
      const r = await this.fetchOverTftp(host, name, sink, conditional);
      if (r.kind !== 'unreachable') return r;
      errors.push(r.error);
    }
    return { kind: 'unreachable', error: errors.join('; ') || 'no CUCM configured' };
  }

  /**
   * Asks each member's TFTP for a small file's size with Outpost's usual options and ends the
   * transfer after the OACK: whether it answers windowsize tells, before the first phone boots,
   * which members get large blocks. A member without the file or without TFTP teaches nothing.
   */
  async learnTftp(name: string): Promise<void> {
    const timeoutMs = Math.max(100, Math.ceil(this.opts.timeoutMs / 3));
    await Promise.all(this.opts.hosts.map(async (host) => {
      const r = await fetchTftp({ host, port: this.opts.tftpPort, filename: name, blksize: SAFE_BLKSIZE, windowsize: UPSTREAM_WINDOW, tsize: true, sizeOnly: true, timeoutMs, retries: 2, onData: () => undefined });
      if (r.ok) this.learnFrom(host, r.negotiated);
    }));
  }

  /** The TFTP window the next transfer from this member asks for. */
  windowFor(host: string): number {
    return this.windows.get(host) ?? UPSTREAM_WINDOW;
  }

  /** Whether this member's TFTP has shown itself lockstep-only. */
  isLockstep(host: string): boolean {
    return this.lockstep.has(host);
  }

  /** Closes the kept-open HTTP connections. */
  close(): void {
    this.agent.destroy();
  }

  private async fetchOverTftp(host: string, name: string, sink: UpstreamSink, conditional?: Conditional): Promise<FetchResult> {
    const timeoutMs = Math.max(100, Math.ceil(this.opts.timeoutMs / 3));
    if (conditional && conditional.size > TFTP_SIZE_CHECK_ABOVE) {
      const probe = await fetchTftp({ host, port: this.opts.tftpPort, filename: name, blksize: SAFE_BLKSIZE, tsize: true, sizeOnly: true, timeoutMs, retries: 2, onData: () => undefined });
      if (probe.ok && probe.size === conditional.size) return { kind: 'not-modified', via: 'tftp', host };
      if (!probe.ok && probe.code === 1) return { kind: 'missing', host };
      if (!probe.ok && probe.code === undefined) return { kind: 'unreachable', error: `${host} TFTP: ${probe.error}` };
    }
    // The sink hears start() once, even when a large-block attempt is retried with small blocks.
    let started = false;
    let received = 0;
    const attempt = (blksize: number, windowsize?: number) => fetchTftp({
      host, port: this.opts.tftpPort, filename: name, blksize, windowsize, tsize: true, timeoutMs, retries: 2,
      onStart: (size) => { if (!started) { started = true; sink.start(size, {}); } },
      onData: (chunk) => { received += chunk.length; sink.data(chunk); },
    });
    const large = this.opts.lockstepBlksize ?? SAFE_BLKSIZE;
    const tryLarge = large > SAFE_BLKSIZE && this.lockstep.has(host) && (this.largeBlocksLostUntil.get(host) ?? 0) < Date.now();
    const window = this.windowFor(host);
    let r = tryLarge ? await attempt(large) : await attempt(SAFE_BLKSIZE, window);
    if (tryLarge && !r.ok && r.code === undefined && started && received === 0) {
      // The OACK came but no block did: large datagrams (IP fragments) are lost on this path.
      this.largeBlocksLostUntil.set(host, Date.now() + LARGE_BLOCKS_RETRY_MS);
      r = await attempt(SAFE_BLKSIZE, window);
    }
    if (!tryLarge) this.learnWindow(host, window, r, started);
    if (r.ok) {
      this.learnFrom(host, r.negotiated);
      return { kind: 'ok', size: r.size, via: 'tftp', host, blksize: r.negotiated.blksize, windowsize: r.negotiated.windowsize };
    }
    if (r.code === 1) return { kind: 'missing', host };
    return started || r.code !== undefined ? { kind: 'failed', error: `${host} TFTP: ${r.error}` } : { kind: 'unreachable', error: `${host} TFTP: ${r.error}` };
  }

  /** The window asked next time, from how a windowed transfer of `window` went. */
  private learnWindow(host: string, window: number, r: FetchTftpResult, started: boolean): void {
    // A block recovered, or the transfer went silent half-way: the window was too much for the path.
    const lossy = r.ok ? r.negotiated.windowsize > 1 && r.recoveries > 0 : started && r.code === undefined;
    // Grown only by a clean transfer that ran at the full window and filled it at least twice.
    const clean = r.ok && r.negotiated.windowsize === window && r.recoveries === 0 && r.size >= 2 * window * r.negotiated.blksize;
    if (lossy) this.windows.set(host, Math.max(MIN_WINDOW, Math.floor(window / 2)));
    else if (clean) this.windows.set(host, Math.min(MAX_WINDOW, window * 2));
  }

  private learnFrom(host: string, negotiated: Negotiated): void {
    if (negotiated.windowsize > 1) this.lockstep.delete(host);
    else if (negotiated.optionsAccepted) this.lockstep.add(host);
  }
}
