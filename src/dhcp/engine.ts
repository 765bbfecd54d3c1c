// The DHCP server's decisions (RFC 2131 §4.3): given one decoded client message, what to
// answer, where to send it, and what to record. No I/O of its own apart from the lease
// store, whose commit returns before any ACK is handed back: the daemon's rule is that a
// lease is on disk before its ACK leaves.

import { BOOTREQUEST, type DhcpMessage } from './codec.js';
import { ZERO_IP, rangeContains, sameSubnet } from './ipv4.js';
import type { ClientKey, Lease, LeaseStore } from './leases.js';
import { informReply, leaseReply, nakReply, type Reply } from './reply.js';
import { resolveServerConfig, type DhcpServerConfig, type ResolvedServerConfig } from './server-config.js';

export type { DhcpServerConfig } from './server-config.js';
export type { Reply, ReplyDestination } from './reply.js';

/** How the message reached Outpost. Replies follow the message's own giaddr (RFC 2131 §4.1). */
export interface ArrivalContext {
  /** Came from a relay agent: unicast to port 67 rather than a client broadcast. */
  viaRelay: boolean;
  /** The relay's address as the socket saw it (the IP source), for the log. */
  giaddr: string;
}

/** What happened, for the phone's journey and the counters. */
export interface DhcpEvent {
  kind: 'offer' | 'ack' | 'nak' | 'inform' | 'release' | 'decline' | 'ignored' | 'exhausted' | 'error';
  mac: string;
  ip?: string;
  vendorClass?: string;
  hostname?: string;
  /** Why a message was refused, ignored or failed. */
  reason?: string;
}

export interface DhcpDecision {
  /** Absent when RFC 2131 says to stay silent. */
  reply?: Reply;
  event: DhcpEvent;
}

export class DhcpEngine {
  private readonly cfg: ResolvedServerConfig;

  constructor(config: DhcpServerConfig, private readonly store: LeaseStore) {
    const resolved = resolveServerConfig(config);
    if (!resolved.ok) throw new Error(resolved.error);
    this.cfg = resolved.value;
  }

  /** `now` in milliseconds since the epoch. */
  handle(msg: DhcpMessage, ctx: ArrivalContext, now: number): DhcpDecision {
    const mac = msg.chaddr;
    if (msg.op !== BOOTREQUEST) return ignored(mac, 'not a client request');
    if (ctx.viaRelay && msg.giaddr === ZERO_IP) return ignored(mac, `relayed by ${ctx.giaddr} without giaddr`);
    // Outpost serves one subnet: a relay from any other has no pool here.
    if (msg.giaddr !== ZERO_IP && !this.inSubnet(msg.giaddr)) return ignored(mac, `relay ${msg.giaddr} is outside the served subnet`);
    switch (msg.options.messageType) {
      case 'DISCOVER': return this.discover(msg, now);
      case 'REQUEST': return this.request(msg, now);
      case 'DECLINE': return this.decline(msg, now);
      case 'RELEASE': return this.release(msg, now);
      case 'INFORM': return this.inform(msg);
      case undefined: return ignored(mac, 'no DHCP message type');
      default: return ignored(mac, `${msg.options.messageType} is not sent by clients`);
    }
  }

  private discover(msg: DhcpMessage, now: number): DhcpDecision {
    const client = clientOf(msg);
    const address = this.store.chooseAddress(this.cfg.poolRange, client, now, {
      requested: msg.options.requestedIp,
      exclude: this.cfg.reserved,
    });
    if (address === undefined) return { event: { kind: 'exhausted', mac: client.mac, reason: 'no free address in the pool' } };
    this.store.offer({ ...client, clientId: client.clientId ?? null, address, ...identity(msg) }, now);
    return { reply: leaseReply(this.cfg, msg, 'OFFER', address), event: this.event('offer', msg, address) };
  }

  private request(msg: DhcpMessage, now: number): DhcpDecision {
    const client = clientOf(msg);
    const { serverId, requestedIp } = msg.options;
    if (serverId !== undefined) {
      // SELECTING: the client broadcasts its choice; another server's name means ours was refused.
      if (serverId !== this.cfg.serverAddress) {
        this.store.dropOffer(client);
        return ignored(client.mac, `client chose server ${serverId}`);
      }
      const address = requestedIp ?? (msg.ciaddr !== ZERO_IP ? msg.ciaddr : undefined);
      if (address === undefined) return ignored(client.mac, 'REQUEST names no address');
      return this.grantIfFree(msg, address, now);
    }
    if (msg.ciaddr !== ZERO_IP) {
      // RENEWING (unicast) or REBINDING (broadcast). An unknown client renewing a free pool
      // address keeps it: after a restore from backup that is kinder than a NAK.
      if (!this.inSubnet(msg.ciaddr)) return this.nak(msg, msg.ciaddr, 'address is not on this network');
      return this.grantIfFree(msg, msg.ciaddr, now);
    }
    if (requestedIp !== undefined) {
      // INIT-REBOOT: a client that remembers its address after a reboot.
      if (!this.inSubnet(requestedIp)) return this.nak(msg, requestedIp, 'address is not on this network');
      const known = this.store.findByClient(client, now);
      if (!known) return ignored(client.mac, `INIT-REBOOT for ${requestedIp} from a client with no lease here`);
      if (known.address !== requestedIp) return this.nak(msg, requestedIp, `client's lease is ${known.address}`);
      return this.grantIfFree(msg, requestedIp, now);
    }
    return ignored(client.mac, 'REQUEST without server id, requested address or ciaddr');
  }

