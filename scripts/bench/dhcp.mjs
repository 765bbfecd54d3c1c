#!/usr/bin/env node
// DHCP lease rate: Outpost against dnsmasq (lease file on disk) and Kea (memfile), measured
// with perfdhcp in the same run, on the same two network namespaces, on this machine.
//
//   npm run build && node scripts/bench/dhcp.mjs [--seconds 5] [--max-rate 20000] [--skip-probe]
//
// perfdhcp acts as a relay (giaddr 10.64.0.2, unicast from port 67) on one side of a veth
// pair; each server in turn runs on the other side (10.64.0.1/16) with a fresh, empty lease
// store on disk. For each server the rate climbs until more than 1 % of either exchange
// (DISCOVER/OFFER, REQUEST/ACK) is dropped, then the gap is halved twice; the best lease rate
// at <= 1 % drops is its score.
// Needs root. Everything runs in namespaces this script creates and removes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { perfdhcpArgs, parsePerfdhcp } from './lib/perfdhcp.mjs';
import { repoPath } from './lib/repo.mjs';

const { LabSpace, uniquePrefix } = await import(repoPath('dist/lab/netns.js'));

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'max-rate': { type: 'string', default: '20000' },
    'skip-probe': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opts.seconds);
const MAX_RATE = Number(opts['max-rate']);
const SERVER_IP = '10.64.0.1';
const RELAY_IP = '10.64.0.2';
const POOL_FIRST = '10.64.1.0';
const POOL_LAST = '10.64.255.254';
const CLIENTS = 60_000;
const RATES = [250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10_000, 12_000, 16_000, 20_000, 25_000, 30_000];

if (process.getuid?.() !== 0) {
  console.error('dhcp bench: needs root (network namespaces)');
  process.exit(2);
}

// Lease stores on the real disk, never tmpfs: dnsmasq's and Outpost's fsyncs are the point.
const work = mkdtempSync(join('/var/tmp', 'outpost-bench-dhcp-'));
const space = new LabSpace(uniquePrefix('bd'));

function waitFor(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  return (async () => {
    while (Date.now() < end) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  })();
}

/** True once something in the server namespace listens on UDP 67. */
function listening67() {
  const out = space.exec('srv', 'ss', ['-Hlun', 'sport = :67']);
  return out.trim().length > 0;
}

