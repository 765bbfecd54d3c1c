#!/usr/bin/env node
// TFTP benchmark: Outpost against tftpd-hpa and atftpd, in one run, on the same lab namespaces,
// serving the same files to the same clients (atftp in a phone namespace).
//
//   npm run build && node scripts/bench/tftp.mjs            (root; about 3-5 minutes)
//
// 1. single client, warm cache: one file at blksize 512, 1428, and 1428 + windowsize 16 (median of
//    5 rounds; each round asks the three servers in turn, the first rotating)
// 2. 50 concurrent clients (blksize 1428), warm cache: time until the last one finishes (median of 3)
//    (1 and 2 also print each server's CPU time for the same runs: steadier than the time)
//    (1 and 2 run before the WAN delay exists; the peers serve from Outpost's own namespace)
// 3. cold boot of 100 phones across a WAN with 80 ms one-way delay: lib/wan-delay.mjs takes the
//    two WAN ports out of the lab's WAN bridge and relays every frame (ARP, UDP, TCP) between
//    them 80 ms late. Every phone asks for its CTL/ITL/cnf.xml, the load, dial plan, softkeys
//    and ring list over TFTP (atftp, started and timed by one bash in the phone namespace),
//    through an empty Outpost versus straight from the CUCM (routed through Outpost's box,
//    across the same delay). Three CUCMs:
//    a. atftpd only (RFC 7440 windowsize, which Outpost's upstream TFTP uses; the phones here
//       ask for blksize only, as the phones do), Outpost asks TFTP only;
//    b. tftpd-hpa only (lockstep: each block waits one WAN round trip, for Outpost's one fetch
//       as for every phone), Outpost asks TFTP only;
//    c. as deployed: tftpd-hpa plus an HTTP file service on :6970 (python3 -m http.server, as
//       CUCM's is on 6970); Outpost asks HTTP first (its default), the phones still use TFTP.
//    Before (c) it checks that the CUCM's HTTP answers a missing file with 404 and how Outpost
//    answers a phone asking for it (once from CUCM, then from its not-found memory).
//    After each cold boot through Outpost the same boot runs again through the now-warm
//    Outpost: the phones' own floor on this machine, to tell the WAN's share apart.
// Ratios are Outpost ÷ peer (time): below 1 means Outpost is faster.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Lab } from '../../dist/lab/topology.js';
import { labConfig, LAB_API } from '../../dist/lab/outpost.js';
import { execIn } from '../../dist/lab/ns-exec.js';
import { sh } from '../../dist/lab/netns.js';
import { repoPath } from '../../dist/lab/repo-root.js';
import { phoneIdentity } from '../../dist/lab/phone-identity.js';
import { loadPhoneConfigTemplate, renderPhoneConfig } from '../../dist/lab/phone-config.js';
import { startWanDelay } from './lib/wan-delay.mjs';
import { accountCpu } from './lib/cpu-account.mjs';

const ATFTPD = '/opt/outpost-test/atftpd/usr/sbin/atftpd';
const OUTPOST = '10.20.0.1';
const CUCM = '10.30.0.1';
const CUCM_ATFTPD = 2069; // tftpd-hpa has port 69 there
const CUCM_HTTP = 6970;
const WAN_DELAY_MS = 80;
const BENCH_FILE = 'bench-4mb.bin';
const BENCH_SIZE = 4 * 1024 * 1024;
const LOAD = 'sip88xx.bench.loads';
const LOAD_SIZE = 256 * 1024;
const PHONES = 100;
const CONCURRENT = 50;
const SINGLE_ROUNDS = 5;
const CONCURRENT_ROUNDS = 3;

if (process.getuid?.() !== 0) { console.error('bench: needs root (network namespaces)'); process.exit(2); }
if (!existsSync(ATFTPD)) { console.error(`bench: atftpd not at ${ATFTPD}: run sudo bash scripts/install-test-deps.sh`); process.exit(2); }

const pattern = (size, salt) => {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (Math.imul(i + salt, 2654435761) >>> 24) & 0xff;
  return b;
};
const sha = (b) => createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const say = (m) => process.stderr.write(`bench: ${m}\n`);

