// Runs the Outpost daemon inside a lab's appliance namespace with a lab configuration, and
// reads its API there (the API listens on that namespace's loopback).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { execIn } from './ns-exec.js';
import { LAN, WAN, type Lab } from './topology.js';
import { repoPath } from './repo-root.js';

export const LAB_API = '127.0.0.1:8080';

export interface LabOutpost {
  child: ChildProcess;
  configPath: string;
  dataDir: string;
  /** GET a JSON path of the API (e.g. `/api/wan`); undefined when the daemon does not answer. */
  api<T = unknown>(path: string): Promise<T | undefined>;
  /** SIGTERM and wait for the exit (SIGKILL after the timeout); resolves to the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Everything the daemon logged so far. */
  log(): string;
}

export function labConfig(dataDir: string, overrides = ''): string {
  return `# Outpost in the lab: lan0 faces the phones' switch, wan0 the CUCM stand-in.
lan: { interface: lan0, address: ${LAN.appAddress}, prefixLength: ${LAN.prefixLen} }
voice: { vlan: 100, cos: 5, dscp: 46 }
link: { systemName: outpost-lab, cdp: { intervalSeconds: 5 }, lldp: { intervalSeconds: 5 } }
dhcp: { pool: 10.20.0.100-10.20.0.199, router: ${LAN.appAddress}, lease: 3600 }
upstream: { cucm: [${WAN.cucmAddress}] }
wan: { probeIntervalMs: 500, probeTimeoutMs: 400, failuresToSurvival: 3, holdDownSeconds: 3 }
dataDir: ${dataDir}
api: { listen: ${LAB_API} }
log: { level: info }
${overrides}`;
}

export async function startLabOutpost(lab: Lab, opts: { overrides?: string; name?: string } = {}): Promise<LabOutpost> {
  const dataDir = join(lab.workDir, opts.name ?? 'outpost-data');
  const configPath = join(lab.workDir, `${opts.name ?? 'outpost'}.yaml`);
  writeFileSync(configPath, labConfig(dataDir, opts.overrides));
  const child = lab.space.spawn('app', process.execPath, [repoPath('bin', 'outpost.js'), 'run', '--config', configPath]);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ns = lab.ns('app');

  const api = async <T>(path: string): Promise<T | undefined> => {
    const r = await execIn(ns, 'curl', ['-sf', '--max-time', '2', `http://${LAB_API}${path}`], { timeoutMs: 5000 });
    if (r.code !== 0) return undefined;
    try { return JSON.parse(r.stdout) as T; } catch { return undefined; }
  };

  const deadline = Date.now() + 20_000;
  while (!(await api('/api/wan'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Outpost did not start in the lab:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    child, configPath, dataDir, api,
    log: () => output,
    async stop(timeoutMs = 5000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
