// Transfer behaviour of Outpost's TFTP server and client, driven packet by packet from
// hand-made peers on loopback: retransmission, duplicate ACKs, wrong TIDs, fallbacks.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTftp, encodeTftp, type TftpPacket } from '../../../src/files/tftp/codec.js';
import { TftpServer, type TftpServerOptions, type TransferEndEvent } from '../../../src/files/tftp/server.js';
import { fetchTftp } from '../../../src/files/tftp/client.js';
import { TransferThreads } from '../../../src/files/tftp/transfer-threads.js';

const HOST = '127.0.0.1';

/** A scripted TFTP peer: sends what the test says and queues what it receives. */
class RawPeer {
  readonly socket: Socket;
  private readonly queue: Array<{ pkt: TftpPacket; from: RemoteInfo }> = [];
  private wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg, from) => {
      const d = decodeTftp(msg);
      if (d.ok) this.queue.push({ pkt: d.value, from });
      this.wake?.();
    });
  }

  static async open(address = HOST): Promise<RawPeer> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, address, () => r()));
    return new RawPeer(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(pkt: TftpPacket, port: number, address = HOST): void {
    this.socket.send(encodeTftp(pkt), port, address);
  }

  /** Next packet, or undefined after `ms` of silence. */
  async next(ms = 2000): Promise<{ pkt: TftpPacket; from: RemoteInfo } | undefined> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => { clearTimeout(t); r(); };
      });
    }
    return this.queue.shift();
  }

  close(): void {
    this.socket.close();
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function data(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));
}

/** Both engines serve a file in memory: the event loop (ReadTransfer) and native threads. */
const threads = TransferThreads.open();
if (!threads) throw new Error('the native addon is not built: run `npm run install`');
const ENGINES = [['the event loop', undefined], ['a native thread', threads]] as const;

/** A file source; with `bytes` (the whole file in memory) when native threads are to serve it. */
function sourceOf(file: Buffer, engine: TransferThreads | undefined) {
  return { size: file.length, read: async (o: number, l: number) => file.subarray(o, o + l), ...(engine ? { bytes: file } : {}) };
}

async function startEngineServer(file: Buffer, extra: Partial<TftpServerOptions> = {}, engine?: TransferThreads) {
  const ends: TransferEndEvent[] = [];
  const server = new TftpServer({
    address: HOST,
    port: 0,
    open: async (name) => (name === 'f' ? { ok: true, source: sourceOf(file, engine) } : { ok: false, code: 1, message: 'File not found' }),
    threads: engine,
    ...extra,
  });
  server.on('transfer-end', (e) => ends.push(e));
  const { port } = await server.listen();
  cleanups.push(() => server.close());
  return { server, port, ends };
}

async function peer(address = HOST): Promise<RawPeer> {
  const p = await RawPeer.open(address);
  cleanups.push(() => p.close());
  return p;
}

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

