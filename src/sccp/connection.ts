// One phone's TCP connection to Outpost's port 2000. While CUCM is reachable every message is
// relayed unchanged to the CUCM member from the phone's cnf.xml (and observed); when the WAN is
// in survival, CUCM stops answering keepalives or cannot be reached, Outpost serves the phone
// itself. A phone already registered through the relay is taken over on the same connection,
// without re-registering; Outpost then answers its keepalives and routes its calls.
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WanState } from '../core/wan-state.js';
import type { CallAgent, CallEndpoint } from './call-agent.js';
import { decodeMessage, encodeMessage, is, type KnownMessage, type SccpMessage } from './codec.js';
import { SccpFramer } from './framer.js';
import { RegistrationObserver, type Observation } from './observer.js';
import { LocalStation, type StationConfig, type StationFacts, type StationOutcome } from './station.js';

export type ConnectionState = 'waiting' | 'connecting' | 'proxied' | 'local' | 'closed';

export interface ConnectionOptions {
  stationConfig: StationConfig;
  upstreamConnectTimeoutMs: number;
  upstreamKeepAliveTimeoutMs: number;
}

export interface ConnectionHooks {
  wan: WanState;
  log: Logger;
  callAgent: CallAgent;
  /** Where to relay a device: the CUCM members of its cnf.xml, else the configured ones. */
  upstreamFor(deviceName: string | undefined): { host: string; port: number }[];
  linesOf(deviceName: string): string[];
  /** Registration facts and state changes, for the inventory, journey and metrics. */
  report(conn: PhoneConnection, event: ConnectionEvent): void;
}

export type ConnectionEvent =
  | { kind: 'relay-observed'; observation: Observation }
  | { kind: 'local'; outcome: StationOutcome }
  | { kind: 'taken-over'; reason: string }
  | { kind: 'serving-locally'; reason: string }
  | { kind: 'upstream-connected'; upstream: string }
  | { kind: 'dropped'; reason: string }
  | { kind: 'closed'; reason: string };

/** Messages a phone may send before RegisterReq (alarms explaining its last restart). */
const MAX_EARLY_MESSAGES = 16;

export class PhoneConnection {
  state: ConnectionState = 'waiting';
  readonly peer: { address: string; port: number };
  upstream?: string;
  servedLocallySince?: number;
  lastMessageAt = Date.now();
  readonly connectedAt = new Date().toISOString();
  private readonly phoneFramer = new SccpFramer();
  private readonly upstreamFramer = new SccpFramer();
  private readonly observer: RegistrationObserver;
  private readonly station: LocalStation;
  private readonly early: { raw: Buffer; msg: SccpMessage }[] = [];
  private upstreamSocket?: Socket;
  private keepAliveTimer?: NodeJS.Timeout;
  private endpoint?: CallEndpoint;

