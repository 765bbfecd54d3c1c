// Outpost's TFTP server and client against real, independent TFTP implementations on
// loopback: tftp-hpa, atftp, curl and busybox as clients; tftpd-hpa as the upstream server.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TftpServer, type FileSource, type TransferEndEvent } from '../../src/files/tftp/server.js';
import { fetchTftp } from '../../src/files/tftp/client.js';
import { TransferThreads } from '../../src/files/tftp/transfer-threads.js';

const HOST = '127.0.0.1';

function pattern(size: number, salt: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (Math.imul(i + salt, 2654435761) >>> 24) & 0xff;
  return b;
}

const FILES: Record<string, Buffer> = {
  'SEP001122334455.cnf.xml': Buffer.from('<device>\n  <loadInformation>sip88xx.14-2-1-0101-20</loadInformation>\n</device>\n'.repeat(20)),
  'load-1mb.bin': pattern(1024 * 1024, 1),
  'load-3mb.bin': pattern(3 * 1024 * 1024 + 777, 2),
  'exact-512.bin': pattern(512 * 4, 3),
  // Mixed line ends and bare CRs: netascii must carry each of them through unchanged.
  'dialplan.txt': Buffer.from('line one\nline two\r\nbare\rcr\n\n\rend'),
};
const ROLLOVER_SIZE = 65_536 * 512 + 40_000; // more than 65535 blocks of 512 bytes

/** A source whose bytes appear over time, like a file the cache is still fetching upstream. */
function streamingSource(data: Buffer, step: number, everyMs: number): FileSource {
  let available = 0;
  const waiters: Array<() => void> = [];
  const timer = setInterval(() => {
    available = Math.min(data.length, available + step);
    for (const w of waiters.splice(0)) w();
    if (available === data.length) clearInterval(timer);
  }, everyMs);
  return {
    size: undefined,
    async read(offset, length) {
      while (available < Math.min(offset + length, data.length)) await new Promise<void>((r) => waiters.push(r));
      return data.subarray(offset, Math.min(offset + length, data.length));
    },
  };
}

function memorySource(data: Buffer): FileSource {
  return { size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) };
}

interface Run { code: number | null; out: string }

/**
 * Waits (bounded) until `ready` holds: a transfer ends when the server hears the final ACK,
 * which the client sends just before it exits, so its end event may trail the client a little.
 */
async function settled(ready: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

/** Async on purpose: our server runs in this process and must keep answering. */
function run(cmd: string, args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 30_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, HOST, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

let work: string;
let server: TftpServer;
/** The same server with native transfer threads, serving files in memory. */
let threaded: TftpServer;
let threadedPort: number;
const threadedEnds: TransferEndEvent[] = [];
let port: number;
const opened: string[] = [];
const ended: TransferEndEvent[] = [];
let rollover: Buffer;
let tftpd: ChildProcess | undefined;
let tftpdPort: number;
let tftpdDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'outpost-tftp-'));
  rollover = pattern(ROLLOVER_SIZE, 9);
  server = new TftpServer({
    address: HOST,
    port: 0,
    open: async (filename) => {
      opened.push(filename);
      if (filename === 'rollover.bin') return { ok: true, source: memorySource(rollover) };
      if (filename === 'slow.bin') return { ok: true, source: streamingSource(FILES['load-1mb.bin'], 64 * 1024, 25) };
      const data = FILES[filename];
      if (!data) return { ok: false, code: 1, message: 'File not found' };
      return { ok: true, source: memorySource(data) };
    },
  });
  server.on('transfer-end', (e) => ended.push(e));
  port = (await server.listen()).port;

  const threads = TransferThreads.open();
  if (!threads) throw new Error('the native addon is not built: run `npm run install`');
  const inMemory: Record<string, Buffer> = { ...FILES, 'rollover.bin': rollover };
  threaded = new TftpServer({
    address: HOST, port: 0, threads,
    open: async (filename) => (inMemory[filename] ? { ok: true, source: { ...memorySource(inMemory[filename]), bytes: inMemory[filename] } } : { ok: false, code: 1, message: 'File not found' }),
  });
  threaded.on('transfer-end', (e) => threadedEnds.push(e));
  threadedPort = (await threaded.listen()).port;

  // tftpd-hpa as the upstream: it serves world-readable files only.
  tftpdDir = join(work, 'upstream');
  mkdirSync(tftpdDir, { mode: 0o755 });
  chmodSync(work, 0o755);
  for (const [name, data] of Object.entries(FILES)) {
    writeFileSync(join(tftpdDir, name), data);
    chmodSync(join(tftpdDir, name), 0o644);
  }
  tftpdPort = await freeUdpPort();
  tftpd = spawn('in.tftpd', ['-L', '-s', '-a', `${HOST}:${tftpdPort}`, tftpdDir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
});

