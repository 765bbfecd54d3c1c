// The DHCP server's decisions (RFC 2131 §4.3): given one decoded client message, what to
// answer, where to send it, and what to record. No I/O of its own apart from the lease
// store. decide() stages a lease and marks its ACK `durable`: the caller must flush the
// store (one transaction for a whole group of ACKs) before that ACK may leave. handle()
// does both at once, for one message.

import { BOOTREQUEST, type DhcpMessage } from './codec.js';
import { ZERO_IP, rangeContains, sameSubnet } from '../util/ipv4.js';
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
  /** Sent to a broadcast address: a REQUEST with ciaddr is then REBINDING, not RENEWING. */
  broadcast?: boolean;
}

/** What happened, for the phone's journey and the counters. */
export interface DhcpEvent {
  kind: 'offer' | 'ack' | 'nak' | 'inform' | 'release' | 'decline' | 'ignored' | 'exhausted' | 'throttled' | 'error';
  mac: string;
  ip?: string;
  vendorClass?: string;
  hostname?: string;
  /** Why a message was refused, ignored or failed. */
  reason?: string;
  /** For a REQUEST: the client state RFC 2131 §4.3.2 tells apart. */
  phase?: RequestPhase;
  /** The DHCP message type the client sent. */
  received?: string;
}

export type RequestPhase = 'selecting' | 'init-reboot' | 'renewing' | 'rebinding';

export interface DhcpDecision {
  /** Absent when RFC 2131 says to stay silent. */
  reply?: Reply;
  event: DhcpEvent;
  /** A lease change was staged: flush the store before sending the reply (if any). */
  durable?: boolean;
  /** Never leased before: ask the segment (ARP) whether anyone uses it before the OFFER leaves. */
  probe?: string;
}

export class DhcpEngine {
  private readonly cfg: ResolvedServerConfig;

  constructor(config: DhcpServerConfig, private readonly store: LeaseStore) {
    const resolved = resolveServerConfig(config);
    if (!resolved.ok) throw new Error(resolved.error);
    this.cfg = resolved.value;
  }

  /** Decides and, for an ACK, writes the lease to disk before returning. `now` in ms since the epoch. */
  handle(msg: DhcpMessage, ctx: ArrivalContext, now: number): DhcpDecision {
    const decision = this.decide(msg, ctx, now);
    if (!decision.durable) return decision;
    try {
      this.store.flush();
      return decision;
    } catch (e) {
      return this.storeFailed(decision, e as Error);
    }
  }

  /** The decision when the flush that should have carried its lease failed: no ACK. */
  storeFailed(decision: DhcpDecision, error: Error): DhcpDecision {
    const { mac, ip } = decision.event;
    return { event: { kind: 'error', mac, ...(ip ? { ip } : {}), reason: `lease not stored: ${error.message}` } };
  }

  /** Someone else answered ARP for the address: quarantine it like a DECLINE (staged). */
  addressInUse(address: string, holderMac: string, now: number): void {
    this.store.quarantine(address, holderMac, now, this.cfg.declineQuarantineSeconds * 1000);
  }

  /** Pool occupancy for the metrics and the exhaustion warning. */
  poolUsage(now: number): { size: number; bound: number; offered: number; declined: number } {
    return this.store.usage(this.cfg.poolRange, now);
  }

  /** Like handle(), but a granted lease is only staged: see DhcpDecision.durable. */
  decide(msg: DhcpMessage, ctx: ArrivalContext, now: number): DhcpDecision {
    const mac = msg.chaddr;
    if (msg.op !== BOOTREQUEST) return ignored(mac, 'not a client request');
    if (ctx.viaRelay && msg.giaddr === ZERO_IP) return ignored(mac, `relayed by ${ctx.giaddr} without giaddr`);
    // Outpost serves one subnet: a relay from any other has no pool here.
    if (msg.giaddr !== ZERO_IP && !this.inSubnet(msg.giaddr)) return ignored(mac, `relay ${msg.giaddr} is outside the served subnet`);
    switch (msg.options.messageType) {
      case 'DISCOVER': return this.discover(msg, now);
      case 'REQUEST': return this.request(msg, ctx, now);
      case 'DECLINE': return this.decline(msg, now);
      case 'RELEASE': return this.release(msg, now);
      case 'INFORM': return this.inform(msg);
      case undefined: return ignored(mac, 'no DHCP message type');
      default: return ignored(mac, `${msg.options.messageType} is not sent by clients`);
    }
  }

  private discover(msg: DhcpMessage, now: number): DhcpDecision {
    const client = clientOf(msg);
    const fixed = this.cfg.fixed.forClient(client);
    if (fixed !== undefined) {
      if (!this.store.isAvailableFor(fixed, client, now)) return ignored(client.mac, `reserved address ${fixed} is held by another client`);
      return this.offer(msg, fixed, now, false);
    }
    const known = this.store.findByClient(client, now) !== undefined || this.store.heldOffer(client, now) !== undefined;
    // A flood of new MACs must not hold the whole pool in offers: phones already known still get served.
    if (!known && this.store.outstandingOffers(now, this.cfg.maxOutstandingOffers) >= this.cfg.maxOutstandingOffers) {
      return { event: { kind: 'throttled', mac: client.mac, reason: `${this.cfg.maxOutstandingOffers} offers already outstanding` } };
    }
    const address = this.store.chooseAddress(this.cfg.poolRange, client, now, {
      requested: msg.options.requestedIp,
      exclude: this.cfg.reserved,
    });
    if (address === undefined) return { event: { kind: 'exhausted', mac: client.mac, reason: 'no free address in the pool' } };
    return this.offer(msg, address, now, !this.store.hasHistory(address));
  }

