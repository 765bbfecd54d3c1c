import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

const minimal = `
lan: { interface: lan0, address: 10.20.0.1 }
voice: { vlan: 100, cos: 5, dscp: 46 }
dhcp: { pool: 10.20.0.100-10.20.0.199, router: 10.20.0.1, lease: 3600 }
upstream: { cucm: [10.30.0.1] }
dataDir: /var/lib/outpost
api: { listen: 127.0.0.1:8080 }
`;

describe('configuration', () => {
  it('accepts the minimal configuration of the issue and fills defaults', () => {
    const r = parseConfig(minimal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.voice.vlan).toBe(100);
    expect(r.value.link.power.portBudgetMw).toBe(15400);
    expect(r.value.wan.probeIntervalMs).toBe(1000);
    expect(r.value.upstream.sipPort).toBe(5060);
  });

  it('accepts the annotated example', () => {
    const r = parseConfig(readFileSync('config/example.yaml', 'utf8'));
    expect(r.ok ? 'ok' : r.error).toBe('ok');
  });

  it('names a field with a wrong value and why', () => {
    const r = parseConfig(minimal.replace('vlan: 100', 'vlan: 5000'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/voice\.vlan: .*4094/);
  });

  it('names an unknown field', () => {
    const r = parseConfig(`${minimal}\nvoice2: {}\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/unknown field\(s\) voice2/);
  });

  it('names a malformed address', () => {
    const r = parseConfig(minimal.replace('address: 10.20.0.1', 'address: 10.20.0.300'));
    expect(!r.ok && r.error).toMatch(/lan\.address: must be an IPv4 address/);
  });

  it('takes the survival SIP gateway as an IPv4 address and port, not a host name', () => {
    const withGateway = (g: string) => parseConfig(`${minimal}\nsip: { gateway: "${g}" }\n`);
    expect(withGateway('10.20.0.2:5060').ok).toBe(true);
    const named = withGateway('gw.branch.example:5060');
    expect(!named.ok && named.error).toMatch(/sip\.gateway: must be an IPv4 address and port/);
  });

  it('refuses a pool outside the LAN subnet', () => {
    const r = parseConfig(minimal.replace('10.20.0.100-10.20.0.199', '10.21.0.100-10.21.0.199'));
    expect(!r.ok && r.error).toMatch(/dhcp\.pool: .* not inside lan/);
  });

  it('reports a missing required section', () => {
    const r = parseConfig(minimal.replace(/upstream:.*\n/, ''));
    expect(!r.ok && r.error).toMatch(/upstream: /);
  });

  it('reports broken YAML', () => {
    const r = parseConfig('lan: [');
    expect(!r.ok && r.error).toMatch(/not valid YAML/);
  });
});
