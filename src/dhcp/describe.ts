// The JSON that `outpost decode FILE.pcap --json` prints for a DHCP frame: the header fields
// an operator compares with a phone's trace, and every option keyed by its number.

import { decodeDhcp } from './codec.js';
import { parseDhcpFrame, peekUdpPorts } from './frame.js';
import { FIELD_BY_CODE, type DhcpOptions } from './options.js';

const DHCP_PORTS = new Set([67, 68]);

/** undefined when the frame is not UDP to or from port 67/68; `{frame, error}` when it is but does not decode. */
export function describeDhcpFrame(frameNumber: number, frame: Buffer): object | undefined {
  const ports = peekUdpPorts(frame);
  if (!ports || !(DHCP_PORTS.has(ports.srcPort) || DHCP_PORTS.has(ports.dstPort))) return undefined;
  const udp = parseDhcpFrame(frame);
  if (!udp.ok) return { frame: frameNumber, protocol: 'dhcp', error: udp.error };
  const decoded = decodeDhcp(udp.value.payload);
  if (!decoded.ok) return { frame: frameNumber, protocol: 'dhcp', error: decoded.error };
  const m = decoded.value;
  return {
    frame: frameNumber,
    protocol: 'dhcp',
    messageType: m.options.messageType ?? (m.op === 1 ? 'BOOTREQUEST' : 'BOOTREPLY'),
    xid: `0x${m.xid.toString(16).padStart(8, '0')}`,
    broadcast: m.broadcast,
    chaddr: m.chaddr,
    ciaddr: m.ciaddr,
    yiaddr: m.yiaddr,
    siaddr: m.siaddr,
    giaddr: m.giaddr,
    ...(m.sname ? { sname: m.sname } : {}),
    ...(m.file ? { file: m.file } : {}),
    options: describeOptions(m.options),
  };
}

export function describeOptions(options: DhcpOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const typed = options as unknown as Record<string, unknown>;
  for (const [code, field] of FIELD_BY_CODE) {
    const value = typed[field.key];
    if (value !== undefined) out[String(code)] = jsonValue(value);
  }
  for (const [code, data] of options.raw) out[String(code)] = hex(data);
  return out;
}

function jsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return hex(value);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}

function hex(data: Buffer): string {
  return [...data].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
