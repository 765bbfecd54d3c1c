// SIP transports on one port: UDP datagrams and TCP connections (RFC 3261 §18). A phone that
// registers over TCP keeps its connection open; Outpost remembers it as a flow and sends the
// phone's incoming calls back over it (RFC 5626 §5.3), because the phone's Contact port is not
// where it listens for TCP. Hostile input never throws: a bad datagram or stream is counted and
// dropped, a stream that cannot be re-synchronised is closed.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, isIP, isIPv4, type Server, type Socket as TcpSocket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { EventEmitter } from 'node:events';
import { decodeSip, encodeSip, type SipMessage } from './message.js';
import { SipStreamFramer, type FramerLimits } from './framing.js';
import { openDatagramSender, type DatagramSender } from '../native/datagram-sender.js';

export type TransportName = 'udp' | 'tcp';

/** Where a message came from, or where it goes. `flow` names a TCP connection Outpost holds. */
export interface Peer {
  transport: TransportName;
  address: string;
  port: number;
  flow?: string;
}

export interface TransportOptions {
  port: number;
  host?: string;
  /** Largest UDP datagram accepted (bigger ones are dropped and counted). */
  maxDatagramBytes?: number;
  framer?: Partial<FramerLimits>;
  /** A TCP connection silent for this long is closed (phones ping or re-register well inside it). */
  idleMs?: number;
  maxConnections?: number;
  /** UDP receive buffer asked of the kernel. */
  recvBufferBytes?: number;
}

interface TransportEvents {
  message: [SipMessage, Peer];
  /** A message or stream Outpost refused, with the reason (for the drop counter). */
  dropped: [string, Peer];
  /** A TCP flow ended (closed by either side, or broken). */
  flowClosed: [Peer];
}

interface Flow {
  id: string;
  socket: TcpSocket;
  framer: SipStreamFramer;
  peer: Peer;
  idle?: NodeJS.Timeout;
}

const DEFAULT_IDLE_MS = 10 * 60_000;

export class SipTransport extends EventEmitter<TransportEvents> {
  private udp?: UdpSocket;
  /** Hands UDP datagrams to the kernel on another core; without the addon the socket sends itself. */
  private sender?: DatagramSender;
  private tcp?: Server;
  private readonly flows = new Map<string, Flow>();
  private readonly byAddress = new Map<string, Flow>();
  private nextFlow = 1;
  private readonly opts: Required<Omit<TransportOptions, 'framer'>> & { framer: Partial<FramerLimits> };

  constructor(opts: TransportOptions) {
    super();
    this.opts = { host: '0.0.0.0', maxDatagramBytes: 65_507, idleMs: DEFAULT_IDLE_MS, maxConnections: 4096, recvBufferBytes: 4 << 20, framer: {}, ...opts };
  }