  private offer(msg: DhcpMessage, address: string, now: number, probe: boolean): DhcpDecision {
    const client = clientOf(msg);
    this.store.offer({ ...client, clientId: client.clientId ?? null, address, ...identity(msg) }, now);
    const decision: DhcpDecision = { reply: leaseReply(this.cfg, msg, 'OFFER', address), event: this.event('offer', msg, address) };
    return probe ? { ...decision, probe: address } : decision;
  }

  private request(msg: DhcpMessage, ctx: ArrivalContext, now: number): DhcpDecision {
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
      return this.grantIfFree(msg, address, now, 'selecting');
    }
    if (msg.ciaddr !== ZERO_IP) {
      // RENEWING (unicast to Outpost) or REBINDING (broadcast). An unknown client renewing a
      // free pool address keeps it: after a restore from backup that is kinder than a NAK.
      const phase = ctx.broadcast ? 'rebinding' : 'renewing';
      if (!this.inSubnet(msg.ciaddr)) return this.nak(msg, msg.ciaddr, 'address is not on this network', phase);
      return this.grantIfFree(msg, msg.ciaddr, now, phase);
    }
    if (requestedIp !== undefined) {
      // INIT-REBOOT: a client that remembers its address after a reboot.
      if (!this.inSubnet(requestedIp)) return this.nak(msg, requestedIp, 'address is not on this network', 'init-reboot');
      const fixed = this.cfg.fixed.forClient(client);
      if (fixed !== undefined && fixed !== requestedIp) return this.nak(msg, requestedIp, `client's reserved address is ${fixed}`, 'init-reboot');
      const known = this.store.findByClient(client, now);
      if (!known && fixed === undefined) return ignored(client.mac, `INIT-REBOOT for ${requestedIp} from a client with no lease here`);
      if (known && fixed === undefined && known.address !== requestedIp) return this.nak(msg, requestedIp, `client's lease is ${known.address}`, 'init-reboot');
      return this.grantIfFree(msg, requestedIp, now, 'init-reboot');
    }
    return ignored(client.mac, 'REQUEST without server id, requested address or ciaddr');
  }

  /** ACKs the address when this client may have it (a staged lease, durable flag set); NAKs otherwise. */
  private grantIfFree(msg: DhcpMessage, address: string, now: number, phase: RequestPhase): DhcpDecision {
    const client = clientOf(msg);
    const fixedForClient = this.cfg.fixed.forClient(client) === address;
    if (!fixedForClient && (!rangeContains(this.cfg.poolRange, address) || this.cfg.reserved.has(address))) {
      return this.nak(msg, address, 'address is not in the pool', phase);
    }
    if (!this.store.isAvailableFor(address, client, now)) return this.nak(msg, address, 'address is leased to another client', phase);
    const lease: Lease = {
      address, mac: client.mac, clientId: client.clientId ?? null, ...identity(msg),
      state: 'bound', expiresAt: now + this.cfg.leaseTimeSeconds * 1000, updatedAt: now,
    };
    this.store.stage([lease]);
    return { reply: leaseReply(this.cfg, msg, 'ACK', address), event: { ...this.event('ack', msg, address), phase }, durable: true };
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
    this.store.decline(address, client, now, this.cfg.declineQuarantineSeconds * 1000);
    return { event: { kind: 'decline', mac: client.mac, ip: address, reason: 'client found the address in use' }, durable: true };
  }

  private release(msg: DhcpMessage, now: number): DhcpDecision {
    const client = clientOf(msg);
    if (msg.options.serverId !== undefined && msg.options.serverId !== this.cfg.serverAddress) return ignored(client.mac, 'RELEASE for another server');
    if (!this.store.release(msg.ciaddr, client, now)) return ignored(client.mac, `RELEASE of ${msg.ciaddr}, which this client does not hold`);
    return { event: { kind: 'release', mac: client.mac, ip: msg.ciaddr }, durable: true };
  }

  private inform(msg: DhcpMessage): DhcpDecision {
    if (msg.ciaddr === ZERO_IP) return ignored(msg.chaddr, 'INFORM without ciaddr');
    return { reply: informReply(this.cfg, msg), event: this.event('inform', msg, msg.ciaddr) };
  }

  private nak(msg: DhcpMessage, address: string, reason: string, phase: RequestPhase): DhcpDecision {
    return { reply: nakReply(this.cfg, msg, reason), event: { kind: 'nak', mac: msg.chaddr, ip: address, reason, phase } };
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
