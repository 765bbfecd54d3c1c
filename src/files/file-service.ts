// What a phone gets when it asks for a file, over TFTP or HTTP alike: CUCM's naming rules,
// the read-through cache, the cnf.xml rewrite for the survivability mode, what the phone's
// own configuration says about it (for the signalling planes), and its journey.
import type { Logger } from 'pino';
import type { Inventory, JourneyStep, PhoneKey } from '../core/inventory.js';
import { configFacts, type ConfigFacts } from './cnf/facts.js';
import { rewriteConfig, type RewriteMode } from './cnf/rewrite.js';
import { bootFilesAfter, DEFAULT_CONFIG, deviceOfConfig, deviceOfFile, isConfigFile, isCtlFile, normalizeName, unsignedName } from './cisco-names.js';
import { bufferSource } from './growing-file.js';
import type { FilesMetrics } from './metrics.js';
import type { ReadThrough } from './read-through.js';
import type { FileSource } from './tftp/block-reader.js';

export type Requester = 'tftp' | 'http' | 'prefetch';

export type Served =
  | { ok: true; name: string; source: FileSource; from: 'cache' | 'upstream'; whole(): Promise<Buffer | undefined> }
  | { ok: false; notFound: true; message: string };

export interface FileServiceOptions {
  readThrough: ReadThrough;
  inventory: Inventory;
  metrics: FilesMetrics;
  log: Logger;
  mode: RewriteMode;
  /** Outpost's address on the phones' segment (what a rewritten cnf.xml names). */
  address: string;
  sipPort: number;
  secureCluster: boolean;
}

export class FileService {
  /** Files some known phone's configuration names: never evicted. */
  readonly referenced = new Set<string>();

  constructor(private readonly o: FileServiceOptions) {}

  async open(requested: string, client: { address: string }, via: Requester): Promise<Served> {
    const name = normalizeName(requested);
    const device = deviceOfFile(name);
    const key: PhoneKey = device ? { deviceName: device } : { ip: client.address };
    const step: JourneyStep = via === 'http' ? 'http' : 'tftp';
    const record = (outcome: 'ok' | 'fail' | 'info', detail: string) => {
      if (via === 'prefetch') outcome = outcome === 'ok' ? 'info' : outcome;
      this.o.inventory.record(key, step, outcome, via === 'prefetch' ? `prefetch: ${detail}` : detail, device && via !== 'prefetch' ? { ip: client.address } : undefined);
    };
    const count = (source: 'cache' | 'upstream' | 'none') => this.o.metrics.requests.inc({ protocol: via, source });
    const unsigned = unsignedName(name);
    if (via !== 'prefetch') {
      // A booting phone asks for its trust lists, then its configuration, each a WAN round trip
      // away when not cached: ask CUCM for the next ones now, and the phone's requests join them.
      // Likewise for `X.sgn`: should CUCM not have it, `X` is already on its way.
      for (const next of bootFilesAfter(name)) this.o.readThrough.warm(next);
      if (unsigned) this.o.readThrough.warm(unsigned);
    }

    if (isCtlFile(name) && !this.o.secureCluster) {
      count('none');
      record('info', `${name}: not found, non-secure cluster (as CUCM answers)`);
      return { ok: false, notFound: true, message: 'File not found' };
    }

    let served = name;
    let found = await this.o.readThrough.lookup(name);
    if (found.kind !== 'file' && unsigned) {
      // CUCM serves the unsigned file when the signed one does not exist.
      served = unsigned;
      found = await this.o.readThrough.lookup(unsigned);
    }
    if (found.kind !== 'file') {
      count('none');
      const fallback = deviceOfConfig(name) ? `; the phone falls back to ${DEFAULT_CONFIG} (auto-registration)` : '';
      record('fail', `${name}: not found (${found.reason})${fallback}`);
      return { ok: false, notFound: true, message: 'File not found' };
    }
    count(found.from);

    if (isConfigFile(served)) {
      const original = await found.whole();
      if (!original) {
        record('fail', `${name}: CUCM stopped sending it`);
        return { ok: false, notFound: true, message: 'File not found' };
      }
      const text = original.toString('latin1'); // byte-preserving
      const facts = this.learn(served, text);
      // The phone asks for the files its configuration names next, one after the other, each
      // a WAN round trip or more away: ask CUCM for all of them now, and its requests join.
      if (via !== 'prefetch') for (const r of facts.references) this.o.readThrough.warm(normalizeName(r));
      const rewritten = Buffer.from(rewriteConfig(text, { mode: this.o.mode, address: this.o.address, sipPort: this.o.sipPort }), 'latin1');
      const what = served.toLowerCase() === DEFAULT_CONFIG.toLowerCase() ? ' (auto-registration)' : '';
      record('ok', `${name}${what} from ${found.from}${found.stale ? ' (CUCM unreachable, cached copy)' : ''}, ${this.o.mode} mode`);
      return { ok: true, name: served, source: bufferSource(rewritten), from: found.from, whole: async () => rewritten };
    }
    record('ok', `${name}${served !== name ? ` as ${served}` : ''} from ${found.from}${found.stale ? ' (CUCM unreachable, cached copy)' : ''}`);
    return { ok: true, name: served, source: found.source, from: found.from, whole: found.whole };
  }

  /** The phone's own configuration tells where it registers, its lines and what it fetches next. */
  private learn(name: string, text: string): ConfigFacts {
    const facts = configFacts(text);
    for (const r of facts.references) this.referenced.add(r.toLowerCase());
    const device = deviceOfConfig(name);
    if (!device) return facts;
    this.o.inventory.update({ deviceName: device }, {
      callManagers: facts.callManagers.length > 0 ? facts.callManagers : undefined,
      lines: facts.lines.length > 0 ? facts.lines : undefined,
      dn: facts.lines[0],
      protocol: facts.protocol,
    });
    return facts;
  }
}
