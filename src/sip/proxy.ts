// The stateful proxy core (RFC 3261 §16): every request the phones or CUCM send through Outpost
// gets a server transaction, one forwarding decision and one client transaction. While the WAN
// is up, phones' requests go to CUCM with Outpost in the route set (Record-Route) and CUCM's
// requests come back through the flow tokens of Outpost's Path and Record-Route entries. In
// survival, new calls are routed by the local router, and dialogs CUCM had set up skip CUCM.
import type { Logger } from 'pino';
import type { SipRequest, SipResponse } from './message.js';
import { addHeader, getHeader, getHeaders, setHeader } from './message.js';
import { formatSipUri, parseSipUri, parseVia, type SipUri } from './headers.js';
import { buildResponse } from './response.js';
import { newBranch, popOwnVia, relayBranch, responseDestination, stampReceived } from './relay.js';
import { opensDialog, ownRouteValue, peerForUri, peerFromToken, popOwnRoutes, isOwnUri, routeUri, type OwnAddresses } from './route.js';
import { routeLocally } from './local-router.js';
import type { BindingStore, SipBinding } from './bindings.js';
import type { ServerTransaction, TransactionLayer } from './transaction.js';
import type { Peer, SipTransport } from './transport.js';

export interface ProxyOptions {
  own: () => OwnAddresses;
  transport: SipTransport;
  layer: TransactionLayer;
  bindings: BindingStore;
  log: Logger;
  /** Is this address a CUCM member? */
  isUpstream(address: string): boolean;
  /** Is this address on the phones' segment? */
  isLan(address: string): boolean;
  /** The CUCM member to use now. */
  upstream(): Peer;
  survival(): boolean;
  gateway?: Peer;
  /** Directory numbers the inventory knows from the phones' cnf.xml files. */
  knownNumber?(n: string): boolean;
  /** Open transactions above which new requests get 503 (a flood must not exhaust memory). */
  maxTransactions: number;
  /** REGISTERs are the registration module's business. */
  onRegister(tx: ServerTransaction, req: SipRequest, source: Peer): void;
  /** A new call (initial INVITE) and where it went, for metrics and the caller's journey. */
  onCall(route: 'local' | 'relayed' | 'gateway' | 'rejected', req: SipRequest, source: Peer, detail: string): void;
  count: {
    transaction(side: 'server' | 'client', method: string): void;
    dropped(reason: string): void;
  };
}

export interface ForwardOptions {
  /** Outpost stays in the dialog's route set (initial INVITE, SUBSCRIBE, REFER). */
  recordRoute?: boolean;
  /** Extra header added on top (Path for a REGISTER). */
  path?: string;
  /** Sees the final response before it is forwarded. */
  onFinal?(res: SipResponse): void;
  /** Replaces the default 408/503 when the request timed out or could not be sent. */
  onFailure?(reason: 'timeout' | 'transport'): void;
}

export class SipProxy {
  constructor(private readonly o: ProxyOptions) {}

  /** Entry point for every message the transports deliver. */
  onMessage(msg: SipRequest | SipResponse, source: Peer): void {
    if (msg.kind === 'response') return this.onResponse(msg);
    this.onRequest(stampReceived(msg, source), source);
  }

  private onRequest(req: SipRequest, source: Peer): void {
    const o = this.o;
    const received = o.layer.receiveRequest(req, source);
    switch (received.kind) {
      case 'invalid':
        return o.count.dropped('no-via');
      case 'absorbed':
        return;
      case 'ack':
        return this.forwardAck(req);
      case 'cancel':
        return this.onCancel(req, source, received.invite);
      case 'new':
        break;
    }
    const tx = received.tx;
    o.count.transaction('server', req.method);
    if (o.layer.counts.pending > o.maxTransactions) {
      o.count.dropped('overload');
      return tx.respond(buildResponse(req, 503, 'Service Unavailable', [{ name: 'Retry-After', value: '5' }]));
    }
    if (req.method === 'INVITE') tx.respond(buildResponse(req, 100, 'Trying'));
    if (req.method === 'REGISTER' && !o.isUpstream(source.address)) return o.onRegister(tx, req, source);
    this.route(tx, req, source);
  }

