// Fixed addresses from the configuration: a phone named by its MAC or by its client identifier
// (option 61) always gets the same address, and nobody else ever gets it.

import type { ClientKey } from './leases.js';
import { formatMac, requireMac } from '../util/mac.js';

export interface ReservationConfig {
  ip: string;
  mac?: string;
  /** Option 61 as hex bytes, type byte first; colons or dashes allowed. */
  clientId?: string;
}

/** Lower-case hex without separators: the form the lease store keeps client ids in. */
export function normalizeClientId(text: string): string {
  return text.replace(/[:-]/g, '').toLowerCase();
}

export class Reservations {
  private readonly byMac = new Map<string, string>();
  private readonly byClientId = new Map<string, string>();
  /** Every reserved address, for keeping them out of the dynamic pool. */
  readonly addresses: ReadonlySet<string>;

  /** Throws on a duplicate client or address: the configuration check reports it. */
  constructor(list: readonly ReservationConfig[]) {
    const addresses = new Set<string>();
    for (const r of list) {
      if (addresses.has(r.ip)) throw new Error(`DHCP reservation: ${r.ip} is reserved twice`);
      addresses.add(r.ip);
      if (r.mac !== undefined) {
        const mac = formatMac(requireMac(r.mac));
        if (this.byMac.has(mac)) throw new Error(`DHCP reservation: MAC ${mac} has two addresses`);
        this.byMac.set(mac, r.ip);
      }
      if (r.clientId !== undefined) {
        const id = normalizeClientId(r.clientId);
        if (this.byClientId.has(id)) throw new Error(`DHCP reservation: client id ${id} has two addresses`);
        this.byClientId.set(id, r.ip);
      }
    }
    this.addresses = addresses;
  }

  /** The client's reserved address: by client id when it sends one that is reserved, else by MAC. */
  forClient(client: ClientKey): string | undefined {
    const byId = client.clientId ? this.byClientId.get(client.clientId) : undefined;
    return byId ?? this.byMac.get(client.mac);
  }

  /** True when the address is reserved, and not for this client. */
  heldForOther(address: string, client: ClientKey): boolean {
    return this.addresses.has(address) && this.forClient(client) !== address;
  }
}
