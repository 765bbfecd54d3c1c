// Large blocks toward a lockstep-only CUCM TFTP, and the way back to small ones when they are
// lost (IP fragments dropped between branch and CUCM). The CUCM here is a stand-in on loopback
// that answers every option but windowsize, and never delivers a block larger than 1428 bytes:
// what Outpost sees when a path drops fragments. The large blocks themselves are fetched from
// a real tftpd-hpa in test/lab/files-upstream.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTftp } from '../../../src/files/tftp/codec.js';
import { Upstream, type UpstreamSink } from '../../../src/files/upstream.js';
import { startTftpStandIn, STAND_IN_HOST as HOST, type StandIn } from './helpers/tftp-stand-in.js';

const FILE = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));

let cucm: StandIn;
let port: number;
const asked: number[] = [];

beforeAll(async () => {
  cucm = await startTftpStandIn((transfer) => {
    const blksize = Number(transfer.asked('blksize') ?? 512);
    asked.push(blksize);
    const block = (n: number) => {
      if (blksize > 1428) return; // lost on the way, like the fragments of a 16 KB datagram
      transfer.send(encodeTftp({ op: 'data', block: n, data: FILE.subarray((n - 1) * blksize, n * blksize) }));
    };
    transfer.onAck((n) => { if (n * blksize <= FILE.length) block(n + 1); });
    transfer.send(encodeTftp({ op: 'oack', options: [{ name: 'blksize', value: String(blksize) }, { name: 'tsize', value: String(FILE.length) }] }));
  });
  port = cucm.port;
});

afterAll(() => cucm.close());

function collect(): { sink: UpstreamSink; starts: number; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = {
    starts: 0,
    sink: { start: () => { out.starts++; }, data: (c: Buffer) => { chunks.push(Buffer.from(c)); } },
    bytes: () => Buffer.concat(chunks),
  };
  return out;
}

describe('upstream TFTP block size', () => {
  it('tries large blocks once CUCM proves lockstep-only, falls back to 1428 when none arrives, and remembers it', async () => {
    const upstream = new Upstream({ hosts: [HOST], tftpPort: port, httpPort: 0, timeoutMs: 600, lockstepBlksize: 16_384 });
    const first = collect();
    expect(await upstream.fetch('a.xml', first.sink)).toMatchObject({ kind: 'ok', blksize: 1428, windowsize: 1 });
    expect(first.bytes().equals(FILE)).toBe(true);

    const second = collect();
    expect(await upstream.fetch('b.loads', second.sink)).toMatchObject({ kind: 'ok', blksize: 1428 });
    expect(second.bytes().equals(FILE)).toBe(true);
    expect(second.starts).toBe(1);

    const third = collect();
    expect(await upstream.fetch('c.loads', third.sink)).toMatchObject({ kind: 'ok', blksize: 1428 });
    expect(asked).toEqual([1428, 16_384, 1428, 1428]);
    upstream.close();
  });
});
