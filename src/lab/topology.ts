// The Outpost lab: phones, a switch, the appliance, a WAN and a stand-in CUCM, each in its own
// network namespace, with real daemons upstream. Used by the end-to-end tests, the benchmarks
// and the `npm start` demo.
//
//   phone netns (eth0) ──┐
//   phone netns (eth0) ──┼─ switch netns: br0 ── app netns lan0 10.20.0.1/24
//                        │
//   app netns wan0 10.30.0.2/24 ── wan netns: brw ── cucm netns wan0 10.30.0.1/24 (tftpd-hpa, Kamailio)
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LabSpace, sh, uniquePrefix } from './netns.js';
import { CUCM_ADDRESS, populateTftpDir, startCucm } from './cucm.js';
import { readKamailioLocations, type KamailioLocation } from './kamailio-locations.js';
import { labStateDir, listLabPrefixes, readLabState, removeLabState, writeLabState, type LabState } from './lab-state.js';
import { addPhone, buildBackbone, namespacesWithPrefix, type LabPhone } from './network.js';
import { MAX_PHONES, phoneIdentity } from './phone-identity.js';
import { isAlive, stopProcesses, type LabProcess } from './processes.js';
import * as wan from './wan-cut.js';

export type { LabPhone } from './network.js';
export type { KamailioLocation } from './kamailio-locations.js';
export { LAN, WAN } from './network.js';

export type LabRole = 'app' | 'wan' | 'cucm' | 'switch' | `phone${number}`;

export interface LabOptions {
  prefix?: string;
  phones: number;
  /** Extra files for the CUCM TFTP to serve (copied; they win over the generated ones). */
  tftpDir?: string;
  /** Start Kamailio as the CUCM's SIP registrar (default true). */
  kamailio?: boolean;
  /** Detach the daemons so the lab outlives this process (`outpost lab up`). */
  persist?: boolean;
}

export interface LabCucm {
  address: string;
  tftpDir: string;
  kamailioCtl?: string;
}

export interface LabStatus {
  prefix: string;
  workDir: string;
  wanCut: boolean;
  namespaces: { name: string; exists: boolean }[];
  links: { ns: string; ifname: string; state: string; mac?: string; master?: string; addresses: string[] }[];
  processes: { name: string; role: string; pid: number; alive: boolean; log: string }[];
  phones: number;
}

const WORKDIR_TAG = 'outpost-lab-';

export class Lab {
  private stopping?: Promise<void>;
  private readonly createdAt = new Date().toISOString();

  private constructor(
    readonly space: LabSpace,
    readonly workDir: string,
    readonly phones: LabPhone[],
    readonly cucm: LabCucm,
    readonly processes: LabProcess[],
    private readonly persist: boolean,
  ) {}

  get prefix(): string {
    return this.space.prefix;
  }

  /** Builds the namespaces and wires, starts the CUCM stand-ins and waits until they answer. */
  static async up(opts: LabOptions): Promise<Lab> {
    if (!Number.isInteger(opts.phones) || opts.phones < 0 || opts.phones > MAX_PHONES) throw new Error(`lab: phones must be 0..${MAX_PHONES}`);
    const prefix = opts.prefix ?? uniquePrefix('lab');
    if (!/^[A-Za-z0-9_]{1,32}$/.test(prefix)) throw new Error(`lab: prefix "${prefix}" must be 1-32 letters, digits or _`);
    if (namespacesWithPrefix(prefix).length > 0) throw new Error(`lab: namespaces with prefix "${prefix}-" already exist (another lab, or run \`outpost lab down ${prefix}\`)`);

    const workDir = mkdtempSync(join(tmpdir(), `${WORKDIR_TAG}${prefix}-`));
    chmodSync(workDir, 0o755);
    const cucm: LabCucm = { address: CUCM_ADDRESS, tftpDir: join(workDir, 'tftp') };
    const lab = new Lab(new LabSpace(prefix), workDir, [], cucm, [], opts.persist ?? false);
    try {
      lab.save();
      buildBackbone(lab.space);
      for (let i = 1; i <= opts.phones; i++) lab.phones.push(addPhone(lab.space, phoneIdentity(i)));
      populateTftpDir(cucm.tftpDir, lab.phones, CUCM_ADDRESS, opts.tftpDir);
      lab.save();
      const standIns = await startCucm(lab.space, {
        workDir, tftpDir: cucm.tftpDir, kamailio: opts.kamailio ?? true, persist: lab.persist,
        onStarted: (proc) => { lab.processes.push(proc); lab.save(); },
      });
      cucm.kamailioCtl = standIns.kamailioCtl;
      lab.save();
      return lab;
    } catch (e) {
      await lab.down();
      throw e;
    }
  }

