// Loads and validates the YAML configuration; errors name the field and the reason.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type OutpostConfig } from './schema.js';
import { requireIp } from '../util/ipv4.js';
import { err, ok, type Result } from '../util/result.js';

export function parseConfig(text: string, source = 'config'): Result<OutpostConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    return err(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = issue.path.length ? issue.path.join('.') : '(top level)';
      const extra = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
      return `  ${field}: ${extra}`;
    });
    return err(`${source}: invalid configuration\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  const problem = crossCheck(cfg);
  return problem ? err(`${source}: invalid configuration\n  ${problem}`) : ok(cfg);
}

export function loadConfig(path: string): Result<OutpostConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return err(`${path}: cannot read: ${(e as Error).message}`);
  }
  return parseConfig(text, path);
}

/** Facts that involve two fields at once. */
function crossCheck(cfg: OutpostConfig): string | undefined {
  const [first, last] = cfg.dhcp.pool.split('-').map((s) => requireIp(s.trim()));
  const mask = cfg.lan.prefixLength === 0 ? 0 : (~0 << (32 - cfg.lan.prefixLength)) >>> 0;
  const net = (requireIp(cfg.lan.address) & mask) >>> 0;
  if (((first & mask) >>> 0) !== net || ((last & mask) >>> 0) !== net) {
    return `dhcp.pool: ${cfg.dhcp.pool} is not inside lan ${cfg.lan.address}/${cfg.lan.prefixLength}`;
  }
  const self = requireIp(cfg.lan.address);
  if (self >= first && self <= last) return `dhcp.pool: contains Outpost's own address ${cfg.lan.address}`;
  return undefined;
}
