// SIP transactions (RFC 3261 §17, with RFC 6026's Accepted state): retransmissions over UDP,
// absorption of the phones' and CUCM's retransmitted requests and responses, the ACK for a
// failed INVITE, CANCEL, and the timers that turn silence into a 408. The proxy core sees
// each request and each final response once.
import type { SipRequest, SipResponse } from './message.js';
import { getHeader, getHeaders, canonicalHeaderName } from './message.js';
import { getParam, parseCSeq, parseVia } from './headers.js';
import type { Peer } from './transport.js';

export interface TimerSettings {
  /** RTT estimate: first retransmission interval. */
  t1: number;
  /** Longest retransmission interval for non-INVITE requests and INVITE responses. */
  t2: number;
  /** Longest time a message stays in the network. */
  t4: number;
  /** How long a proxied INVITE may ring before Outpost gives up on it (Timer C). */
  timerC: number;
}

export const RFC3261_TIMERS: TimerSettings = { t1: 500, t2: 4000, t4: 5000, timerC: 180_000 };

export type SendFn = (msg: SipRequest | SipResponse, to: Peer) => Promise<boolean>;

type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'terminated';
type ClientState = 'calling' | 'trying' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

export interface ClientHandler {
  /** Provisional and final responses, each once (2xx to INVITE: every copy, for the proxy to forward). */
  onResponse(res: SipResponse): void;
  /** No final response: timer B/F/C fired, or the transport refused the request. */
  onTimeout(reason: 'timeout' | 'transport'): void;
}

/** Key for matching a request to its server transaction (RFC 3261 §17.2.3; ACK joins its INVITE). */
export function serverKey(req: SipRequest, method = req.method): string | undefined {
  const top = getHeader(req, 'via');
  const via = top !== undefined ? parseVia(top) : undefined;
  if (!via?.ok) return undefined;
  const m = method === 'ACK' ? 'INVITE' : method;
  const branch = getParam(via.value.params, 'branch')?.value;
  const sentBy = `${via.value.host}:${via.value.port ?? ''}`.toLowerCase();
  if (branch?.startsWith('z9hG4bK')) return `${branch}|${sentBy}|${m}`;
  // RFC 2543 peers: no unique branch, so identify by dialog and sequence instead.
  const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
  return `${top}|${getHeader(req, 'call-id') ?? ''}|${cseq.ok ? cseq.value.seq : ''}|${m}`;
}

/** Key of the client transaction a response belongs to: its top Via branch and CSeq method. */
export function clientKey(msg: SipRequest | SipResponse): string | undefined {
  const via = parseVia(getHeader(msg, 'via') ?? '');
  const cseq = parseCSeq(getHeader(msg, 'cseq') ?? '');
  const branch = via.ok ? getParam(via.value.params, 'branch')?.value : undefined;
  if (!branch || !cseq.ok) return undefined;
  const method = cseq.value.method === 'ACK' ? 'INVITE' : cseq.value.method;
  return `${branch}|${method}`;
}

export class ServerTransaction {
  state: ServerState = 'trying';
  lastResponse?: SipResponse;
  /** Set when the phone or CUCM cancelled this INVITE. */
  cancelled = false;
  /** The proxy's client side of this request, so a CANCEL can follow it. */
  branch?: ClientTransaction;
  private timers: NodeJS.Timeout[] = [];

  constructor(readonly key: string, readonly request: SipRequest, readonly source: Peer, private readonly layer: TransactionLayer) {}

  get isInvite(): boolean { return this.request.method === 'INVITE'; }
  get isFinal(): boolean { return this.state !== 'trying' && this.state !== 'proceeding'; }

  /** Sends a response; a final one moves the transaction on and keeps it for retransmissions. */
  respond(res: SipResponse): void {
    if (this.isFinal) return;
    this.lastResponse = res;
    void this.layer.send(res, this.source);
    if (res.status < 200) { this.state = 'proceeding'; return; }
    this.layer.settled(this);
    const { t1, t2 } = this.layer.timers;
    const udp = this.source.transport === 'udp';
    this.state = 'completed';
    if (this.isInvite && res.status < 300) return this.terminate();
    if (this.isInvite) {
      if (udp) this.retransmit(t1, t2);
      this.after(64 * t1, () => this.terminate()); // Timer H: the ACK never came
    } else {
      this.after(udp ? 64 * t1 : 0, () => this.terminate()); // Timer J
    }
  }

  /** A copy of the request arrived again. */
  onRetransmission(): void {
    if (this.lastResponse && this.state !== 'confirmed') void this.layer.send(this.lastResponse, this.source);
  }

  onAck(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.clearTimers();
    this.after(this.source.transport === 'udp' ? this.layer.timers.t4 : 0, () => this.terminate()); // Timer I
  }