afterAll(async () => {
  if (tftpd?.pid) process.kill(tftpd.pid, 'SIGTERM');
  await server?.close();
  await threaded?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const SIZED = ['SEP001122334455.cnf.xml', 'load-1mb.bin', 'load-3mb.bin'];

/** The real clients, each as a command line fetching `file` from Outpost on `port` into `out`. */
const clientsOn = (port: () => number): Record<string, (file: string, out: string) => [string, string[]]> => ({
  'tftp-hpa (512)': (file, out) => ['tftp', ['-m', 'binary', HOST, String(port()), '-c', 'get', file, out]],
  'atftp (blksize 1428, windowsize 16)': (file, out) => ['atftp', ['--option', 'blksize 1428', '--option', 'windowsize 16', '--get', '-r', file, '-l', out, HOST, String(port())]],
  'curl (blksize 1428)': (file, out) => ['curl', ['-s', '--tftp-blksize', '1428', '-o', out, `tftp://${HOST}:${port()}/${file}`]],
  'busybox tftp (blksize 1428)': (file, out) => ['busybox', ['tftp', '-b', '1428', '-g', '-r', file, '-l', out, HOST, String(port())]],
});

describe('Outpost TFTP server with real clients', () => {
  for (const [label, command] of Object.entries(clientsOn(() => port))) {
    for (const file of [...SIZED, 'exact-512.bin']) {
      it(`${label} gets ${file} byte-identical`, async () => {
        const out = join(work, `${label.split(' ')[0]}-${file}`);
        const [cmd, args] = command(file, out);
        const r = await run(cmd, args, work);
        expect(r.code, r.out).toBe(0);
        expect(readFileSync(out).equals(FILES[file])).toBe(true);
      });
    }
  }

  it('serves a load past 65535 blocks (block number rollover) to tftp-hpa', async () => {
    const out = join(work, 'rollover-hpa.bin');
    const r = await run('tftp', ['-m', 'binary', HOST, String(port), '-c', 'get', 'rollover.bin', out], work);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(out).equals(rollover)).toBe(true);
    await settled(() => ended.some((e) => e.filename === 'rollover.bin'));
    const end = ended.find((e) => e.filename === 'rollover.bin');
    expect(end?.outcome).toBe('complete');
    expect(end?.blocks).toBeGreaterThan(65535);
  });

  it('serves netascii to tftp-hpa -m ascii (round trip to the same text)', async () => {
    const out = join(work, 'dialplan-ascii.txt');
    const r = await run('tftp', ['-m', 'ascii', HOST, String(port), '-c', 'get', 'dialplan.txt', out], work);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(out).equals(FILES['dialplan.txt'])).toBe(true);
  });

  it('refuses a write request with an access violation', async () => {
    const local = join(work, 'upload.txt');
    writeFileSync(local, 'should never arrive');
    const r = await run('tftp', ['-m', 'binary', HOST, String(port), '-c', 'put', local, 'upload.txt'], work);
    expect(r.out).toMatch(/Error code 2/);
    expect(opened).not.toContain('upload.txt');
  });

  for (const name of ['../etc/passwd', '/etc/passwd', 'loads/../../etc/shadow', '..\\..\\windows\\win.ini']) {
    it(`refuses traversal name ${name} before looking it up`, async () => {
      const r = await run('tftp', ['-m', 'binary', HOST, String(port), '-c', 'get', name, join(work, 'traversal.out')], work);
      expect(r.out).toMatch(/Error code 2/);
      expect(opened).not.toContain(name);
    });
  }

  it('answers a missing file with error 1', async () => {
    const r = await run('tftp', ['-m', 'binary', HOST, String(port), '-c', 'get', 'CTLSEP001122334455.tlv', join(work, 'ctl.out')], work);
    expect(r.out).toMatch(/Error code 1/);
  });

  it('streams a file whose bytes arrive slowly to tftp-hpa and atftp', async () => {
    const a = join(work, 'slow-hpa.bin');
    const b = join(work, 'slow-atftp.bin');
    const [ra, rb] = await Promise.all([
      run('tftp', ['-m', 'binary', HOST, String(port), '-c', 'get', 'slow.bin', a], work),
      run('atftp', ['--option', 'blksize 1428', '--option', 'windowsize 16', '--get', '-r', 'slow.bin', '-l', b, HOST, String(port)], work),
    ]);
    expect(ra.code, ra.out).toBe(0);
    expect(rb.code, rb.out).toBe(0);
    expect(readFileSync(a).equals(FILES['load-1mb.bin'])).toBe(true);
    expect(readFileSync(b).equals(FILES['load-1mb.bin'])).toBe(true);
  });

  it('reports transfer-end events with bytes and outcome', async () => {
    await settled(() => ended.filter((e) => e.filename === 'load-3mb.bin').length >= 4);
    const done = ended.filter((e) => e.filename === 'load-3mb.bin');
    expect(done.length).toBeGreaterThanOrEqual(4);
    for (const e of done) {
      expect(e.outcome).toBe('complete');
      expect(e.bytes).toBe(FILES['load-3mb.bin'].length);
    }
  });
});

