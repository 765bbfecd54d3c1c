// Outpost's HTTP file service on port 6970, which modern phones try before TFTP: GET and HEAD
// of the same store under the same rules, Content-Length, and byte ranges for large loads.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRequestedName } from './tftp/filename.js';
import type { FileSource } from './tftp/block-reader.js';

export type HttpOpen = (name: string, client: { address: string }) => Promise<{ ok: true; source: FileSource } | { ok: false; message: string }>;

const CHUNK = 64 * 1024;

export class HttpFileServer {
  private server: Server | undefined;

  constructor(private readonly opts: { address: string; port: number; open: HttpOpen; onServed?: (bytes: number) => void }) {}

  listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(res, 405, 'read-only file service', { allow: 'GET, HEAD' });
    }
    let name: string;
    try {
      // The raw path, not a URL object's: that would quietly resolve `..` instead of refusing it.
      name = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
    } catch {
      return plain(res, 400, 'bad path');
    }
    const vetted = checkRequestedName(name);
    if (!name || !vetted.ok) return plain(res, 403, vetted.ok ? 'no file named' : vetted.error);
    const opened = await this.opts.open(name, { address: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '' });
    if (!opened.ok) return plain(res, 404, opened.message);
    const { source } = opened;
    const size = source.size;

    let start = 0;
    let end = size === undefined ? undefined : size; // exclusive
    let status = 200;
    const range = req.headers.range;
    if (range && size !== undefined) {
      const parsed = parseRange(range, size);
      if (parsed === 'unsatisfiable') return plain(res, 416, 'range not satisfiable', { 'content-range': `bytes */${size}` });
      if (parsed) {
        ({ start, end } = parsed);
        status = 206;
        res.setHeader('content-range', `bytes ${start}-${parsed.end - 1}/${size}`);
      }
    }
    res.statusCode = status;
    res.setHeader('content-type', contentType(name));
    res.setHeader('accept-ranges', size === undefined ? 'none' : 'bytes');
    if (end !== undefined) res.setHeader('content-length', end - start);
    if (req.method === 'HEAD') return void res.end();

    let sent = 0;
    for (let offset = start; end === undefined || offset < end;) {
      const want = end === undefined ? CHUNK : Math.min(CHUNK, end - offset);
      const chunk = await source.read(offset, want);
      if (chunk.length > 0 && !res.write(chunk)) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) return;
      offset += chunk.length;
      sent += chunk.length;
      if (chunk.length < want) break; // end of file
    }
    res.end();
    this.opts.onServed?.(sent);
  }
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; multiple ranges are answered whole (RFC 9110 allows it). */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function contentType(name: string): string {
  if (/\.xml$/i.test(name)) return 'text/xml';
  return 'application/octet-stream';
}

function plain(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(`${message}\n`);
}