for (const [engine, threads] of ENGINES) describe(`TFTP server transfers on ${engine}`, () => {
  const startServer = (file: Buffer, extra: Partial<TftpServerOptions> = {}) => startEngineServer(file, extra, threads);

  it('does not answer a duplicate ACK in lockstep (no sorcerer\'s apprentice)', async () => {
    const { port } = await startServer(data(2000), { timeoutMs: 5000 });
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    const first = await c.next();
    expect(first?.pkt).toMatchObject({ op: 'data', block: 1 });
    const tid = first!.from.port;
    c.send({ op: 'ack', block: 1 }, tid);
    c.send({ op: 'ack', block: 1 }, tid);
    c.send({ op: 'ack', block: 1 }, tid);
    expect((await c.next())?.pkt).toMatchObject({ op: 'data', block: 2 });
    expect(await c.next(300)).toBeUndefined();
  });

  it('retransmits with backoff and gives up after the retry limit', async () => {
    const { port, ends } = await startServer(data(2000), { timeoutMs: 50, retries: 3 });
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    const seen: TftpPacket[] = [];
    for (let p = await c.next(); p; p = await c.next(1500)) seen.push(p.pkt);
    expect(seen).toHaveLength(4);
    expect(seen.every((p) => p.op === 'data' && p.block === 1)).toBe(true);
    await waitFor(() => ends.length === 1);
    expect(ends[0]).toMatchObject({ outcome: 'timeout', retransmissions: 3 });
  });

  it('turns a stranger on the transfer port away (the socket is connected to the client) and carries on', async () => {
    const { port, ends } = await startServer(data(1000));
    const c = await peer();
    const stranger = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    const d1 = await c.next();
    const tid = d1!.from.port;
    stranger.send({ op: 'ack', block: 1 }, tid);
    expect(await stranger.next(200)).toBeUndefined();
    c.send({ op: 'ack', block: 1 }, tid);
    const d2 = await c.next();
    expect(d2?.pkt).toMatchObject({ op: 'data', block: 2 });
    c.send({ op: 'ack', block: 2 }, tid);
    await waitFor(() => ends.length === 1);
    expect(ends[0]).toMatchObject({ outcome: 'complete', bytes: 1000, blocks: 2, onThread: threads !== undefined });
  });

  it('says "busy" above the transfer cap and ignores a repeated RRQ from the same client', async () => {
    const { port, server } = await startServer(data(5000), { maxTransfers: 1, timeoutMs: 5000 });
    const a = await peer();
    const b = await peer();
    a.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    expect((await a.next())?.pkt).toMatchObject({ op: 'data', block: 1 });
    a.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    expect(await a.next(200)).toBeUndefined();
    expect(server.activeTransfers).toBe(1);
    b.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    expect((await b.next())?.pkt).toMatchObject({ op: 'error', code: 0 });
  });

  it('a request for another file from the same address and port replaces the unfinished transfer, without a word to that port', async () => {
    const files: Record<string, Buffer> = { f: data(5000), g: data(700) };
    const { port, ends } = await startServer(Buffer.alloc(0), {
      timeoutMs: 5000,
      open: async (name) => (files[name] ? { ok: true, source: sourceOf(files[name], threads) } : { ok: false, code: 1, message: 'File not found' }),
    });
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    const f1 = await c.next();
    expect(f1?.pkt).toMatchObject({ op: 'data', block: 1 });
    // The client has moved on (its last ACK for f was lost) and its port now asks for g.
    c.send({ op: 'rrq', filename: 'g', mode: 'octet', options: [] }, port);
    const g1 = await c.next();
    expect(g1?.pkt).toMatchObject({ op: 'data', block: 1 });
    expect(g1!.from.port).not.toBe(f1!.from.port);
    c.send({ op: 'ack', block: 1 }, g1!.from.port);
    const g2 = await c.next();
    expect(g2?.pkt).toMatchObject({ op: 'data', block: 2 });
    c.send({ op: 'ack', block: 2 }, g1!.from.port);
    await waitFor(() => ends.length === 2);
    // A native thread reports its end when it wakes up, so the two ends may come in either order.
    expect(ends.map((e) => [e.filename, e.outcome]).sort()).toEqual([['f', 'aborted'], ['g', 'complete']]);
    expect(await c.next(300)).toBeUndefined(); // f's transfer sent nothing more, no error either
  });

  it('restarts the window after an ACK inside it (RFC 7440)', async () => {
    const { port } = await startServer(data(512 * 10), { timeoutMs: 5000 });
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [{ name: 'windowsize', value: '4' }] }, port);
    const oack = await c.next();
    expect(oack?.pkt).toEqual({ op: 'oack', options: [{ name: 'windowsize', value: '4' }] });
    const tid = oack!.from.port;
    c.send({ op: 'ack', block: 0 }, tid);
    const window1 = [await c.next(), await c.next(), await c.next(), await c.next()].map((p) => (p?.pkt as { block: number }).block);
    expect(window1).toEqual([1, 2, 3, 4]);
    c.send({ op: 'ack', block: 2 }, tid); // blocks 3 and 4 "lost"
    const window2 = [await c.next(), await c.next(), await c.next(), await c.next()].map((p) => (p?.pkt as { block: number }).block);
    expect(window2).toEqual([3, 4, 5, 6]);
  });

  it('ends the transfer when the client refuses the OACK', async () => {
    const { port, ends } = await startServer(data(100));
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [{ name: 'blksize', value: '1024' }] }, port);
    const oack = await c.next();
    c.send({ op: 'error', code: 8, message: 'no thanks' }, oack!.from.port);
    await waitFor(() => ends.length === 1);
    expect(ends[0].outcome).toBe('client-error');
  });

  it('shrugs off hostile packets on the transfer port (short, oversized, unknown opcodes) and completes', async () => {
    const file = data(3000);
    const { port, ends } = await startServer(file, { timeoutMs: 5000 });
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    let got = await c.next();
    const tid = got!.from.port;
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.alloc(i % 100 === 0 ? 65_000 : random() % 600);
      for (let j = 0; j < junk.length; j++) junk[j] = random() & 0xff;
      if (junk.length >= 2 && (junk[1] === 4 || junk[1] === 5)) junk[1] = 9; // no ACK or ERROR by chance
      c.socket.send(junk, tid, HOST);
    }
    c.socket.send(Buffer.from([0, 4, 0]), tid, HOST); // a truncated ACK
    // The flood overflows the transfer socket's receive queue; the ACKs go once it has drained.
    await new Promise((r) => setTimeout(r, 500));
    const received: Buffer[] = [];
    for (let block = 1; got && got.pkt.op === 'data'; block++) {
      expect(got.pkt.block).toBe(block);
      received.push(got.pkt.data);
      c.send({ op: 'ack', block }, tid);
      got = received.reduce((n, b) => n + b.length, 0) < file.length || received.at(-1)!.length === 512 ? await c.next() : undefined;
    }
    expect(Buffer.concat(received).equals(file)).toBe(true);
    await waitFor(() => ends.length === 1);
    expect(ends[0]).toMatchObject({ outcome: 'complete', bytes: 3000 });
  });

  it('ends the transfer on an ERROR from the client, even one without its terminating NUL', async () => {
    const { port, ends } = await startServer(data(3000), { timeoutMs: 5000 });
    const c = await peer();
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    const first = await c.next();
    c.socket.send(Buffer.from('\x00\x05\x00\x03disk full'), first!.from.port, HOST);
    await waitFor(() => ends.length === 1);
    expect(ends[0]).toMatchObject({ outcome: 'client-error' });
    expect(ends[0].error).toMatch(/disk full/);
  });

  it('answers a malformed request with error 4 and stays up', async () => {
    const { port } = await startServer(data(10));
    const c = await peer();
    c.socket.send(Buffer.from('\x00\x01no-terminator'), port, HOST);
    expect((await c.next())?.pkt).toMatchObject({ op: 'error', code: 4 });
    c.send({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }, port);
    expect((await c.next())?.pkt).toMatchObject({ op: 'data', block: 1 });
  });
});

