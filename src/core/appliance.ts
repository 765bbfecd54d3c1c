// Appliance lifecycle: opens the store, builds core state, starts each plane, reloads and stops.
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { OutpostConfig } from '../config/schema.js';
import { openDatabase, type Db } from '../store/database.js';
import { INVENTORY_MIGRATIONS, Inventory } from './inventory.js';
import type { Plane, PlaneContext, PlaneModule } from './plane.js';
import { WanState } from './wan-state.js';

export class Appliance {
  readonly metrics = new Registry();
  readonly wan = new WanState();
  readonly db: Db;
  readonly inventory: Inventory;
  private readonly running = new Map<string, Plane>();

  constructor(private config: OutpostConfig, private readonly modules: PlaneModule[], readonly log: Logger) {
    collectDefaultMetrics({ register: this.metrics });
    this.db = openDatabase(config.dataDir, [...INVENTORY_MIGRATIONS, ...modules.flatMap((m) => m.migrations ?? [])]);
    this.inventory = new Inventory(this.db, (e) => log.error({ err: e.message }, 'phone inventory could not be written to disk'));
    this.wan.on('change', (snap, previous) => {
      log.warn({ wan: snap.state, previous, reason: snap.reason }, `WAN ${previous} -> ${snap.state}`);
    });
  }

  get currentConfig(): OutpostConfig {
    return this.config;
  }

  /** Named read-only views of every running plane, for the API. */
  views(): Record<string, () => unknown> {
    const all: Record<string, () => unknown> = {};
    for (const plane of this.running.values()) Object.assign(all, plane.views ?? {});
    return all;
  }

  /** Every signalling plane's registrations, SIP and SCCP alike. */
  registrations(): object[] {
    return [...this.running.values()].flatMap((plane) => plane.registrations?.() ?? []);
  }

  async start(): Promise<void> {
    for (const module of this.modules) await this.startPlane(module);
  }

  /** SIGHUP: planes are restarted on the new configuration; core state and the database stay. */
  async reload(config: OutpostConfig): Promise<void> {
    this.config = config;
    this.log.level = config.log.level;
    for (const module of [...this.modules].reverse()) await this.stopPlane(module.name);
    for (const module of this.modules) await this.startPlane(module);
  }

  async stop(): Promise<void> {
    for (const module of [...this.modules].reverse()) await this.stopPlane(module.name);
    await this.inventory.close();
    this.db.close();
  }

  private context(name: string): PlaneContext {
    return { config: this.config, log: this.log.child({ plane: name }), db: this.db, inventory: this.inventory, wan: this.wan, metrics: this.metrics };
  }

  private async startPlane(module: PlaneModule): Promise<void> {
    if (module.enabled && !module.enabled(this.config)) return;
    const plane = module.create(this.context(module.name));
    await plane.start();
    this.running.set(module.name, plane);
    this.log.info({ plane: module.name }, `${module.name} plane started`);
  }

  private async stopPlane(name: string): Promise<void> {
    const plane = this.running.get(name);
    if (!plane) return;
    this.running.delete(name);
    try {
      await plane.stop();
    } catch (e) {
      this.log.error({ plane: name, err: e }, `${name} plane did not stop cleanly`);
    }
  }
}
