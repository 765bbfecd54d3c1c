// Text for `outpost show cdp neighbors [detail]`, `outpost show lldp neighbors [detail]` and
// `outpost show power inline`, laid out as on a Cisco switch so that the people who run
// branch phones read them without learning a new format. Input is the API's JSON.
import { formatTable } from '../cli/table.js';
import type { NeighbourView, PowerView } from './neighbour-view.js';
import { watts } from './power-budget.js';

const CDP_CODES: Record<string, string> = {
  router: 'R', transparentBridge: 'T', sourceRouteBridge: 'B', switch: 'S', host: 'H', igmp: 'I',
  repeater: 'r', phone: 'P', remotelyManaged: 'D', cvta: 'C', twoPortMacRelay: 'M',
};
const CDP_LEGEND = `Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge
                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone,
                  D - Remote, C - CVTA, M - Two-port Mac Relay`;

const LLDP_CODES: Record<string, string> = {
  router: 'R', bridge: 'B', telephone: 'T', docsis: 'C', wlanAccessPoint: 'W', repeater: 'P', stationOnly: 'S', other: 'O',
};
const LLDP_LEGEND = `Capability codes:
    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device
    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other`;

const MED_CODES: Record<string, string> = {
  capabilities: 'CP', networkPolicy: 'NP', location: 'LI', extendedPowerPse: 'PS', extendedPowerPd: 'PD', inventory: 'IN',
};
const MED_CLASS = ['Generic', 'Endpoint Class I', 'Endpoint Class II', 'Endpoint Class III', 'Network Connectivity'];

const codes = (names: string[], table: Record<string, string>, sep: string) => names.map((n) => table[n]).filter(Boolean).join(sep);
const entries = (n: number) => `Total entries displayed: ${n}`;

export function formatCdpNeighbors(all: NeighbourView[], detail: boolean): string {
  const list = all.filter((n) => n.cdp);
  if (detail) return [...list.map(cdpDetail), '', entries(list.length)].join('\n');
  const table = formatTable(['Device ID', 'Local Intrfce', 'Holdtme', 'Capability', 'Platform', 'Port ID'], list.map((n) => [
    n.cdp!.deviceId ?? n.mac, n.localInterface, n.cdp!.holdRemainingSeconds, codes(n.cdp!.capabilities, CDP_CODES, ' '), n.cdp!.platform, n.cdp!.portId,
  ]));
  return `${CDP_LEGEND}\n\n${table}\n\n${entries(list.length)}`;
}

function cdpDetail(n: NeighbourView): string {
  const c = n.cdp!;
  const lines = ['-------------------------', `Device ID: ${c.deviceId ?? n.mac}`, 'Entry address(es):',
    ...c.addresses.map((a) => `  IP address: ${a}`),
    `Platform: ${c.platform ?? '-'},  Capabilities: ${c.capabilities.join(' ')}`,
    `Interface: ${n.localInterface},  Port ID (outgoing port): ${c.portId ?? '-'}`,
    `Holdtime : ${c.holdRemainingSeconds} sec`, '', 'Version :', c.softwareVersion ?? '-', '',
    `advertisement version: ${c.version}`];
  if (c.duplex) lines.push(`Duplex: ${c.duplex}`);
  if (c.nativeVlan !== undefined) lines.push(`Native VLAN: ${c.nativeVlan}`);
  if (c.voiceVlanQuery !== undefined) lines.push(`VoIP VLAN query: VLAN ${c.voiceVlanQuery}`);
  if (c.powerConsumptionMw !== undefined) lines.push(`Power drawn: ${(c.powerConsumptionMw / 1000).toFixed(3)} Watts`);
  if (c.powerRequested) {
    lines.push(`Power request id: ${c.powerRequested.requestId}, Power management id: ${c.powerRequested.managementId}`,
      `Power request levels are:${c.powerRequested.levelsMw.join(' ')}`);
  }
  if (n.power) lines.push(powerLine(n));
  lines.push('Management address(es):', ...c.managementAddresses.map((a) => `  IP address: ${a}`));
  return lines.join('\n');
}

