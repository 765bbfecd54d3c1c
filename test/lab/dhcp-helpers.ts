// Shared by the DHCP lab tests: Outpost in the lab with a test's own `dhcp:` section (kept
// across restarts, same data directory), and real DHCP clients run with Outpost-free scripts
// of our own (never the distro hooks, which would rewrite the host's resolv.conf).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Lab, LabPhone } from '../../src/lab/topology.js';
import { LAB_API, labConfig } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { repoPath } from '../../src/lab/repo-root.js';

export const OUTPOST_IP = '10.20.0.1';
export const CISCO_VENDOR_CLASS = 'Cisco Systems, Inc. IP Phone CP-8845';

export interface LeaseView { ip: string; mac: string; clientId?: string; state: string; type: string; expiresAt: string; vendorClass?: string }
export interface JourneyView { journey: { step: string; outcome: string; detail: string }[] }

export interface DhcpOutpost {
  child: ChildProcess;
  api<T>(path: string): Promise<T | undefined>;
  text(path: string): Promise<string>;
  stop(): Promise<void>;
  /** SIGKILL: the power-cut stand-in. */
  crash(): Promise<void>;
  log(): string;
}

/** Starts Outpost with `dhcp` as its whole `dhcp:` section; `name` picks the data directory. */
export async function startDhcpOutpost(lab: Lab, dhcp: string, name = 'outpost'): Promise<DhcpOutpost> {
  const dataDir = join(lab.workDir, `${name}-data`);
  const configPath = join(lab.workDir, `${name}.yaml`);
  const config = labConfig(dataDir).replace(/^dhcp: .*$/m, `dhcp: ${dhcp}`);
  if (!config.includes(`dhcp: ${dhcp}`)) throw new Error('labConfig has no one-line dhcp section to replace');
  writeFileSync(configPath, config);
  const child = lab.space.spawn('app', process.execPath, [repoPath('bin', 'outpost.js'), 'run', '--config', configPath]);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ns = lab.ns('app');
  const text = async (path: string) => (await execIn(ns, 'curl', ['-sf', '--max-time', '2', `http://${LAB_API}${path}`], { timeoutMs: 5000 })).stdout;
  const api = async <T>(path: string): Promise<T | undefined> => {
    try { return JSON.parse(await text(path)) as T; } catch { return undefined; }
  };
  const deadline = Date.now() + 20_000;
  while (!(await api('/api/leases'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Outpost did not start:\n${output}`);
    }
    await sleep(200);
  }
  return {
    child, api, text, log: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
    async crash() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A client script that appends one line of `KEY=VALUE` pairs per event and configures the address. */
export function clientScript(lab: Lab, name: string, body: string): { path: string; events: () => Record<string, string>[] } {
  const path = join(lab.workDir, `${name}.sh`);
  const log = join(lab.workDir, `${name}.events`);
  writeFileSync(path, `#!/bin/sh\n${body.replaceAll('$LOG', log)}\n`);
  chmodSync(path, 0o755);
  return {
    path,
    events: () => existsSync(log)
      ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => Object.fromEntries(l.split(' ').map((kv) => kv.split('=') as [string, string])))
      : [],
  };
}

/** The phone's journey entries from the DHCP plane. */
export async function dhcpJourney(outpost: DhcpOutpost, phone: LabPhone): Promise<string[]> {
  const p = await outpost.api<JourneyView>(`/api/phones/${phone.deviceName}`);
  return (p?.journey ?? []).filter((e) => e.step === 'dhcp').map((e) => e.detail);
}

export async function leaseOf(outpost: DhcpOutpost, mac: string): Promise<LeaseView | undefined> {
  const leases = await outpost.api<LeaseView[]>('/api/leases');
  return leases?.find((l) => l.mac === mac && l.state === 'bound');
}

export async function addressesOf(ns: string): Promise<string[]> {
  const r = await execIn(ns, 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0']);
  const parsed = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
  return parsed.flatMap((i) => (i.addr_info ?? []).map((a) => a.local));
}