  private route(tx: ServerTransaction, original: SipRequest, source: Peer): void {
    const o = this.o;
    const own = o.own();
    const survival = o.survival();
    const step = popOwnRoutes(original, own, survival ? (u) => o.isUpstream(u.host) : undefined);
    const req = step.request;
    const fromLan = o.isLan(source.address);
    const initial = opensDialog(req) || (!hasToTag(req) && req.method !== 'ACK');

    if (step.routes.length > 0) {
      const next = routeUri(step.routes[0]);
      if (!next) return tx.respond(buildResponse(req, 400, 'Bad Request', [warning('unparsable Route header')]));
      if (survival && o.isUpstream(next.host)) {
        if (initial && fromLan) return this.routeInSurvival(tx, req, source);
        return tx.respond(buildResponse(req, 503, 'Service Unavailable', [warning('CUCM unreachable')]));
      }
      return this.forward(tx, req, source, this.resolve(peerForUri(next, 5060)), { recordRoute: opensDialog(req) });
    }
    if (step.flow) return this.forward(tx, req, source, this.resolve(step.flow), { recordRoute: opensDialog(req) });

    const uri = parseSipUri(req.uri);
    if (!uri.ok) return tx.respond(buildResponse(req, 416, 'Unsupported URI Scheme'));
    if (isOwnUri(uri.value, own) && uri.value.user === undefined) {
      if (req.method === 'OPTIONS') return tx.respond(buildResponse(req, 200, 'OK', [{ name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE' }]));
      if (!fromLan || survival) return tx.respond(buildResponse(req, survival ? 503 : 404, survival ? 'Service Unavailable' : 'Not Found', survival ? [warning('CUCM unreachable')] : []));
    }
    if (fromLan && survival) {
      if (initial) return this.routeInSurvival(tx, req, source);
      return this.forward(tx, req, source, this.resolve(this.contactPeer(uri.value)));
    }
    if (fromLan && !initial && !isOwnUri(uri.value, own)) {
      return this.forward(tx, req, source, this.resolve(this.contactPeer(uri.value)));
    }
    if (fromLan) {
      // Phones were told Outpost is their call control: their requests go on to CUCM.
      const member = o.upstream();
      const out = isOwnUri(uri.value, own) ? { ...req, uri: formatSipUri({ ...uri.value, host: member.address, port: member.port }) } : req;
      if (req.method === 'INVITE' && initial) o.onCall('relayed', req, source, `call to ${uri.value.user ?? req.uri} relayed to CUCM ${member.address}`);
      return this.forward(tx, out, source, member, { recordRoute: opensDialog(req) });
    }
    // From CUCM (or the gateway) toward a phone: its contact, over the phone's own flow.
    if (isOwnUri(uri.value, own)) return this.routeInSurvival(tx, req, source);
    this.forward(tx, req, source, this.resolve(this.contactPeer(uri.value)), { recordRoute: opensDialog(req) });
  }

  private routeInSurvival(tx: ServerTransaction, req: SipRequest, source: Peer): void {
    const o = this.o;
    const decision = routeLocally(req, o.bindings, { gateway: o.gateway, knownNumber: o.knownNumber });
    const isCall = req.method === 'INVITE';
    switch (decision.kind) {
      case 'reject':
        if (isCall) o.onCall('rejected', req, source, `call to ${req.uri} refused with ${decision.status} (WAN down)`);
        return tx.respond(buildResponse(req, decision.status, decision.reason, decision.warning ? [{ name: 'Warning', value: decision.warning }] : []));
      case 'gateway': {
        if (isCall) o.onCall('gateway', req, source, `call to ${req.uri} sent to the branch gateway (WAN down)`);
        // Retargeted to the gateway (RFC 3261 §16.6): the dialled number at the gateway's address, not Outpost's.
        const uri = parseSipUri(req.uri);
        const out = uri.ok ? { ...req, uri: formatSipUri({ ...uri.value, host: decision.peer.address, port: decision.peer.port }) } : req;
        return this.forward(tx, out, source, decision.peer, { recordRoute: opensDialog(req) });
      }
      case 'phone': {
        if (isCall) o.onCall('local', req, source, `call to ${decision.binding.dn ?? req.uri} (${decision.binding.deviceName ?? decision.binding.contact}) connected by Outpost (WAN down)`);
        const out = { ...req, uri: decision.binding.contact };
        return this.forward(tx, out, source, this.bindingPeer(decision.binding), { recordRoute: opensDialog(req) });
      }
    }
  }

  /** A phone's flow if Outpost still holds it, else its Contact address. */
  bindingPeer(b: SipBinding): Peer {
    const flow = peerFromToken(b.flow);
    if (flow && (flow.transport === 'udp' || (flow.flow !== undefined && this.o.transport.flowPeer(flow.flow)))) return flow;
    const uri = parseSipUri(b.contact);
    return uri.ok ? peerForUri(uri.value) : (flow ?? { transport: 'udp', address: '0.0.0.0', port: 5060 });
  }

  private contactPeer(uri: SipUri): Peer {
    const b = this.o.bindings.findByContact(formatSipUri(uri));
    return b ? this.bindingPeer(b) : peerForUri(uri);
  }

  /** A TCP peer whose flow closed falls back to any flow or a new connection to its address. */
  private resolve(peer: Peer): Peer {
    if (peer.transport === 'tcp' && peer.flow !== undefined && !this.o.transport.flowPeer(peer.flow)) {
      const { flow: _gone, ...rest } = peer;
      return rest;
    }
    return peer;
  }

  /** Sends a request on through a client transaction; its responses go back through `tx`. */
  forward(tx: ServerTransaction, req: SipRequest, source: Peer, target: Peer, opts: ForwardOptions = {}): void {
    const o = this.o;
    const mf = Number(getHeader(req, 'max-forwards') ?? '70');
    if (!Number.isFinite(mf) || mf <= 0) return tx.respond(buildResponse(req, 483, 'Too Many Hops'));
    let out = setHeader(req, 'Max-Forwards', String(Math.min(mf - 1, 70)));
    const own = o.own();
    if (opts.recordRoute) {
      out = addHeader(out, 'Record-Route', ownRouteValue(this.sideAddress(source, own), own.port, source), 'first');
      out = addHeader(out, 'Record-Route', ownRouteValue(this.sideAddress(target, own), own.port, target), 'first');
    }
    if (opts.path) out = addHeader(out, 'Path', opts.path, 'first');
    const branch = newBranch();
    out = addHeader(out, 'Via', `SIP/2.0/${target.transport.toUpperCase()} ${this.sideAddress(target, own)}:${own.port};branch=${branch};rport`, 'first');
    o.count.transaction('client', req.method);
    const client = o.layer.request(out, target, {
      onResponse: (res) => this.relayResponse(tx, res, opts),
      onTimeout: (reason) => {
        o.log.debug({ method: req.method, to: `${target.transport}:${target.address}:${target.port}`, reason }, 'SIP request got no final response');
        if (tx.isFinal) return;
        if (opts.onFailure) return opts.onFailure(reason);
        if (reason === 'transport') tx.respond(buildResponse(tx.request, 503, 'Service Unavailable', [warning(`cannot reach ${target.address}`)]));
        else tx.respond(buildResponse(tx.request, 408, 'Request Timeout'));
      },
    });
    if (!client) return tx.respond(buildResponse(req, 400, 'Bad Request'));
    tx.branch = client;
    if (tx.cancelled) client.cancel();
  }

  private relayResponse(tx: ServerTransaction, res: SipResponse, opts: ForwardOptions): void {
    const popped = popOwnVia(res);
    if (!popped || popped.message.kind !== 'response') return;
    const out = popped.message;
    if (out.status === 100) return;
    if (out.status >= 200) opts.onFinal?.(out);
    if (!tx.isFinal) return tx.respond(out);
    // A retransmitted 2xx to an INVITE: end to end, forwarded as it comes (RFC 6026).
    if (out.status < 300) void this.o.transport.send(out, tx.source);
  }

  /** Responses that match no client transaction: forwarded statelessly by their Via. */
  private onResponse(res: SipResponse): void {
    if (this.o.layer.receiveResponse(res)) return;
    const popped = popOwnVia(res);
    if (!popped) return this.o.count.dropped('response-not-ours');
    const dest = responseDestination(popped.message);
    if (!dest) return this.o.count.dropped('response-without-via');
    const via = parseVia(getHeader(popped.message, 'via') ?? '');
    const transport = via.ok && via.value.transport.toUpperCase() === 'TCP' ? 'tcp' : 'udp';
    void this.o.transport.send(popped.message, { transport, ...dest });
  }

  /** CANCEL: answered here at once, and passed on to wherever the INVITE went. */
  private onCancel(req: SipRequest, source: Peer, invite: ServerTransaction | undefined): void {
    if (!invite) return void this.o.transport.send(buildResponse(req, 481, 'Call/Transaction Does Not Exist'), source);
    void this.o.transport.send(buildResponse(req, 200, 'OK'), source);
    if (invite.isFinal) return;
    invite.cancelled = true;
    if (invite.branch) invite.branch.cancel();
    else invite.respond(buildResponse(invite.request, 487, 'Request Terminated'));
  }

  /** An ACK for a 2xx has no transaction: routed like any in-dialog request, statelessly. */
  private forwardAck(original: SipRequest): void {
    const o = this.o;
    const own = o.own();
    const step = popOwnRoutes(original, own, o.survival() ? (u) => o.isUpstream(u.host) : undefined);
    let target: Peer | undefined;
    if (step.routes.length > 0) {
      const next = routeUri(step.routes[0]);
      if (next && !(o.survival() && o.isUpstream(next.host))) target = peerForUri(next);
    } else if (step.flow) {
      target = step.flow;
    } else {
      const uri = parseSipUri(step.request.uri);
      if (uri.ok && !isOwnUri(uri.value, own)) target = this.contactPeer(uri.value);
    }
    if (!target) return o.count.dropped('ack-without-route');
    target = this.resolve(target);
    const mf = Number(getHeader(step.request, 'max-forwards') ?? '70');
    if (!Number.isFinite(mf) || mf <= 0) return o.count.dropped('ack-too-many-hops');
    let out = setHeader(step.request, 'Max-Forwards', String(Math.min(mf - 1, 70)));
    out = addHeader(out, 'Via', `SIP/2.0/${target.transport.toUpperCase()} ${this.sideAddress(target, own)}:${own.port};branch=${relayBranch(original)};rport`, 'first');
    void o.transport.send(out, target);
  }

  /** Outpost's address on the side of the network where `peer` is. */
  private sideAddress(peer: Peer, own: OwnAddresses): string {
    return this.o.isLan(peer.address) ? own.lan : own.wan;
  }
}

function hasToTag(req: SipRequest): boolean {
  return /;\s*tag=/i.test(getHeaders(req, 'to')[0] ?? '');
}

function warning(text: string): { name: string; value: string } {
  return { name: 'Warning', value: `399 outpost "${text.replace(/["\\]/g, '')}"` };
}
