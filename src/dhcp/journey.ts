// What the DHCP server adds to a phone's journey. Only phones get one: a client that says it
// is a Cisco phone (option 60), or one the inventory already knows from CDP/LLDP. A flood of
// forged MACs must not fill the inventory.
import type { Inventory, JourneyOutcome } from '../core/inventory.js';
import type { DhcpMessage } from './codec.js';
import type { DhcpEvent } from './engine.js';
import { CISCO_PHONE_VENDOR_CLASS } from './reply.js';

export interface JourneyEntry {
  outcome: JourneyOutcome;
  detail: string;
}

export function isPhone(inventory: Inventory, mac: string, vendorClass: string | undefined): boolean {
  return CISCO_PHONE_VENDOR_CLASS.test(vendorClass ?? '') || inventory.find({ mac }) !== undefined;
}

export function discoverEntry(msg: DhcpMessage): JourneyEntry {
  const vc = msg.options.vendorClassId;
  return { outcome: 'info', detail: `DISCOVER${vc ? ` (${vc})` : ''}` };
}

/** `tftp`: the option 150 list the reply carried. */
export function journeyEntry(e: DhcpEvent, tftp?: string[]): JourneyEntry | undefined {
  const phase = e.phase ? ` (${e.phase})` : '';
  const option150 = tftp?.length ? `, option 150 ${tftp.join(',')}` : '';
  switch (e.kind) {
    case 'offer': return { outcome: 'info', detail: `OFFER ${e.ip ?? ''}${option150}` };
    case 'ack': return { outcome: 'ok', detail: `ACK ${e.ip ?? ''}${phase}${option150}` };
    case 'nak': return { outcome: 'fail', detail: `NAK ${e.ip ?? ''}${phase}: ${e.reason ?? ''}` };
    case 'decline': return { outcome: 'fail', detail: `DECLINE ${e.ip ?? ''}: address in use` };
    case 'release': return { outcome: 'info', detail: `RELEASE ${e.ip ?? ''}` };
    case 'inform': return { outcome: 'info', detail: `INFORM answered${option150}` };
    case 'exhausted': return { outcome: 'fail', detail: 'no address: pool exhausted' };
    case 'throttled': return { outcome: 'fail', detail: `no offer: ${e.reason ?? 'too many outstanding offers'}` };
    case 'error': return { outcome: 'fail', detail: e.reason ?? 'error' };
    default: return undefined;
  }
}
