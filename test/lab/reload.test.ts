// SIGHUP: Outpost re-reads its configuration without a restart; a broken file is refused and
// the running configuration stays.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/topology.js';
import { startLabOutpost, type LabOutpost } from '../../src/lab/outpost.js';
import { execIn } from '../../src/lab/ns-exec.js';
import { requireLabPrerequisites } from './prerequisites.js';

describe('configuration reload on SIGHUP', () => {
  let lab: Lab;
  let outpost: LabOutpost;

  beforeAll(async () => {
    requireLabPrerequisites();
    lab = await Lab.up({ phones: 1, kamailio: false });
    outpost = await startLabOutpost(lab);
  });
  afterAll(async () => {
    await outpost?.stop();
    await lab?.down();
  });

  const nextCdpVoiceVlan = async () => {
    const r = await execIn(lab.phones[0].ns, 'tshark', ['-i', 'eth0', '-a', 'duration:8', '-c', '1', '-f', 'ether dst 01:00:0c:cc:cc:cc',
      '-T', 'fields', '-e', 'cdp.voice_vlan'], { timeoutMs: 15_000 });
    return r.stdout.trim();
  };

  it('advertises the new voice VLAN after SIGHUP', async () => {
    writeFileSync(outpost.configPath, readFileSync(outpost.configPath, 'utf8').replace('voice: { vlan: 100,', 'voice: { vlan: 101,'));
    outpost.child.kill('SIGHUP');
    // The link plane restarts on the new file and advertises at once, then every 5 s in the lab.
    let vlan = '';
    for (let i = 0; i < 3 && vlan !== '101'; i++) vlan = await nextCdpVoiceVlan();
    expect(vlan).toBe('101');
  }, 60_000);

  it('refuses a broken file on SIGHUP and keeps running on the last good one', async () => {
    const good = readFileSync(outpost.configPath, 'utf8');
    writeFileSync(outpost.configPath, good.replace('voice: { vlan: 101,', 'voice: { vlan: 9999,'));
    outpost.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 1000));
    expect(outpost.log()).toMatch(/reload refused[\s\S]*voice\.vlan/);
    expect(outpost.child.exitCode).toBeNull();
    expect(await outpost.api('/api/wan')).toMatchObject({ state: expect.any(String) });
    expect(await nextCdpVoiceVlan()).toBe('101');
  }, 30_000);
});