/** One server under test: start() leaves it ready to answer, stop() ends it. */
const servers = [
  {
    name: 'outpost',
    note: 'every lease fsynced before its ACK (group commit), ARP probe off',
    start: (dir) => startOutpost(dir, false),
  },
  ...(opts['skip-probe'] ? [] : [{
    name: 'outpost+arp',
    note: 'as above, with the ARP conflict probe (200 ms) before each new address',
    start: (dir) => startOutpost(dir, true),
  }]),
  {
    name: 'dnsmasq',
    note: 'lease file on disk, --no-ping',
    start: async (dir) => {
      const child = space.spawn('srv', 'dnsmasq', ['-d', '-k', '--conf-file=/dev/null', '--port=0', '--no-ping', '--bind-interfaces', '--interface=eth0',
        `--dhcp-range=${POOL_FIRST},${POOL_LAST},255.255.0.0,1h`, `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
        `--dhcp-lease-max=${CLIENTS + 10_000}`, `--dhcp-option=3,${SERVER_IP}`, `--dhcp-option=150,${SERVER_IP}`,
        '--quiet-dhcp', '--log-facility=-', `--pid-file=${join(dir, 'dnsmasq.pid')}`]);
      await waitFor(listening67, 10_000, 'dnsmasq');
      return child;
    },
  },
  {
    name: 'kea',
    note: 'memfile (CSV appended, never fsynced), logging at WARN',
    start: async (dir) => {
      const config = join(dir, 'kea.json');
      writeFileSync(config, JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
          'lease-database': { type: 'memfile', persist: true, name: join(dir, 'kea-leases4.csv'), 'lfc-interval': 0 },
          'valid-lifetime': 3600,
          'option-def': [{ name: 'cisco-tftp', code: 150, type: 'ipv4-address', array: true, space: 'dhcp4' }],
          subnet4: [{
            id: 1, subnet: '10.64.0.0/16', pools: [{ pool: `${POOL_FIRST} - ${POOL_LAST}` }],
            'option-data': [{ name: 'routers', data: SERVER_IP }, { name: 'cisco-tftp', data: SERVER_IP }],
          }],
          loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN' }],
        },
      }));
      const child = space.spawn('srv', 'env', [`KEA_PIDFILE_DIR=${dir}`, `KEA_LOCKFILE_DIR=${dir}`, 'kea-dhcp4', '-c', config]);
      await waitFor(listening67, 10_000, 'kea-dhcp4');
      return child;
    },
  },
];

async function startOutpost(dir, arpProbe) {
  const config = join(dir, 'outpost.yaml');
  writeFileSync(config, `lan: { interface: eth0, address: ${SERVER_IP}, prefixLength: 16 }
voice: { vlan: 100 }
dhcp:
  pool: ${POOL_FIRST}-${POOL_LAST}
  router: ${SERVER_IP}
  lease: 3600
  arpProbe: { enabled: ${arpProbe} }
upstream: { cucm: [10.64.0.254] }
dataDir: ${join(dir, 'data')}
api: { listen: 127.0.0.1:18067 }
log: { level: warn }
`);
  const child = space.spawn('srv', process.execPath, [repoPath('bin/outpost.js'), 'run', '--config', config]);
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  child.stdout.on('data', (d) => { log += d; });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`outpost exited:\n${log}`);
    return listening67();
  }, 20_000, 'outpost');
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

function runPerfdhcp(rate) {
  return new Promise((resolve) => {
    const child = space.spawn('cli', 'perfdhcp', perfdhcpArgs({ rate, seconds: SECONDS, clients: CLIENTS, relay: RELAY_IP, server: SERVER_IP }));
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.once('exit', () => resolve(parsePerfdhcp(out, SECONDS)));
  });
}

/** One trial: a fresh server with an empty lease store, perfdhcp at `rate`, then stop. */
async function trial(server, rate) {
  const dir = mkdtempSync(join(work, `${server.name}-${rate}-`));
  const child = await server.start(dir);
  try {
    await sleep(300);
    return await runPerfdhcp(rate);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const passes = (r, rate) => r.ok && r.dropPercent <= 1 && r.leasesPerSecond >= rate * 0.95;

async function tryRate(server, rate) {
  const r = await trial(server, rate);
  const ok = passes(r, rate);
  console.log(`  ${server.name.padEnd(12)} offered ${String(rate).padStart(6)}/s -> ${r.ok ? `${r.leasesPerSecond.toFixed(0).padStart(6)} leases/s, drops ${r.dropPercent.toFixed(2)} %` : `perfdhcp failed: ${r.error}`}${ok ? '' : '  (over the limit)'}`);
  return ok ? { rate, ...r } : undefined;
}

/** Climbs the ladder to the first rate over the limit, then halves the gap twice. */
async function bestRate(server) {
  let best;
  let failed;
  for (const rate of RATES.filter((r) => r <= MAX_RATE)) {
    const r = await tryRate(server, rate);
    if (!r) { failed = rate; break; }
    best = r;
  }
  for (let i = 0; i < 2 && best && failed; i++) {
    const mid = Math.round((best.rate + failed) / 2 / 50) * 50;
    if (mid <= best.rate || mid >= failed) break;
    const r = await tryRate(server, mid);
    if (r) best = r;
    else failed = mid;
  }
  return best;
}

function buildNamespaces() {
  space.addNamespace('srv');
  space.addNamespace('cli');
  space.veth({ role: 'srv', ifname: 'eth0' }, { role: 'cli', ifname: 'eth0' });
  space.exec('srv', 'ip', ['addr', 'add', `${SERVER_IP}/16`, 'dev', 'eth0']);
  space.exec('cli', 'ip', ['addr', 'add', `${RELAY_IP}/16`, 'dev', 'eth0']);
  for (const role of ['srv', 'cli']) space.exec(role, 'ip', ['link', 'set', 'eth0', 'up']);
}

let exitCode = 0;
const onSignal = () => { space.destroy(); rmSync(work, { recursive: true, force: true }); process.exit(130); };
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  buildNamespaces();
  const cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  console.log(`DHCP lease rate at <= 1 % drops: perfdhcp -R ${CLIENTS} -p ${SECONDS} as a relay, ${cpu} cores, load ${load}`);
  const results = [];
  for (const server of servers) {
    const best = await bestRate(server);
    results.push({ server, best });
  }
  console.log('\nserver        leases/s  (at <= 1 % drops)');
  for (const { server, best } of results) console.log(`${server.name.padEnd(12)} ${(best ? best.leasesPerSecond.toFixed(0) : '-').padStart(9)}   ${server.note}`);
  const outpost = results.find((r) => r.server.name === 'outpost')?.best?.leasesPerSecond;
  for (const { server, best } of results) {
    if (server.name.startsWith('outpost') || !best || !outpost) continue;
    console.log(`outpost ÷ ${server.name}: ${(outpost / best.leasesPerSecond).toFixed(2)}`);
  }
} catch (e) {
  console.error(`dhcp bench failed: ${e.stack ?? e}`);
  exitCode = 1;
} finally {
  space.destroy();
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
