// The TFTP window Outpost asks a CUCM for, learnt from its transfers: a clean transfer that
// filled its window twice doubles it, a transfer that lost a block halves it. The CUCM here is
// a stand-in on loopback with RFC 7440 that loses one block of the transfers it is told to;
// the growth against a real atftpd is in test/lab/files-upstream.test.ts.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTftp, encodeTftp } from '../../../src/files/tftp/codec.js';
import { Upstream } from '../../../src/files/upstream.js';

const HOST = '127.0.0.1';
const BLKSIZE = 1428;
const FILE = Buffer.from(Array.from({ length: 100 * BLKSIZE + 7 }, (_, i) => (i * 7) % 253));

let server: Socket;
let port: number;
const asked: number[] = [];
/** Transfers (by order of their request) that lose block 5 once. */
const lossy = new Set<number>();
const transfers: Socket[] = [];

beforeAll(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, rinfo) => {
    const rrq = decodeTftp(msg);
    if (!rrq.ok || rrq.value.op !== 'rrq') return;
    const window = Number(rrq.value.options.find((o) => o.name === 'windowsize')?.value ?? 1);
    const loses = lossy.has(asked.length);
    asked.push(window);
    const last = Math.floor(FILE.length / BLKSIZE) + 1;
    let lost = false;
    const tid = createSocket('udp4');
    transfers.push(tid);
    tid.bind(0, HOST, () => {
      const send = (b: Buffer) => tid.send(b, rinfo.port, rinfo.address);
      // RFC 7440: an ACK of block n is answered with the window that follows it.
      tid.on('message', (m) => {
        const ack = decodeTftp(m);
        if (!ack.ok || ack.value.op !== 'ack') return;
        for (let n = ack.value.block + 1; n <= Math.min(last, ack.value.block + window); n++) {
          if (loses && n === 5 && !lost) {
            lost = true;
            continue;
          }
          send(encodeTftp({ op: 'data', block: n, data: FILE.subarray((n - 1) * BLKSIZE, n * BLKSIZE) }));
        }
      });
      send(encodeTftp({ op: 'oack', options: [{ name: 'blksize', value: String(BLKSIZE) }, { name: 'windowsize', value: String(window) }, { name: 'tsize', value: String(FILE.length) }] }));
    });
  });
  await new Promise<void>((resolve) => server.bind(0, HOST, resolve));
  port = server.address().port;
});

afterAll(() => {
  server.close();
  for (const t of transfers) t.close();
});

async function fetchFrom(upstream: Upstream): Promise<{ windowsize?: number; data: Buffer }> {
  const chunks: Buffer[] = [];
  const r = await upstream.fetch('load.loads', { start: () => undefined, data: (c) => { chunks.push(Buffer.from(c)); } });
  if (r.kind !== 'ok') throw new Error(`fetch failed: ${JSON.stringify(r)}`);
  return { windowsize: r.windowsize, data: Buffer.concat(chunks) };
}

describe('upstream TFTP window', () => {
  it('doubles after a clean transfer that filled it twice, and halves after one that lost a block, down to 8', async () => {
    lossy.add(1);
    lossy.add(2);
    lossy.add(3);
    lossy.add(4);
    const upstream = new Upstream({ hosts: [HOST], tftpPort: port, httpPort: 0, timeoutMs: 600 });
    for (let i = 0; i < 7; i++) {
      const got = await fetchFrom(upstream);
      expect(got.data.equals(FILE)).toBe(true);
      expect(got.windowsize).toBe(asked[i]);
    }
    // Clean 32 → 64; lossy 64 → 32, 32 → 16, 16 → 8, 8 stays 8; clean 8 → 16 → 32.
    expect(asked).toEqual([32, 64, 32, 16, 8, 8, 16]);
    expect(upstream.windowFor(HOST)).toBe(32);
    upstream.close();
  });
});