const extra = join('/tmp', `outpost-bench-files-${process.pid}`);
mkdirSync(extra, { recursive: true });
writeFileSync(join(extra, BENCH_FILE), pattern(BENCH_SIZE, 1));
writeFileSync(join(extra, LOAD), pattern(LOAD_SIZE, 2));
for (const f of ['dialplan.xml', 'softkeys.xml']) cpSync(repoPath('test', 'fixtures', 'config', 'sip', f), join(extra, f));
cpSync(repoPath('test', 'fixtures', 'config', 'sccp', 'Ringlist.xml'), join(extra, 'Ringlist.xml'));
const template = loadPhoneConfigTemplate();
const phones = Array.from({ length: PHONES }, (_, i) => phoneIdentity(i + 1));
for (const p of phones) writeFileSync(join(extra, `${p.deviceName}.cnf.xml`), renderPhoneConfig(template, { deviceName: p.deviceName, dn: p.dn, cucmAddress: CUCM }));

const lab = await Lab.up({ phones: 1, tftpDir: extra, prefix: `tbench${process.pid % 100000}` });
rmSync(extra, { recursive: true, force: true });
let outpost;
let accounts = [];
const cleanup = async () => {
  outpost?.kill('SIGKILL');
  for (const a of accounts) a.release();
  await lab.down();
};
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => void cleanup().then(() => process.exit(130)));

