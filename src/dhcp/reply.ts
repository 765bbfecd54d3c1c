// Builds the server's replies: which options go in (RFC 2131 §4.3.1, and what Cisco phones
// need), how large the reply may be, and where it must be sent (RFC 2131 §4.1).

import { BOOTREPLY, DEFAULT_MAX_DHCP_SIZE, type DhcpMessage, type EncodeOptions } from './codec.js';
import { BROADCAST_IP, ZERO_IP } from '../util/ipv4.js';
import { BROADCAST_MAC, parseMac } from '../util/mac.js';
import { DhcpOption, emptyOptions, type DhcpOptions } from './options.js';
import type { ResolvedServerConfig } from './server-config.js';

export type ReplyDestination =
  | { kind: 'broadcast'; ip: typeof BROADCAST_IP; mac: typeof BROADCAST_MAC; port: 68 }
  /** To the client's own MAC and address: it can receive before its IP stack is configured. */
  | { kind: 'unicast'; ip: string; mac: string; port: 68 }
  /** To the relay agent's server port; the frame goes to the MAC the request came from. */
  | { kind: 'relay'; ip: string; port: 67 };

export interface Reply {
  message: DhcpMessage;
  destination: ReplyDestination;
  /** Pass to encodeDhcpFitted: the client's size limit and option order. */
  encode: EncodeOptions;
}

// Cisco phones find their TFTP server in option 150; some firmware does not list 150 in its PRL.
export const CISCO_PHONE_VENDOR_CLASS = /^Cisco Systems, Inc\. IP Phone/;
// Largest reply that still fits one Ethernet frame without fragmentation.
const MAX_UNFRAGMENTED_DHCP = 1500 - 28;

export function leaseReply(
  cfg: ResolvedServerConfig, request: DhcpMessage, type: 'OFFER' | 'ACK', yiaddr: string,
): Reply {
  const options = configOptions(cfg, request, type);
  options.leaseTime = cfg.leaseTimeSeconds;
  options.renewalTime = cfg.renewalTimeSeconds;
  options.rebindingTime = cfg.rebindingTimeSeconds;
  const message = { ...baseReply(request, options), ciaddr: request.ciaddr, yiaddr, siaddr: cfg.tftpServers[0] };
  return { message, destination: destinationOf(request, yiaddr), encode: encodeLimits(request) };
}

/** DHCPACK to DHCPINFORM: configuration only, no address and no lease times (RFC 2131 §4.3.5). */
export function informReply(cfg: ResolvedServerConfig, request: DhcpMessage): Reply {
  const message = { ...baseReply(request, configOptions(cfg, request, 'ACK')), ciaddr: request.ciaddr, siaddr: cfg.tftpServers[0] };
  return { message, destination: destinationOf(request, ZERO_IP), encode: encodeLimits(request) };
}

export function nakReply(cfg: ResolvedServerConfig, request: DhcpMessage, reason: string): Reply {
  const options: DhcpOptions = { ...emptyOptions(), messageType: 'NAK', serverId: cfg.serverAddress };
  options.raw.set(DhcpOption.Message, Buffer.from(reason, 'latin1'));
  if (request.options.relayAgentInfo) options.relayAgentInfo = request.options.relayAgentInfo;
  const viaRelay = request.giaddr !== ZERO_IP;
  // A relay must broadcast the NAK on the client's segment: the client's address is wrong.
  const message = { ...baseReply(request, options), broadcast: request.broadcast || viaRelay };
  const destination: ReplyDestination = viaRelay
    ? { kind: 'relay', ip: request.giaddr, port: 67 }
    : { kind: 'broadcast', ip: BROADCAST_IP, mac: BROADCAST_MAC, port: 68 };
  return { message, destination, encode: encodeLimits(request) };
}

function baseReply(request: DhcpMessage, options: DhcpOptions): DhcpMessage {
  return {
    op: BOOTREPLY, htype: request.htype, hlen: request.hlen, hops: 0, xid: request.xid, secs: 0,
    broadcast: request.broadcast, reservedFlags: 0,
    ciaddr: ZERO_IP, yiaddr: ZERO_IP, siaddr: ZERO_IP, giaddr: request.giaddr,
    chaddr: request.chaddr, sname: '', file: '', options,
  };
}

/** Mask and router always; the rest when the client asks for it (or sends no list at all). */
function configOptions(cfg: ResolvedServerConfig, request: DhcpMessage, type: 'OFFER' | 'ACK'): DhcpOptions {
  const prl = request.options.parameterRequestList;
  const wants = (code: number) => prl === undefined || prl.includes(code);
  const ciscoPhone = CISCO_PHONE_VENDOR_CLASS.test(request.options.vendorClassId ?? '');
  const options: DhcpOptions = { ...emptyOptions(), messageType: type, serverId: cfg.serverAddress, subnetMask: cfg.subnetMask };
  if (cfg.router) options.routers = [cfg.router];
  if (cfg.dnsServers.length > 0 && wants(DhcpOption.DnsServers)) options.dnsServers = cfg.dnsServers;
  if (cfg.domainName && wants(DhcpOption.DomainName)) options.domainName = cfg.domainName;
  if (wants(DhcpOption.BroadcastAddress)) options.broadcastAddress = cfg.broadcastAddress;
  if (cfg.ntpServers.length > 0 && wants(DhcpOption.NtpServers)) options.ntpServers = cfg.ntpServers;
  if (ciscoPhone || wants(DhcpOption.TftpServers)) options.tftpServers = cfg.tftpServers;
  if (ciscoPhone || wants(DhcpOption.TftpServerName)) options.tftpServerName = cfg.tftpServerName;
  if (request.options.relayAgentInfo) options.relayAgentInfo = request.options.relayAgentInfo;
  return options;
}

/** RFC 2131 §4.1: relay, then ciaddr, then broadcast if asked, else the client's MAC and yiaddr. */
function destinationOf(request: DhcpMessage, yiaddr: string): ReplyDestination {
  if (request.giaddr !== ZERO_IP) return { kind: 'relay', ip: request.giaddr, port: 67 };
  // Without an Ethernet MAC in chaddr there is nobody to unicast to.
  const canUnicast = parseMac(request.chaddr) !== undefined;
  if (request.ciaddr !== ZERO_IP && canUnicast) return { kind: 'unicast', ip: request.ciaddr, mac: request.chaddr, port: 68 };
  if (!request.broadcast && yiaddr !== ZERO_IP && canUnicast) return { kind: 'unicast', ip: yiaddr, mac: request.chaddr, port: 68 };
  return { kind: 'broadcast', ip: BROADCAST_IP, mac: BROADCAST_MAC, port: 68 };
}

function encodeLimits(request: DhcpMessage): EncodeOptions {
  const asked = request.options.maxMessageSize;
  // Option 57 counts the whole IP datagram; below 576 it is illegal and ignored.
  const maxSize = asked !== undefined && asked >= 576 ? Math.min(asked - 28, MAX_UNFRAGMENTED_DHCP) : DEFAULT_MAX_DHCP_SIZE;
  return { maxSize, prl: request.options.parameterRequestList };
}
