// How requests find their way back through Outpost: flow tokens in the user part of the
// Record-Route and Path URIs Outpost inserts (RFC 3261 §16.6, RFC 3327, RFC 5626 §5.3), and
// the loose-routing step that removes Outpost's own Route entries from a request it receives.
import type { SipMessage, SipRequest } from './message.js';
import { addHeader, getHeaders, removeHeader } from './message.js';
import { getParam, parseNameAddr, parseSipUri, type SipUri } from './headers.js';
import type { Peer, TransportName } from './transport.js';

/** Outpost's addresses: one on the phones' segment, one toward CUCM, one SIP port. */
export interface OwnAddresses {
  lan: string;
  wan: string;
  port: number;
}

const TOKEN = /^op([ut])_([0-9a-z]*)_(\d{1,3}(?:\.\d{1,3}){3})_(\d{1,5})$/;

/** A URI user part naming a peer: its transport, TCP flow (if any), address and port. */
export function flowToken(peer: Peer): string {
  return `op${peer.transport === 'tcp' ? 't' : 'u'}_${peer.flow ?? ''}_${peer.address}_${peer.port}`;
}

export function peerFromToken(token: string): Peer | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port < 1 || port > 65535) return undefined;
  const peer: Peer = { transport: m[1] === 't' ? 'tcp' : 'udp', address: m[3], port };
  if (m[2]) peer.flow = m[2];
  return peer;
}

/** A Record-Route or Path value for Outpost on one side, carrying the flow token of that side's peer. */
export function ownRouteValue(address: string, port: number, peer: Peer): string {
  const transport = peer.transport === 'tcp' ? ';transport=tcp' : '';
  return `<sip:${flowToken(peer)}@${address}:${port}${transport};lr>`;
}

export function isOwnUri(uri: SipUri, own: OwnAddresses): boolean {
  return (uri.host === own.lan || uri.host === own.wan) && (uri.port === undefined || uri.port === own.port);
}

/** The URI inside a Route/Record-Route/Path value. */
export function routeUri(value: string): SipUri | undefined {
  const na = parseNameAddr(value);
  if (!na.ok) return undefined;
  const uri = parseSipUri(na.value.uri);
  return uri.ok ? uri.value : undefined;
}

/** Where a request goes when its next hop is this URI (a Route entry, or the Request-URI). */
export function peerForUri(uri: SipUri, defaultPort = 5060): Peer {
  const t = getParam(uri.params, 'transport')?.value?.toLowerCase();
  const transport: TransportName = t === 'tcp' ? 'tcp' : 'udp';
  return { transport, address: uri.host, port: uri.port ?? defaultPort };
}

export interface RouteStep {
  request: SipRequest;
  /** Route entries left after Outpost's own were removed. */
  routes: string[];
  /** The peer named by the last Outpost entry removed, when it carried a flow token. */
  flow?: Peer;
}

/** Replaces the request's Route headers with these values (in order). */
export function withRoutes(req: SipRequest, routes: readonly string[]): SipRequest {
  let out = removeHeader(req, 'route');
  for (const r of routes) out = addHeader(out, 'Route', r, 'last');
  return out;
}

/**
 * Removes the leading Route entries that name Outpost. With `skipUpstream` (survival), entries
 * naming the unreachable CUCM are skipped too when Outpost's own entries follow them: a dialog
 * set up through CUCM then continues directly between the branch phones.
 */
export function popOwnRoutes(req: SipRequest, own: OwnAddresses, skipUpstream?: (uri: SipUri) => boolean): RouteStep {
  const routes = getHeaders(req, 'route');
  if (routes.length === 0) return { request: req, routes };
  let i = 0;
  let flow: Peer | undefined;
  const popOwn = () => {
    while (i < routes.length) {
      const uri = routeUri(routes[i]);
      if (!uri || !isOwnUri(uri, own)) break;
      const peer = uri.user !== undefined ? peerFromToken(uri.user) : undefined;
      if (peer) flow = peer;
      i++;
    }
  };
  popOwn();
  if (skipUpstream && i < routes.length) {
    let j = i;
    while (j < routes.length) {
      const uri = routeUri(routes[j]);
      if (!uri || !skipUpstream(uri)) break;
      j++;
    }
    const next = j < routes.length ? routeUri(routes[j]) : undefined;
    if (j > i && next && isOwnUri(next, own)) {
      i = j;
      popOwn();
    }
  }
  if (i === 0) return { request: req, routes };
  const rest = routes.slice(i);
  return { request: withRoutes(req, rest), routes: rest, ...(flow ? { flow } : {}) };
}

/** True for requests that open a dialog and so want Outpost in the route set. */
export function opensDialog(msg: SipMessage): boolean {
  if (msg.kind !== 'request') return false;
  if (!['INVITE', 'SUBSCRIBE', 'REFER'].includes(msg.method)) return false;
  const to = getHeaders(msg, 'to')[0] ?? '';
  return !/;\s*tag=/i.test(to);
}
