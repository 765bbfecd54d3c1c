// The link section of the configuration: production timers and the PoE budget by default,
// and timers that would make neighbours forget Outpost between frames refused by name.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

const BASE = `lan: { interface: lan0, address: 10.20.0.1 }
voice: { vlan: 100 }
dhcp: { pool: 10.20.0.100-10.20.0.199 }
upstream: { cucm: [10.30.0.1] }
dataDir: /var/lib/outpost
`;

describe('link configuration', () => {
  it('defaults to CDP 60/180 s, LLDP 30/120 s, 15.4 W per port, 370 W per switch, untrusted PC port', () => {
    const r = parseConfig(BASE);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.link).toMatchObject({
      cdp: { intervalSeconds: 60, holdtimeSeconds: 180, trustBitmap: 0, untrustedCos: 0 },
      lldp: { intervalSeconds: 30, ttlSeconds: 120, signalingCos: 3, signalingDscp: 24 },
      power: { portBudgetMw: 15400, totalBudgetMw: 370000 },
      maxNeighbours: 2048,
    });
  });

  it('refuses a hold time that does not outlast the interval', () => {
    const r = parseConfig(`${BASE}link: { cdp: { intervalSeconds: 60, holdtimeSeconds: 30 } }\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/link: cdp\.holdtimeSeconds and lldp\.ttlSeconds must exceed/);
  });

  it('refuses an untrusted CoS outside 0..7', () => {
    const r = parseConfig(`${BASE}link: { cdp: { untrustedCos: 8 } }\n`);
    expect(!r.ok && r.error).toMatch(/link\.cdp\.untrustedCos/);
  });
});
