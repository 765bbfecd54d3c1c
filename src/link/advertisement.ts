// What Outpost tells phones on its port, as a Cisco access switch would: the voice VLAN and
// the power it grants. Pure builders from configuration and what the phone asked for.
import { CdpCapability, cdpAddress, type CdpPdu } from './cdp/index.js';
import { ChassisIdSubtype, MedApplication, MedCapability, PortIdSubtype, lldpChassisId, lldpManagementAddress, lldpPortId, type LldpPdu } from './lldp/index.js';

export const SOFTWARE_VERSION = 'Outpost 0.1.0';

export interface AdvertisementInput {
  systemName: string;
  interfaceName: string;
  mac: string;
  address: string;
  voice: { vlan: number; cos: number; dscp: number };
  /** LLDP-MED voice-signaling marking. */
  signaling: { cos: number; dscp: number };
  /** CDP trust bitmap and untrusted-port CoS: what the phone does with its PC port's traffic. */
  trustBitmap: number;
  untrustedCos: number;
  /** The most one phone may draw, in mW: what the periodic advertisements offer. */
  portLimitMw: number;
}

/** The power request being answered: the phone's own ids are echoed back (what the phone checks). */
export interface PowerReply {
  requestId: number;
  managementId: number;
  /** The level granted, or when refused what is left for this phone (0 when the budget is spent). */
  availableMw: number;
}

/** Cisco switches send this as Power Available's second level: no management limit. */
const NO_MANAGEMENT_LIMIT = 0xffffffff;

export function buildCdp(input: AdvertisementInput, holdtime: number, power?: PowerReply): CdpPdu {
  return {
    version: 2, ttl: holdtime, checksum: 0,
    tlvs: [
      { type: 'deviceId', value: input.systemName },
      { type: 'addresses', addresses: [cdpAddress(input.address)] },
      { type: 'portId', value: input.interfaceName },
      { type: 'capabilities', bits: CdpCapability.switch | CdpCapability.igmp },
      { type: 'softwareVersion', value: SOFTWARE_VERSION },
      { type: 'platform', value: 'Outpost' },
      { type: 'duplex', value: 1 },
      { type: 'voipVlanReply', data: 1, vlanId: input.voice.vlan },
      { type: 'trustBitmap', value: input.trustBitmap },
      { type: 'untrustedCos', value: input.untrustedCos },
      // Unsolicited, Cisco switches send request id 0 and management id 1.
      { type: 'powerAvailable', requestId: power?.requestId ?? 0, managementId: power?.managementId ?? 1,
        levelsMw: [power?.availableMw ?? input.portLimitMw, NO_MANAGEMENT_LIMIT] },
      { type: 'managementAddresses', addresses: [cdpAddress(input.address)] },
    ],
  };
}

export function buildLldp(input: AdvertisementInput, ttl: number): LldpPdu {
  const policy = (application: number, priority: number, dscp: number) => ({
    type: 'medNetworkPolicy' as const, application, unknown: false, tagged: true, vlanId: input.voice.vlan, priority, dscp,
  });
  return {
    tlvs: [
      lldpChassisId(ChassisIdSubtype.macAddress, input.mac),
      lldpPortId(PortIdSubtype.interfaceName, input.interfaceName),
      { type: 'ttl', seconds: ttl },
      { type: 'portDescription', value: `Outpost voice port ${input.interfaceName}` },
      { type: 'systemName', value: input.systemName },
      { type: 'systemDescription', value: SOFTWARE_VERSION },
      { type: 'systemCapabilities', capabilities: 0x0004, enabled: 0x0004 },
      lldpManagementAddress(input.address),
      { type: 'medCapabilities', capabilities: MedCapability.capabilities | MedCapability.networkPolicy | MedCapability.extendedPowerPse, deviceClass: 4 },
      policy(MedApplication.voice, input.voice.cos, input.voice.dscp),
      policy(MedApplication.voiceSignaling, input.signaling.cos, input.signaling.dscp),
      // One LLDPDU reaches every phone on the port, so it offers the per-phone limit.
      { type: 'medPower', powerType: 0, source: 1, priority: 2, deciWatts: Math.round(input.portLimitMw / 100) },
      { type: 'end' },
    ],
  };
}

/** Hold time 0 tells CDP neighbours to forget Outpost at once, as IOS does on `no cdp enable`. */
export function buildCdpShutdown(input: AdvertisementInput): CdpPdu {
  return {
    version: 2, ttl: 0, checksum: 0,
    tlvs: [{ type: 'deviceId', value: input.systemName }, { type: 'portId', value: input.interfaceName }],
  };
}

/** TTL 0 tells neighbours to forget Outpost at once (sent on shutdown). */
export function buildLldpShutdown(input: AdvertisementInput): LldpPdu {
  return {
    tlvs: [
      lldpChassisId(ChassisIdSubtype.macAddress, input.mac),
      lldpPortId(PortIdSubtype.interfaceName, input.interfaceName),
      { type: 'ttl', seconds: 0 },
      { type: 'end' },
    ],
  };
}
