// The read-through cache against real upstreams on loopback: tftpd-hpa and atftpd over TFTP,
// busybox httpd as CUCM's HTTP :6970 (ETag, 304). Covers the route choice, revalidation,
// the not-found memory and one fetch for many concurrent askers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_CACHE_MIGRATIONS, FileCache } from '../../src/files/cache.js';
import { createFilesMetrics } from '../../src/files/metrics.js';
import { NegativeCache } from '../../src/files/negative-cache.js';
import { ReadThrough, type Lookup } from '../../src/files/read-through.js';
import { Upstream } from '../../src/files/upstream.js';
import { WanState } from '../../src/core/wan-state.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { FileService } from '../../src/files/file-service.js';
import { Inventory, INVENTORY_MIGRATIONS } from '../../src/core/inventory.js';

const HOST = '127.0.0.1';
const ATFTPD = '/opt/outpost-test/atftpd/usr/sbin/atftpd';

function pattern(size: number, salt: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (Math.imul(i + salt, 2654435761) >>> 24) & 0xff;
  return b;
}
const sha = (b: Buffer | undefined) => (b ? createHash('sha256').update(b).digest('hex') : 'none');

function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  return new Promise((resolve) => {
    if (kind === 'udp') {
      const s = createSocket('udp4');
      s.bind(0, HOST, () => { const p = s.address().port; s.close(() => resolve(p)); });
    } else {
      const s = createServer();
      s.listen(0, HOST, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    }
  });
}

async function waitForTftp(port: number, file: string): Promise<void> {
  const { fetchTftp } = await import('../../src/files/tftp/client.js');
  for (let i = 0; i < 50; i++) {
    const r = await fetchTftp({ host: HOST, port, filename: file, timeoutMs: 200, retries: 0 });
    if (r.ok) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`TFTP server on ${port} did not answer`);
}

let work: string;
let root: string;
const daemons: ChildProcess[] = [];
let tftpdPort: number;
let atftpdPort: number;
let httpPort: number;
let closedHttpPort: number;
const dbs: Db[] = [];
const caches: FileCache[] = [];

function readThrough(opts: { tftpPort: number; httpPort: number; revalidateAfterMs?: number }) {
  const dir = mkdtempSync(join(work, 'cache-'));
  const db = openDatabase(dir, [...FILE_CACHE_MIGRATIONS, ...INVENTORY_MIGRATIONS]);
  dbs.push(db);
  const metrics = createFilesMetrics();
  const wan = new WanState();
  const cache = new FileCache(db, dir, { diskBudgetBytes: 1 << 30 });
  caches.push(cache);
  const rt = new ReadThrough({
    cache,
    upstream: new Upstream({ hosts: [HOST], tftpPort: opts.tftpPort, httpPort: opts.httpPort, timeoutMs: 1500 }),
    negative: new NegativeCache(30_000), wan, metrics, log: pino({ level: 'silent' }),
    revalidateAfterMs: opts.revalidateAfterMs ?? 60_000,
  });
  const fetches = async () => (await metrics.upstreamFetches.get()).values[0]?.value ?? 0;
  return { rt, fetches, wan, db, metrics };
}
const bytes = async (l: Lookup) => (l.kind === 'file' ? l.whole() : undefined);
const put = (name: string, data: Buffer | string) => writeFileSync(join(root, name), data, { mode: 0o666 });

