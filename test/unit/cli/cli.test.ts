// The `outpost` command as a user runs it (the built CLI in dist/, as installed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../../../src/lab/repo-root.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outpost = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin', 'outpost.js'), ...args], { encoding: 'utf8' });

describe('outpost command line', () => {
  beforeAll(() => {
    // `npm test` builds dist/ before running the tests.
    if (!existsSync(repoPath('dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first: these tests run the built CLI');
  });

  it('--help lists the commands', () => {
    const r = outpost('--help');
    expect(r.status).toBe(0);
    for (const cmd of ['run', 'config', 'show', 'decode', 'demo', 'lab']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('refuses a configuration with a wrong field and names it', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `lan: { interface: lan0, address: 10.20.0.1 }
voice: { vlan: 100, cos: 9 }
dhcp: { pool: 10.20.0.100-10.20.0.199 }
upstream: { cucm: [10.30.0.1] }
dataDir: ${dir}
`);
    for (const args of [['config', 'check', file], ['run', '--config', file]]) {
      const r = outpost(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/voice\.cos: .*7/);
    }
  });

  it('accepts the annotated example configuration', () => {
    const r = outpost('config', 'check', repoPath('config', 'example.yaml'));
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).voice.vlan).toBe(100);
  });

  it('decodes a capture to one JSON object per message', () => {
    const r = outpost('decode', repoPath('test', 'fixtures', 'pcap', 'cdp', 'cdp_phones_cp7912_cp7970_power_request.pcap'), '--json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[1]).toMatchObject({ frame: 2, protocol: 'cdp', deviceId: 'SEP0012DADBD34E', powerRequested: { requestId: 54094 } });
  });

  it('keeps decoding past a malformed frame', () => {
    const r = outpost('decode', repoPath('test', 'fixtures', 'pcap', 'lldp', 'lldpmed_malformed_location_negative.pcap'), '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n')[0])).toMatchObject({ frame: 1, error: expect.any(String) });
  });
});
