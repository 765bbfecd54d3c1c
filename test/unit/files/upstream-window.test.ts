// The TFTP window Outpost asks a CUCM for, learnt from its transfers: a clean transfer that
// filled its window twice doubles it, a transfer that lost a block halves it. The CUCM here is
// a stand-in on loopback with RFC 7440 that loses one block of the transfers it is told to;
// the growth against a real atftpd is in test/lab/files-upstream.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTftp } from '../../../src/files/tftp/codec.js';
import { Upstream } from '../../../src/files/upstream.js';
import { startTftpStandIn, STAND_IN_HOST as HOST, type StandIn } from './helpers/tftp-stand-in.js';

const BLKSIZE = 1428;
const FILE = Buffer.from(Array.from({ length: 100 * BLKSIZE + 7 }, (_, i) => (i * 7) % 253));

let cucm: StandIn;
let port: number;
const asked: number[] = [];
/** Transfers (by order of their request) that lose block 5 once. */
const lossy = new Set<number>();

beforeAll(async () => {
  cucm = await startTftpStandIn((transfer) => {
    const window = Number(transfer.asked('windowsize') ?? 1);
    const loses = lossy.has(asked.length);
    asked.push(window);
    const last = Math.floor(FILE.length / BLKSIZE) + 1;
    let lost = false;
    // RFC 7440: an ACK of block n is answered with the window that follows it.
    transfer.onAck((acked) => {
      for (let n = acked + 1; n <= Math.min(last, acked + window); n++) {
        if (loses && n === 5 && !lost) {
          lost = true;
          continue;
        }
        transfer.send(encodeTftp({ op: 'data', block: n, data: FILE.subarray((n - 1) * BLKSIZE, n * BLKSIZE) }));
      }
    });
    transfer.send(encodeTftp({ op: 'oack', options: [{ name: 'blksize', value: String(BLKSIZE) }, { name: 'windowsize', value: String(window) }, { name: 'tsize', value: String(FILE.length) }] }));
  });
  port = cucm.port;
});

afterAll(() => cucm.close());

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