beforeAll(async () => {
  if (!existsSync(ATFTPD)) throw new Error(`atftpd not unpacked at ${ATFTPD}: run \`sudo bash scripts/install-test-deps.sh\``);
  work = mkdtempSync(join(tmpdir(), 'outpost-upstream-'));
  chmodSync(work, 0o755);
  root = join(work, 'root');
  mkdirSync(root);
  chmodSync(root, 0o777); // atftpd insists on a world-writable root (it never gets a write here)
  put('load-2mb.loads', pattern(2 * 1024 * 1024 + 5, 1));
  put('dialplan.xml', '<DIALTEMPLATE><TEMPLATE MATCH="1..." Timeout="0"/></DIALTEMPLATE>\n');
  [tftpdPort, atftpdPort, httpPort, closedHttpPort] = await Promise.all([freePort('udp'), freePort('udp'), freePort('tcp'), freePort('tcp')]);
  daemons.push(spawn('in.tftpd', ['-L', '-s', '-a', `${HOST}:${tftpdPort}`, root], { stdio: 'ignore' }));
  daemons.push(spawn(ATFTPD, ['--daemon', '--no-fork', '--user', 'root', '--group', 'root', '--port', String(atftpdPort), '--bind-address', HOST, '--logfile', '/dev/null', root], { stdio: 'ignore' }));
  daemons.push(spawn('busybox', ['httpd', '-f', '-p', `${HOST}:${httpPort}`, '-h', root], { stdio: 'ignore' }));
  await Promise.all([waitForTftp(tftpdPort, 'dialplan.xml'), waitForTftp(atftpdPort, 'dialplan.xml')]);
}, 30_000);

