// What every plane (link, dhcp, files, sip, wan) gets from core and gives back.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { OutpostConfig } from '../config/schema.js';
import type { Db, Migration } from '../store/database.js';
import type { Inventory } from './inventory.js';
import type { WanState } from './wan-state.js';

export interface PlaneContext {
  config: OutpostConfig;
  log: Logger;
  db: Db;
  inventory: Inventory;
  wan: WanState;
  metrics: Registry;
}

export interface Plane {
  start(): Promise<void>;
  /** Releases sockets and timers; must finish well inside the 5 s SIGTERM budget. */
  stop(): Promise<void>;
  /** Read-only views the API serves at /api/<key>. */
  views?: Record<string, () => unknown>;
  /** Phone registrations this plane holds (each with its `protocol`), merged at /api/registrations. */
  registrations?: () => object[];
}

export interface PlaneModule {
  name: string;
  migrations?: Migration[];
  /** Whether this plane runs under the given configuration. */
  enabled?(config: OutpostConfig): boolean;
  create(ctx: PlaneContext): Plane;
}
