#!/usr/bin/env node
// SIP REGISTER rate: Kamailio alone, Outpost proxying to Kamailio (online), and Outpost's own
// registrar (survival), measured with sipp in one run, in one lab, on this machine.
//
//   npm run build && node scripts/bench/sip.mjs [--seconds 5] [--max-rate 10000] [--only survival]
//
// sipp runs in a phone namespace and sends Cisco-shaped REGISTERs (scripts/lab/
// sipp-register-many.xml), each from a new phone (device name, MAC, DN from an injection
// file), the boot storm after a branch power cut. For each target the rate climbs until sipp
// sees a retransmission, a failed REGISTER or a missed rate; the best clean rate is its
// score. Kamailio is the lab's CUCM stand-in (scripts/lab/kamailio.cfg, 2 UDP workers, usrloc
// in memory); Outpost keeps every binding on disk (SQLite, written behind) and records each
// phone's journey. Kamailio and Outpost's survival registrar each start empty. Needs root;
// everything runs in namespaces this script creates and removes.
//
// The machine is shared: Kamailio and Outpost's survival registrar climb the rates together,
// one step each in turn, so that other work slows both alike; a step that is not clean is tried
// once more before a target leaves the ladder. The online proxy climbs on its own afterwards.
// Each step also prints the CPU time the target's processes (all of Kamailio's, Outpost's
// daemon with its threads) spent per REGISTER, read from /proc: unlike the rate, it hardly
// moves with what else runs on the machine.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoPath } from './lib/repo.mjs';

const { Lab } = await import(repoPath('dist/lab/topology.js'));
const { startLabOutpost } = await import(repoPath('dist/lab/outpost.js'));
const { execIn } = await import(repoPath('dist/lab/ns-exec.js'));
const { sh } = await import(repoPath('dist/lab/netns.js'));
const { SIPP_REGISTER_MANY_SCENARIO, sippPhonesCsv, syntheticPhones } = await import(repoPath('dist/lab/sipp.js'));

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'max-rate': { type: 'string', default: '10000' },
    // Comma-separated subset of kamailio,online,survival (while working on one of them).
    only: { type: 'string', default: 'kamailio,online,survival' },
  },
});
const SECONDS = Number(opts.seconds);
const MAX_RATE = Number(opts['max-rate']);
const ONLY = new Set(opts.only.split(','));
const RATES = [250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 12_000, 15_000].filter((r) => r <= MAX_RATE);
const PHONE_IP = '10.20.0.250';
const OUTPOST = '10.20.0.1';
const KAMAILIO = '10.30.0.1';

if (process.getuid?.() !== 0) {
  console.error('sip bench: needs root (network namespaces)');
  process.exit(2);
}

let nextDn = 100_000;
const TICK_US = 1e6 / Number(sh('getconf', ['CLK_TCK']).trim() || 100);

/** utime and stime of these processes (all their threads), in µs. */
function cpuUs(pids) {
  let user = 0;
  let sys = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      user += Number(fields[11]);
      sys += Number(fields[12]);
    } catch { /* exited */ }
  }
  return { user: user * TICK_US, sys: sys * TICK_US };
}

/** One sipp run at `rate` REGISTER/s for SECONDS; clean when nothing was retransmitted or lost. */
/** UDP datagrams a namespace's kernel dropped for a full receive buffer (RcvbufErrors). */
function udpDrops(ns) {
  const lines = sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.trim().split(/\s+/));
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