afterAll(() => {
  for (const d of daemons) d.kill('SIGKILL');
  // Each cache writes its pending serve times (a timer's work) before its database closes.
  for (const cache of caches) cache.close();
  for (const db of dbs) db.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('read-through from real upstreams', () => {
  it.each([['tftpd-hpa', () => tftpdPort], ['atftpd (windowsize)', () => atftpdPort]])('over TFTP from %s when HTTP :6970 is refused', async (_n, port) => {
    const { rt } = readThrough({ tftpPort: port(), httpPort: closedHttpPort });
    const l = await rt.lookup('load-2mb.loads');
    expect(l.kind === 'file' && l.from).toBe('upstream');
    expect(sha(await bytes(l))).toBe(sha(pattern(2 * 1024 * 1024 + 5, 1)));
    const again = await rt.lookup('LOAD-2MB.loads');
    expect(again.kind === 'file' && again.from).toBe('cache');
  });

  it('asks HTTP first, then revalidates with a conditional GET (304 keeps the copy, a change is fetched)', async () => {
    const { rt, fetches } = readThrough({ tftpPort: closedHttpPort, httpPort, revalidateAfterMs: 0 });
    put('softkeys.xml', '<softKeyCfg>one</softKeyCfg>');
    expect((await bytes(await rt.lookup('softkeys.xml')))?.toString()).toBe('<softKeyCfg>one</softKeyCfg>');
    const second = await rt.lookup('softkeys.xml');
    expect(second.kind === 'file' && second.from).toBe('cache');
    expect(await fetches()).toBe(2);
    await new Promise((r) => setTimeout(r, 1100)); // busybox's ETag includes the mtime in seconds
    put('softkeys.xml', '<softKeyCfg>two, longer</softKeyCfg>');
    const third = await rt.lookup('softkeys.xml');
    expect(third.kind === 'file' && third.from).toBe('upstream');
    expect((await bytes(third))?.toString()).toBe('<softKeyCfg>two, longer</softKeyCfg>');
  });

  it('asks a lockstep-only CUCM (tftpd-hpa) for 16 KB blocks once it knows, and a windowed one (atftpd) for a window of 1428-byte blocks that grows while nothing is lost', async () => {
    const fetchInto = async (upstream: Upstream, name: string) => {
      const chunks: Buffer[] = [];
      const r = await upstream.fetch(name, { start: () => undefined, data: (c) => { chunks.push(Buffer.from(c)); } });
      return { r, data: Buffer.concat(chunks) };
    };
    const lockstep = new Upstream({ hosts: [HOST], tftpPort: tftpdPort, httpPort: 0, timeoutMs: 1500, lockstepBlksize: 16_384 });
    expect((await fetchInto(lockstep, 'dialplan.xml')).r).toMatchObject({ kind: 'ok', via: 'tftp', blksize: 1428, windowsize: 1 });
    const load = await fetchInto(lockstep, 'load-2mb.loads');
    expect(load.r).toMatchObject({ kind: 'ok', via: 'tftp', blksize: 16_384, windowsize: 1 });
    expect(sha(load.data)).toBe(sha(pattern(2 * 1024 * 1024 + 5, 1)));
    // Learnt before any fetch, from one OACK (the transfer ends there).
    const learnt = new Upstream({ hosts: [HOST], tftpPort: tftpdPort, httpPort: 0, timeoutMs: 1500, lockstepBlksize: 16_384 });
    await learnt.learnTftp('dialplan.xml');
    expect(learnt.isLockstep(HOST)).toBe(true);
    expect((await fetchInto(learnt, 'load-2mb.loads')).r).toMatchObject({ kind: 'ok', blksize: 16_384 });
    learnt.close();
    const windowed = new Upstream({ hosts: [HOST], tftpPort: atftpdPort, httpPort: 0, timeoutMs: 1500, lockstepBlksize: 16_384 });
    await windowed.learnTftp('dialplan.xml');
    expect(windowed.isLockstep(HOST)).toBe(false);
    await fetchInto(windowed, 'dialplan.xml');
    const windowedLoad = await fetchInto(windowed, 'load-2mb.loads');
    expect(windowedLoad.r).toMatchObject({ kind: 'ok', via: 'tftp', blksize: 1428, windowsize: 32 });
    expect(sha(windowedLoad.data)).toBe(sha(pattern(2 * 1024 * 1024 + 5, 1)));
    // Loopback loses nothing: each clean transfer doubles the window atftpd is asked for, up to 128.
    for (const window of [64, 128, 128]) {
      const again = await fetchInto(windowed, 'load-2mb.loads');
      expect(again.r).toMatchObject({ kind: 'ok', via: 'tftp', blksize: 1428, windowsize: window });
      expect(sha(again.data)).toBe(sha(pattern(2 * 1024 * 1024 + 5, 1)));
    }
    lockstep.close();
    windowed.close();
  });

  it('revalidates over TFTP: a large file by its size, a small one by its content', async () => {
    const { rt } = readThrough({ tftpPort: tftpdPort, httpPort: 0, revalidateAfterMs: 0 });
    put('big.loads', pattern(400_000, 2));
    put('small.xml', 'AAAA');
    await bytes(await rt.lookup('big.loads'));
    await bytes(await rt.lookup('small.xml'));
    const same = await rt.lookup('big.loads');
    expect(same.kind === 'file' && same.from).toBe('cache');
    put('big.loads', pattern(400_001, 3));
    put('small.xml', 'BBBB');
    expect(sha(await bytes(await rt.lookup('big.loads')))).toBe(sha(pattern(400_001, 3)));
    expect((await bytes(await rt.lookup('small.xml')))?.toString()).toBe('BBBB');
  });

  it('reads ahead: a phone\'s cnf.xml starts one fetch for each file it names, and the phone\'s own requests join them', async () => {
    put('SEP001122334455.cnf.xml', '<device><loadInformation>load-2mb</loadInformation><dialTemplate>dialplan.xml</dialTemplate></device>\n');
    const { rt, fetches, db, metrics } = readThrough({ tftpPort: atftpdPort, httpPort: 0 });
    const service = new FileService({
      readThrough: rt, inventory: new Inventory(db), metrics, log: pino({ level: 'silent' }), mode: 'passthrough', address: '10.20.0.1', sipPort: 5060, secureCluster: false,
    });
    const cnf = await service.open('SEP001122334455.cnf.xml', { address: '10.20.0.50' }, 'tftp');
    expect(cnf.ok).toBe(true);
    // The load, the dial plan and the ring list (which this CUCM does not have) are on their way.
    expect((await metrics.readAheads.get()).values[0]?.value).toBe(3);
    const load = await rt.lookup('load-2mb.loads');
    expect(sha(await bytes(load))).toBe(sha(pattern(2 * 1024 * 1024 + 5, 1)));
    expect((await bytes(await rt.lookup('dialplan.xml')))?.toString()).toContain('DIALTEMPLATE');
    expect(await fetches()).toBe(4);
    // The phone boots again: its files are fresh in the cache or known missing, so nothing is fetched.
    await service.open('SEP001122334455.cnf.xml', { address: '10.20.0.50' }, 'tftp');
    expect(await fetches()).toBe(4);
  });

  it('reads ahead on a booting phone\'s trust list (its ITL file and cnf.xml) and on a .sgn name (the unsigned file)', async () => {
    put('SEP00112233445A.cnf.xml', '<device><loadInformation>load-2mb</loadInformation></device>\n');
    put('SEP00112233445B.cnf.xml', '<device></device>\n');
    const { rt, fetches, db, metrics } = readThrough({ tftpPort: tftpdPort, httpPort: 0 });
    const service = new FileService({
      readThrough: rt, inventory: new Inventory(db), metrics, log: pino({ level: 'silent' }), mode: 'passthrough', address: '10.20.0.1', sipPort: 5060, secureCluster: false,
    });
    const ctl = await service.open('CTLSEP00112233445A.tlv', { address: '10.20.0.50' }, 'tftp');
    expect(ctl.ok).toBe(false); // a non-secure cluster: at once, without CUCM
    expect((await metrics.readAheads.get()).values[0]?.value).toBe(2);
    expect((await service.open('ITLSEP00112233445A.tlv', { address: '10.20.0.50' }, 'tftp')).ok).toBe(false); // this CUCM has none
    expect((await service.open('SEP00112233445A.cnf.xml', { address: '10.20.0.50' }, 'tftp')).ok).toBe(true);
    // Every fetch so far was a read-ahead (ITL, cnf.xml, then what the cnf.xml names): the phone's own requests joined them.
    const readAheads = async () => (await metrics.readAheads.get()).values[0]?.value ?? 0;
    expect(await fetches()).toBe(await readAheads());
    // A signed name: its unsigned file is asked for at the same time, not after CUCM says no.
    const [fetched, readAhead] = [await fetches(), await readAheads()];
    const signed = await service.open('SEP00112233445B.cnf.xml.sgn', { address: '10.20.0.51' }, 'tftp');
    expect(signed.ok && signed.name).toBe('SEP00112233445B.cnf.xml');
    expect([await fetches() - fetched, await readAheads() - readAhead]).toEqual([2, 1]);
  });

  it('remembers a file CUCM does not have, without asking again', async () => {
    const { rt, fetches } = readThrough({ tftpPort: tftpdPort, httpPort });
    expect((await rt.lookup('CTLFile.tlv')).kind).toBe('missing');
    expect((await rt.lookup('ctlfile.tlv')).kind).toBe('missing');
    expect(await fetches()).toBe(1);
  });

  it('twenty concurrent askers share one upstream fetch and all get the whole file', async () => {
    const { rt, fetches } = readThrough({ tftpPort: atftpdPort, httpPort: 0 });
    const all = await Promise.all(Array.from({ length: 20 }, () => rt.lookup('load-2mb.loads').then(bytes)));
    expect(new Set(all.map(sha))).toEqual(new Set([sha(pattern(2 * 1024 * 1024 + 5, 1))]));
    expect(await fetches()).toBe(1);
  });

  it('serves the cached copy as is in survival, and nothing else', async () => {
    const { rt, wan } = readThrough({ tftpPort: tftpdPort, httpPort: 0, revalidateAfterMs: 0 });
    await bytes(await rt.lookup('dialplan.xml'));
    wan.set('survival', 'test');
    const l = await rt.lookup('dialplan.xml');
    expect(l.kind === 'file' && l.from).toBe('cache');
    expect((await rt.lookup('load-2mb.loads')).kind).toBe('unavailable');
  });
});
