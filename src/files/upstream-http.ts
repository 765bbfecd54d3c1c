// Fetches a file from CUCM's HTTP file service on port 6970 (what modern phones use first),
// streaming it as it arrives, with conditional GETs to revalidate a cached copy.
import { request, type Agent } from 'node:http';
import type { Validators } from './cache.js';

export interface UpstreamSink {
  /** The upstream answered and the body follows; size when it announced one. */
  start(size: number | undefined, validators: Validators): void;
  data(chunk: Buffer): void;
}

export type HttpFetchResult =
  | { kind: 'ok'; size: number }
  | { kind: 'not-modified' }
  | { kind: 'missing' }
  /** Nothing was received; another route (TFTP) may be tried. */
  | { kind: 'unavailable'; error: string }
  /** The body broke off after it started: the fetch failed. */
  | { kind: 'failed'; error: string };

export function fetchHttp(opts: {
  host: string; port: number; name: string; timeoutMs: number; sink: UpstreamSink;
  conditional?: Validators; signal?: AbortSignal;
  /** Keeps connections open for the next file (default: one connection per fetch). */
  agent?: Agent;
}): Promise<HttpFetchResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    if (opts.conditional?.etag) headers['if-none-match'] = opts.conditional.etag;
    if (opts.conditional?.lastModified) headers['if-modified-since'] = opts.conditional.lastModified;
    let started = false;
    let received = 0;
    const done = (r: HttpFetchResult) => { resolve(r); };
    const req = request({
      host: opts.host, port: opts.port, method: 'GET', path: `/${encodeURIComponent(opts.name)}`, headers,
      timeout: opts.timeoutMs, signal: opts.signal, agent: opts.agent ?? false,
    }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) { res.resume(); return done({ kind: 'not-modified' }); }
      if (status === 404) { res.resume(); return done({ kind: 'missing' }); }
      if (status !== 200) { res.resume(); return done({ kind: 'unavailable', error: `HTTP ${status}` }); }
      const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      started = true;
      try {
        opts.sink.start(Number.isSafeInteger(length) ? length : undefined, {
          etag: header(res.headers.etag), lastModified: header(res.headers['last-modified']),
        });
      } catch (e) {
        req.destroy();
        return done({ kind: 'failed', error: String(e) });
      }
      res.on('data', (chunk: Buffer) => { received += chunk.length; opts.sink.data(chunk); });
      res.on('end', () => {
        if (length !== undefined && received !== length) done({ kind: 'failed', error: `body ended after ${received} of ${length} bytes` });
        else done({ kind: 'ok', size: received });
      });
      res.on('error', (e) => done({ kind: 'failed', error: e.message }));
      res.on('aborted', () => done({ kind: 'failed', error: 'connection closed mid-body' }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (e) => done(started ? { kind: 'failed', error: e.message } : { kind: 'unavailable', error: e.message }));
    req.end();
  });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
