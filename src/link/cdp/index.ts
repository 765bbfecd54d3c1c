// CDP codec: the one import the rest of Outpost needs.
export * from './types.js';
export { decodeCdp, encodeCdp, decodeCdpFrame, encodeCdpFrame, CDP_MULTICAST, CDP_SNAP_OUI, CDP_SNAP_PID } from './codec.js';
export { cdpChecksum, cdpChecksumValid } from './checksum.js';
export { cdpAddress } from './tlvs.js';
export { cdpSummary, cdpCapabilityNames, type CdpSummary, type CdpPower } from './summary.js';
