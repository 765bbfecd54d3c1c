// The files plane end to end in the lab: real phone-side clients (tftp-hpa, atftp, curl, busybox)
// fetch through Outpost, which reads through to tftpd-hpa in the CUCM namespace; the WAN is cut,
// the daemon is killed mid-fetch, and a kernel counter on the CUCM side counts the upstream requests.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost, LAB_API } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { repoPath } from '../../src/lab/repo-root.js';
import { sh } from '../../src/lab/netns.js';
import { rewriteConfig } from '../../src/files/cnf/rewrite.js';
import type { WanSnapshot } from '../../src/core/wan-state.js';
import type { Phone, JourneyEvent } from '../../src/core/inventory.js';
import { requireLabPrerequisites } from './prerequisites.js';

const OUTPOST = '10.20.0.1';
const BIG = 'sip88xx.14-2-1-0101-20.loads'; // a 20 MB "load"
const CRASH = 'crash-test.loads';
const MEDIUM = 'cmterm-88xx.sip.zz';

function pattern(size: number, salt: number): Buffer {
  const b = Buffer.allocUnsafe(size + 3);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE(Math.imul(i + salt, 2654435761) >>> 0, i);
  return b.subarray(0, size);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Counts TFTP read requests arriving in a namespace, in nftables: nothing can lag or miss one. */
function rrqCounter(netns: string): { read(): number; remove(): void } {
  const nft = (args: string[], input?: string) => sh('ip', ['netns', 'exec', netns, 'nft', ...args], input);
  nft(['-f', '-'], 'table inet rrq_witness { chain input { type filter hook input priority 0; udp dport 69 @th,64,16 1 counter; }; }');
  return {
    read: () => Number(/packets (\d+)/.exec(nft(['list', 'chain', 'inet', 'rrq_witness', 'input']))?.[1] ?? NaN),
    remove: () => { nft(['delete', 'table', 'inet', 'rrq_witness']); },
  };
}

describe('files plane: caching TFTP and HTTP :6970 against real clients and upstreams', () => {
  let lab: Lab;
  let outpost: LabOutpost;
  let ns: string;
  let out: string;
  const phone = () => lab.phones[0];
  const upstream = (name: string) => readFileSync(join(lab.cucm.tftpDir, name));
  const rewritten = (name: string) => Buffer.from(rewriteConfig(upstream(name).toString('latin1'), { mode: 'proxy', address: OUTPOST, sipPort: 5060 }), 'latin1');
  let n = 0;
  const local = () => join(out, `f${n++}`);
  const metric = async (name: string): Promise<number> => {
    const r = await execIn(lab.ns('app'), 'curl', ['-sf', `http://${LAB_API}/metrics`], { timeoutMs: 5000 });
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(r.stdout)?.[1] ?? 'NaN');
  };
  const waitWan = async (state: string, ms: number) => {
    const end = Date.now() + ms;
    let wan: WanSnapshot | undefined;
    while (Date.now() < end) {
      wan = await outpost.api<WanSnapshot>('/api/wan');
      if (wan?.state === state) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`WAN did not become ${state} (is ${wan?.state})`);
  };

  const clients: Record<string, (file: string, to: string) => [string, string[]]> = {
    'tftp-hpa': (f, to) => ['tftp', [OUTPOST, '-m', 'binary', '-c', 'get', f, to]],
    'atftp (blksize 1428, windowsize 16)': (f, to) => ['atftp', ['--option', 'blksize 1428', '--option', 'windowsize 16', '--get', '-r', f, '-l', to, OUTPOST]],
    'curl (blksize 1428)': (f, to) => ['curl', ['-s', '--tftp-blksize', '1428', '-o', to, `tftp://${OUTPOST}/${f}`]],
    'busybox tftp (blksize 1428)': (f, to) => ['busybox', ['tftp', '-b', '1428', '-g', '-r', f, '-l', to, OUTPOST]],
  };
  const get = async (client: string, file: string): Promise<Buffer | undefined> => {
    const to = local();
    const [cmd, args] = clients[client](file, to);
    await execIn(ns, cmd, args, { timeoutMs: 120_000 });
    return existsSync(to) && statSync(to).size > 0 ? readFileSync(to) : undefined;
  };

  beforeAll(async () => {
    requireLabPrerequisites();
    out = '';
    const extra = join(process.env.TMPDIR ?? '/tmp', `outpost-files-extra-${process.pid}`);
    mkdirSync(extra, { recursive: true });
    for (const f of ['dialplan.xml', 'softkeys.xml', 'Ringlist-wb.xml']) copyFileSync(repoPath('test', 'fixtures', 'config', 'sip', f), join(extra, f));
    copyFileSync(repoPath('test', 'fixtures', 'config', 'sccp', 'Ringlist.xml'), join(extra, 'Ringlist.xml'));
    writeFileSync(join(extra, BIG), pattern(20 * 1024 * 1024, 1));
    writeFileSync(join(extra, CRASH), pattern(20 * 1024 * 1024, 2));
    writeFileSync(join(extra, MEDIUM), pattern(300_000 + 17, 3));
    lab = await Lab.up({ phones: 1, tftpDir: extra, prefix: `files${process.pid % 100000}` });
    sh('rm', ['-rf', extra]);
    out = join(lab.workDir, 'client');
    mkdirSync(out);
    chmodSync(out, 0o777);
    ns = phone().ns;
    outpost = await startLabOutpost(lab);
    const script = join(lab.workDir, 'udhcpc.sh');
    writeFileSync(script, '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface";; esac\n');
    chmodSync(script, 0o755);
    const r = await execIn(ns, 'udhcpc', ['-i', 'eth0', '-n', '-q', '-f', '-t', '5', '-V', 'Cisco Systems, Inc. IP Phone CP-8845', '-s', script], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`udhcpc failed: ${r.stderr}`);
  }, 90_000);

  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  it('prefetches the phone\'s cnf.xml and the files it names once the phone has a lease', async () => {
    const want = [`${phone().deviceName}.cnf.xml`, 'dialplan.xml', 'softkeys.xml', 'Ringlist.xml', 'Ringlist-wb.xml'];
    let names: string[] = [];
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      names = ((await outpost.api<{ files: { name: string }[] }>('/api/files'))?.files ?? []).map((f) => f.name);
      if (want.every((w) => names.includes(w))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(names, outpost.log().slice(-3000)).toEqual(expect.arrayContaining(want));
    // What the phone's own file says reaches the inventory, for the signalling planes.
    const p = await outpost.api<Phone>(`/api/phones/${phone().deviceName}`);
    expect(p?.callManagers).toEqual([{ host: '10.30.0.1', sipPort: 5060 }]);
    expect(p?.dn).toBe(phone().dn);
    expect(p?.protocol).toBe('sip');
  }, 30_000);

  it.each(Object.keys(clients))('%s gets an uncached load byte-identical, and the rewritten cnf.xml', async (client) => {
    expect(sha((await get(client, MEDIUM))!)).toBe(sha(upstream(MEDIUM)));
    const cnf = `${phone().deviceName}.cnf.xml`;
    const got = await get(client, cnf);
    expect(got?.equals(rewritten(cnf))).toBe(true);
    expect(got?.toString()).toContain(`<processNodeName>${OUTPOST}</processNodeName>`);
  }, 60_000);

  it('serves cached files from native transfer threads, byte-identical to every client', async () => {
    const onThreads = () => metric('outpost_files_tftp_transfers_total{outcome="complete",thread="native"}');
    const before = await onThreads();
    for (const client of Object.keys(clients)) expect(sha((await get(client, MEDIUM))!)).toBe(sha(upstream(MEDIUM)));
    expect(await onThreads()).toBe(before + Object.keys(clients).length);
  }, 60_000);

  it('matches names case-insensitively, serves the unsigned file for a missing .sgn, and answers CTL files at once', async () => {
    const cnf = `${phone().deviceName}.cnf.xml`;
    expect((await get('tftp-hpa', cnf.toLowerCase()))?.equals(rewritten(cnf))).toBe(true);
    expect((await get('tftp-hpa', `${cnf}.sgn`))?.equals(rewritten(cnf))).toBe(true);
    const t = Date.now();
    const r = await execIn(ns, 'tftp', [OUTPOST, '-m', 'binary', '-c', 'get', `CTL${phone().deviceName}.tlv`, local()], { timeoutMs: 10_000 });
    expect(r.stdout + r.stderr).toMatch(/File not found/i);
    expect(Date.now() - t).toBeLessThan(1000);
  }, 30_000);

  it('a phone CUCM does not know gets "file not found" for its cnf.xml, then XMLDefault.cnf.xml (auto-registration), on its journey', async () => {
    const unknown = 'SEP0000DEADBEEF';
    const r = await execIn(ns, 'tftp', [OUTPOST, '-m', 'binary', '-c', 'get', `${unknown}.cnf.xml`, local()], { timeoutMs: 10_000 });
    expect(r.stdout + r.stderr).toMatch(/File not found/i);
    const fallback = await get('tftp-hpa', 'XMLDefault.cnf.xml');
    expect(fallback?.equals(rewritten('XMLDefault.cnf.xml'))).toBe(true);
    const journey = (await outpost.api<{ journey: JourneyEvent[] }>(`/api/phones/${unknown}`))?.journey ?? [];
    expect(journey.some((e) => e.outcome === 'fail' && e.detail.includes('falls back to XMLDefault.cnf.xml'))).toBe(true);
  }, 30_000);

  it('HTTP :6970 with curl: GET, HEAD with Content-Length, and a byte range', async () => {
    const url = `http://${OUTPOST}:6970/${MEDIUM}`;
    const to = local();
    expect((await execIn(ns, 'curl', ['-sf', '-o', to, url], { timeoutMs: 20_000 })).code).toBe(0);
    expect(sha(readFileSync(to))).toBe(sha(upstream(MEDIUM)));
    const head = await execIn(ns, 'curl', ['-sfI', url], { timeoutMs: 10_000 });
    expect(head.stdout).toMatch(new RegExp(`content-length: ${upstream(MEDIUM).length}`, 'i'));
    const range = await execIn(ns, 'curl', ['-s', '-o', to, '-w', '%{http_code}', '-r', '1000-1999', url], { timeoutMs: 10_000 });
    expect(range.stdout).toBe('206');
    expect(readFileSync(to).equals(upstream(MEDIUM).subarray(1000, 2000))).toBe(true);
    const cnf = await execIn(ns, 'curl', ['-sf', `http://${OUTPOST}:6970/${phone().deviceName}.cnf.xml`], { timeoutMs: 10_000 });
    expect(cnf.stdout).toBe(rewritten(`${phone().deviceName}.cnf.xml`).toString('latin1'));
    const missing = await execIn(ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${OUTPOST}:6970/no-such-file.xml`], { timeoutMs: 10_000 });
    expect(missing.stdout).toBe('404');
  }, 40_000);

  it('50 phones asking at once for one uncached 20 MB load cause exactly one upstream fetch', async () => {
    // The CUCM side's witness: a kernel counter of the TFTP read requests reaching its port 69
    // (opcode 1 in the first two bytes of the UDP payload). No capture process to start or drain.
    const rrqs = rrqCounter(lab.ns('cucm'));
    const fetchesBefore = await metric('outpost_files_upstream_fetches_total');
    const jobs = Array.from({ length: 50 }, (_, i) => {
      const to = local();
      const job = i % 2 === 0
        ? execIn(ns, 'atftp', ['--option', 'blksize 1428', '--option', 'windowsize 16', '--get', '-r', BIG, '-l', to, OUTPOST], { timeoutMs: 170_000 })
        : execIn(ns, 'curl', ['-sf', '-o', to, `http://${OUTPOST}:6970/${BIG}`], { timeoutMs: 170_000 });
      return job.then(() => (existsSync(to) ? sha(readFileSync(to)) : 'missing'));
    });
    const hashes = await Promise.all(jobs);
    expect(new Set(hashes)).toEqual(new Set([sha(upstream(BIG))]));
    expect(rrqs.read()).toBe(1);
    rrqs.remove();
    expect((await metric('outpost_files_upstream_fetches_total')) - fetchesBefore).toBe(1);
  }, 180_000);

  it('refuses traversal and writes', async () => {
    const up = await execIn(ns, 'tftp', [OUTPOST, '-m', 'binary', '-c', 'put', '/etc/hostname', 'evil.xml'], { timeoutMs: 10_000 });
    expect(up.stdout + up.stderr).toMatch(/Error code 2|Access violation|read-only/i);
    const trav = await execIn(ns, 'tftp', [OUTPOST, '-m', 'binary', '-c', 'get', '../../etc/passwd', local()], { timeoutMs: 10_000 });
    expect(trav.stdout + trav.stderr).toMatch(/Error code 2/i);
    const http = await execIn(ns, 'curl', ['-s', '--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', `http://${OUTPOST}:6970/../../etc/passwd`], { timeoutMs: 10_000 });
    expect(http.stdout).toBe('403');
    const put = await execIn(ns, 'curl', ['-s', '-X', 'PUT', '--data', 'x', '-o', '/dev/null', '-w', '%{http_code}', `http://${OUTPOST}:6970/evil.xml`], { timeoutMs: 10_000 });
    expect(put.stdout).toBe('405');
  }, 30_000);

  it('after a WAN cut: cached files still served, a never-cached file gets "file not found" within 1 s', async () => {
    lab.cutWan();
    await waitWan('survival', 10_000);
    expect(sha((await get('atftp (blksize 1428, windowsize 16)', BIG))!)).toBe(sha(upstream(BIG)));
    expect((await get('busybox tftp (blksize 1428)', 'dialplan.xml'))?.equals(upstream('dialplan.xml'))).toBe(true); // prefetched, never asked for
    const t = Date.now();
    const r = await execIn(ns, 'tftp', [OUTPOST, '-m', 'binary', '-c', 'get', 'never-cached.xml', local()], { timeoutMs: 10_000 });
    expect(r.stdout + r.stderr).toMatch(/File not found/i);
    expect(Date.now() - t).toBeLessThan(1000);
    const journey = (await outpost.api<{ journey: JourneyEvent[] }>(`/api/phones/${phone().deviceName}`))?.journey ?? [];
    expect(journey.some((e) => e.step === 'tftp' && /cnf\.xml.* from upstream/.test(e.detail))).toBe(true);
    lab.restoreWan();
    await waitWan('online', 20_000);
  }, 60_000);

  it('kill -9 during a fetch leaves no partial file served after the restart', async () => {
    // Slow the CUCM's side of the WAN so the daemon dies with the fetch half done.
    sh('ip', ['netns', 'exec', lab.ns('cucm'), 'tc', 'qdisc', 'add', 'dev', 'wan0', 'root', 'tbf', 'rate', '16mbit', 'burst', '32kbit', 'latency', '400ms']);
    try {
      const pending = execIn(ns, 'curl', ['-s', '-o', '/dev/null', '--max-time', '20', `http://${OUTPOST}:6970/${CRASH}`], { timeoutMs: 25_000 });
      const end = Date.now() + 10_000;
      while (Date.now() < end && (await outpost.api<{ inFlight: number }>('/api/files'))?.inFlight !== 1) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      outpost.child.kill('SIGKILL');
      await new Promise((r) => outpost.child.once('exit', r));
      await pending;
    } finally {
      sh('ip', ['netns', 'exec', lab.ns('cucm'), 'tc', 'qdisc', 'del', 'dev', 'wan0', 'root']);
    }
    lab.cutWan();
    outpost = await startLabOutpost(lab);
    expect(readdirSync(join(outpost.dataDir, 'files', 'tmp'))).toEqual([]);
    const files = (await outpost.api<{ files: { name: string }[] }>('/api/files'))?.files ?? [];
    expect(files.map((f) => f.name)).not.toContain(CRASH);
    await waitWan('survival', 10_000);
    const missing = await execIn(ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${OUTPOST}:6970/${CRASH}`], { timeoutMs: 10_000 });
    expect(missing.stdout).toBe('404');
    lab.restoreWan();
    await waitWan('online', 20_000);
    expect(sha((await get('curl (blksize 1428)', CRASH))!)).toBe(sha(upstream(CRASH)));
  }, 120_000);

  it('`outpost show tftp cache` lists the cached files', async () => {
    const r = await execIn(lab.ns('app'), process.execPath, [repoPath('bin', 'outpost.js'), 'show', 'tftp', 'cache', '--api', LAB_API], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(BIG);
    expect(r.stdout).toContain(`${phone().deviceName}.cnf.xml`);
  }, 20_000);
});
