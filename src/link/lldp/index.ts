// LLDP / LLDP-MED codec: the one import the rest of Outpost needs.
export * from './types.js';
export { decodeLldp, encodeLldp, decodeLldpFrame, encodeLldpFrame, LLDP_MULTICAST, LLDP_ETHERTYPE } from './codec.js';
export { lldpChassisId, lldpPortId, lldpManagementAddress } from './basic.js';
export { lldpSummary, lldpCapabilityNames, type LldpSummary, type MedPolicySummary, type MedPowerSummary, type Dot3PowerSummary } from './summary.js';
