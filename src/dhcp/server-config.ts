// What the DHCP server hands out on the voice VLAN, checked once when the server starts so
// that the per-packet logic can trust it.

import { ok, err, type Result } from '../util/result.js';
import { type AddressRange, isIpv4, numberToIp, parseAddressRange, requireIp, sameSubnet } from '../util/ipv4.js';
import { Reservations, type ReservationConfig } from './reservations.js';

export interface DhcpServerConfig {
  /** Outpost's address on the voice VLAN: server identifier (54). */
  serverAddress: string;
  subnetMask: string;
  /** e.g. `10.20.0.100-10.20.0.199`; must lie in the server's subnet. */
  pool: string;
  router?: string;
  dnsServers?: string[];
  domainName?: string;
  ntpServers?: string[];
  leaseTimeSeconds: number;
  /** T1; default half the lease. */
  renewalTimeSeconds?: number;
  /** T2; default 7/8 of the lease. */
  rebindingTimeSeconds?: number;
  /** Option 150, in the order phones should try them: normally Outpost itself. */
  tftpServers: string[];
  /** Option 66; default the first TFTP server's address. */
  tftpServerName?: string;
  /** How long a declined address is kept out of the pool; default 10 minutes. */
  declineQuarantineSeconds?: number;
  /** Fixed addresses by MAC or client id; inside the subnet, in the pool or not. */
  reservations?: ReservationConfig[];
  /** Offers held at once for clients without a lease here: beyond it, new clients wait. Default 1024. */
  maxOutstandingOffers?: number;
}

/** The configuration with defaults filled in and the numbers the engine needs precomputed. */
export interface ResolvedServerConfig extends Required<Omit<DhcpServerConfig, 'router' | 'domainName' | 'reservations'>> {
  router?: string;
  domainName?: string;
  poolRange: AddressRange;
  broadcastAddress: string;
  /** Addresses that must never be leased dynamically (Outpost's own, the router's, reservations). */
  reserved: ReadonlySet<string>;
  fixed: Reservations;
}

export function resolveServerConfig(cfg: DhcpServerConfig): Result<ResolvedServerConfig> {
  const addresses = [cfg.serverAddress, cfg.subnetMask, ...(cfg.router ? [cfg.router] : []),
    ...(cfg.dnsServers ?? []), ...(cfg.ntpServers ?? []), ...cfg.tftpServers];
  const bad = addresses.find((a) => !isIpv4(a));
  if (bad !== undefined) return err(`DHCP configuration has a bad address: ${JSON.stringify(bad)}`);
  const range = parseAddressRange(cfg.pool);
  if (!range.ok) return range;
  const first = numberToIp(range.value.first);
  const last = numberToIp(range.value.last);
  if (!sameSubnet(first, cfg.serverAddress, cfg.subnetMask) || !sameSubnet(last, cfg.serverAddress, cfg.subnetMask)) {
    return err(`DHCP pool ${cfg.pool} is not inside ${cfg.serverAddress}/${cfg.subnetMask}`);
  }
  if (cfg.tftpServers.length === 0) return err('DHCP configuration needs at least one TFTP server for option 150');
  if (!(cfg.leaseTimeSeconds > 0)) return err('DHCP lease time must be positive');

  const mask = requireIp(cfg.subnetMask);
  const network = (requireIp(cfg.serverAddress) & mask) >>> 0;
  const broadcast = (network | ~mask) >>> 0;
  const infrastructure = new Set([cfg.serverAddress, numberToIp(network), numberToIp(broadcast), ...(cfg.router ? [cfg.router] : [])]);
  const reservationList = cfg.reservations ?? [];
  for (const r of reservationList) {
    if (!isIpv4(r.ip) || !sameSubnet(r.ip, cfg.serverAddress, cfg.subnetMask)) return err(`DHCP reservation ${r.ip} is not inside ${cfg.serverAddress}/${cfg.subnetMask}`);
    if (infrastructure.has(r.ip)) return err(`DHCP reservation ${r.ip} is Outpost's, the router's or the subnet's own address`);
    if ((r.mac === undefined) === (r.clientId === undefined)) return err(`DHCP reservation ${r.ip} needs exactly one of mac or clientId`);
  }
  let fixed: Reservations;
  try {
    fixed = new Reservations(reservationList);
  } catch (e) {
    return err((e as Error).message);
  }
  const reserved = new Set([...infrastructure, ...fixed.addresses]);
  return ok({
    ...cfg,
    dnsServers: cfg.dnsServers ?? [],
    ntpServers: cfg.ntpServers ?? [],
    renewalTimeSeconds: cfg.renewalTimeSeconds ?? Math.floor(cfg.leaseTimeSeconds * 0.5),
    rebindingTimeSeconds: cfg.rebindingTimeSeconds ?? Math.floor(cfg.leaseTimeSeconds * 0.875),
    tftpServerName: cfg.tftpServerName ?? cfg.tftpServers[0],
    declineQuarantineSeconds: cfg.declineQuarantineSeconds ?? 600,
    maxOutstandingOffers: cfg.maxOutstandingOffers ?? 1024,
    fixed,
    poolRange: range.value,
    broadcastAddress: numberToIp(broadcast),
    reserved,
  });
}
