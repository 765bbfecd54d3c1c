import { describe, expect, it } from 'vitest';
import { cdpChecksum, cdpChecksumValid, cdpSummary, decodeCdp, decodeCdpFrame, encodeCdp, encodeCdpFrame } from '../../../src/link/cdp/index.js';
import { decodeEthernet } from '../../../src/link/ethernet.js';
import { CDP_DIR, captureFiles, frames, num, nums, tsharkFields } from './fixtures.js';

const FIELDS = [
  'cdp.deviceid', 'cdp.portid', 'cdp.platform', 'cdp.software_version', 'cdp.native_vlan', 'cdp.voice_vlan',
  'cdp.power_requested', 'cdp.power_available', 'cdp.request_id', 'cdp.management_id', 'cdp.power_consumption',
  'cdp.checksum.status', 'cdp.capabilities', 'cdp.version', 'cdp.ttl', 'cdp.tlv.type', 'cdp.trust_bitmap', 'cdp.untrusted_port_cos',
];

describe('CDP golden: every fixture frame decodes as tshark decodes it', () => {
  for (const file of captureFiles(CDP_DIR)) {
    it(file, () => {
      const expected = tsharkFields(file, 'cdp', FIELDS);
      expect(expected.size).toBeGreaterThan(0);
      for (const [number, t] of expected) {
        const frame = frames(file)[number - 1];
        const decoded = decodeCdpFrame(frame.data);
        if (!decoded.ok) throw new Error(`frame ${number}: ${decoded.error}`);
        const pdu = decoded.value.pdu;
        const s = cdpSummary(pdu);
        expect(s.version).toBe(num(t['cdp.version']));
        expect(s.ttl).toBe(num(t['cdp.ttl']));
        expect(s.deviceId).toBe(t['cdp.deviceid'] || undefined);
        expect(s.portId).toBe(t['cdp.portid'] || undefined);
        expect(s.platform).toBe(t['cdp.platform'] || undefined);
        // tshark shows each line of the software version as its own field occurrence.
        expect(s.softwareVersion?.replace(/\n/g, ',')).toBe(t['cdp.software_version'] || undefined);
        expect(s.nativeVlan).toBe(num(t['cdp.native_vlan']));
        expect(s.voiceVlan).toBe(num(t['cdp.voice_vlan']));
        expect(s.powerConsumptionMw).toBe(num(t['cdp.power_consumption']));
        expect(s.capabilityBits).toBe(num(t['cdp.capabilities']));
        expect(s.trustBitmap).toBe(num(t['cdp.trust_bitmap']));
        expect(s.untrustedCos).toBe(num(t['cdp.untrusted_port_cos']));
        expect(s.powerRequested?.levelsMw ?? []).toEqual(nums(t['cdp.power_requested']));
        expect(s.powerAvailable?.levelsMw ?? []).toEqual(nums(t['cdp.power_available']));
        const power = s.powerRequested ?? s.powerAvailable;
        expect(power?.requestId).toBe(num(t['cdp.request_id']));
        expect(power?.managementId).toBe(num(t['cdp.management_id']));
        expect(pdu.checksumValid).toBe(t['cdp.checksum.status'] === '1');
        expect(pdu.layout.map((l) => l.type)).toEqual(nums(t['cdp.tlv.type']));
      }
    });
  }

  it('names the CP-7970 capabilities and its Power Requested TLV', () => {
    const phone = decodeCdpFrame(frames(`${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`)[1].data);
    if (!phone.ok) throw new Error(phone.error);
    const s = cdpSummary(phone.value.pdu);
    expect(s.capabilities).toEqual(['host', 'phone', 'twoPortMacRelay']);
    expect(s.powerRequested).toEqual({ requestId: 54094, managementId: 0, levelsMw: [10250, 6300] });
    expect(s.duplex).toBe('full');
    expect(s.addresses).toEqual(['10.10.33.65']);
  });

  it('decodes IPv6 entries of the Addresses TLV', () => {
    const sw = decodeCdpFrame(frames(`${CDP_DIR}/cdp_switch_c2960g_native_vlan2_power_available.pcap`)[0].data);
    if (!sw.ok) throw new Error(sw.error);
    expect(cdpSummary(sw.value.pdu).addresses).toEqual(['192.168.1.30', 'fe80::21b:53ff:fe5a:6e41']);
    expect(sw.value.vlanTag).toBe(1);
  });
});

describe('CDP round trip', () => {
  for (const file of captureFiles(CDP_DIR)) {
    it(`re-encodes ${file} byte for byte`, () => {
      for (const frame of frames(file)) {
        const eth = decodeEthernet(frame.data);
        const decoded = decodeCdpFrame(frame.data);
        if (!eth.ok || !decoded.ok) continue;
        const original = eth.value.payload;
        const again = encodeCdp(decoded.value.pdu);
        if (decoded.value.pdu.checksumValid) {
          expect(again.equals(original)).toBe(true);
          // Untagged, untruncated frames come back whole, 802.3 header included.
          if (!decoded.value.vlanTag && !decoded.value.truncated && frame.data.length === 14 + 8 + original.length) {
            expect(encodeCdpFrame(decoded.value.pdu, decoded.value.src).equals(frame.data)).toBe(true);
          }
        } else {
          // Captures whose names were anonymised carry stale checksums: all but the checksum matches.
          expect(Buffer.concat([again.subarray(0, 2), again.subarray(4)]).equals(Buffer.concat([original.subarray(0, 2), original.subarray(4)]))).toBe(true);
          expect(cdpChecksumValid(again)).toBe(true);
        }
      }
    });
  }
});

describe('CDP checksum odd-length rule', () => {
  it('adds a final byte below 0x80 as 0x00LL and one from 0x80 up as 0xFF00 | (LL - 1)', () => {
    const low = Buffer.from([0x02, 0xb4, 0, 0, 0x12]);
    expect(cdpChecksum(low)).toBe(~(0x02b4 + 0x0012) & 0xffff);
    const high = Buffer.from([0x02, 0xb4, 0, 0, 0x80]);
    expect(cdpChecksum(high)).toBe(~((0x02b4 + 0xff7f) % 0xffff) & 0xffff);
  });

  it('validates what it computes, for odd and even lengths', () => {
    for (const tail of [[], [0x41], [0xfe], [0x80], [0x7f, 0x00]]) {
      const pdu = encodeCdp({ version: 2, ttl: 180, checksum: 0, tlvs: [{ type: 'deviceId', value: 'SEP' }, { type: 'unknown', code: 0x99, data: Buffer.from(tail) }] });
      expect(cdpChecksumValid(pdu)).toBe(true);
      expect(decodeCdp(pdu).ok).toBe(true);
    }
  });

  it('rejects malformed PDUs with a Result', () => {
    expect(decodeCdp(Buffer.from([2, 180])).ok).toBe(false);
    expect(decodeCdp(Buffer.from([3, 180, 0, 0])).ok).toBe(false);
    expect(decodeCdp(Buffer.from([2, 180, 0, 0, 0, 1, 0, 3])).ok).toBe(false);
    expect(decodeCdp(Buffer.from([2, 180, 0, 0, 0, 1, 0, 9, 0x41])).ok).toBe(false);
    expect(decodeCdp(Buffer.from([2, 180, 0, 0, 0, 0x19, 0, 7, 0, 0, 0])).ok).toBe(false);
  });
});