async function run(lab, target, rate, pids, targetNs) {
  const count = Math.max(1, Math.round(rate * SECONDS));
  const csv = join(lab.workDir, `phones-${nextDn}.csv`);
  writeFileSync(csv, sippPhonesCsv(syntheticPhones(count, nextDn)));
  nextDn += count;
  const stat = join(lab.workDir, `stat-${nextDn}.csv`);
  const started = Date.now();
  const cpuBefore = cpuUs(pids);
  const dropsBefore = { target: udpDrops(targetNs), phone: udpDrops(lab.phones[0].ns) };
  const r = await execIn(lab.phones[0].ns, 'sipp', ['-sf', repoPath(...SIPP_REGISTER_MANY_SCENARIO), '-inf', csv, '-key', 'expires', '3600',
    '-r', String(rate), '-m', String(count), '-l', String(Math.max(1000, rate * 4)), '-nostdin', '-t', 'u1', '-i', PHONE_IP,
    // sipp's own receive buffer (64 KB by default) overflowed first at ~6,000/s; the load generator must not be the limit.
    '-buff_size', String(4 << 20),
    '-timeout', String(SECONDS + 20), '-timeout_error', '-trace_stat', '-stf', stat, '-fd', '1', target], { timeoutMs: (SECONDS + 40) * 1000 });
  const elapsed = (Date.now() - started) / 1000;
  const cpuAfter = cpuUs(pids);
  const drops = { target: udpDrops(targetNs) - dropsBefore.target, phone: udpDrops(lab.phones[0].ns) - dropsBefore.phone };
  const userPerRegister = (cpuAfter.user - cpuBefore.user) / count;
  const sysPerRegister = (cpuAfter.sys - cpuBefore.sys) / count;
  const cpuPerRegister = userPerRegister + sysPerRegister;
  const last = existsSync(stat) ? readFileSync(stat, 'utf8').trim().split('\n') : [];
  const header = (last[0] ?? '').split(';');
  const values = (last[last.length - 1] ?? '').split(';');
  const col = (name) => Number(values[header.indexOf(name)] ?? NaN);
  const retrans = col('Retransmissions(C)');
  const ok = col('SuccessfulCall(C)');
  const failed = col('FailedCall(C)');
  // sipp cannot keep the rate if the target answers too slowly: that is not clean either.
  const kept = elapsed <= SECONDS * 1.5 + 3;
  const clean = r.code === 0 && retrans === 0 && failed === 0 && ok === count && kept;
  return { rate, count, ok, failed, retrans, elapsed, clean, cpuPerRegister, userPerRegister, sysPerRegister, drops };
}

/** One rate step for a target: a step that is not clean is tried once more. */
async function step(lab, target, rate) {
  let res;
  for (let attempt = 1; attempt <= 2; attempt++) {
    res = await run(lab, target.address, rate, target.pids(), target.ns);
    console.log(`${target.name.padEnd(22)} ${String(rate).padStart(6)}/s  ok ${String(res.ok).padStart(6)}/${res.count}  failed ${res.failed}  retransmissions ${res.retrans}  ${res.elapsed.toFixed(1)} s  cpu ${res.cpuPerRegister.toFixed(0)} µs/REGISTER (user ${res.userPerRegister.toFixed(0)}, kernel ${res.sysPerRegister.toFixed(0)})${res.drops.target + res.drops.phone > 0 ? `  receive-buffer drops: target ${res.drops.target}, sipp ${res.drops.phone}` : ''}  ${res.clean ? 'clean' : 'NOT clean'}`);
    await sleep(1000);
    if (res.clean) break;
  }
  return res;
}

/**
 * Climbs the rates for several targets together, one step each in turn (the first to go
 * alternates), so that load from other work on the machine falls on all of them alike. A
 * target leaves the ladder at its first step that is not clean. Returns, per target, the best
 * clean rate and the CPU µs per REGISTER at each clean rate.
 */
async function ladder(lab, targets) {
  const score = new Map(targets.map((t) => [t, { best: 0, cpu: new Map() }]));
  let climbing = [...targets];
  for (const [i, rate] of RATES.entries()) {
    if (climbing.length === 0) break;
    const order = i % 2 === 0 ? climbing : [...climbing].reverse();
    for (const target of order) {
      const res = await step(lab, target, rate);
      if (!res.clean) {
        climbing = climbing.filter((t) => t !== target);
        continue;
      }
      score.get(target).best = rate;
      score.get(target).cpu.set(rate, res.cpuPerRegister);
    }
  }
  return score;
}

