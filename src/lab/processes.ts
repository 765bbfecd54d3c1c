// Long-running lab daemons (the CUCM stand-ins): started by PID with their output in a log file,
// and stopped by PID, politely first so Kamailio can take its worker processes down with it.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { LabSpace } from './netns.js';

export interface LabProcess {
  name: string; // what it stands in for: "tftpd", "kamailio"
  role: string; // namespace role it runs in
  pid: number;
  comm: string; // kernel command name, to refuse killing a recycled PID
  log: string;
}

/**
 * Starts a daemon in a namespace with stdout/stderr appended to `log` (a pipe nobody drains
 * would stall a chatty daemon). `persist` detaches it so a short-lived `outpost lab up` can exit.
 */
export function startDaemon(space: LabSpace, spec: { name: string; role: string; cmd: string; args: string[]; log: string; persist: boolean }): { proc: LabProcess; child: ChildProcess } {
  const fd = openSync(spec.log, 'a');
  try {
    const child = space.spawn(spec.role, spec.cmd, spec.args, { stdio: ['ignore', fd, fd], detached: spec.persist });
    if (child.pid === undefined) throw new Error(`lab: could not start ${spec.cmd}`);
    if (spec.persist) child.unref();
    // `ip netns exec` execs the command in place, so this PID is the daemon itself.
    return { proc: { name: spec.name, role: spec.role, pid: child.pid, comm: basename(spec.cmd).slice(0, 15), log: spec.log }, child };
  } finally {
    closeSync(fd);
  }
}

/** Alive, not a zombie, and still the program we started (PIDs get reused). */
export function isAlive(proc: Pick<LabProcess, 'pid' | 'comm'>): boolean {
  try {
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    // Right after spawn the process may still be `ip` on its way to exec'ing the daemon.
    return state !== 'Z' && state !== 'X' && (comm === proc.comm || comm === 'ip');
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}

/** SIGTERM, wait up to `graceMs` for each to exit, then SIGKILL what is left. */
export async function stopProcesses(procs: LabProcess[], graceMs = 3000): Promise<void> {
  const running = procs.filter(isAlive);
  for (const p of running) signal(p.pid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (running.some(isAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  for (const p of running.filter(isAlive)) signal(p.pid, 'SIGKILL');
}

/** The last lines of a daemon's log, for error messages when it fails to come up. */
export function logTail(proc: LabProcess, lines = 15): string {
  try {
    return readFileSync(proc.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
