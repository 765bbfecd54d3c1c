// Durable DHCP lease store. Bound, released and declined leases live in SQLite (the daemon's
// one database, WAL, synchronous = FULL), so a phone keeps its address across a power cut;
// offers are only held in memory for a few seconds. Every lease is also cached in memory:
// the server answers from the cache and writes through. Changes are staged (the cache sees
// them at once, so the next decision does too) and flushed in one transaction per group:
// the caller sends no ACK for a staged lease until flush() has returned.

import type BetterSqlite3 from 'better-sqlite3';
import { type AddressRange, numberToIp, requireIp } from '../util/ipv4.js';

export const DHCP_MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS dhcp_leases (
     address      TEXT PRIMARY KEY,
     mac          TEXT NOT NULL,
     client_id    TEXT,
     hostname     TEXT,
     vendor_class TEXT,
     state        TEXT NOT NULL CHECK (state IN ('offered', 'bound', 'declined', 'released', 'expired')),
     expires_at   INTEGER NOT NULL,
     updated_at   INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS dhcp_leases_by_mac ON dhcp_leases (mac);
   CREATE INDEX IF NOT EXISTS dhcp_leases_by_client_id ON dhcp_leases (client_id);`,
];

export type LeaseState = 'offered' | 'bound' | 'declined' | 'released' | 'expired';

export interface Lease {
  address: string;
  mac: string;
  /** Option 61 as hex (type byte first), when the client sent one. */
  clientId: string | null;
  hostname: string | null;
  vendorClass: string | null;
  state: LeaseState;
  /** Milliseconds since the epoch: end of the lease, the offer hold, or the decline quarantine. */
  expiresAt: number;
  updatedAt: number;
}

/** Who a client is: option 61 when it sends one (RFC 2131 §4.2), its MAC otherwise. */
export interface ClientKey {
  mac: string;
  clientId?: string | null;
}

export interface ChooseOptions {
  /** Option 50 from a DISCOVER: used when the client has no previous address. */
  requested?: string;
  /** Addresses in the pool never to hand out (Outpost's own, the router's). */
  exclude?: ReadonlySet<string>;
}

/** One lease written (or rewritten) by address; shared with the lease-writer thread. */
export const UPSERT_LEASE_SQL = `
  INSERT INTO dhcp_leases (address, mac, client_id, hostname, vendor_class, state, expires_at, updated_at)
  VALUES (@address, @mac, @client_id, @hostname, @vendor_class, @state, @expires_at, @updated_at)
  ON CONFLICT (address) DO UPDATE SET mac = excluded.mac, client_id = excluded.client_id,
    hostname = excluded.hostname, vendor_class = excluded.vendor_class, state = excluded.state,
    expires_at = excluded.expires_at, updated_at = excluded.updated_at`;

export interface LeaseRow {
  address: string;
  mac: string;
  client_id: string | null;
  hostname: string | null;
  vendor_class: string | null;
  state: LeaseState;
  expires_at: number;
  updated_at: number;
}

const DEFAULT_OFFER_HOLD_MS = 60_000;
// Expired offers are swept once this many are held, so a starvation attack cannot grow memory.
const OFFER_SWEEP_THRESHOLD = 4096;

export class LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private readonly addressesByMac = new Map<string, Set<string>>();
  private readonly addressesByClientId = new Map<string, Set<string>>();
  /** Held offers, one per MAC, and the same offers by address. */
  private readonly offers = new Map<string, Lease>();
  private readonly offersByAddress = new Map<string, Lease>();
  private readonly upsert: BetterSqlite3.Statement;
  private readonly writeAll: (leases: Lease[]) => void;
  private readonly selectAll: BetterSqlite3.Statement;
  /** Where the search for a never-used address resumes, so it does not rescan the pool. */
  private unusedCursor = -1;
  /** Staged writes not yet on disk. */
  private staged: Lease[] = [];

  constructor(
    db: BetterSqlite3.Database,
    private readonly options: { offerHoldMs?: number } = {},
  ) {
    this.upsert = db.prepare(UPSERT_LEASE_SQL);
    this.writeAll = db.transaction((leases: Lease[]) => {
      for (const l of leases) this.upsert.run(toRow(l));
    });
    this.selectAll = db.prepare('SELECT * FROM dhcp_leases');
    this.load();
  }

  private load(): void {
    for (const row of this.selectAll.all() as LeaseRow[]) this.remember(fromRow(row));
  }

  /**
   * After a failed write: the cache becomes what is on disk again, plus the changes still
   * staged for a later write.
   */
  resync(): void {
    this.leases.clear();
    this.addressesByMac.clear();
    this.addressesByClientId.clear();
    this.load();
    for (const w of this.staged) this.remember(w);
  }

  /** The client's current lease if it has one, else its most recent past one. */
  findByClient(client: ClientKey, now: number): Lease | undefined {
    const mine = this.leasesOf(client).map((l) => withEffectiveState(l, now));
    const bound = mine.find((l) => l.state === 'bound');
    return bound ?? mine.sort((a, b) => b.updatedAt - a.updatedAt)[0];
  }

  findByAddress(address: string, now: number): Lease | undefined {
    const lease = this.leases.get(address);
    return lease && withEffectiveState(lease, now);
  }

  heldOffer(client: ClientKey, now: number): Lease | undefined {
    const offer = this.offers.get(client.mac);
    return offer && offer.expiresAt > now && belongsTo(offer, client) ? { ...offer } : undefined;
  }

  /** Holds an address for a client in memory only; the caller chose it with chooseAddress. */
  offer(lease: Omit<Lease, 'state' | 'expiresAt' | 'updatedAt'>, now: number): Lease {
    if (this.offers.size >= OFFER_SWEEP_THRESHOLD) {
      for (const o of this.offers.values()) if (o.expiresAt <= now) this.forgetOffer(o);
    }
    const previous = this.offers.get(lease.mac);
    if (previous) this.forgetOffer(previous);
    const held: Lease = { ...lease, state: 'offered', expiresAt: now + (this.options.offerHoldMs ?? DEFAULT_OFFER_HOLD_MS), updatedAt: now };
    this.offers.set(held.mac, held);
    this.offersByAddress.set(held.address, held);
    return { ...held };
  }

  dropOffer(client: ClientKey): void {
    const offer = this.offers.get(client.mac);
    if (offer && belongsTo(offer, client)) this.forgetOffer(offer);
  }

  private forgetOffer(offer: Lease): void {
    if (this.offers.get(offer.mac) === offer) this.offers.delete(offer.mac);
    if (this.offersByAddress.get(offer.address) === offer) this.offersByAddress.delete(offer.address);
  }

  /** Writes one lease durably (one transaction) before the caller may acknowledge it. */
  commit(lease: Lease): void {
    this.commitMany([lease]);
  }

  /** Stages leases and writes everything staged in one transaction, hence one fsync. */
  commitMany(leases: Lease[]): void {
    this.stage(leases);
    this.flush();
  }

  /**
   * Records leases in the cache now and queues them for the next flush. A client holds one
   * bound address: staging a new one releases its others.
   */
  stage(leases: Lease[]): void {
    for (const lease of leases) {
      if (lease.state === 'offered') throw new TypeError('offers are held in memory, never committed');
      requireIp(lease.address);
    }
    for (const lease of leases) {
      if (lease.state === 'bound') {
        for (const old of this.leasesOf(lease)) {
          if (old.address !== lease.address && old.state === 'bound') {
            this.stageOne({ ...old, state: 'released', expiresAt: lease.updatedAt, updatedAt: lease.updatedAt });
          }
        }
      }
      this.stageOne({ ...lease });
    }
  }

  /** Leases staged and not yet on disk. */
  get stagedCount(): number {
    return this.staged.length;
  }

  /**
   * Writes every staged lease in one transaction: the group commit that lets a boot storm of
   * phones be acknowledged quickly without ever ACKing a lease that is not on disk. When the
   * write fails the cache goes back to what is on disk and the error is thrown.
   */
  flush(): void {
    const writes = this.takeStaged();
    if (writes.length === 0) return;
    try {
      this.writeAll(writes);
    } catch (e) {
      this.resync();
      throw e;
    }
  }

  /**
   * Hands the staged changes, as rows, to a writer elsewhere (the lease-writer thread); the
   * caller must call resync() if that write fails.
   */
  takeStaged(): Lease[] {
    const writes = this.staged;
    this.staged = [];
    return writes;
  }

  private stageOne(w: Lease): void {
    this.staged.push(w);
    this.remember(w);
    const offer = this.offers.get(w.mac);
    if (offer && (offer.address === w.address || w.state === 'bound')) this.forgetOffer(offer);
    const offerOfAddress = this.offersByAddress.get(w.address);
    if (offerOfAddress && w.state === 'bound') this.forgetOffer(offerOfAddress);
  }

  /** True when the address was ever leased, declined or released here. */
  hasHistory(address: string): boolean {
    return this.leases.has(address);
  }

  /** Offers still held. Expired ones are swept only once the count reaches `limit`, where it matters. */
  outstandingOffers(now: number, limit = 0): number {
    if (this.offers.size >= limit) for (const o of this.offers.values()) if (o.expiresAt <= now) this.forgetOffer(o);
    return this.offers.size;
  }

  /** How much of the pool is taken: bound leases, live offers, quarantined addresses. */
  usage(pool: AddressRange, now: number): { size: number; bound: number; offered: number; declined: number } {
    let bound = 0;
    let declined = 0;
    for (const lease of this.leases.values()) {
      if (!inRange(pool, lease.address) || lease.expiresAt <= now) continue;
      if (lease.state === 'bound') bound++;
      else if (lease.state === 'declined') declined++;
    }
    let offered = 0;
    for (const o of this.offersByAddress.values()) if (o.expiresAt > now && inRange(pool, o.address) && !this.leases.has(o.address)) offered++;
    return { size: pool.last - pool.first + 1, bound, offered, declined };
  }

  /** Another host answers for the address (ARP): keep it out of the pool for quarantineMs. Staged. */
  quarantine(address: string, holderMac: string, now: number, quarantineMs: number): void {
    const held = this.offersByAddress.get(address);
    if (held) this.forgetOffer(held);
    this.stage([{
      address, mac: holderMac, clientId: null, hostname: null, vendorClass: null,
      state: 'declined', expiresAt: now + quarantineMs, updatedAt: now,
    }]);
  }

  /** The client gives its address back (DHCPRELEASE), staged for the next flush. False when it is not the client's. */
  release(address: string, client: ClientKey, now: number): boolean {
    const lease = this.leases.get(address);
    if (!lease || !belongsTo(lease, client) || withEffectiveState(lease, now).state !== 'bound') return false;
    this.stage([{ ...lease, state: 'released', expiresAt: now, updatedAt: now }]);
    return true;
  }

  /** The client found the address in use (DHCPDECLINE): nobody gets it for quarantineMs. Staged. */
  decline(address: string, client: ClientKey, now: number, quarantineMs: number): void {
    const known = this.leases.get(address);
    this.stage([{
      address,
      mac: client.mac,
      clientId: client.clientId ?? null,
      hostname: known?.hostname ?? null,
      vendorClass: known?.vendorClass ?? null,
      state: 'declined',
      expiresAt: now + quarantineMs,
      updatedAt: now,
    }]);
    this.dropOffer(client);
  }

  /** Stored leases and live offers, by address. */
  list(now: number): Lease[] {
    const all = [...this.leases.values()].map((l) => withEffectiveState(l, now));
    for (const o of this.offers.values()) if (o.expiresAt > now) all.push({ ...o });
    return all.sort((a, b) => requireIp(a.address) - requireIp(b.address));
  }

  /** True when nobody else holds, is offered, or has quarantined the address. */
  isAvailableFor(address: string, client: ClientKey, now: number): boolean {
    const offer = this.offerOf(address, now);
    if (offer && !belongsTo(offer, client)) return false;
    const lease = this.leases.get(address);
    if (!lease || belongsTo(lease, client)) return !(lease && isQuarantined(lease, now));
    const state = withEffectiveState(lease, now).state;
    return state === 'released' || state === 'expired';
  }

  /**
   * Picks the address to offer: the client's current or previous one, the one it asked for,
   * a never-used one, then the least recently used expired or released one.
   */
  chooseAddress(pool: AddressRange, client: ClientKey, now: number, opts: ChooseOptions = {}): string | undefined {
    const usable = (ip: string) => inRange(pool, ip) && !opts.exclude?.has(ip) && this.isAvailableFor(ip, client, now);
    const mine = this.leasesOf(client).map((l) => withEffectiveState(l, now));
    const current = mine.find((l) => l.state === 'bound' && usable(l.address));
    if (current) return current.address;
    const offered = this.heldOffer(client, now);
    if (offered && usable(offered.address)) return offered.address;
    const previous = mine
      .filter((l) => l.state !== 'declined' && this.leases.get(l.address)?.state !== 'declined' && usable(l.address))
      .sort((a, b) => b.updatedAt - a.updatedAt)[0];
    if (previous) return previous.address;
    if (opts.requested !== undefined && usable(opts.requested)) return opts.requested;
    return this.neverUsed(pool, now, opts.exclude) ?? this.leastRecentlyUsed(pool, client, now, opts.exclude);
  }

  private neverUsed(pool: AddressRange, now: number, exclude?: ReadonlySet<string>): string | undefined {
    const size = pool.last - pool.first + 1;
    const start = this.unusedCursor >= pool.first && this.unusedCursor <= pool.last ? this.unusedCursor : pool.first;
    for (let i = 0; i < size; i++) {
      const n = pool.first + ((start - pool.first + i) % size);
      const ip = numberToIp(n);
      if (!this.leases.has(ip) && !this.offerOf(ip, now) && !exclude?.has(ip)) {
        this.unusedCursor = n + 1;
        return ip;
      }
    }
    return undefined;
  }

  private leastRecentlyUsed(pool: AddressRange, client: ClientKey, now: number, exclude?: ReadonlySet<string>): string | undefined {
    let best: Lease | undefined;
    for (const lease of this.leases.values()) {
      if (!inRange(pool, lease.address) || exclude?.has(lease.address)) continue;
      if (!this.isAvailableFor(lease.address, client, now)) continue;
      if (!best || lease.updatedAt < best.updatedAt) best = lease;
    }
    return best?.address;
  }

  private offerOf(address: string, now: number): Lease | undefined {
    const offer = this.offersByAddress.get(address);
    return offer && offer.expiresAt > now ? offer : undefined;
  }

  private leasesOf(client: ClientKey): Lease[] {
    const candidates = new Set([
      ...(client.clientId ? this.addressesByClientId.get(client.clientId) ?? [] : []),
      ...(this.addressesByMac.get(client.mac) ?? []),
    ]);
    return [...candidates].map((a) => this.leases.get(a)).filter((l): l is Lease => !!l && belongsTo(l, client));
  }

  private remember(lease: Lease): void {
    const previous = this.leases.get(lease.address);
    if (previous) {
      this.addressesByMac.get(previous.mac)?.delete(lease.address);
      if (previous.clientId) this.addressesByClientId.get(previous.clientId)?.delete(lease.address);
    }
    this.leases.set(lease.address, lease);
    index(this.addressesByMac, lease.mac, lease.address);
    if (lease.clientId) index(this.addressesByClientId, lease.clientId, lease.address);
  }
}

function index(map: Map<string, Set<string>>, key: string, address: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(address);
  map.set(key, set);
}

/** A client sending option 61 is matched on it, or on its MAC for leases made without one. */
function belongsTo(lease: Lease, client: ClientKey): boolean {
  if (client.clientId) return lease.clientId === client.clientId || (lease.clientId === null && lease.mac === client.mac);
  return lease.mac === client.mac;
}

function isQuarantined(lease: Lease, now: number): boolean {
  return lease.state === 'declined' && lease.expiresAt > now;
}

/** Bound leases past their end, and declined ones past quarantine, are free again. */
function withEffectiveState(lease: Lease, now: number): Lease {
  const over = lease.expiresAt <= now && (lease.state === 'bound' || lease.state === 'declined');
  return over ? { ...lease, state: 'expired' } : { ...lease };
}

function inRange(pool: AddressRange, ip: string): boolean {
  const n = requireIp(ip);
  return n >= pool.first && n <= pool.last;
}

export function toRow(l: Lease): LeaseRow {
  return {
    address: l.address, mac: l.mac, client_id: l.clientId, hostname: l.hostname, vendor_class: l.vendorClass,
    state: l.state, expires_at: l.expiresAt, updated_at: l.updatedAt,
  };
}

function fromRow(r: LeaseRow): Lease {
  return {
    address: r.address, mac: r.mac, clientId: r.client_id, hostname: r.hostname, vendorClass: r.vendor_class,
    state: r.state, expiresAt: r.expires_at, updatedAt: r.updated_at,
  };
}
