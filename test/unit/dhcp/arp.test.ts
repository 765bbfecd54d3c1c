// ARP codec (golden against tshark) and the conflict prober with a fake link.

import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ARP_REPLY, arpProbeFrame, conflictIn, decodeArpFrame, encodeArpFrame } from '../../../src/dhcp/arp.js';
import { ArpProber } from '../../../src/dhcp/arp-probe.js';
import { tempDir, tsharkFields, writePcap } from './helpers.js';

const OWN = '02:00:00:00:00:01';
const OTHER = '02:00:00:00:00:77';

describe('ARP codec', () => {
  it('builds an RFC 5227 probe that tshark reads as such', () => {
    const dir = tempDir('arp');
    try {
      const file = join(dir.path, 'probe.pcap');
      writePcap(file, [arpProbeFrame(OWN, '10.20.0.100')]);
      const [row] = tsharkFields(file, ['arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'eth.dst', 'arp.isprobe']);
      expect(row).toEqual(['1', OWN, '0.0.0.0', '10.20.0.100', 'ff:ff:ff:ff:ff:ff', '1']);
    } finally {
      dir.remove();
    }
  });

  it('round-trips and rejects what is not IPv4-over-Ethernet ARP', () => {
    const p = { op: ARP_REPLY, senderMac: OTHER, senderIp: '10.20.0.100', targetMac: OWN, targetIp: '10.20.0.1' };
    const frame = encodeArpFrame(p, OWN);
    expect(decodeArpFrame(frame)).toEqual({ ok: true, value: p });
    expect(decodeArpFrame(frame.subarray(0, 30)).ok).toBe(false);
    const ipv6ish = Buffer.from(frame);
    ipv6ish.writeUInt16BE(0x86dd, 16);
    expect(decodeArpFrame(ipv6ish).ok).toBe(false);
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(frame);
      junk[14 + (i % 28)] = (i * 37) & 0xff;
      expect(() => decodeArpFrame(junk)).not.toThrow();
    }
  });

  it('sees a conflict in a reply from the address, or in another host\'s probe for it, never in its own', () => {
    const reply = { op: ARP_REPLY, senderMac: OTHER, senderIp: '10.20.0.100', targetMac: OWN, targetIp: '0.0.0.0' };
    expect(conflictIn(reply, '10.20.0.100', OWN)).toBe(OTHER);
    const probe = decodeArpFrame(arpProbeFrame(OTHER, '10.20.0.100'));
    expect(probe.ok && conflictIn(probe.value, '10.20.0.100', OWN)).toBe(OTHER);
    const mine = decodeArpFrame(arpProbeFrame(OWN, '10.20.0.100'));
    expect(mine.ok && conflictIn(mine.value, '10.20.0.100', OWN)).toBeUndefined();
  });
});

describe('ArpProber', () => {
  afterEach(() => vi.useRealTimers());

  it('reports a conflict when the address answers, clean after the timeout, and probes twice', async () => {
    vi.useFakeTimers();
    const sent: Buffer[] = [];
    const prober = new ArpProber({ mac: OWN, send: (f) => sent.push(f) }, 200);
    const busy = prober.probe('10.20.0.100');
    const free = prober.probe('10.20.0.101');
    expect(prober.probe('10.20.0.101')).toBe(free);
    prober.onFrame(encodeArpFrame({ op: ARP_REPLY, senderMac: OTHER, senderIp: '10.20.0.100', targetMac: OWN, targetIp: '0.0.0.0' }, OWN));
    expect(await busy).toEqual({ inUse: true, holderMac: OTHER });
    await vi.advanceTimersByTimeAsync(200);
    expect(await free).toEqual({ inUse: false });
    expect(sent.length).toBe(3); // two for .101, one for .100 before it answered
    // A clean answer is trusted for a while: a retransmitted DISCOVER is not probed again.
    expect(await prober.probe('10.20.0.101')).toEqual({ inUse: false });
    expect(sent.length).toBe(3);
  });
});
