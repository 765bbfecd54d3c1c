// A small DHCP client for simulated phones: DISCOVER/REQUEST on a raw socket, as a Cisco phone
// asks (vendor class, option 150 in the PRL), with RFC 2131 style retransmission.
import { randomInt } from 'node:crypto';
import type { RawSocket } from '../native/raw-socket.js';
import { BOOTREQUEST, decodeDhcp, encodeDhcp, type DhcpMessage, type DhcpMessageType } from '../dhcp/codec.js';
import { emptyOptions } from '../dhcp/options.js';
import { buildUdpFrame, parseDhcpFrame } from '../dhcp/frame.js';
import { BROADCAST_IP, ZERO_IP } from '../util/ipv4.js';
import { BROADCAST_MAC } from '../util/mac.js';

export interface DhcpLease {
  ip: string;
  subnetMask: string;
  router?: string;
  serverId: string;
  tftpServers: string[];
  leaseTime: number;
}

const PRL = [1, 3, 6, 15, 42, 66, 150];
const VENDOR_CLASS = 'Cisco Systems, Inc. IP Phone CP-8845';

function request(mac: string, xid: number, type: DhcpMessageType, extra: Partial<DhcpMessage['options']> = {}): DhcpMessage {
  return {
    op: BOOTREQUEST, htype: 1, hlen: 6, hops: 0, xid, secs: 0, broadcast: true, reservedFlags: 0,
    ciaddr: ZERO_IP, yiaddr: ZERO_IP, siaddr: ZERO_IP, giaddr: ZERO_IP, chaddr: mac, sname: '', file: '',
    options: { ...emptyOptions(), messageType: type, parameterRequestList: PRL, vendorClassId: VENDOR_CLASS, maxMessageSize: 1500, ...extra },
  };
}

/** Sends `msg` broadcast until a reply of `want` (or NAK) with our xid arrives. */
function exchange(sock: RawSocket, msg: DhcpMessage, want: DhcpMessageType, timeoutMs: number): Promise<DhcpMessage | undefined> {
  return new Promise((resolve) => {
    const frame = buildUdpFrame({ srcMac: msg.chaddr, dstMac: BROADCAST_MAC, srcIp: ZERO_IP, dstIp: BROADCAST_IP, srcPort: 68, dstPort: 67, payload: encodeDhcp(msg) });
    let wait = 1000;
    let timer: NodeJS.Timeout;
    const deadline = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (m: DhcpMessage | undefined) => {
      clearTimeout(timer);
      clearTimeout(deadline);
      sock.off('frame', onFrame);
      resolve(m);
    };
    const onFrame = (f: Buffer) => {
      const udp = parseDhcpFrame(f);
      if (!udp.ok || udp.value.dstPort !== 68) return;
      const m = decodeDhcp(udp.value.payload);
      if (!m.ok || m.value.xid !== msg.xid || m.value.chaddr !== msg.chaddr) return;
      if (m.value.options.messageType === want || m.value.options.messageType === 'NAK') finish(m.value);
    };
    const send = () => {
      sock.send(frame);
      timer = setTimeout(send, wait);
      wait = Math.min(wait * 2, 8000);
    };
    sock.on('frame', onFrame);
    send();
  });
}

export async function obtainLease(sock: RawSocket, mac: string, timeoutMs = 30_000): Promise<DhcpLease> {
  const xid = randomInt(2 ** 31);
  const offer = await exchange(sock, request(mac, xid, 'DISCOVER'), 'OFFER', timeoutMs);
  if (!offer || offer.options.messageType !== 'OFFER') throw new Error('no DHCP OFFER');
  const serverId = offer.options.serverId ?? '';
  const ack = await exchange(sock, request(mac, xid, 'REQUEST', { requestedIp: offer.yiaddr, serverId }), 'ACK', timeoutMs);
  if (!ack || ack.options.messageType !== 'ACK') throw new Error(`DHCP REQUEST answered ${ack?.options.messageType ?? 'by nobody'}`);
  return {
    ip: ack.yiaddr, subnetMask: ack.options.subnetMask ?? '255.255.255.0', router: ack.options.routers?.[0], serverId,
    tftpServers: ack.options.tftpServers ?? [], leaseTime: ack.options.leaseTime ?? 0,
  };
}