  terminate(): void {
    if (!this.isFinal) this.layer.settled(this);
    this.state = 'terminated';
    this.clearTimers();
    this.layer.forgetServer(this);
  }

  private retransmit(interval: number, cap: number): void {
    this.after(interval, () => {
      if (this.state !== 'completed' || !this.lastResponse) return;
      void this.layer.send(this.lastResponse, this.source);
      this.retransmit(Math.min(interval * 2, cap), cap);
    });
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

export class ClientTransaction {
  state: ClientState;
  /** A provisional response came: a CANCEL may now be sent (RFC 3261 §9.1). */
  provisional = false;
  private pendingCancel = false;
  private retransmitTimer?: NodeJS.Timeout;
  private timers: NodeJS.Timeout[] = [];

  constructor(readonly key: string, readonly request: SipRequest, readonly destination: Peer,
    private readonly handler: ClientHandler, private readonly layer: TransactionLayer) {
    this.state = request.method === 'INVITE' ? 'calling' : 'trying';
  }

  get isInvite(): boolean { return this.request.method === 'INVITE'; }

  start(): void {
    const { t1, t2 } = this.layer.timers;
    void this.transmit();
    if (this.destination.transport === 'udp') this.retransmit(t1, this.isInvite ? Number.POSITIVE_INFINITY : t2);
    this.after(64 * t1, () => { if (this.state === 'calling' || this.state === 'trying' || (!this.isInvite && this.state === 'proceeding')) this.fail('timeout'); }); // Timer B / F
  }

  private async transmit(): Promise<void> {
    const sent = await this.layer.send(this.request, this.destination);
    if (!sent && this.state !== 'terminated' && !this.provisional) this.fail('transport');
  }

  private retransmit(interval: number, cap: number): void {
    this.retransmitTimer = setTimeout(() => {
      if (this.state === 'calling' || this.state === 'trying' || (!this.isInvite && this.state === 'proceeding')) {
        void this.layer.send(this.request, this.destination);
        const next = this.state === 'proceeding' ? this.layer.timers.t2 : Math.min(interval * 2, cap);
        this.retransmit(next, cap);
      }
    }, interval);
    this.retransmitTimer.unref();
  }

  onResponse(res: SipResponse): void {
    const { t1, t4, timerC } = this.layer.timers;
    const udp = this.destination.transport === 'udp';
    if (this.state === 'terminated') return;
    if (this.state === 'completed') {
      if (this.isInvite && res.status >= 300) void this.layer.send(this.ackFor(res), this.destination);
      return;
    }
    if (this.state === 'accepted') {
      if (res.status >= 200 && res.status < 300) this.handler.onResponse(res);
      return;
    }
    if (res.status < 200) {
      const first = !this.provisional;
      this.provisional = true;
      if (this.isInvite) {
        clearTimeout(this.retransmitTimer);
        if (first) this.after(timerC, () => { if (this.state === 'proceeding') this.fail('timeout'); });
      }
      this.state = 'proceeding';
      if (this.pendingCancel) { this.pendingCancel = false; this.layer.cancel(this); }
      this.handler.onResponse(res);
      return;
    }
    clearTimeout(this.retransmitTimer);
    this.clearTimers();
    if (this.isInvite && res.status < 300) {
      this.state = 'accepted';
      this.after(64 * t1, () => this.terminate());
    } else if (this.isInvite) {
      this.state = 'completed';
      void this.layer.send(this.ackFor(res), this.destination);
      this.after(udp ? 32_000 : 0, () => this.terminate()); // Timer D
    } else {
      this.state = 'completed';
      this.after(udp ? t4 : 0, () => this.terminate()); // Timer K
    }
    this.handler.onResponse(res);
  }

  /** CANCEL this INVITE now, or as soon as a provisional response shows the far end has it. */
  cancel(): void {
    if (!this.isInvite || this.state === 'terminated' || this.state === 'accepted' || this.state === 'completed') return;
    if (this.provisional) this.layer.cancel(this);
    else this.pendingCancel = true;
  }

  /** The hop-by-hop ACK for a non-2xx final response (RFC 3261 §17.1.1.3). */
  private ackFor(res: SipResponse): SipRequest {
    const keep = new Set(['from', 'call-id', 'route', 'max-forwards']);
    const headers = [{ name: 'Via', value: getHeaders(this.request, 'via')[0] ?? '' }];
    for (const h of this.request.headers) if (keep.has(canonicalHeaderName(h.name))) headers.push(h);
    headers.push({ name: 'To', value: getHeader(res, 'to') ?? getHeader(this.request, 'to') ?? '' });
    const seq = parseCSeq(getHeader(this.request, 'cseq') ?? '');
    headers.push({ name: 'CSeq', value: `${seq.ok ? seq.value.seq : 1} ACK` });
    return { kind: 'request', method: 'ACK', uri: this.request.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
  }

  private fail(reason: 'timeout' | 'transport'): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.handler.onTimeout(reason);
  }

  terminate(): void {
    this.state = 'terminated';
    clearTimeout(this.retransmitTimer);
    this.clearTimers();
    this.layer.forgetClient(this);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

export type ReceivedRequest =
  | { kind: 'new'; tx: ServerTransaction }
  /** A retransmission (answered from the transaction) or the ACK of a failed INVITE. */
  | { kind: 'absorbed' }
  /** An ACK for a 2xx: end to end, routed like any in-dialog request without a transaction. */
  | { kind: 'ack' }
  /** A CANCEL and the INVITE transaction it names, if Outpost has it. */
  | { kind: 'cancel'; invite?: ServerTransaction }
  | { kind: 'invalid'; reason: string };

export interface TransactionCounts {
  server: number;
  client: number;
  /** Server transactions still waiting for their final response. */
  pending: number;
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private pending = 0;

  constructor(readonly send: SendFn, readonly timers: TimerSettings = RFC3261_TIMERS) {}

  get counts(): TransactionCounts {
    return { server: this.servers.size, client: this.clients.size, pending: this.pending };
  }

  receiveRequest(req: SipRequest, source: Peer): ReceivedRequest {
    const key = serverKey(req);
    if (key === undefined) return { kind: 'invalid', reason: 'no usable Via' };
    if (req.method === 'CANCEL') {
      const inviteKey = serverKey(req, 'INVITE');
      return { kind: 'cancel', invite: inviteKey !== undefined ? this.servers.get(inviteKey) : undefined };
    }
    const existing = this.servers.get(key);
    if (req.method === 'ACK') {
      if (existing && existing.state === 'completed' && existing.lastResponse && existing.lastResponse.status >= 300) {
        existing.onAck();
        return { kind: 'absorbed' };
      }
      if (existing?.state === 'confirmed') return { kind: 'absorbed' };
      return { kind: 'ack' };
    }
    if (existing) {
      existing.onRetransmission();
      return { kind: 'absorbed' };
    }
    const tx = new ServerTransaction(key, req, source, this);
    this.servers.set(key, tx);
    this.pending++;
    return { kind: 'new', tx };
  }

  /** Starts a client transaction; the request must carry Outpost's own Via on top. */
  request(req: SipRequest, destination: Peer, handler: ClientHandler): ClientTransaction | undefined {
    const key = clientKey(req);
    if (key === undefined) return undefined;
    const tx = new ClientTransaction(key, req, destination, handler, this);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Hands a response to its client transaction; false when none matches (forward statelessly). */
  receiveResponse(res: SipResponse): boolean {
    const key = clientKey(res);
    const tx = key !== undefined ? this.clients.get(key) : undefined;
    if (!tx) return false;
    tx.onResponse(res);
    return true;
  }

  /** Sends CANCEL for an INVITE client transaction as its own transaction (RFC 3261 §9.1). */
  cancel(invite: ClientTransaction): void {
    const keep = new Set(['via', 'from', 'to', 'call-id', 'route']);
    const headers = [];
    let viaDone = false;
    for (const h of invite.request.headers) {
      const name = canonicalHeaderName(h.name);
      if (!keep.has(name)) continue;
      if (name === 'via') {
        if (viaDone) continue;
        viaDone = true;
        headers.push({ name: 'Via', value: getHeaders(invite.request, 'via')[0] ?? '' });
        continue;
      }
      headers.push(h);
    }
    const seq = parseCSeq(getHeader(invite.request, 'cseq') ?? '');
    headers.push({ name: 'CSeq', value: `${seq.ok ? seq.value.seq : 1} CANCEL` }, { name: 'Max-Forwards', value: '70' });
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: invite.request.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
    this.request(cancel, invite.destination, { onResponse: () => undefined, onTimeout: () => undefined });
  }

  /** A server transaction got its final response (or ended without one). */
  settled(tx: ServerTransaction): void {
    if (tx.state !== 'terminated') this.pending--;
  }

  forgetServer(tx: ServerTransaction): void {
    if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
  }

  forgetClient(tx: ClientTransaction): void {
    if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
  }

  /** Server transactions still waiting for a final response (what a WAN loss leaves hanging). */
  openServerTransactions(): ServerTransaction[] {
    return [...this.servers.values()].filter((tx) => !tx.isFinal);
  }

  stop(): void {
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of [...this.clients.values()]) tx.terminate();
  }
}