  /** ACKs the address when this client may have it, after the lease is on disk; NAKs otherwise. */
  private grantIfFree(msg: DhcpMessage, address: string, now: number): DhcpDecision {
    const client = clientOf(msg);
    if (!rangeContains(this.cfg.poolRange, address) || this.cfg.reserved.has(address)) {
      return this.nak(msg, address, 'address is not in the pool');
    }
    if (!this.store.isAvailableFor(address, client, now)) return this.nak(msg, address, 'address is leased to another client');
    const lease: Lease = {
      address, mac: client.mac, clientId: client.clientId ?? null, ...identity(msg),
      state: 'bound', expiresAt: now + this.cfg.leaseTimeSeconds * 1000, updatedAt: now,
    };
    try {
      this.store.commit(lease);
    } catch (e) {
      return { event: { kind: 'error', mac: client.mac, ip: address, reason: `lease not stored: ${(e as Error).message}` } };
    }
    return { reply: leaseReply(this.cfg, msg, 'ACK', address), event: this.event('ack', msg, address) };
  }

  private decline(msg: DhcpMessage, now: number): DhcpDecision {
    const client = clientOf(msg);
    const address = msg.options.requestedIp;
    if (msg.options.serverId !== undefined && msg.options.serverId !== this.cfg.serverAddress) return ignored(client.mac, 'DECLINE for another server');
    if (address === undefined) return ignored(client.mac, 'DECLINE names no address');
    const lease = this.store.findByAddress(address, now);
    const offered = this.store.heldOffer(client, now);
    const ours = offered?.address === address || (lease !== undefined && lease.mac === client.mac);
    if (!ours) return ignored(client.mac, `DECLINE of ${address}, which is not this client's`);
    try {
      this.store.decline(address, client, now, this.cfg.declineQuarantineSeconds * 1000);
    } catch (e) {
      return { event: { kind: 'error', mac: client.mac, ip: address, reason: `decline not stored: ${(e as Error).message}` } };
    }
    return { event: { kind: 'decline', mac: client.mac, ip: address, reason: 'client found the address in use' } };
  }

  private release(msg: DhcpMessage, now: number): DhcpDecision {
    const client = clientOf(msg);
    if (msg.options.serverId !== undefined && msg.options.serverId !== this.cfg.serverAddress) return ignored(client.mac, 'RELEASE for another server');
    try {
      if (!this.store.release(msg.ciaddr, client, now)) return ignored(client.mac, `RELEASE of ${msg.ciaddr}, which this client does not hold`);
    } catch (e) {
      return { event: { kind: 'error', mac: client.mac, ip: msg.ciaddr, reason: `release not stored: ${(e as Error).message}` } };
    }
    return { event: { kind: 'release', mac: client.mac, ip: msg.ciaddr } };
  }

  private inform(msg: DhcpMessage): DhcpDecision {
    if (msg.ciaddr === ZERO_IP) return ignored(msg.chaddr, 'INFORM without ciaddr');
    return { reply: informReply(this.cfg, msg), event: this.event('inform', msg, msg.ciaddr) };
  }

  private nak(msg: DhcpMessage, address: string, reason: string): DhcpDecision {
    return { reply: nakReply(this.cfg, msg, reason), event: { kind: 'nak', mac: msg.chaddr, ip: address, reason } };
  }

  private inSubnet(ip: string): boolean {
    return sameSubnet(ip, this.cfg.serverAddress, this.cfg.subnetMask);
  }

  private event(kind: 'offer' | 'ack' | 'inform', msg: DhcpMessage, ip: string): DhcpEvent {
    const { vendorClassId, hostname } = msg.options;
    return { kind, mac: msg.chaddr, ip, ...(vendorClassId ? { vendorClass: vendorClassId } : {}), ...(hostname ? { hostname } : {}) };
  }
}

function ignored(mac: string, reason: string): DhcpDecision {
  return { event: { kind: 'ignored', mac, reason } };
}

function clientOf(msg: DhcpMessage): ClientKey {
  const id = msg.options.clientId;
  return { mac: msg.chaddr, clientId: id ? Buffer.concat([Buffer.from([id.type]), id.id]).toString('hex') : null };
}

function identity(msg: DhcpMessage): { hostname: string | null; vendorClass: string | null } {
  return { hostname: msg.options.hostname ?? null, vendorClass: msg.options.vendorClassId ?? null };
}
