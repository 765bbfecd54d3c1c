// What a running lab is made of (prefix, namespaces, daemon PIDs, directories), kept in a small
// JSON file so `outpost lab up`, `status` and `down` can run as separate processes.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const processSchema = z.object({ name: z.string(), role: z.string(), pid: z.number().int().positive(), comm: z.string(), log: z.string() });
const phoneSchema = z.object({
  index: z.number().int().positive(), mac: z.string(), deviceName: z.string(), dn: z.string(), ns: z.string(), ifname: z.literal('eth0'),
});

export const labStateSchema = z.object({
  version: z.literal(1),
  prefix: z.string().regex(/^[A-Za-z0-9_]{1,32}$/),
  createdAt: z.string(),
  ownerPid: z.number().int(),
  persist: z.boolean(),
  workDir: z.string(),
  namespaces: z.array(z.string()),
  phones: z.array(phoneSchema),
  cucm: z.object({ address: z.string(), tftpDir: z.string(), kamailioCtl: z.string().optional() }),
  processes: z.array(processSchema),
});
export type LabState = z.infer<typeof labStateSchema>;

/** /run/outpost-lab unless OUTPOST_LAB_STATE_DIR says otherwise (tests, non-root experiments). */
export function labStateDir(): string {
  return process.env.OUTPOST_LAB_STATE_DIR ?? '/run/outpost-lab';
}

export function labStatePath(prefix: string, dir = labStateDir()): string {
  return join(dir, `${prefix}.json`);
}

/** Written atomically, so a status reader never sees half a file. */
export function writeLabState(state: LabState, dir = labStateDir()): void {
  mkdirSync(dir, { recursive: true });
  const path = labStatePath(state.prefix, dir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}

export function readLabState(prefix: string, dir = labStateDir()): LabState | undefined {
  let text: string;
  try { text = readFileSync(labStatePath(prefix, dir), 'utf8'); } catch { return undefined; }
  const parsed = labStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`lab: state file ${labStatePath(prefix, dir)} is not a lab state: ${parsed.error.message}`);
  return parsed.data;
}

export function listLabPrefixes(dir = labStateDir()): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

export function removeLabState(prefix: string, dir = labStateDir()): void {
  rmSync(labStatePath(prefix, dir), { force: true });
}
