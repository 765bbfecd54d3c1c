// What Outpost says about a neighbour: one identity merged from CDP and LLDP (device name,
// model, firmware, capabilities, power request) and the JSON `GET /api/neighbors` serves,
// which `outpost show cdp|lldp neighbors` and `outpost show power inline` print.
import type { CdpFacts, LldpFacts, Neighbour } from './neighbours.js';
import type { PowerAllocation, PowerBudgetSnapshot, PowerRequest } from './power-budget.js';

export interface NeighbourIdentity {
  /** `SEP<MAC>` for phones (what CUCM and the phone inventory call it). */
  deviceName?: string;
  isPhone: boolean;
  model?: string;
  firmware?: string;
  capabilities: string[];
}

const SEP_NAME = /^SEP[0-9A-F]{12}$/i;

export function neighbourIdentity(n: Neighbour): NeighbourIdentity {
  const cdp = n.cdp?.facts, lldp = n.lldp?.facts;
  const medClass = lldp?.med?.deviceClass;
  const named = [cdp?.deviceId, lldp?.systemName].find((s) => s !== undefined && SEP_NAME.test(s));
  const isPhone = named !== undefined || (cdp?.capabilities.includes('phone') ?? false)
    || (lldp?.capabilities.includes('telephone') ?? false) || (medClass !== undefined && medClass >= 1 && medClass <= 3);
  const inventory = lldp?.med?.inventory ?? {};
  return {
    deviceName: named?.toUpperCase() ?? (isPhone ? `SEP${n.mac}` : undefined),
    isPhone,
    model: cdp?.platform ?? inventory.model,
    firmware: cdp?.softwareVersion ?? inventory.softwareRevision ?? inventory.firmwareRevision,
    capabilities: [...new Set([...(cdp?.capabilities ?? []), ...(lldp?.capabilities ?? [])])],
  };
}

/**
 * The power the neighbour asks for. CDP wins when a phone speaks both, because Cisco phones
 * negotiate over CDP and list every level they can run at.
 */
export function neighbourPowerRequest(n: Neighbour): PowerRequest | undefined {
  const asked = n.cdp?.facts.powerRequested;
  if (asked) return { source: 'cdp', levelsMw: asked.levelsMw, requestId: asked.requestId, managementId: asked.managementId };
  const lldp = n.lldp?.facts;
  const med = lldp?.med?.power;
  if (med?.type === 'pd' && med.milliwatts > 0) return { source: 'lldp', levelsMw: [med.milliwatts] };
  if (lldp?.dot3PdRequestedMw) return { source: 'lldp', levelsMw: [lldp.dot3PdRequestedMw] };
  return undefined;
}

export interface NeighbourView extends NeighbourIdentity {
  mac: string;
  localInterface: string;
  firstSeen: string;
  protocols: ('cdp' | 'lldp')[];
  cdp?: CdpFacts & { lastHeard: string; holdRemainingSeconds: number };
  lldp?: LldpFacts & { lastHeard: string; ttlRemainingSeconds: number };
  power?: PowerAllocationView;
}

export type PowerAllocationView = Omit<PowerAllocation, 'decidedAt'> & { decidedAt: string };

export function powerAllocationView(a: PowerAllocation): PowerAllocationView {
  return { ...a, decidedAt: new Date(a.decidedAt).toISOString() };
}

export function neighbourView(n: Neighbour, localInterface: string, power: PowerAllocation | undefined, now: number): NeighbourView {
  const remaining = (expiresAt: number) => Math.max(0, Math.ceil((expiresAt - now) / 1000));
  const view: NeighbourView = {
    mac: n.mac, ...neighbourIdentity(n), localInterface, firstSeen: new Date(n.firstSeen).toISOString(),
    protocols: [...(n.cdp ? ['cdp' as const] : []), ...(n.lldp ? ['lldp' as const] : [])],
  };
  if (n.cdp) view.cdp = { ...n.cdp.facts, lastHeard: new Date(n.cdp.lastHeard).toISOString(), holdRemainingSeconds: remaining(n.cdp.expiresAt) };
  if (n.lldp) view.lldp = { ...n.lldp.facts, lastHeard: new Date(n.lldp.lastHeard).toISOString(), ttlRemainingSeconds: remaining(n.lldp.expiresAt) };
  if (power) view.power = powerAllocationView(power);
  return view;
}

/** `GET /api/power`: the budget and every phone's request, grant or refusal. */
export interface PowerView extends Omit<PowerBudgetSnapshot, 'allocations'> {
  localInterface: string;
  phones: (PowerAllocationView & { deviceName?: string; model?: string })[];
}

/** The journey line for a neighbour heard over `protocol`: who it is and what it asks of the port. */
export function linkJourneyDetail(protocol: 'cdp' | 'lldp', n: Neighbour): string {
  const id = neighbourIdentity(n);
  const parts: string[] = [];
  if (protocol === 'cdp' && n.cdp) {
    const f = n.cdp.facts;
    parts.push(`CDPv${f.version} from ${f.deviceId ?? n.mac}`);
    if (f.voiceVlanQuery !== undefined) parts.push('asks for the voice VLAN');
    if (f.powerRequested) parts.push(`requests ${f.powerRequested.levelsMw.join('/')} mW (request id ${f.powerRequested.requestId})`);
  } else if (protocol === 'lldp' && n.lldp) {
    const f = n.lldp.facts;
    const cls = f.med?.deviceClass;
    parts.push(`LLDP${cls !== undefined ? `-MED class ${cls}` : ''} from ${f.systemName ?? f.chassisId ?? n.mac}`);
    const p = f.med?.power;
    if (p?.type === 'pd') parts.push(`requests ${p.milliwatts} mW (priority ${p.priority}, source ${p.source})`);
  }
  if (id.model) parts.push(`model ${id.model}`);
  if (id.firmware) parts.push(`firmware ${id.firmware}`);
  if (id.capabilities.length) parts.push(`capabilities ${id.capabilities.join(', ')}`);
  return parts.join('; ');
}

/** The journey line for a power decision. */
export function powerJourneyDetail(a: PowerAllocation): string {
  const asked = `${a.request.levelsMw.join('/')} mW over ${a.request.source.toUpperCase()}${a.request.requestId !== undefined ? ` (request id ${a.request.requestId})` : ''}`;
  return a.state === 'granted' ? `granted ${a.grantedMw} mW of requested ${asked}` : `refused ${asked}: ${a.reason ?? 'no power left'}`;
}