  constructor(private readonly socket: Socket, private readonly options: ConnectionOptions, private readonly hooks: ConnectionHooks) {
    this.peer = { address: (socket.remoteAddress ?? '').replace(/^::ffff:/, ''), port: socket.remotePort ?? 0 };
    this.observer = new RegistrationObserver(hooks.linesOf);
    this.station = new LocalStation(options.stationConfig, (m) => this.toPhone(m), hooks.linesOf);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onPhoneData(chunk));
    socket.on('error', (e) => this.close(`phone connection error: ${e.message}`));
    socket.on('close', () => this.close('phone closed the connection'));
    socket.on('timeout', () => this.close('phone silent for three keepalive intervals'));
  }

  /** What Outpost knows of the device on this connection. */
  get facts(): StationFacts | undefined {
    return this.state === 'local' ? this.station.facts : this.observer.facts;
  }

  get servedBy(): 'upstream' | 'local' | undefined {
    if (this.state === 'local') return this.station.facts ? 'local' : undefined;
    return this.observer.registered ? 'upstream' : undefined;
  }

  get callState(): string | undefined {
    return this.endpoint && this.hooks.callAgent.activeCallOf(this.endpoint);
  }

  /** The WAN went to survival: a relayed phone is served here from now on. */
  onSurvival(): void {
    if (this.state === 'proxied') this.takeOver('WAN in survival');
    else if (this.state === 'connecting') this.serveLocally('WAN in survival');
  }

  /** Hands a locally served phone back to CUCM: it reconnects and is relayed. */
  rehome(): void {
    this.close('handed back to CUCM');
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.keepAliveTimer);
    if (this.endpoint) this.hooks.callAgent.detach(this.endpoint);
    this.upstreamSocket?.destroy();
    // Let queued replies (UnregisterAck) leave before the connection goes.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.hooks.report(this, { kind: 'closed', reason });
  }

  private onPhoneData(chunk: Buffer): void {
    this.lastMessageAt = Date.now();
    for (const out of this.phoneFramer.push(chunk)) {
      if (!out.ok) {
        this.hooks.report(this, { kind: 'dropped', reason: 'bad-length' });
        return this.close(`phone sent a bad message length (${out.error})`);
      }
      const decoded = decodeMessage(out.message);
      if (!decoded.ok) {
        // Relayed unchanged all the same: CUCM may know better than Outpost's table.
        this.hooks.report(this, { kind: 'dropped', reason: 'undecodable' });
        if (this.state === 'proxied') this.upstreamSocket?.write(out.message);
        continue;
      }
      this.onPhoneMessage(out.message, decoded.value);
      if (this.isClosed()) return;
    }
  }

  private onPhoneMessage(raw: Buffer, msg: SccpMessage): void {
    switch (this.state) {
      case 'waiting':
      case 'connecting':
        if (this.early.length >= MAX_EARLY_MESSAGES) return this.close('too many messages before RegisterReq');
        this.early.push({ raw, msg });
        if (this.state === 'waiting' && is(msg, 'RegisterReq')) this.decideRoute(msg.fields.deviceName.trim().toUpperCase());
        return;
      case 'proxied': {
        const seen = this.observer.fromPhone(msg);
        if (seen) this.hooks.report(this, { kind: 'relay-observed', observation: seen });
        this.upstreamSocket?.write(raw);
        if (is(msg, 'KeepAliveReq') && !this.keepAliveTimer) {
          this.keepAliveTimer = setTimeout(() => this.takeOver('CUCM did not answer a keepalive'), this.options.upstreamKeepAliveTimeoutMs);
        }
        return;
      }
      case 'local':
        return this.serve(msg);
      default:
    }
  }

  private serve(msg: SccpMessage): void {
    const outcome = this.station.handle(msg);
    if (outcome.kind === 'registered') this.attachToCallAgent();
    if (outcome.kind === 'call' && this.endpoint) this.hooks.callAgent.handle(this.endpoint, msg);
    if (outcome.kind !== 'answered' && outcome.kind !== 'ignored' && outcome.kind !== 'call') this.hooks.report(this, { kind: 'local', outcome });
    if (outcome.kind === 'unregistered' || outcome.kind === 'rejected') this.close(outcome.kind === 'rejected' ? outcome.reason : 'phone unregistered');
  }

  private decideRoute(deviceName: string): void {
    if (this.hooks.wan.isSurvival) return this.serveLocally('WAN in survival');
    this.state = 'connecting';
    this.tryUpstream(this.hooks.upstreamFor(deviceName), deviceName);
  }

  private tryUpstream(candidates: { host: string; port: number }[], deviceName: string): void {
    const [next, ...rest] = candidates;
    if (this.state !== 'connecting') return;
    if (!next) return this.serveLocally('no CUCM accepted the connection');
    const upstream = connect({ host: next.host, port: next.port });
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.options.upstreamConnectTimeoutMs);
    upstream.once('error', (e) => {
      clearTimeout(timer);
      if (this.state === 'connecting') {
        this.hooks.log.info({ deviceName, upstream: `${next.host}:${next.port}`, err: e.message }, 'SCCP upstream unreachable');
        this.tryUpstream(rest, deviceName);
      }
    });
    upstream.once('connect', () => {
      clearTimeout(timer);
      if (this.state !== 'connecting') return upstream.destroy();
      this.upstreamSocket = upstream;
      this.upstream = `${next.host}:${next.port}`;
      this.state = 'proxied';
      upstream.setNoDelay(true);
      upstream.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
      upstream.on('error', () => undefined); // 'close' follows and decides
      upstream.on('close', () => this.onUpstreamClosed());
      this.hooks.report(this, { kind: 'upstream-connected', upstream: this.upstream });
      for (const { raw, msg } of this.early.splice(0)) this.onPhoneMessage(raw, msg);
    });
  }

  private onUpstreamData(chunk: Buffer): void {
    if (this.state !== 'proxied') return;
    for (const out of this.upstreamFramer.push(chunk)) {
      if (!out.ok) return this.close(`CUCM sent a bad message length (${out.error})`);
      const decoded = decodeMessage(out.message);
      if (decoded.ok) {
        if (is(decoded.value, 'KeepAliveAck')) {
          clearTimeout(this.keepAliveTimer);
          this.keepAliveTimer = undefined;
        }
        const seen = this.observer.fromCucm(decoded.value);
        if (seen) this.hooks.report(this, { kind: 'relay-observed', observation: seen });
      }
      this.socket.write(out.message);
    }
  }

  private onUpstreamClosed(): void {
    if (this.state !== 'proxied') return;
    // CUCM closing a healthy WAN connection is CUCM's decision (reset, failover): the phone follows.
    if (this.hooks.wan.state === 'online') return this.close('CUCM closed the connection');
    this.takeOver('CUCM connection lost');
  }

  /** Serves a relayed phone here from now on, keeping its connection and registration. */
  private takeOver(reason: string): void {
    if (this.state !== 'proxied') return;
    clearTimeout(this.keepAliveTimer);
    const pendingKeepAlive = this.keepAliveTimer !== undefined;
    this.keepAliveTimer = undefined;
    this.upstreamSocket?.destroy();
    this.upstreamSocket = undefined;
    const facts = this.observer.registered ? this.observer.facts : undefined;
    if (!facts) return this.close(`${reason} before the phone was registered; it will register again`);
    this.state = 'local';
    this.servedLocallySince = Date.now();
    this.station.adopt({ ...facts, keepAliveSeconds: facts.keepAliveSeconds ?? this.options.stationConfig.keepAliveSeconds });
    if (pendingKeepAlive) this.station.reply('KeepAliveAck');
    this.superviseKeepAlives();
    this.attachToCallAgent();
    this.hooks.report(this, { kind: 'taken-over', reason });
  }

  private serveLocally(reason: string): void {
    this.state = 'local';
    this.servedLocallySince = Date.now();
    this.hooks.report(this, { kind: 'serving-locally', reason });
    this.superviseKeepAlives();
    for (const { msg } of this.early.splice(0)) {
      this.serve(msg);
      if (this.isClosed()) return;
    }
  }

  private superviseKeepAlives(): void {
    const seconds = this.station.facts?.keepAliveSeconds ?? this.options.stationConfig.keepAliveSeconds;
    this.socket.setTimeout(seconds * 3 * 1000);
  }

  private attachToCallAgent(): void {
    if (this.endpoint) this.hooks.callAgent.detach(this.endpoint);
    const station = this.station;
    const facts = station.facts;
    if (!facts) return;
    this.endpoint = {
      deviceName: facts.deviceName,
      lines: () => station.facts?.lines ?? [],
      codecs: () => station.facts?.codecs ?? [],
      version: () => station.version,
      send: (name, fields) => station.reply(name, fields),
    };
    this.hooks.callAgent.attach(this.endpoint);
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private toPhone(msg: KnownMessage): void {
    if (this.state !== 'closed' && !this.socket.destroyed) this.socket.write(encodeMessage(msg));
  }
}
