// Asks the phones' segment whether an address is in use before Outpost offers it for the
// first time: a phone given an address that a forgotten static device already has would
// register and then lose its calls to ARP flapping.

import { arpProbeFrame, conflictIn, decodeArpFrame } from './arp.js';

export type ProbeResult = { inUse: false } | { inUse: true; holderMac: string };

/** What the prober needs of the raw ARP socket. */
export interface ArpLink {
  readonly mac: string;
  send(frame: Buffer): void;
}

interface Pending {
  promise: Promise<ProbeResult>;
  resolve: (r: ProbeResult) => void;
  timers: NodeJS.Timeout[];
}

// A clean answer is trusted this long, so a client's retransmitted DISCOVER is not probed again.
const CLEAN_TRUST_MS = 30_000;
const CLEAN_SWEEP_THRESHOLD = 4096;

export class ArpProber {
  private readonly pending = new Map<string, Pending>();
  private readonly cleanUntil = new Map<string, number>();

  /** Two probes, the second halfway through the timeout, for a lost frame on a busy switch. */
  constructor(private readonly link: ArpLink, private readonly timeoutMs: number) {}

  probe(ip: string, now = Date.now()): Promise<ProbeResult> {
    const trusted = this.cleanUntil.get(ip);
    if (trusted !== undefined && trusted > now) return Promise.resolve({ inUse: false });
    const inFlight = this.pending.get(ip);
    if (inFlight) return inFlight.promise;
    let resolve!: (r: ProbeResult) => void;
    const promise = new Promise<ProbeResult>((r) => { resolve = r; });
    const entry: Pending = { promise, resolve, timers: [] };
    this.pending.set(ip, entry);
    const send = () => {
      try { this.link.send(arpProbeFrame(this.link.mac, ip)); } catch { /* a lost probe only means waiting for the timeout */ }
    };
    send();
    entry.timers.push(setTimeout(send, Math.floor(this.timeoutMs / 2)));
    entry.timers.push(setTimeout(() => {
      this.settle(ip, { inUse: false });
      if (this.cleanUntil.size >= CLEAN_SWEEP_THRESHOLD) {
        for (const [addr, until] of this.cleanUntil) if (until <= Date.now()) this.cleanUntil.delete(addr);
      }
      this.cleanUntil.set(ip, Date.now() + CLEAN_TRUST_MS);
    }, this.timeoutMs));
    return promise;
  }

  /** Feed every ARP frame seen on the interface. */
  onFrame(frame: Buffer): void {
    if (this.pending.size === 0) return;
    const arp = decodeArpFrame(frame);
    if (!arp.ok) return;
    for (const ip of [arp.value.senderIp, arp.value.targetIp]) {
      if (!this.pending.has(ip)) continue;
      const holder = conflictIn(arp.value, ip, this.link.mac);
      if (holder) this.settle(ip, { inUse: true, holderMac: holder });
    }
  }

  /** Ends every probe as clean; used when the plane stops. */
  close(): void {
    for (const ip of [...this.pending.keys()]) this.settle(ip, { inUse: false });
  }

  private settle(ip: string, result: ProbeResult): void {
    const entry = this.pending.get(ip);
    if (!entry) return;
    this.pending.delete(ip);
    for (const t of entry.timers) clearTimeout(t);
    if (result.inUse) this.cleanUntil.delete(ip);
    entry.resolve(result);
  }
}
