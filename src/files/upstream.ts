// Where a cache miss comes from: each CUCM member in order, HTTP :6970 first and TFTP as the
// fallback (with blksize, tsize and a 16-block window where the server has RFC 7440: across a
// WAN every lockstep block costs a round trip). A member whose HTTP service refused is asked
// over TFTP only for a while, so a WAN round trip is not spent on a refused connection per file.
import type { Validators } from './cache.js';
import { fetchHttp, type UpstreamSink } from './upstream-http.js';
import { fetchTftp } from './tftp/client.js';

export type { UpstreamSink } from './upstream-http.js';

export interface UpstreamOptions {
  hosts: string[];
  tftpPort: number;
  /** 0: TFTP only. */
  httpPort: number;
  timeoutMs: number;
}

export type FetchResult =
  | { kind: 'ok'; size: number; via: 'http' | 'tftp'; host: string }
  | { kind: 'not-modified'; via: 'http' | 'tftp'; host: string }
  | { kind: 'missing'; host: string }
  | { kind: 'unreachable'; error: string }
  | { kind: 'failed'; error: string };

/** A cached copy to revalidate instead of fetching blindly. */
export interface Conditional extends Validators {
  size: number;
}

const HTTP_RETRY_MS = 60_000;
/** Larger cached files are revalidated over TFTP by size alone instead of a full download. */
const TFTP_SIZE_CHECK_ABOVE = 256 * 1024;

export class Upstream {
  private readonly httpDownUntil = new Map<string, number>();

  constructor(private readonly opts: UpstreamOptions) {}

  async fetch(name: string, sink: UpstreamSink, conditional?: Conditional): Promise<FetchResult> {
    const errors: string[] = [];
    for (const host of this.opts.hosts) {
      if (this.opts.httpPort > 0 && (this.httpDownUntil.get(host) ?? 0) < Date.now()) {
        const r = await fetchHttp({ host, port: this.opts.httpPort, name, timeoutMs: this.opts.timeoutMs, sink, conditional });
        if (r.kind === 'ok') return { kind: 'ok', size: r.size, via: 'http', host };
        if (r.kind === 'not-modified') return { kind: 'not-modified', via: 'http', host };
        if (r.kind === 'missing') return { kind: 'missing', host };
        if (r.kind === 'failed') return { kind: 'failed', error: `${host} HTTP: ${r.error}` };
        this.httpDownUntil.set(host, Date.now() + HTTP_RETRY_MS);
        errors.push(`${host} HTTP: ${r.error}`);
      }
      const r = await this.fetchOverTftp(host, name, sink, conditional);
      if (r.kind !== 'unreachable') return r;
      errors.push(r.error);
    }
    return { kind: 'unreachable', error: errors.join('; ') || 'no CUCM configured' };
  }

  private async fetchOverTftp(host: string, name: string, sink: UpstreamSink, conditional?: Conditional): Promise<FetchResult> {
    const timeoutMs = Math.max(100, Math.ceil(this.opts.timeoutMs / 3));
    if (conditional && conditional.size > TFTP_SIZE_CHECK_ABOVE) {
      const probe = await fetchTftp({ host, port: this.opts.tftpPort, filename: name, blksize: 1428, tsize: true, sizeOnly: true, timeoutMs, retries: 2, onData: () => undefined });
      if (probe.ok && probe.size === conditional.size) return { kind: 'not-modified', via: 'tftp', host };
      if (!probe.ok && probe.code === 1) return { kind: 'missing', host };
      if (!probe.ok && probe.code === undefined) return { kind: 'unreachable', error: `${host} TFTP: ${probe.error}` };
    }
    let started = false;
    const r = await fetchTftp({
      host, port: this.opts.tftpPort, filename: name, blksize: 1428, windowsize: 16, tsize: true, timeoutMs, retries: 2,
      onStart: (size) => { started = true; sink.start(size, {}); },
      onData: (chunk) => sink.data(chunk),
    });
    if (r.ok) return { kind: 'ok', size: r.size, via: 'tftp', host };
    if (r.code === 1) return { kind: 'missing', host };
    return started || r.code !== undefined ? { kind: 'failed', error: `${host} TFTP: ${r.error}` } : { kind: 'unreachable', error: `${host} TFTP: ${r.error}` };
  }
}