const lab = await Lab.up({ phones: 1 });
let outpost;
try {
  const ns = lab.phones[0].ns;
  sh('ip', ['-n', ns, 'addr', 'add', `${PHONE_IP}/24`, 'dev', 'eth0']);
  sh('ip', ['-n', ns, 'route', 'add', '10.30.0.0/24', 'via', OUTPOST]);
  console.log(`sipp REGISTER, ${SECONDS} s per step, new phone per REGISTER; machine: ${(await import('node:os')).cpus().length} cores (shared with other work)`);

  const none = { best: 0, cpu: new Map() };
  const waitWan = async (state) => {
    const end = Date.now() + 15_000;
    while ((await outpost.api('/api/wan'))?.state !== state) {
      if (Date.now() > end) throw new Error(`Outpost did not become ${state}`);
      await sleep(100);
    }
  };
  // Kamailio's processes: those of the lab's CUCM namespace named kamailio.
  const kamailioPids = () => sh('ip', ['netns', 'pids', lab.ns('cucm')]).trim().split('\n').filter(Boolean).map(Number)
    .filter((pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'kamailio'; } catch { return false; } });
  const outpostPid = () => [outpost.child.pid];
  const kamailioTarget = { name: 'Kamailio alone', address: `${KAMAILIO}:5060`, pids: kamailioPids, ns: lab.ns('cucm') };
  const survivalTarget = { name: 'Outpost survival', address: `${OUTPOST}:5060`, pids: outpostPid, ns: lab.ns('app') };
  const onlineTarget = { name: 'Outpost online (proxy)', address: `${OUTPOST}:5060`, pids: () => [...outpostPid(), ...kamailioPids()], ns: lab.ns('app') };

  // Kamailio and Outpost's survival registrar climb together, both from empty. Outpost is in
  // survival because nothing it sends itself reaches the CUCM (its probes go unanswered), while
  // sipp's REGISTERs to Kamailio, routed through Outpost's box, still do.
  sh('ip', ['netns', 'exec', lab.ns('app'), 'nft', '-f', '-'], `table inet bench_wan_down { chain output { type filter hook output priority 0; ip daddr ${KAMAILIO} drop; }; }`);
  outpost = await startLabOutpost(lab, { name: 'outpost-survival', overrides: 'sip: { maxTransactions: 100000 }\n' });
  await waitWan('survival');
  const together = await ladder(lab, [kamailioTarget, survivalTarget].filter((t) => (t === kamailioTarget ? ONLY.has('kamailio') : ONLY.has('survival'))));
  const kamailio = together.get(kamailioTarget) ?? none;
  const survival = together.get(survivalTarget) ?? none;
  await outpost.stop();
  sh('ip', ['netns', 'exec', lab.ns('app'), 'nft', 'delete', 'table', 'inet', 'bench_wan_down']);

  let online = none;
  if (ONLY.has('online')) {
    outpost = await startLabOutpost(lab, { overrides: 'sip: { maxTransactions: 100000 }\n' });
    await waitWan('online');
    online = (await ladder(lab, [onlineTarget])).get(onlineTarget);
  }

  const ratio = (x) => (kamailio.best > 0 ? (x / kamailio.best).toFixed(2) : 'n/a');
  console.log('\nhighest REGISTER rate with no retransmissions (higher is better):');
  console.log(`  Kamailio alone            ${String(kamailio.best).padStart(6)}/s`);
  console.log(`  Outpost online (proxy)    ${String(online.best).padStart(6)}/s   (Outpost ÷ Kamailio = ${ratio(online.best)})`);
  console.log(`  Outpost survival          ${String(survival.best).padStart(6)}/s   (Outpost ÷ Kamailio = ${ratio(survival.best)})`);
  // CPU per REGISTER falls as the rate rises (fixed costs spread thinner): compare at one rate.
  const common = RATES.filter((r) => kamailio.cpu.has(r) && survival.cpu.has(r)).pop();
  if (common !== undefined) {
    const k = kamailio.cpu.get(common);
    const o = survival.cpu.get(common);
    console.log(`CPU per REGISTER at ${common}/s, the highest rate both cleared (lower is better): Kamailio ${k.toFixed(0)} µs, Outpost survival ${o.toFixed(0)} µs (Outpost ÷ Kamailio = ${(o / k).toFixed(2)})`);
  }
} finally {
  await outpost?.stop();
  await lab.down();
}
