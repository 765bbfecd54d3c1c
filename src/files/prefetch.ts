// Prefetch: when a phone gets a lease (and on a schedule), fetch its SEP<MAC>.cnf.xml and every
// file that configuration names, so the phone can reboot during an outage even if it never
// rebooted since Outpost started.
import type { Logger } from 'pino';
import type { Inventory } from '../core/inventory.js';
import type { WanState } from '../core/wan-state.js';
import { configFileOf } from './cisco-names.js';
import { configFacts } from './cnf/facts.js';
import type { FileService } from './file-service.js';

const PER_PHONE_MIN_INTERVAL_MS = 60_000;

export class Prefetcher {
  private readonly lastRun = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onEvent = (phone: { deviceName: string }, event: { step: string; outcome: string }) => {
    if (event.step === 'dhcp' && event.outcome === 'ok') void this.phone(phone.deviceName);
  };

  constructor(private readonly o: { service: FileService; inventory: Inventory; wan: WanState; log: Logger; onLease: boolean; intervalMs: number }) {}

  start(): void {
    if (this.o.onLease) this.o.inventory.on('event', this.onEvent);
    if (this.o.intervalMs > 0) this.timer = setInterval(() => void this.all(), this.o.intervalMs).unref();
  }

  stop(): void {
    this.stopped = true;
    this.o.inventory.off('event', this.onEvent);
    if (this.timer) clearInterval(this.timer);
  }

  /** Every known phone, one after the other (a branch WAN is narrow). */
  async all(): Promise<void> {
    for (const p of this.o.inventory.list()) await this.phone(p.deviceName, true);
  }

  /** Fetches one phone's files; phones are done one at a time. Resolves when this phone is done. */
  phone(deviceName: string, force = false): Promise<void> {
    const last = this.lastRun.get(deviceName) ?? 0;
    if (!force && Date.now() - last < PER_PHONE_MIN_INTERVAL_MS) return Promise.resolve();
    this.lastRun.set(deviceName, Date.now());
    this.queue = this.queue.then(() => this.run(deviceName)).catch((e: unknown) => {
      this.o.log.warn({ err: e, phone: deviceName }, 'prefetch failed');
    });
    return this.queue;
  }

  private async run(deviceName: string): Promise<void> {
    if (this.stopped || this.o.wan.isSurvival) return;
    const config = await this.o.service.open(configFileOf(deviceName), { address: '' }, 'prefetch');
    if (!config.ok) {
      this.o.log.info({ phone: deviceName }, 'prefetch: CUCM has no configuration for this phone');
      return;
    }
    const text = (await config.whole())?.toString('latin1');
    if (!text) return;
    const fetched: string[] = [];
    for (const name of configFacts(text).references) {
      if (this.stopped || this.o.wan.isSurvival) return;
      const file = await this.o.service.open(name, { address: '' }, 'prefetch');
      if (file.ok && (await file.whole())) fetched.push(name);
    }
    this.o.log.info({ phone: deviceName, fetched }, 'prefetched the phone\'s configuration and the files it names');
  }
}
