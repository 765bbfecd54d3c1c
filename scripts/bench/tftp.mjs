#!/usr/bin/env node
// TFTP benchmark: Outpost against tftpd-hpa and atftpd, in one run, on the same lab namespaces,
// serving the same files to the same clients (atftp in a phone namespace).
//
//   npm run build && node scripts/bench/tftp.mjs            (root; about 3-4 minutes)
//
// 1. single client, warm cache: one file at blksize 512, 1428, and 1428 + windowsize 16 (median of 3)
// 2. 50 concurrent clients (blksize 1428), warm cache: time until the last one finishes
// 3. cold boot of 100 phones across a WAN with 80 ms one-way delay (a userspace relay in the
//    CUCM namespace): every phone asks for its CTL/ITL/cnf.xml, the load, dial plan, softkeys and
//    ring list, through an empty Outpost versus straight from the CUCM's TFTP. Run twice: with
//    atftpd as the CUCM's TFTP (it has RFC 7440 windowsize, which Outpost uses upstream, as it
//    would use CUCM's HTTP :6970) and with tftpd-hpa (lockstep only: each block waits one WAN
//    round trip, for Outpost's one fetch as for every phone).
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

const ATFTPD = '/opt/outpost-test/atftpd/usr/sbin/atftpd';
const OUTPOST = '10.20.0.1';
const CUCM = '10.30.0.1';
const RELAY_HPA = 1069; // the WAN-delayed paths to the CUCM's tftpd-hpa and atftpd
const RELAY_ATFTPD = 1070;
const CUCM_ATFTPD = 2069;
const WAN_DELAY_MS = 80;
const BENCH_FILE = 'bench-4mb.bin';
const BENCH_SIZE = 4 * 1024 * 1024;
const LOAD = 'sip88xx.bench.loads';
const LOAD_SIZE = 256 * 1024;
const PHONES = 100;
const CONCURRENT = 50;

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
const cleanup = async () => {
  outpost?.kill('SIGKILL');
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
  lab.space.spawn('app', 'in.tftpd', ['-L', '-s', '-a', `${OUTPOST}:1069`, peerDir]);
  lab.space.spawn('app', ATFTPD, ['--daemon', '--no-fork', '--user', 'root', '--group', 'root', '--port', '2069', '--bind-address', OUTPOST, '--logfile', '/dev/null', peerDir]);
  chmodSync(lab.cucm.tftpDir, 0o777); // atftpd insists on a world-writable root (it never gets a write here)
  lab.space.spawn('cucm', ATFTPD, ['--daemon', '--no-fork', '--user', 'root', '--group', 'root', '--port', String(CUCM_ATFTPD), '--bind-address', CUCM, '--logfile', '/dev/null', lab.cucm.tftpDir]);
  for (const [port, target] of [[RELAY_HPA, 69], [RELAY_ATFTPD, CUCM_ATFTPD]]) {
    const relay = lab.space.spawn('cucm', process.execPath, [repoPath('scripts', 'bench', 'tftp-wan-relay.mjs'), CUCM, String(port), CUCM, String(target), String(WAN_DELAY_MS)]);
    relay.stdout?.resume();
  }

  const startOutpost = async (name, upstreamPort) => {
    const dataDir = join(lab.workDir, name);
    const config = labConfig(dataDir, 'files: { upstreamHttpPort: 0, prefetchOnLease: false, prefetchIntervalMinutes: 0 }\n')
      .replace(/^upstream: \{ cucm: \[([^\]]*)\] \}$/m, `upstream: { cucm: [$1], tftpPort: ${upstreamPort} }`);
    const path = join(lab.workDir, `${name}.yaml`);
    writeFileSync(path, config);
    const child = lab.space.spawn('app', process.execPath, [repoPath('bin', 'outpost.js'), 'run', '--config', path]);
    child.stdout?.resume();
    child.stderr?.resume();
    for (let i = 0; i < 100; i++) {
      const r = await execIn(app, 'curl', ['-sf', `http://${LAB_API}/api/wan`], { timeoutMs: 2000 });
      if (r.code === 0 && JSON.parse(r.stdout).state === 'online') return child;
      await sleep(200);
    }
    throw new Error('Outpost did not come up');
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
  outpost = await startOutpost('warm', 69); // warm runs need a filled cache, not the WAN
  say('Outpost online; warming its cache');
  const expected = sha(readFileSync(join(lab.cucm.tftpDir, BENCH_FILE)));
  const warmup = await fetch([OUTPOST, 69], BENCH_FILE, ['blksize 1428', 'windowsize 16']); // fills Outpost's cache
  if (!warmup.ok || sha(warmup.data) !== expected) throw new Error('warm-up fetch through Outpost failed');

  const servers = [['Outpost', [OUTPOST, 69]], ['tftpd-hpa', [OUTPOST, 1069]], ['atftpd', [OUTPOST, 2069]]];
  const rows = [];
  const cases = [['single client, blksize 512', []], ['single client, blksize 1428', ['blksize 1428']], ['single client, blksize 1428 + windowsize 16', ['blksize 1428', 'windowsize 16']]];
  for (const [label, options] of cases) {
    const row = { label };
    for (const [name, server] of servers) {
      say(`${label}: ${name}`);
      const runs = [];
      for (let i = 0; i < 3; i++) { // the median of three runs
        const { ms, r } = await timed(() => fetch(server, BENCH_FILE, options));
        if (!r.ok || sha(r.data) !== expected) throw new Error(`${name}: ${label}: wrong or no data (${r.error})`);
        runs.push(ms);
      }
      row[name] = runs.sort((x, y) => x - y)[1];
      say(`  ${runs.map(seconds).join(', ')}`);
    }
    rows.push(row);
  }
  {
    const row = { label: `${CONCURRENT} concurrent clients, blksize 1428 (until the last ends)` };
    for (const [name, server] of servers) {
      say(`${CONCURRENT} concurrent: ${name}`);
      const { ms, r } = await timed(() => Promise.all(Array.from({ length: CONCURRENT }, () => fetch(server, BENCH_FILE, ['blksize 1428']))));
      const bad = r.filter((x) => !x.ok || sha(x.data) !== expected).length;
      if (bad) throw new Error(`${name}: ${bad} of ${CONCURRENT} concurrent clients failed`);
      row[name] = ms;
    }
    rows.push(row);
  }
  outpost.kill('SIGTERM');
  await sleep(1000);

  // Cold boot across the delayed WAN: an empty Outpost versus the CUCM's TFTP directly.
  const bootFiles = (p) => [`CTL${p.deviceName}.tlv`, `ITL${p.deviceName}.tlv`, `${p.deviceName}.cnf.xml`, LOAD, 'dialplan.xml', 'softkeys.xml', 'Ringlist.xml'];
  const boot = async (server) => {
    const results = await Promise.all(phones.map(async (p) => {
      let got = 0;
      for (const f of bootFiles(p)) if ((await fetch(server, f, ['blksize 1428'])).ok) got++;
      return got;
    }));
    return results.reduce((a, b) => a + b, 0);
  };
  const cold = [];
  for (const [upstream, relay] of [['atftpd', RELAY_ATFTPD], ['tftpd-hpa', RELAY_HPA]]) {
    outpost = await startOutpost(`cold-${upstream}`, relay);
    say(`cold boot of ${PHONES} phones through an empty Outpost, CUCM TFTP ${upstream}`);
    const viaOutpost = await timed(() => boot([OUTPOST, 69]));
    outpost.kill('SIGTERM');
    await sleep(1000);
    say(`cold boot of ${PHONES} phones straight from CUCM's ${upstream}`);
    const direct = await timed(() => boot([CUCM, relay]));
    cold.push({ upstream, viaOutpost, direct });
  }
  outpost = undefined;
  const wantFiles = PHONES * 5; // CTL and ITL files do not exist in this non-secure cluster

  console.log(`\nTFTP benchmark (shared 2-core machine; single-client rows are the median of 3 runs; file ${BENCH_SIZE / 1048576} MB; client atftp in a phone namespace)\n`);
  console.log(['case'.padEnd(58), 'Outpost'.padStart(10), 'tftpd-hpa'.padStart(10), 'atftpd'.padStart(10), '  Outpost÷tftpd-hpa', '  Outpost÷atftpd'].join(''));
  for (const r of rows) {
    console.log([r.label.padEnd(58), seconds(r.Outpost).padStart(10), seconds(r['tftpd-hpa']).padStart(10), seconds(r.atftpd).padStart(10),
      (r.Outpost / r['tftpd-hpa']).toFixed(2).padStart(20), (r.Outpost / r.atftpd).toFixed(2).padStart(17)].join(''));
  }
  console.log(`\ncold boot of ${PHONES} phones at once (${bootFiles(phones[0]).length} requests each, blksize 1428, ${LOAD_SIZE / 1024} KB load), WAN ${WAN_DELAY_MS} ms each way:`);
  for (const { upstream, viaOutpost, direct } of cold) {
    console.log(`  CUCM TFTP ${upstream.padEnd(9)}: through an empty Outpost ${seconds(viaOutpost.ms).padStart(9)} (${viaOutpost.r}/${wantFiles} files), `
      + `straight from CUCM ${seconds(direct.ms).padStart(9)} (${direct.r}/${wantFiles} files); Outpost ÷ direct ${(viaOutpost.ms / direct.ms).toFixed(3)} (${(direct.ms / viaOutpost.ms).toFixed(1)}x faster)`);
  }
} finally {
  await cleanup();
}
