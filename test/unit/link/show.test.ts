// `outpost show cdp|lldp neighbors [detail]` and `outpost show power inline` text, from the
// API JSON of a real CP-7970 CDP frame and a budget with one refusal.
import { describe, expect, it } from 'vitest';
import { cdpSummary, decodeCdpFrame } from '../../../src/link/cdp/index.js';
import { decodeLldpFrame, lldpSummary } from '../../../src/link/lldp/index.js';
import { NeighbourTable, cdpFacts, lldpFacts } from '../../../src/link/neighbours.js';
import { neighbourView, powerAllocationView, type NeighbourView, type PowerView } from '../../../src/link/neighbour-view.js';
import { PowerBudget } from '../../../src/link/power-budget.js';
import { formatCdpNeighbors, formatLldpNeighbors, formatPowerInline } from '../../../src/link/show.js';
import { CDP_DIR, LLDP_DIR, frames } from './fixtures.js';

function views(): { neighbours: NeighbourView[]; power: PowerView } {
  const table = new NeighbourTable(10);
  const budget = new PowerBudget(15400, 12000);
  const cdp = decodeCdpFrame(frames(`${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`)[1].data);
  const lldp = decodeLldpFrame(frames(`${LLDP_DIR}/lldpmed_cisco_sg200-08p_inventory_location.pcap`)[0].data);
  if (!cdp.ok || !lldp.ok) throw new Error('fixtures no longer decode');
  table.heardCdp('0012DADBD34E', cdpFacts(cdpSummary(cdp.value.pdu)), 0);
  table.heardLldp('020000000099', lldpFacts(lldpSummary(lldp.value.pdu)), 0);
  budget.request('0012DADBD34E', { source: 'cdp', levelsMw: [10250, 6300], requestId: 54094, managementId: 0 }, 0);
  budget.request('0012DADBD34F', { source: 'cdp', levelsMw: [10250, 6300], requestId: 7, managementId: 0 }, 0);
  const { allocations, ...totals } = budget.snapshot();
  return {
    neighbours: table.list().map((n) => neighbourView(n, 'lan0', budget.get(n.mac), 10_000)),
    power: { ...totals, localInterface: 'lan0', phones: allocations.map((a) => ({ ...powerAllocationView(a), deviceName: `SEP${a.mac}` })) },
  };
}

describe('show link text', () => {
  const { neighbours, power } = views();

  it('show cdp neighbors: one row per CDP neighbour with remaining hold time and codes', () => {
    const text = formatCdpNeighbors(neighbours, false);
    expect(text).toContain('Capability Codes: R - Router');
    expect(text).toMatch(/^Device ID\s+Local Intrfce\s+Holdtme\s+Capability\s+Platform\s+Port ID$/m);
    expect(text).toMatch(/^SEP0012DADBD34E\s+lan0\s+170\s+H P M\s+Cisco IP Phone 7970\s+Port 1$/m);
    expect(text).toContain('Total entries displayed: 1');
  });

  it('show cdp neighbors detail: version, power request and Outpost\'s grant', () => {
    const text = formatCdpNeighbors(neighbours, true);
    for (const line of ['Device ID: SEP0012DADBD34E', '  IP address: 10.10.33.65', 'SIP70.8-5-3S', 'Power drawn: 6.300 Watts',
      'Power request id: 54094, Power management id: 0', 'Power request levels are:10250 6300', 'Power granted by Outpost: 10.3 W']) {
      expect(text).toContain(line);
    }
  });

  it('show lldp neighbors [detail]: the LLDP neighbour with its MED inventory', () => {
    expect(formatLldpNeighbors(neighbours, false)).toMatch(/^Device ID\s+Local Intf\s+Hold-time\s+Capability\s+Port ID$/m);
    const detail = formatLldpNeighbors(neighbours, true);
    expect(detail).toContain('    Model: SG 200-08P');
    expect(detail).toContain('    Device type: Network Connectivity');
    expect(detail).toContain('Total entries displayed: 1');
  });

  it('show power inline: totals, the grant and the refusal with its reason', () => {
    const text = formatPowerInline(power);
    expect(text).toContain('Available:12.0(w)  Used:10.3(w)  Remaining:1.8(w)  Port limit:15.4(w)');
    expect(text).toMatch(/^lan0\s+SEP0012DADBD34E\s+on\s+10\.3\s+10\.3\/6\.3\s+CDP/m);
    expect(text).toMatch(/^lan0\s+SEP0012DADBD34F\s+denied\s+0\.0\s+10\.3\/6\.3\s+CDP\s+needs at least 6300 mW, only 1750 mW left of the 12\.0 W switch budget$/m);
    expect(text).toContain('1 phone(s) refused power');
  });
});

describe('outpost show topics for the link plane', () => {
  it('name their usage instead of querying the API with a wrong argument', async () => {
    const { show } = await import('../../../src/cli/show.js');
    const api = { api: '127.0.0.1:1' };
    await expect(show('cdp', 'neighbours', api)).rejects.toThrow('usage: outpost show cdp neighbors [detail]');
    await expect(show('lldp', undefined, api)).rejects.toThrow('usage: outpost show lldp neighbors [detail]');
    await expect(show('power', 'budget', api)).rejects.toThrow('usage: outpost show power inline');
    await expect(show('cdp', 'neighbors detail', api)).rejects.toThrow("cannot reach Outpost's API");
  });
});
