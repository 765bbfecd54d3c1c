// Large blocks toward a lockstep-only CUCM TFTP, and the way back to small ones when they are
// lost (IP fragments dropped between branch and CUCM). The CUCM here is a stand-in on loopback
// that answers every option but windowsize, and never delivers a block larger than 1428 bytes:
// what Outpost sees when a path drops fragments. The large blocks themselves are fetched from
// a real tftpd-hpa in test/lab/files-upstream.test.ts.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTftp, encodeTftp } from '../../../src/files/tftp/codec.js';
import { Upstream, type UpstreamSink } from '../../../src/files/upstream.js';

const HOST = '127.0.0.1';
const FILE = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));

let server: Socket;
let port: number;
const asked: number[] = [];
const transfers: Socket[] = [];

beforeAll(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, rinfo) => {
    const rrq = decodeTftp(msg);
    if (!rrq.ok || rrq.value.op !== 'rrq') return;
    const blksize = Number(rrq.value.options.find((o) => o.name === 'blksize')?.value ?? 512);
    asked.push(blksize);
    // A new transfer ID per request, as every TFTP server answers.
    const tid = createSocket('udp4');
    transfers.push(tid);
    tid.bind(0, HOST, () => {
      const send = (b: Buffer) => tid.send(b, rinfo.port, rinfo.address);
      const block = (n: number) => {
        if (blksize > 1428) return; // lost on the way, like the fragments of a 16 KB datagram
        send(encodeTftp({ op: 'data', block: n, data: FILE.subarray((n - 1) * blksize, n * blksize) }));
      };
      tid.on('message', (m) => {
        const ack = decodeTftp(m);
        if (ack.ok && ack.value.op === 'ack' && (ack.value.block) * blksize <= FILE.length) block(ack.value.block + 1);
      });
      send(encodeTftp({ op: 'oack', options: [{ name: 'blksize', value: String(blksize) }, { name: 'tsize', value: String(FILE.length) }] }));
    });
  });
  await new Promise<void>((resolve) => server.bind(0, HOST, resolve));
  port = server.address().port;
});

afterAll(() => {
  server.close();
  for (const t of transfers) t.close();
});

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
