// Typed face of Outpost's AF_PACKET addon: one raw Ethernet socket on one interface, for
// CDP, LLDP-MED and DHCP. Needs CAP_NET_RAW. Frames arrive as 'frame' events (whole frames,
// Ethernet header included); Outpost's own transmissions are never delivered back.
import { EventEmitter } from 'node:events';
import { loadAddon } from './addon.js';
import { packBpf, type BpfProgram } from './bpf.js';
import { formatMac, requireMac } from '../util/mac.js';

export const ETH_P_ALL = 0x0003;
export const ETH_P_802_2 = 0x0004;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_LLDP = 0x88cc;

export interface RawSocketOptions {
  interface: string;
  /** Ethertype to bind (ETH_P_ALL for 802.3 frames such as CDP). */
  protocol: number;
  /** Kernel-side filter; without one every frame of `protocol` is delivered. */
  filter?: BpfProgram;
  /** Multicast groups to join, as 'aa:bb:cc:dd:ee:ff'. */
  multicast?: string[];
  /** Kernel receive queue in bytes, for sockets that must ride out bursts (DHCP boot storms). */
  receiveBufferBytes?: number;
}

/** Counters the daemon exports as metrics. */
export interface RawSocketStats {
  framesReceived: number;
  framesSent: number;
  sendErrors: number;
  receiveErrors: number;
}

export interface NativePacketSocket {
  readonly ifindex: number;
  readonly mac: Buffer;
  readonly mtu: number;
  setFilter(program: Buffer): void;
  addMembership(mac: Buffer): void;
  setReceiveBuffer(bytes: number): number;
  send(frame: Buffer): number;
  start(onFrame: (frame: Buffer) => void, onError?: (error: Error) => void): void;
  close(): void;
}
export class RawSocket extends EventEmitter {
  readonly mac: string;
  readonly macBytes: Buffer;
  readonly ifindex: number;
  readonly mtu: number;
  readonly stats: RawSocketStats = { framesReceived: 0, framesSent: 0, sendErrors: 0, receiveErrors: 0 };
  private closed = false;

  private constructor(private readonly native: NativePacketSocket, readonly interfaceName: string) {
    super();
    this.macBytes = native.mac;
    this.mac = formatMac(this.macBytes);
    this.ifindex = native.ifindex;
    this.mtu = native.mtu;
  }

  /**
   * Opens, filters, joins the groups and starts receiving. Throws an Error naming the failed
   * step (e.g. "SIOCGIFINDEX(eth9): No such device", "socket: Operation not permitted").
   */
  static open(opts: RawSocketOptions): RawSocket {
    const groups = (opts.multicast ?? []).map(requireMac);
    const filter = opts.filter ? packBpf(opts.filter) : undefined;
    const native = new (loadAddon().PacketSocket)(opts.interface, opts.protocol);
    try {
      if (filter) native.setFilter(filter);
      for (const group of groups) native.addMembership(group);
      const sock = new RawSocket(native, opts.interface);
      if (opts.receiveBufferBytes) sock.receiveBufferBytes = native.setReceiveBuffer(opts.receiveBufferBytes);
      native.start((frame) => sock.onFrame(frame), (error) => sock.onReceiveError(error));
      return sock;
    } catch (e) {
      native.close();
      throw e;
    }
  }

  /** Sends one complete Ethernet frame. Throws on failure; a full queue throws with code 'EAGAIN'. */
  send(frame: Buffer): void {
    if (this.closed) throw new Error(`raw socket on ${this.interfaceName} is closed`);
    try {
      this.native.send(frame);
      this.stats.framesSent++;
    } catch (e) {
      this.stats.sendErrors++;
      throw e;
    }
  }

  /** The receive queue the kernel granted (it reports twice the usable size), when one was asked for. */
  receiveBufferBytes: number | undefined;

  /** Stops receiving and releases the socket; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
    this.emit('close');
  }

  private onFrame(frame: Buffer): void {
    this.stats.framesReceived++;
    this.emit('frame', frame);
  }

  // Not 'error': an interface going down must not crash a daemon that has no error listener.
  private onReceiveError(error: Error): void {
    this.stats.receiveErrors++;
    this.emit('receive-error', error);
  }
}