  /** The lab another process started, from its state file (or, without one, from its namespaces). */
  static attach(prefix: string): Lab {
    const state = readLabState(prefix);
    const space = new LabSpace(prefix);
    if (!state) {
      space.namespaces.push(...namespacesWithPrefix(prefix));
      return new Lab(space, '', [], { address: CUCM_ADDRESS, tftpDir: '' }, [], true);
    }
    space.namespaces.push(...state.namespaces);
    return new Lab(space, state.workDir, state.phones, state.cucm, state.processes, state.persist);
  }

  /** Full namespace name of a role: lab.ns('app') is "<prefix>-app". */
  ns(role: LabRole): string {
    return this.space.ns(role);
  }

  cutWan(): void {
    wan.cutWan(this.ns('wan'));
  }

  restoreWan(): void {
    wan.restoreWan(this.ns('wan'));
  }

  wanIsCut(): boolean {
    return wan.wanIsCut(this.ns('wan'));
  }

  /** The registrations the CUCM's registrar (Kamailio) holds now. */
  kamailioLocations(): KamailioLocation[] {
    if (!this.cucm.kamailioCtl) throw new Error('lab: this lab runs no Kamailio');
    return readKamailioLocations(this.cucm.kamailioCtl);
  }

  status(): LabStatus {
    const existing = new Set(namespacesWithPrefix(this.prefix));
    const names = [...new Set([...this.space.namespaces, ...existing])];
    const links: LabStatus['links'] = [];
    for (const ns of names.filter((n) => existing.has(n))) {
      try {
        const ifaces = JSON.parse(sh('ip', ['-n', ns, '-j', 'addr', 'show'])) as {
          ifname: string; operstate: string; address?: string; master?: string; addr_info?: { local: string; prefixlen: number }[];
        }[];
        for (const i of ifaces.filter((x) => x.ifname !== 'lo')) {
          links.push({ ns, ifname: i.ifname, state: i.operstate, mac: i.address, master: i.master,
            addresses: (i.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`) });
        }
      } catch { /* namespace vanished while we looked */ }
    }
    return {
      prefix: this.prefix,
      workDir: this.workDir,
      wanCut: existing.has(this.ns('wan')) && this.wanIsCut(),
      namespaces: names.map((name) => ({ name, exists: existing.has(name) })),
      links,
      processes: this.processes.map((p) => ({ name: p.name, role: p.role, pid: p.pid, alive: isAlive(p), log: p.log })),
      phones: this.phones.length,
    };
  }

  /** Stops every daemon by PID, deletes every namespace with the lab's prefix and its files. Idempotent. */
  down(): Promise<void> {
    this.stopping ??= this.stopAndRemove();
    return this.stopping;
  }

  private async stopAndRemove(): Promise<void> {
    await stopProcesses(this.processes);
    for (const n of namespacesWithPrefix(this.prefix)) {
      if (!this.space.namespaces.includes(n)) this.space.namespaces.push(n);
    }
    this.space.destroy(); // kills whatever is left in the namespaces by PID, then deletes them
    // Only ever remove a directory this lab created under the temp dir.
    if (this.workDir && dirname(this.workDir) === tmpdir() && basename(this.workDir).startsWith(`${WORKDIR_TAG}${this.prefix}-`)) {
      rmSync(this.workDir, { recursive: true, force: true });
    }
    removeLabState(this.prefix);
  }

  /** The lab as recorded in its state file. */
  state(): LabState {
    return {
      version: 1, prefix: this.prefix, createdAt: this.createdAt, ownerPid: process.pid, persist: this.persist,
      workDir: this.workDir, namespaces: [...this.space.namespaces], phones: this.phones, cucm: { ...this.cucm }, processes: this.processes,
    };
  }

  private save(): void {
    writeLabState(this.state());
  }
}

/** `outpost lab up`: a lab whose daemons outlive the calling process. */
export async function labUp(opts: Omit<LabOptions, 'persist'>): Promise<LabState> {
  const lab = await Lab.up({ ...opts, persist: true });
  return lab.state();
}

/** `outpost lab down [prefix]`: one lab, or every lab with a state file. Returns the prefixes taken down. */
export async function labDown(prefix?: string): Promise<string[]> {
  const prefixes = prefix ? [prefix] : listLabPrefixes();
  for (const p of prefixes) await Lab.attach(p).down();
  return prefixes;
}

/** `outpost lab status [prefix]`: one lab, or every lab with a state file. */
export function labStatus(prefix?: string): LabStatus[] {
  const prefixes = prefix ? [prefix] : listLabPrefixes();
  return prefixes.map((p) => Lab.attach(p).status());
}

export { labStateDir };
