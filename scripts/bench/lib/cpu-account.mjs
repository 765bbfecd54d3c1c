// CPU time of a server and everything it forks, for the benchmarks. A server that forks a child
// per transfer and ignores SIGCHLD (tftpd-hpa) never has its children's time added to its own,
// so each server gets a control group of its own: the group counts every process in it,
// including the ones that have exited. cgroup v2 where it is mounted, else v1's cpuacct; without
// either, the process's own /proc figures (threads and reaped children only).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const V2 = '/sys/fs/cgroup';
const V1 = '/sys/fs/cgroup/cpuacct';
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

function procCpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** Starts counting the CPU time of `pid` and its descendants from now on; `ms()` reads it. */
export function accountCpu(pid, name) {
  const attempts = [
    { dir: join(V2, name), procs: 'cgroup.procs', read: (d) => Number(/usage_usec (\d+)/.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'))?.[1]) / 1000, when: existsSync(join(V2, 'cgroup.controllers')) },
    { dir: join(V1, name), procs: 'cgroup.procs', read: (d) => Number(readFileSync(join(d, 'cpuacct.usage'), 'utf8')) / 1e6, when: existsSync(join(V1, 'cpuacct.usage')) },
  ];
  for (const a of attempts.filter((x) => x.when)) {
    try {
      mkdirSync(a.dir);
      writeFileSync(join(a.dir, a.procs), String(pid));
      return {
        how: 'control group',
        ms: () => a.read(a.dir),
        /** Moves the processes left back to the root group and removes this one. */
        release: () => {
          try {
            for (const p of readFileSync(join(a.dir, a.procs), 'utf8').split('\n').filter(Boolean)) writeFileSync(join(a.dir, '..', a.procs), p);
            rmdirSync(a.dir);
          } catch { /* the processes are gone with the lab */ }
        },
      };
    } catch {
      try { rmdirSync(a.dir); } catch { /* never made */ }
    }
  }
  return { how: '/proc (reaped children only)', ms: () => procCpuMs(pid), release: () => undefined };
}
