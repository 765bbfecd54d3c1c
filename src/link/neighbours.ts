// The neighbour table: what each device on Outpost's port said about itself over CDP and LLDP,
// merged into one entry per MAC address and forgotten when its hold time / TTL runs out (or at
// once when it says TTL 0). Pure: callers pass the clock, so expiry is testable.
import type { CdpPower, CdpSummary } from './cdp/index.js';
import type { LldpSummary, MedPolicySummary, MedPowerSummary } from './lldp/index.js';
import { MedCapability, type MedCapabilityName, type MedInventoryField } from './lldp/index.js';

export type LinkProtocol = 'cdp' | 'lldp';

export interface CdpFacts {
  version: number;
  deviceId?: string;
  portId?: string;
  platform?: string;
  softwareVersion?: string;
  capabilities: string[];
  addresses: string[];
  managementAddresses: string[];
  duplex?: 'half' | 'full';
  nativeVlan?: number;
  /** The phone asked for the voice VLAN (VoIP VLAN Query). */
  voiceVlanQuery?: number;
  powerRequested?: CdpPower;
  powerConsumptionMw?: number;
  holdtimeSeconds: number;
}

export interface LldpFacts {
  chassisId?: string;
  portId?: string;
  portDescription?: string;
  systemName?: string;
  systemDescription?: string;
  capabilities: string[];
  enabledCapabilities: string[];
  managementAddresses: string[];
  ttlSeconds: number;
  med?: {
    deviceClass?: number;
    capabilities: MedCapabilityName[];
    policies: MedPolicySummary[];
    power?: MedPowerSummary;
    inventory: Partial<Record<MedInventoryField, string>>;
  };
  /** 802.3at Power via MDI from a powered device: what it asks for, in mW. */
  dot3PdRequestedMw?: number;
}

export interface Heard<T> { facts: T; lastHeard: number; expiresAt: number }

export interface Neighbour {
  /** 12 upper-case hex digits, the source MAC of its frames (as the phone inventory keys phones). */
  mac: string;
  firstSeen: number;
  cdp?: Heard<CdpFacts>;
  lldp?: Heard<LldpFacts>;
}

export interface HeardResult {
  neighbour: Neighbour;
  /** First frame of this protocol from this neighbour (or the first since it expired). */
  isNew: boolean;
  /** The facts people care about (identity, firmware, capabilities, power request) differ from the last frame. */
  changed: boolean;
  /** TTL 0: the neighbour says it is leaving; this protocol's part of the entry is gone. */
  left: boolean;
  /** The neighbour as it was before it left (who it was is still worth saying). */
  before?: Neighbour;
}

export interface Expired { neighbour: Neighbour; protocol: LinkProtocol; gone: boolean; before: Neighbour }

export function cdpFacts(s: CdpSummary): CdpFacts {
  return {
    version: s.version, deviceId: s.deviceId, portId: s.portId, platform: s.platform, softwareVersion: s.softwareVersion,
    capabilities: s.capabilities ?? [], addresses: s.addresses, managementAddresses: s.managementAddresses, duplex: s.duplex,
    nativeVlan: s.nativeVlan, voiceVlanQuery: s.voiceVlanQuery, powerRequested: s.powerRequested,
    powerConsumptionMw: s.powerConsumptionMw, holdtimeSeconds: s.ttl,
  };
}

export function lldpFacts(s: LldpSummary): LldpFacts {
  const facts: LldpFacts = {
    chassisId: s.chassisId, portId: s.portId, portDescription: s.portDescription, systemName: s.systemName,
    systemDescription: s.systemDescription, capabilities: s.capabilities ?? [], enabledCapabilities: s.enabledCapabilities ?? [],
    managementAddresses: s.managementAddresses, ttlSeconds: s.ttl ?? 0,
  };
  if (s.med) {
    const bits = s.med.capabilities ?? 0;
    facts.med = {
      deviceClass: s.med.deviceClass,
      capabilities: (Object.keys(MedCapability) as MedCapabilityName[]).filter((n) => (bits & MedCapability[n]) !== 0),
      policies: s.med.policies, power: s.med.power, inventory: s.med.inventory,
    };
  }
  // Power type bit 0 set = a powered device (type 1 or 2 PD) speaking.
  if (s.dot3Power?.powerType !== undefined && (s.dot3Power.powerType & 1) === 1 && s.dot3Power.pdRequestedMw) facts.dot3PdRequestedMw = s.dot3Power.pdRequestedMw;
  return facts;
}

