// `outpost decode FILE.pcap[ng] --json` through the built command line: a malformed LLDP-MED
// frame (the real fixture) and a truncated CDP frame each print {"frame":N,"error":...} and the
// frames after them are still decoded, from classic pcap and from pcapng (made by editcap).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePcap } from '../../../src/util/pcap-writer.js';
import { CDP_DIR, LLDP_DIR, MALFORMED_LLDP, frames } from './fixtures.js';

const OUTPOST = join(import.meta.dirname, '../../../bin/outpost.js');
const dir = mkdtempSync(join(tmpdir(), 'outpost-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function decode(file: string): { code: number | null; lines: Record<string, unknown>[] } {
  const r = spawnSync(process.execPath, [OUTPOST, 'decode', file, '--json'], { encoding: 'utf8' });
  return { code: r.status, lines: r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('outpost decode --json (the CLI)', () => {
  const pcap = join(dir, 'mixed.pcap');
  const pcapng = join(dir, 'mixed.pcapng');

  beforeAll(() => {
    if (!existsSync(join(import.meta.dirname, '../../../dist/cli/main.js'))) throw new Error('run `npm run build` first: this test runs the built CLI');
    const cp7970 = frames(`${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`)[1].data;
    writeFileSync(pcap, writePcap([
      cp7970,
      frames(MALFORMED_LLDP)[0].data,
      cp7970.subarray(0, 40),
      frames(`${LLDP_DIR}/lldpmed_hp_procurve2600_pwr_network_policy_voice_vlan50_civic.pcap`)[0].data,
    ]));
    execFileSync('editcap', ['-F', 'pcapng', pcap, pcapng]);
  });

  for (const [name, file] of [['pcap', pcap], ['pcapng', pcapng]]) {
    it(`${name}: errors for frames 2 and 3, decoding goes on to frame 4`, () => {
      const { code, lines } = decode(file);
      expect(code).toBe(0);
      expect(lines.map((l) => l.frame)).toEqual([1, 2, 3, 4]);
      expect(lines[0]).toMatchObject({ protocol: 'cdp', deviceId: 'SEP0012DADBD34E', powerRequested: { requestId: 54094, levelsMw: [10250, 6300] } });
      expect(lines[1]).toEqual({ frame: 2, error: expect.stringContaining('civic location') });
      expect(lines[2]).toEqual({ frame: 3, error: expect.any(String) });
      expect(lines[3]).toMatchObject({ protocol: 'lldp', med: { policies: [{ application: 'voice', vlanId: 50 }] } });
    });
  }
});