try {
  const phoneNs = lab.phones[0].ns;
  const app = lab.ns('app');
  // A fixed address and a route to the CUCM through Outpost's box (it forwards), no DHCP needed.
  sh('ip', ['-n', phoneNs, 'addr', 'add', '10.20.0.50/24', 'dev', 'eth0']);
  sh('ip', ['-n', phoneNs, 'route', 'add', 'default', 'via', OUTPOST]);

  // The peers serve a copy of the CUCM's directory from Outpost's own namespace and address.
  const peerDir = join(lab.workDir, 'peer-root');
  cpSync(lab.cucm.tftpDir, peerDir, { recursive: true });
  chmodSync(peerDir, 0o777);
  const tftpdHpa = lab.space.spawn('app', 'in.tftpd', ['-L', '-s', '-a', `${OUTPOST}:1069`, peerDir]);
  const atftpdPeer = lab.space.spawn('app', ATFTPD, ['--daemon', '--no-fork', '--user', 'root', '--group', 'root', '--port', '2069', '--bind-address', OUTPOST, '--logfile', '/dev/null', peerDir]);
  chmodSync(lab.cucm.tftpDir, 0o777); // atftpd insists on a world-writable root (it never gets a write here)
  // --maxthread: atftpd's default of 100 silently drops a request while 100 transfers are open,
  // and a phone of the 100 then waits out its 5 s retransmission timeout.
  lab.space.spawn('cucm', ATFTPD, ['--daemon', '--no-fork', '--user', 'root', '--group', 'root', '--port', String(CUCM_ATFTPD), '--bind-address', CUCM,
    '--maxthread', String(2 * PHONES), '--logfile', '/dev/null', lab.cucm.tftpDir]);

  // httpPort 0: Outpost asks the CUCM over TFTP only (a CUCM stand-in without HTTP).
  const startOutpost = async (name, { tftpPort = 69, httpPort = 0 } = {}) => {
    const dataDir = join(lab.workDir, name);
    const config = labConfig(dataDir, `files: { upstreamHttpPort: ${httpPort}, prefetchOnLease: false, prefetchIntervalMinutes: 0 }\n`)
      .replace(/^upstream: \{ cucm: \[([^\]]*)\] \}$/m, `upstream: { cucm: [$1], tftpPort: ${tftpPort} }`);
    const path = join(lab.workDir, `${name}.yaml`);
    writeFileSync(path, config);
    const child = lab.space.spawn('app', process.execPath, [repoPath('bin', 'outpost.js'), 'run', '--config', path]);
    // The end of its log, to show why if it dies during a run.
    let log = '';
    const keep = (d) => { log = (log + d.toString()).slice(-4000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.logTail = () => log;
    for (let i = 0; i < 100; i++) {
      const r = await execIn(app, 'curl', ['-sf', `http://${LAB_API}/api/wan`], { timeoutMs: 2000 });
      if (r.code === 0 && JSON.parse(r.stdout).state === 'online') return child;
      await sleep(200);
    }
    throw new Error(`Outpost did not come up:\n${log}`);
  };
  const died = (child) => (child.exitCode !== null || child.signalCode !== null ? `exit ${child.exitCode ?? child.signalCode}` : undefined);
  const stopOutpost = async () => {
    const child = outpost;
    outpost = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    child.kill('SIGKILL'); // no-op once it has exited
  };

  const outDir = join(lab.workDir, 'out');
  mkdirSync(outDir);
  let n = 0;
  const fetch = async ([host, port], file, options) => {
    const to = join(outDir, `f${n++}`);
    const args = [...options.flatMap((o) => ['--option', o]), '--get', '-r', file, '-l', to, host, String(port)];
    const r = await execIn(phoneNs, 'atftp', args, { timeoutMs: 300_000 });
    const data = existsSync(to) ? readFileSync(to) : undefined;
    rmSync(to, { force: true });
    return { ok: r.code === 0 && data !== undefined, data, error: `exit ${r.code}: ${r.stderr.trim().slice(-300)}` };
  };
  const timed = async (fn) => {
    const t = performance.now();
    const r = await fn();
    return { ms: performance.now() - t, r };
  };

  say('lab up; starting Outpost');
  outpost = await startOutpost('warm'); // warm runs need a filled cache, not the WAN
  say('Outpost online; warming its cache');
  const expected = sha(readFileSync(join(lab.cucm.tftpDir, BENCH_FILE)));
  const warmup = await fetch([OUTPOST, 69], BENCH_FILE, ['blksize 1428', 'windowsize 16']); // fills Outpost's cache
  if (!warmup.ok || sha(warmup.data) !== expected) throw new Error('warm-up fetch through Outpost failed');

  const tag = `outpost-bench-${process.pid}`;
  accounts = [accountCpu(outpost.pid, `${tag}-outpost`), accountCpu(tftpdHpa.pid, `${tag}-tftpd-hpa`), accountCpu(atftpdPeer.pid, `${tag}-atftpd`)];
  say(`server CPU time from: ${accounts[0].how}`);
  const servers = [['Outpost', [OUTPOST, 69], accounts[0]], ['tftpd-hpa', [OUTPOST, 1069], accounts[1]], ['atftpd', [OUTPOST, 2069], accounts[2]]];
  // Each round asks every server once, the first to go rotating, so that load from other work
  // on the machine falls on all of them alike; a row is the median of the rounds. The server's
  // CPU time per round (its threads, and the children tftpd-hpa forks per transfer: each server
  // runs in a control group of its own) moves far less with that load than the time does.
  const interleaved = async (label, rounds, once) => {
    const times = new Map(servers.map(([name]) => [name, []]));
    const cpu = new Map(servers.map(([name]) => [name, []]));
    for (let i = 0; i < rounds; i++) {
      for (let k = 0; k < servers.length; k++) {
        const [name, server, account] = servers[(i + k) % servers.length];
        const cpu0 = account.ms();
        const { ms, r } = await timed(() => once(server));
        cpu.get(name).push(account.ms() - cpu0);
        const bad = r.filter((x) => !x.ok || sha(x.data) !== expected);
        if (bad.length) throw new Error(`${name}: ${label}: ${bad.length} of ${r.length} fetches wrong or failed (${bad[0].error})`);
        times.get(name).push(ms);
      }
    }
    const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    const row = { label, cpu: {} };
    for (const [name, ms] of times) {
      row[name] = median(ms);
      row.cpu[name] = median(cpu.get(name));
      say(`${label}: ${name} ${ms.map(seconds).join(', ')}; CPU ${cpu.get(name).map((c) => `${c.toFixed(0)} ms`).join(', ')}`);
    }
    return row;
  };
  const rows = [];
  const cases = [['single client, blksize 512', []], ['single client, blksize 1428', ['blksize 1428']], ['single client, blksize 1428 + windowsize 16', ['blksize 1428', 'windowsize 16']]];
  for (const [label, options] of cases) rows.push(await interleaved(label, SINGLE_ROUNDS, async (server) => [await fetch(server, BENCH_FILE, options)]));
  rows.push(await interleaved(`${CONCURRENT} concurrent clients, blksize 1428 (until the last ends)`, CONCURRENT_ROUNDS,
    (server) => Promise.all(Array.from({ length: CONCURRENT }, () => fetch(server, BENCH_FILE, ['blksize 1428'])))));
  await stopOutpost();
  for (const a of accounts) a.release();
  accounts = [];

  // Cold boot across a delayed WAN. From here on every frame between Outpost's box and the CUCM
  // (ARP, Outpost's SIP probes, TFTP, HTTP over TCP, the phones' forwarded TFTP) takes
  // WAN_DELAY_MS each way.
  const wan = await startWanDelay(lab, WAN_DELAY_MS);
  say(wan.readyLine);
  await execIn(app, 'ping', ['-c', '1', '-W', '2', CUCM]); // ARP across the WAN first, so it does not skew the RTT
  const ping = await execIn(app, 'ping', ['-c', '5', '-i', '0.2', '-q', CUCM]);
  const [rttMin, rttAvg, rttMax] = (/= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(ping.stdout) ?? []).slice(1).map(Number);
  if (!(rttMin >= 2 * WAN_DELAY_MS && rttAvg < 2 * WAN_DELAY_MS + 30)) throw new Error(`WAN delay not in effect: ping says ${ping.stdout.trim()}`);

  const bootFiles = (p) => [`CTL${p.deviceName}.tlv`, `ITL${p.deviceName}.tlv`, `${p.deviceName}.cnf.xml`, LOAD, 'dialplan.xml', 'softkeys.xml', 'Ringlist.xml'];
  const STEPS = ['CTL', 'ITL', 'cnf.xml', 'load', 'dialplan', 'softkeys', 'Ringlist'];
  const loadSha = sha(readFileSync(join(lab.cucm.tftpDir, LOAD)));
  // All phones at once, each asking for its files one after the other, as a phone does. One
  // bash in the phone namespace runs them all and times each request itself: starting each
  // atftp from here forks this whole process (its memory grown by the warm runs) 700 times,
  // one after the other on its event loop, and that took seconds per request.
  const boot = async ([host, port]) => {
    const dir = join(lab.workDir, 'boot');
    mkdirSync(dir);
    const script = [
      'export LC_ALL=C',
      'phone() {',
      '  local i=$1 n=0 f s c; shift',
      '  for f in "$@"; do',
      '    s=$EPOCHREALTIME',
      `    atftp --option "blksize 1428" --get -r "$f" -l "${dir}/$i-$n" ${host} ${port} >/dev/null 2>&1; c=$?`,
      '    echo "$i $n $c $s $EPOCHREALTIME"',
      '    n=$((n + 1))',
      '  done',
      '}',
      ...phones.map((p, i) => `phone ${i} ${bootFiles(p).join(' ')} &`),
      'wait',
    ].join('\n');
    const run = await execIn(phoneNs, 'bash', ['-c', script], { timeoutMs: 600_000 });
    const lines = run.stdout.trim().split('\n').map((l) => l.split(' '));
    if (lines.length !== phones.length * STEPS.length) throw new Error(`boot: ${lines.length} requests reported, not ${phones.length * STEPS.length}: ${run.stderr}`);
    const t0 = Math.min(...lines.map((l) => Number(l[3])));
    const perPhone = phones.map(() => ({ got: 0, steps: [], doneMs: 0 }));
    let slowest;
    for (const [i, n, code, start, end] of lines.map((l) => l.map(Number))) {
      const ok = code === 0 && existsSync(join(dir, `${i}-${n}`));
      if (ok && n === STEPS.indexOf('load') && sha(readFileSync(join(dir, `${i}-${n}`))) !== loadSha) {
        throw new Error(`${phones[i].deviceName}: the load arrived corrupted from ${host}:${port}`);
      }
      const p = perPhone[i];
      if (ok) p.got++;
      p.steps[n] = (end - start) * 1000;
      if (!slowest || p.steps[n] > slowest.ms) slowest = { ms: p.steps[n], step: STEPS[n] };
      p.doneMs = Math.max(p.doneMs, (end - t0) * 1000);
    }
    rmSync(dir, { recursive: true, force: true });
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    return {
      files: perPhone.reduce((a, x) => a + x.got, 0), firstMs: Math.min(...perPhone.map((x) => x.doneMs)), medianMs: median(perPhone.map((x) => x.doneMs)),
      // Where a phone's time goes: the median time of each request (a missing file's "not found" included).
      stepsMs: STEPS.map((_, n) => median(perPhone.map((x) => x.steps[n]))),
      slowest,
    };
  };
  // Outpost's file counters, by name with labels ("outpost_files_requests_total{protocol=\"tftp\",source=\"cache\"}"),
  // and its longest event-loop stall since the previous scrape (prom-client resets it on each).
  const filesMetrics = async () => {
    const r = await execIn(app, 'curl', ['-sf', '--max-time', '5', `http://${LAB_API}/metrics`], { timeoutMs: 10_000 });
    const m = {};
    for (const line of r.stdout.split('\n')) {
      const hit = /^(outpost_files_\w+|nodejs_eventloop_lag_max_seconds)(\{[^}]*\})? (\S+)$/.exec(line);
      if (hit) m[hit[1] + (hit[2] ?? '')] = Number(hit[3]);
    }
    return m;
  };
  // Counters at the CUCM: TFTP requests (to 69 and 2069) and HTTP connections (SYNs to 6970),
  // the CUCM's side of which way Outpost fetched (Outpost does not count HTTP and TFTP apart).
  lab.space.exec('cucm', 'nft', ['-f', '-'], ['table inet bench {', '  chain in {', '    type filter hook input priority 0; policy accept;',
    `    udp dport { 69, ${CUCM_ATFTPD} } counter`, `    tcp dport ${CUCM_HTTP} tcp flags & (syn | ack) == syn counter`, '  }', '}', ''].join('\n'));
  const cucmCounters = () => {
    const [tftp, http] = [...lab.space.exec('cucm', 'nft', ['list', 'table', 'inet', 'bench']).matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    return { tftp, http };
  };
  const wanFrames = (st) => st['app->cucm'].frames + st['cucm->app'].frames;
  const wanLate = (st) => st['app->cucm'].late.over10ms + st['cucm->app'].late.over10ms;

  // The CUCM's HTTP file service, for scenario c. Its request log ("GET /x HTTP/1.1" 200 -) is
  // the CUCM's own record of what Outpost fetched over HTTP.
  let httpLog = '';
  const startCucmHttp = async () => {
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const child = lab.space.spawn('cucm', python, ['-m', 'http.server', String(CUCM_HTTP), '--bind', CUCM, '--directory', lab.cucm.tftpDir]);
    child.stdout?.resume();
    child.stderr?.on('data', (d) => { httpLog += d.toString(); });
    for (let i = 0; i < 50; i++) { // asked from inside the cucm namespace: no WAN in the way
      const r = await execIn(lab.ns('cucm'), 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${CUCM}:${CUCM_HTTP}/XMLDefault.cnf.xml`], { timeoutMs: 2000 });
      if (r.stdout === '200') return;
      await sleep(100);
    }
    throw new Error(`the CUCM's HTTP server did not come up:\n${httpLog}`);
  };
  const httpAnswers = (status) => httpLog.split('\n').filter((l) => new RegExp(`"GET [^"]*" ${status} `).test(l)).length;

  // Asks Outpost twice for a file CUCM does not have: the first answer needs CUCM, the second
  // must come from Outpost's not-found memory without crossing the WAN.
  const MISSING = 'NoSuchRing.raw';
  const checkMiss = async () => {
    const curl = await execIn(app, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${CUCM}:${CUCM_HTTP}/${MISSING}`], { timeoutMs: 10_000 });
    if (curl.stdout !== '404') throw new Error(`CUCM's HTTP answered a missing file with "${curl.stdout}", not 404`);
    const before = { m: await filesMetrics(), s: await wan.stats(), http404: httpAnswers(404) };
    const first = await timed(() => fetch([OUTPOST, 69], MISSING, ['blksize 1428']));
    const second = await timed(() => fetch([OUTPOST, 69], MISSING, ['blksize 1428']));
    const m = await filesMetrics();
    const d = (k) => (m[k] ?? 0) - (before.m[k] ?? 0);
    const notFound = (r) => !r.ok && /not found/i.test(r.error);
    const result = {
      curl: curl.stdout, firstMs: first.ms, secondMs: second.ms, firstError: first.r.error, secondError: second.r.error,
      notFound: notFound(first.r) && notFound(second.r), upstreamFetches: d('outpost_files_upstream_fetches_total'),
      negativeHits: d('outpost_files_negative_hits_total'), answeredNone: d('outpost_files_requests_total{protocol="tftp",source="none"}'),
      http404: httpAnswers(404) - before.http404, wanFrames: wanFrames(await wan.stats()) - wanFrames(before.s),
    };
    if (!result.notFound || result.upstreamFetches !== 1 || result.negativeHits !== 1 || result.answeredNone !== 2) {
      throw new Error(`Outpost mishandled a file CUCM does not have: ${JSON.stringify(result)}`);
    }
    return result;
  };

  const scenarios = [
    { name: 'a', label: 'atftpd (windowsize) only', tftpPort: CUCM_ATFTPD, httpPort: 0 },
    { name: 'b', label: 'tftpd-hpa (lockstep) only', tftpPort: 69, httpPort: 0 },
    { name: 'c', label: 'as deployed: tftpd-hpa + HTTP :6970', tftpPort: 69, httpPort: CUCM_HTTP },
  ];
  const cold = [];
  let miss;
  for (const sc of scenarios) {
    if (sc.httpPort) await startCucmHttp();
    outpost = await startOutpost(`cold-${sc.name}`, { tftpPort: sc.tftpPort, httpPort: sc.httpPort });
    if (sc.httpPort) {
      say('a file CUCM does not have, over HTTP and through Outpost');
      miss = await checkMiss();
    }
    say(`${sc.name}. cold boot of ${PHONES} phones through an empty Outpost; CUCM ${sc.label}`);
    const m0 = await filesMetrics();
    const s0 = await wan.stats();
    const http0 = [httpAnswers(200), httpAnswers(404)];
    const c0 = cucmCounters();
    const viaOutpost = await timed(() => boot([OUTPOST, 69]));
    viaOutpost.died = died(outpost);
    if (viaOutpost.died) say(`Outpost died during the run (${viaOutpost.died}); the end of its log:\n${outpost.logTail()}`);
    const m1 = await filesMetrics();
    const s1 = await wan.stats();
    const d = (k) => (m1[k] ?? 0) - (m0[k] ?? 0);
    viaOutpost.outpost = {
      upstreamFetches: d('outpost_files_upstream_fetches_total'), upstreamBytes: d('outpost_files_upstream_bytes_total'),
      cucmHttp200: httpAnswers(200) - http0[0], cucmHttp404: httpAnswers(404) - http0[1],
      stallMs: Math.round((m1.nodejs_eventloop_lag_max_seconds ?? NaN) * 1000),
      tftpRequests: cucmCounters().tftp - c0.tftp, httpConnections: cucmCounters().http - c0.http,
    };
    viaOutpost.wanFrames = wanFrames(s1) - wanFrames(s0);
    viaOutpost.wanLate = wanLate(s1) - wanLate(s0);
    // The same boot again, now that Outpost has every file: the phones' own floor on this
    // machine (100 bash loops and 700 atftp processes), which no upstream can go below.
    say(`${sc.name}. the same boot through the now-warm Outpost`);
    const warm = await timed(() => boot([OUTPOST, 69]));
    await stopOutpost();
    say(`${sc.name}. cold boot of ${PHONES} phones straight from the CUCM's TFTP (port ${sc.tftpPort})`);
    const direct = await timed(() => boot([CUCM, sc.tftpPort]));
    const s2 = await wan.stats();
    direct.wanFrames = wanFrames(s2) - wanFrames(s1);
    direct.wanLate = wanLate(s2) - wanLate(s1);
    cold.push({ ...sc, viaOutpost, warm, direct });
  }
  const relay = await wan.stats();
  const wantFiles = PHONES * 5; // CTL and ITL files do not exist in this non-secure cluster

  console.log(`\nTFTP benchmark (shared 2-core machine; single-client rows are the median of ${SINGLE_ROUNDS} rounds, concurrent of ${CONCURRENT_ROUNDS}; file ${BENCH_SIZE / 1048576} MB; client atftp in a phone namespace)\n`);
  console.log(['case'.padEnd(58), 'Outpost'.padStart(10), 'tftpd-hpa'.padStart(10), 'atftpd'.padStart(10), '  Outpost÷tftpd-hpa', '  Outpost÷atftpd'].join(''));
  for (const r of rows) {
    console.log([r.label.padEnd(58), seconds(r.Outpost).padStart(10), seconds(r['tftpd-hpa']).padStart(10), seconds(r.atftpd).padStart(10),
      (r.Outpost / r['tftpd-hpa']).toFixed(2).padStart(20), (r.Outpost / r.atftpd).toFixed(2).padStart(17)].join(''));
  }
  console.log('\nthe server\'s CPU time for the same runs (median; lower is better):');
  const ms = (x) => `${x.toFixed(0)} ms`;
  const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  for (const { label, cpu } of rows) {
    console.log([label.padEnd(58), ms(cpu.Outpost).padStart(10), ms(cpu['tftpd-hpa']).padStart(10), ms(cpu.atftpd).padStart(10),
      ratio(cpu.Outpost, cpu['tftpd-hpa']).padStart(20), ratio(cpu.Outpost, cpu.atftpd).padStart(17)].join(''));
  }
  console.log(`\ncold boot of ${PHONES} phones at once (${bootFiles(phones[0]).length} TFTP requests each, blksize 1428, ${LOAD_SIZE / 1024} KB load), `
    + `WAN ${WAN_DELAY_MS} ms each way (ping RTT min/avg/max ${rttMin}/${rttAvg}/${rttMax} ms); time until the last phone has all its files:`);
  const phoneTimes = (r) => `first phone done ${seconds(r.r.firstMs)}, median ${seconds(r.r.medianMs)}; ${r.wanFrames} WAN frames, ${r.wanLate} of them >10 ms late`;
  for (const { name, label, viaOutpost: o, warm, direct } of cold) {
    console.log(`  ${name}. CUCM ${label}:`);
    console.log(`     through an empty Outpost ${seconds(o.ms).padStart(9)} (${o.r.files}/${wantFiles} files; ${phoneTimes(o)}; `
      + `${o.outpost.upstreamFetches} upstream fetches, ${(o.outpost.upstreamBytes / 1024).toFixed(0)} KB; its event loop stalled up to ${o.outpost.stallMs} ms)`);
    console.log(`       at the CUCM: ${o.outpost.tftpRequests} TFTP requests (retransmissions included), ${o.outpost.httpConnections} HTTP connections`
      + `${name === 'c' ? ` answered ${o.outpost.cucmHttp200}×200, ${o.outpost.cucmHttp404}×404` : ''}`);
    console.log(`     the same, Outpost warm   ${seconds(warm.ms).padStart(9)} (${warm.r.files}/${wantFiles} files; first phone done ${seconds(warm.r.firstMs)}, median ${seconds(warm.r.medianMs)}): `
      + `the phones' own floor here, so the WAN's share of the cold boot is ${seconds(Math.max(0, o.ms - warm.ms))}`);
    console.log(`     straight from the CUCM   ${seconds(direct.ms).padStart(9)} (${direct.r.files}/${wantFiles} files; ${phoneTimes(direct)})`);
    for (const [who, r] of [['through Outpost', o], ['straight', direct]]) {
      console.log(`     median request time, ${who.padEnd(15)}: ${STEPS.map((step, i) => `${step} ${seconds(r.r.stepsMs[i])}`).join(', ')}; slowest ${r.r.slowest.step} ${seconds(r.r.slowest.ms)}`);
    }
    if (o.died) console.log(`     OUTPOST DIED DURING THE RUN (${o.died}): its numbers are not a measurement; see the log on stderr`);
    console.log(`     Outpost ÷ direct ${(o.ms / direct.ms).toFixed(3)} (${(direct.ms / o.ms).toFixed(1)}x faster)`);
  }
  if (miss) {
    console.log(`  a file CUCM does not have (scenario c): CUCM HTTP answers ${miss.curl}; a phone asking Outpost gets "File not found" in ${miss.firstMs.toFixed(0)} ms `
      + `(${miss.upstreamFetches} upstream fetch, ${miss.http404}×404 at the CUCM, ${miss.wanFrames} WAN frames), again in ${miss.secondMs.toFixed(0)} ms (${miss.negativeHits} answer from the not-found memory)`);
  }
  const ways = ['app->cucm', 'cucm->app'];
  console.log(`  WAN relay: ${ways.map((w) => `${w} ${relay[w].frames} frames (${relay[w].sendErrors} send errors, ${relay[w].missed} missed, ${relay[w].late.over10ms} more than 10 ms late, max ${relay[w].late.maxMs} ms)`).join('; ')}; `
    + `its event loop stalled up to ${relay.loopDelayMs.max} ms (p99 ${relay.loopDelayMs.p99} ms)`);
} finally {
  await cleanup();
}