  async start(): Promise<void> {
    // Outpost sends to addresses, not names: answering the lookup at once lets each response
    // leave inside the handler of the request it answers, instead of one event-loop tick later.
    const lookup = (address: string, family: unknown, cb: (e: Error | null, address: string, family: number) => void) => {
      if (isIPv4(address)) cb(null, address, 4);
      else dnsLookup(address, { family: 4 }, cb);
    };
    const udp = createSocket({ type: 'udp4', reuseAddr: false, lookup: lookup as never });
    udp.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
    udp.on('error', () => { /* ICMP errors on a connectionless socket: nothing to do */ });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port, this.opts.host, () => { udp.off('error', reject); resolve(); });
    });
    // A boot storm arrives faster than one event-loop turn drains it: a deep receive queue
    // turns a short pause into latency instead of lost REGISTERs (the kernel caps it at
    // net.core.rmem_max).
    try { udp.setRecvBufferSize(this.opts.recvBufferBytes); } catch { /* kept the kernel default */ }
    this.udp = udp;
    this.sender = openDatagramSender(udp);
    const tcp = createServer({ noDelay: true }, (s) => this.adopt(s));
    tcp.maxConnections = this.opts.maxConnections;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.opts.port, this.opts.host, () => { tcp.off('error', reject); resolve(); });
    });
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    for (const f of this.flows.values()) f.socket.destroy();
    this.sender?.close(); // sends what is queued; before the socket it sends on closes
    this.sender = undefined;
    await Promise.all([
      new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve())),
    ]);
  }

  /** The open TCP flow with this id, as a peer to send to. */
  flowPeer(id: string): Peer | undefined {
    return this.flows.get(id)?.peer;
  }

  /** What the UDP sending thread did, when there is one. */
  get udpSendStats(): { sent: number; errors: number; dropped: number } | undefined {
    return this.sender?.stats;
  }

  get openFlows(): number {
    return this.flows.size;
  }

  /**
   * Sends a message. TCP goes over the named flow, else over any open flow to that address and
   * port, else over a new connection. Resolves false when it could not be handed to the kernel.
   */
  send(msg: SipMessage, to: Peer): Promise<boolean> {
    const bytes = encodeSip(msg);
    if (to.transport === 'udp') return this.sendDatagram(bytes, to);
    const flow = (to.flow !== undefined ? this.flows.get(to.flow) : undefined) ?? this.byAddress.get(`${to.address}:${to.port}`);
    if (flow && !flow.socket.destroyed) {
      flow.socket.write(bytes);
      return Promise.resolve(true);
    }
    return this.connectAndSend(bytes, to);
  }

  private sendDatagram(bytes: Buffer, to: Peer): Promise<boolean> {
    const udp = this.udp;
    if (!udp) return Promise.resolve(false);
    if (this.sender && isIP(to.address)) return Promise.resolve(this.sender.send(bytes, to.port, to.address));
    return new Promise((resolve) => udp.send(bytes, to.port, to.address, (e) => resolve(!e)));
  }

  private connectAndSend(bytes: Buffer, to: Peer): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect({ host: to.address, port: to.port, noDelay: true });
      const fail = () => { s.destroy(); resolve(false); };
      s.once('error', fail);
      s.setTimeout(5000, fail);
      s.once('connect', () => {
        s.off('error', fail);
        s.setTimeout(0);
        this.adopt(s);
        s.write(bytes);
        resolve(true);
      });
    });
  }

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    const peer: Peer = { transport: 'udp', address: rinfo.address, port: rinfo.port };
    // RFC 5626 §4.4.1 STUN keep-alives and stray CRLFs are not messages.
    if (buf.length <= 4 && buf.toString('latin1').trim() === '') return;
    if (buf.length > this.opts.maxDatagramBytes) return void this.emit('dropped', 'oversized', peer);
    const decoded = decodeSip(buf);
    if (!decoded.ok) return void this.emit('dropped', 'malformed', peer);
    this.emit('message', decoded.value, peer);
  }

  private adopt(socket: TcpSocket): void {
    const address = socket.remoteAddress?.replace(/^::ffff:/, '');
    const port = socket.remotePort;
    if (!address || !port) return void socket.destroy();
    const id = `t${(this.nextFlow++).toString(36)}`;
    const peer: Peer = { transport: 'tcp', address, port, flow: id };
    const flow: Flow = { id, socket, framer: new SipStreamFramer(this.opts.framer), peer };
    this.flows.set(id, flow);
    this.byAddress.set(`${address}:${port}`, flow);
    socket.setKeepAlive(true, 30_000);
    const touch = () => {
      clearTimeout(flow.idle);
      flow.idle = setTimeout(() => socket.destroy(), this.opts.idleMs);
      flow.idle.unref();
    };
    touch();
    socket.on('data', (chunk: Buffer) => {
      touch();
      for (const item of flow.framer.push(chunk)) {
        if (!item.ok) {
          this.emit('dropped', 'malformed-stream', peer);
          socket.destroy();
          return;
        }
        if (item.value.kind === 'ping') socket.write('\r\n');
        else if (item.value.kind === 'message') this.emit('message', item.value.message, peer);
      }
    });
    socket.on('error', () => { /* reset by the phone: 'close' follows */ });
    socket.on('close', () => {
      clearTimeout(flow.idle);
      this.flows.delete(id);
      if (this.byAddress.get(`${address}:${port}`) === flow) this.byAddress.delete(`${address}:${port}`);
      this.emit('flowClosed', peer);
    });
  }
}