describe('TFTP client behaviour', () => {
  /** A hand-driven upstream: the test answers each request itself. */
  async function upstream() {
    const s = await peer();
    return s;
  }

  it('falls back to plain RFC 1350 after error 8', async () => {
    const s = await upstream();
    const fetching = fetchTftp({ host: HOST, port: s.port, filename: 'f', blksize: 1428, tsize: true, timeoutMs: 1000 });
    const rrq1 = await s.next();
    expect(rrq1?.pkt).toMatchObject({ op: 'rrq', options: [{ name: 'blksize' }, { name: 'tsize' }, { name: 'timeout', value: '1' }] });
    s.send({ op: 'error', code: 8, message: 'options refused' }, rrq1!.from.port);
    const rrq2 = await s.next();
    expect(rrq2?.pkt).toEqual({ op: 'rrq', filename: 'f', mode: 'octet', options: [] });
    const tid = await peer();
    tid.send({ op: 'data', block: 1, data: Buffer.from('hello') }, rrq2!.from.port);
    const r = await fetching;
    expect(r).toMatchObject({ ok: true, size: 5, negotiated: { blksize: 512, optionsAccepted: false } });
    if (r.ok) expect(r.data?.toString()).toBe('hello');
  });

  it('ignores data from a wrong source address', async () => {
    const s = await upstream();
    const spoofer = await peer('127.0.0.2');
    const fetching = fetchTftp({ host: HOST, port: s.port, filename: 'f', timeoutMs: 1000 });
    const rrq = await s.next();
    spoofer.send({ op: 'data', block: 1, data: Buffer.from('evil') }, rrq!.from.port);
    await new Promise((r) => setTimeout(r, 50));
    s.send({ op: 'data', block: 1, data: Buffer.from('good') }, rrq!.from.port);
    const r = await fetching;
    expect(r.ok && r.data?.toString()).toBe('good');
  });

  it('retransmits its last ACK when the next block does not come', async () => {
    const s = await upstream();
    const fetching = fetchTftp({ host: HOST, port: s.port, filename: 'f', timeoutMs: 100 });
    const rrq = await s.next();
    const client = rrq!.from.port;
    s.send({ op: 'data', block: 1, data: Buffer.alloc(512, 1) }, client);
    expect((await s.next())?.pkt).toEqual({ op: 'ack', block: 1 });
    expect((await s.next())?.pkt).toEqual({ op: 'ack', block: 1 }); // retransmitted after the timeout
    s.send({ op: 'data', block: 2, data: Buffer.alloc(3, 2) }, client);
    const r = await fetching;
    expect(r).toMatchObject({ ok: true, size: 515 });
  });

  it('gives up after its retries and reports a timeout', async () => {
    const s = await upstream();
    const r = await fetchTftp({ host: HOST, port: s.port, filename: 'f', timeoutMs: 30, retries: 2 });
    expect(r.ok).toBe(false);
    let rrqs = 0;
    while (await s.next(50)) rrqs++;
    expect(rrqs).toBe(3);
  });

  it('stops when aborted', async () => {
    const s = await upstream();
    const ac = new AbortController();
    const fetching = fetchTftp({ host: HOST, port: s.port, filename: 'f', timeoutMs: 1000, signal: ac.signal });
    await s.next();
    ac.abort();
    expect(await fetching).toEqual({ ok: false, error: 'aborted' });
  });

  for (const [engine, threads] of ENGINES) it(`fetches through a lossy window from the Outpost server on ${engine}`, async () => {
    const file = data(1428 * 40 + 3);
    const { port, ends } = await startEngineServer(file, { timeoutMs: 100 }, threads);
    // A relay that drops every 7th packet coming from the server.
    const relay = await peer();
    let clientPort: number | undefined;
    let serverTid: number | undefined;
    let count = 0;
    relay.socket.removeAllListeners('message');
    relay.socket.on('message', (msg, from) => {
      clientPort ??= from.port;
      if (from.port === clientPort) {
        relay.socket.send(msg, serverTid ?? port, HOST);
      } else {
        serverTid = from.port;
        if (++count % 7 === 0) return;
        relay.socket.send(msg, clientPort, HOST);
      }
    });
    const r = await fetchTftp({ host: HOST, port: relay.port, filename: 'f', blksize: 1428, windowsize: 8, timeoutMs: 200, retries: 10 });
    if (!r.ok) throw new Error(r.error);
    expect(r.data?.equals(file)).toBe(true);
    expect(r.negotiated.windowsize).toBe(8);
    await waitFor(() => ends.length === 1);
    expect(ends[0]).toMatchObject({ outcome: 'complete', blocks: 41 });
    expect(ends[0].retransmissions).toBeGreaterThan(0);
  });
});
