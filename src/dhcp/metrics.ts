// The DHCP plane's Prometheus metrics: outcomes (offers, acks, naks, declines...), dropped
// packets by reason, group commits, ARP conflicts and pool occupancy.
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

export type DropReason = 'malformed' | 'not-for-us' | 'rate-limit-client' | 'rate-limit-global';

export interface PoolUsage { size: number; bound: number; offered: number; declined: number }

export class DhcpMetrics {
  readonly events = new Counter({ name: 'outpost_dhcp_events_total', help: 'DHCP outcomes by kind (offer, ack, nak, decline, release, inform, exhausted, throttled, ...)', labelNames: ['kind'], registers: [] });
  readonly dropped = new Counter({ name: 'outpost_dhcp_dropped_total', help: 'DHCP packets dropped before the server looked at them, by reason', labelNames: ['reason'], registers: [] });
  readonly malformed = new Counter({ name: 'outpost_dhcp_malformed_total', help: 'Undecodable DHCP packets dropped', registers: [] });
  readonly commits = new Counter({ name: 'outpost_dhcp_group_commits_total', help: 'Lease transactions (each one fsync)', registers: [] });
  readonly committed = new Counter({ name: 'outpost_dhcp_group_commit_members_total', help: 'Lease changes carried by those transactions', registers: [] });
  readonly conflicts = new Counter({ name: 'outpost_dhcp_arp_conflicts_total', help: 'Addresses another host answered ARP for; quarantined, not offered', registers: [] });
  readonly pool: Gauge;

  constructor(usage: () => PoolUsage) {
    this.pool = new Gauge({
      name: 'outpost_dhcp_pool_addresses', help: 'Pool addresses by state (size = the whole pool)', labelNames: ['state'], registers: [],
      collect() {
        const u = usage();
        this.set({ state: 'size' }, u.size);
        this.set({ state: 'bound' }, u.bound);
        this.set({ state: 'offered' }, u.offered);
        this.set({ state: 'declined' }, u.declined);
      },
    });
  }

  private get all(): Metric[] {
    return [this.events, this.dropped, this.malformed, this.commits, this.committed, this.conflicts, this.pool] as Metric[];
  }

  register(registry: Registry): void {
    for (const m of this.all) registry.registerMetric(m);
  }

  unregister(registry: Registry): void {
    for (const m of this.all) registry.removeSingleMetric((m as unknown as { name: string }).name);
  }

  drop(reason: DropReason): void {
    this.dropped.inc({ reason });
    if (reason === 'malformed') this.malformed.inc();
  }
}