/** What identifies a neighbour and its request: a change here is worth a journey event. */
function cdpKey(f: CdpFacts): string {
  return JSON.stringify([f.deviceId, f.platform, f.softwareVersion, f.capabilities, f.powerRequested?.levelsMw, f.voiceVlanQuery]);
}

function lldpKey(f: LldpFacts): string {
  return JSON.stringify([f.chassisId, f.systemName, f.systemDescription, f.capabilities, f.med?.deviceClass, f.med?.inventory, f.med?.power, f.dot3PdRequestedMw]);
}

export class NeighbourTable {
  private readonly entries = new Map<string, Neighbour>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(mac: string): Neighbour | undefined {
    return this.entries.get(mac);
  }

  list(): Neighbour[] {
    return [...this.entries.values()].sort((a, b) => a.mac.localeCompare(b.mac));
  }

  /**
   * 'full' when the table has no room for a new neighbour (the caller drops and counts the frame);
   * undefined for a TTL-0 frame from a neighbour Outpost never knew.
   */
  heardCdp(mac: string, facts: CdpFacts, now: number): HeardResult | 'full' | undefined {
    const neighbour = this.slot(mac, facts.holdtimeSeconds, now);
    if (typeof neighbour !== 'object') return neighbour;
    const previous = neighbour.cdp;
    if (facts.holdtimeSeconds === 0) {
      const before = { ...neighbour };
      delete neighbour.cdp;
      return this.left(neighbour, before);
    }
    neighbour.cdp = { facts, lastHeard: now, expiresAt: now + facts.holdtimeSeconds * 1000 };
    return { neighbour, isNew: !previous, changed: !previous || cdpKey(previous.facts) !== cdpKey(facts), left: false };
  }

  heardLldp(mac: string, facts: LldpFacts, now: number): HeardResult | 'full' | undefined {
    const neighbour = this.slot(mac, facts.ttlSeconds, now);
    if (typeof neighbour !== 'object') return neighbour;
    const previous = neighbour.lldp;
    if (facts.ttlSeconds === 0) {
      const before = { ...neighbour };
      delete neighbour.lldp;
      return this.left(neighbour, before);
    }
    neighbour.lldp = { facts, lastHeard: now, expiresAt: now + facts.ttlSeconds * 1000 };
    return { neighbour, isNew: !previous, changed: !previous || lldpKey(previous.facts) !== lldpKey(facts), left: false };
  }

  /** The neighbour's entry, made if there is room; a TTL-0 frame from a stranger makes none. */
  private slot(mac: string, ttlSeconds: number, now: number): Neighbour | 'full' | undefined {
    const known = this.entries.get(mac);
    if (known) return known;
    if (ttlSeconds === 0) return undefined;
    if (this.entries.size >= this.maxEntries) return 'full';
    const neighbour: Neighbour = { mac, firstSeen: now };
    this.entries.set(mac, neighbour);
    return neighbour;
  }

  private left(neighbour: Neighbour, before: Neighbour): HeardResult {
    if (!neighbour.cdp && !neighbour.lldp) this.entries.delete(neighbour.mac);
    return { neighbour, isNew: false, changed: true, left: true, before };
  }

  /** Drops every protocol part whose hold time has run out; `gone` when nothing of the neighbour is left. */
  expire(now: number): Expired[] {
    const out: Expired[] = [];
    for (const n of this.entries.values()) {
      for (const protocol of ['cdp', 'lldp'] as const) {
        const part = n[protocol];
        if (part && part.expiresAt <= now) {
          const before = { ...n };
          delete n[protocol];
          out.push({ neighbour: n, protocol, gone: !n.cdp && !n.lldp, before });
        }
      }
    }
    for (const e of out) if (e.gone) this.entries.delete(e.neighbour.mac);
    return out;
  }
}
