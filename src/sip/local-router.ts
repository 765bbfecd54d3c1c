// Where a branch call goes while CUCM is unreachable: to the phone registered with the dialled
// directory number, to the branch's own SIP gateway for any other number, or nowhere, with
// the status a Cisco phone shows sensibly (480 for a known DN that is not registered, 503 with
// a Warning for numbers only CUCM could reach).
import type { SipRequest } from './message.js';
import { parseSipUri } from './headers.js';
import type { BindingStore, SipBinding } from './bindings.js';
import type { Peer } from './transport.js';

export type LocalRoute =
  | { kind: 'phone'; binding: SipBinding }
  | { kind: 'gateway'; peer: Peer }
  | { kind: 'reject'; status: number; reason: string; warning?: string };

/** The dialled number: the Request-URI user without visual separators or parameters. */
export function dialledNumber(req: SipRequest): string | undefined {
  const uri = parseSipUri(req.uri);
  if (!uri.ok || uri.value.user === undefined) return undefined;
  const user = decodeURIComponent(uri.value.user.split(';')[0]).replace(/[-.() ]/g, '');
  return user === '' ? undefined : user;
}

export function routeLocally(req: SipRequest, bindings: BindingStore, opts: { gateway?: Peer; knownNumber?: (n: string) => boolean; now?: number }): LocalRoute {
  const number = dialledNumber(req);
  if (number === undefined) return { kind: 'reject', status: 404, reason: 'Not Found' };
  const live = bindings.findByNumber(number, opts.now);
  if (live.length > 0) return { kind: 'phone', binding: live[0] };
  if (bindings.knowsNumber(number) || opts.knownNumber?.(number)) {
    return { kind: 'reject', status: 480, reason: 'Temporarily Unavailable' };
  }
  if (opts.gateway) return { kind: 'gateway', peer: opts.gateway };
  return { kind: 'reject', status: 503, reason: 'Service Unavailable', warning: `399 outpost "CUCM unreachable: ${number} is not a branch phone and no local gateway is configured"` };
}