export function formatLldpNeighbors(all: NeighbourView[], detail: boolean): string {
  const list = all.filter((n) => n.lldp);
  if (detail) return [...list.map(lldpDetail), '', entries(list.length)].join('\n');
  const table = formatTable(['Device ID', 'Local Intf', 'Hold-time', 'Capability', 'Port ID'], list.map((n) => [
    n.lldp!.systemName ?? n.lldp!.chassisId ?? n.mac, n.localInterface, n.lldp!.ttlRemainingSeconds,
    codes(n.lldp!.enabledCapabilities.length ? n.lldp!.enabledCapabilities : n.lldp!.capabilities, LLDP_CODES, ','), n.lldp!.portId,
  ]));
  return `${LLDP_LEGEND}\n\n${table}\n\n${entries(list.length)}`;
}

function lldpDetail(n: NeighbourView): string {
  const l = n.lldp!;
  const lines = ['------------------------------------------------', `Chassis id: ${l.chassisId ?? '-'}`, `Port id: ${l.portId ?? '-'}`,
    `Port Description: ${l.portDescription ?? '-'}`, `System Name: ${l.systemName ?? '-'}`, '', 'System Description:',
    l.systemDescription ?? '-', '', `Time remaining: ${l.ttlRemainingSeconds} seconds`,
    `System Capabilities: ${codes(l.capabilities, LLDP_CODES, ',')}`, `Enabled Capabilities: ${codes(l.enabledCapabilities, LLDP_CODES, ',')}`,
    'Management Addresses:', ...(l.managementAddresses.length ? l.managementAddresses.map((a) => `    IP: ${a}`) : ['    - not advertised'])];
  const med = l.med;
  if (med) {
    const inv = med.inventory;
    lines.push('', 'MED Information:', '');
    const field = (label: string, v?: string) => { if (v) lines.push(`    ${label}: ${v}`); };
    field('H/W revision', inv.hardwareRevision);
    field('F/W revision', inv.firmwareRevision);
    field('S/W revision', inv.softwareRevision);
    field('Serial number', inv.serialNumber);
    field('Manufacturer', inv.manufacturer);
    field('Model', inv.model);
    lines.push(`    Capabilities: ${codes(med.capabilities, MED_CODES, ', ')}`);
    if (med.deviceClass !== undefined) lines.push(`    Device type: ${MED_CLASS[med.deviceClass] ?? `class ${med.deviceClass}`}`);
    for (const p of med.policies) {
      lines.push(`    Network Policy(${p.application}): VLAN ${p.vlanId}, ${p.tagged ? 'tagged' : 'untagged'}, Layer-2 priority: ${p.priority}, DSCP: ${p.dscp}`);
    }
    if (med.power) {
      lines.push(`    ${med.power.type.toUpperCase()} device, Power source: ${med.power.source}, Power Priority: ${med.power.priority}, Wattage: ${watts(med.power.milliwatts)}`);
    }
  }
  if (n.power) lines.push('', powerLine(n));
  return lines.join('\n');
}

function powerLine(n: NeighbourView): string {
  const p = n.power!;
  return p.state === 'granted' ? `Power granted by Outpost: ${watts(p.grantedMw)} W` : `Power refused by Outpost: ${p.reason ?? 'no budget left'}`;
}

export function formatPowerInline(v: PowerView): string {
  const head = `Available:${watts(v.totalMw)}(w)  Used:${watts(v.usedMw)}(w)  Remaining:${watts(v.remainingMw)}(w)  Port limit:${watts(v.portLimitMw)}(w)`;
  const table = formatTable(['Interface', 'Device', 'Oper', 'Power(W)', 'Requested(W)', 'Via', 'Model', 'Reason'], v.phones.map((p) => [
    v.localInterface, p.deviceName ?? p.mac, p.state === 'granted' ? 'on' : 'denied', watts(p.grantedMw),
    p.request.levelsMw.map(watts).join('/'), p.request.source.toUpperCase(), p.model, p.reason,
  ]));
  const refused = v.phones.filter((p) => p.state === 'refused').length;
  return `${head}\n\n${table}${refused ? `\n\n${refused} phone(s) refused power: the switch budget is exhausted or a request exceeds the port limit` : ''}`;
}