describe('Outpost TFTP server on transfer threads with real clients', () => {
  for (const [label, command] of Object.entries(clientsOn(() => threadedPort))) {
    it(`${label} gets every file byte-identical from a transfer thread`, async () => {
      for (const file of [...SIZED, 'exact-512.bin']) {
        const out = join(work, `threaded-${label.split(' ')[0]}-${file}`);
        const [cmd, args] = command(file, out);
        const r = await run(cmd, args, work);
        expect(r.code, r.out).toBe(0);
        expect(readFileSync(out).equals(FILES[file])).toBe(true);
      }
    });
  }

  it('serves netascii from a thread (round trip to the same text)', async () => {
    const out = join(work, 'threaded-dialplan.txt');
    const r = await run('tftp', ['-m', 'ascii', HOST, String(threadedPort), '-c', 'get', 'dialplan.txt', out], work);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(out).equals(FILES['dialplan.txt'])).toBe(true);
  });

  it('serves a load past 65535 blocks (block number rollover) to tftp-hpa from a thread', async () => {
    const out = join(work, 'threaded-rollover-hpa.bin');
    const r = await run('tftp', ['-m', 'binary', HOST, String(threadedPort), '-c', 'get', 'rollover.bin', out], work);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(out).equals(rollover)).toBe(true);
    await settled(() => threadedEnds.some((e) => e.filename === 'rollover.bin'));
    expect(threadedEnds.find((e) => e.filename === 'rollover.bin')?.blocks).toBeGreaterThan(65535);
  });

  it('reports every transfer as complete, on a thread', async () => {
    await settled(() => threadedEnds.length >= 4 * (SIZED.length + 1) + 2);
    expect(threadedEnds.length).toBe(4 * (SIZED.length + 1) + 2);
    for (const e of threadedEnds) expect(e).toMatchObject({ outcome: 'complete', onThread: true });
  });
});

describe('Outpost TFTP client against tftpd-hpa', () => {
  for (const file of [...SIZED, 'exact-512.bin']) {
    it(`fetches ${file} with blksize 1428 + tsize (windowsize negotiated away)`, async () => {
      const r = await fetchTftp({ host: HOST, port: tftpdPort, filename: file, blksize: 1428, tsize: true, windowsize: 16, timeoutMs: 1000 });
      if (!r.ok) throw new Error(r.error);
      expect(r.data?.equals(FILES[file])).toBe(true);
      expect(r.size).toBe(FILES[file].length);
      expect(r.negotiated).toMatchObject({ blksize: 1428, windowsize: 1, tsize: FILES[file].length, optionsAccepted: true });
    });
  }

  it('fetches as a plain RFC 1350 client', async () => {
    const r = await fetchTftp({ host: HOST, port: tftpdPort, filename: 'load-1mb.bin' });
    if (!r.ok) throw new Error(r.error);
    expect(r.data?.equals(FILES['load-1mb.bin'])).toBe(true);
    expect(r.negotiated.blksize).toBe(512);
  });

  it('reports a missing file as code 1', async () => {
    const r = await fetchTftp({ host: HOST, port: tftpdPort, filename: 'CTLSEP001122334455.tlv', blksize: 1428, tsize: true });
    expect(r).toMatchObject({ ok: false, code: 1 });
  });

  it('streams through onData in order', async () => {
    const parts: Buffer[] = [];
    let expectedOffset = 0;
    const r = await fetchTftp({
      host: HOST, port: tftpdPort, filename: 'load-3mb.bin', blksize: 1428,
      onData: (chunk, offset) => {
        expect(offset).toBe(expectedOffset);
        expectedOffset += chunk.length;
        parts.push(Buffer.from(chunk));
      },
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.data).toBeUndefined();
    expect(Buffer.concat(parts).equals(FILES['load-3mb.bin'])).toBe(true);
  });
});

describe('Outpost TFTP client against Outpost TFTP server', () => {
  it('negotiates windowsize and fetches byte-identical data', async () => {
    const r = await fetchTftp({ host: HOST, port, filename: 'load-3mb.bin', blksize: 1428, windowsize: 16, tsize: true });
    if (!r.ok) throw new Error(r.error);
    expect(r.negotiated).toMatchObject({ blksize: 1428, windowsize: 16, tsize: FILES['load-3mb.bin'].length });
    expect(r.data?.equals(FILES['load-3mb.bin'])).toBe(true);
  });

  it('rolls block numbers over past 65535 in lockstep', async () => {
    const r = await fetchTftp({ host: HOST, port, filename: 'rollover.bin' });
    if (!r.ok) throw new Error(r.error);
    expect(r.size).toBe(ROLLOVER_SIZE);
    expect(r.data?.equals(rollover)).toBe(true);
  });

  it('receives a slowly arriving file, streaming', async () => {
    const r = await fetchTftp({ host: HOST, port, filename: 'slow.bin', blksize: 1428, windowsize: 8, tsize: true });
    if (!r.ok) throw new Error(r.error);
    expect(r.negotiated.tsize).toBeUndefined(); // size unknown while fetching: tsize left out
    expect(r.data?.equals(FILES['load-1mb.bin'])).toBe(true);
  });
});
