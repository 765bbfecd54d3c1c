// The read-through cache: serves a name from the cache or from CUCM, with one upstream fetch
// per file however many phones ask at once, revalidation of old copies while online, and the
// cache as the only source in survival.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { WanState } from '../core/wan-state.js';
import { cacheKey, type CachedFile, type FileCache, type Validators } from './cache.js';
import { bufferSource, GrowingFile } from './growing-file.js';
import type { FilesMetrics } from './metrics.js';
import type { NegativeCache } from './negative-cache.js';
import type { FileSource } from './tftp/block-reader.js';
import type { FetchResult, Upstream } from './upstream.js';

export type Lookup =
  | {
    kind: 'file';
    source: FileSource;
    from: 'cache' | 'upstream';
    /** Served from the cache although it could not be checked with CUCM. */
    stale: boolean;
    /** The whole file once it is all here (undefined if the upstream fetch failed). */
    whole(): Promise<Buffer | undefined>;
  }
  | { kind: 'missing'; reason: string }
  | { kind: 'unavailable'; reason: string };

/** One upstream fetch that every phone asking for the same name joins. */
interface Flight {
  /** Settles when bytes start to flow (the file) or the fetch ends without any. */
  ready: Promise<GrowingFile | FetchResult>;
  done: Promise<FetchResult>;
}

export interface ReadThroughOptions {
  cache: FileCache;
  upstream: Upstream;
  negative: NegativeCache;
  wan: WanState;
  metrics: FilesMetrics;
  log: Logger;
  revalidateAfterMs: number;
  /** Called after a file was fetched and stored (eviction runs here). */
  onStored?: (name: string) => void;
}

export class ReadThrough {
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly o: ReadThroughOptions) {}

  get inFlight(): number {
    return this.flights.size;
  }

  async lookup(name: string): Promise<Lookup> {
    const { cache, wan, negative, metrics } = this.o;
    const entry = cache.entry(name);
    if (wan.isSurvival) return entry ? this.fromCache(name, false, 'survival') : { kind: 'unavailable', reason: 'not cached and the WAN is down' };
    if (negative.has(name)) {
      metrics.negativeHits.inc();
      return { kind: 'missing', reason: 'CUCM has no such file (remembered)' };
    }
    if (entry && Date.now() - Date.parse(entry.validatedAt) < this.o.revalidateAfterMs) return this.fromCache(name, false, 'fresh');

    const flight = this.flight(name, entry);
    const first = await flight.ready;
    if (first instanceof GrowingFile) {
      metrics.misses.inc();
      return {
        kind: 'file', source: first, from: 'upstream', stale: false,
        whole: async () => ((await flight.done).kind === 'ok' ? first.finish() : undefined),
      };
    }
    switch (first.kind) {
      case 'not-modified':
        return this.fromCache(name, false, 'revalidated');
      case 'missing':
        return { kind: 'missing', reason: `CUCM ${first.host} has no such file` };
      default:
        if (entry) return this.fromCache(name, true, 'error' in first ? first.error : first.kind);
        return { kind: 'unavailable', reason: `not cached and CUCM did not answer (${'error' in first ? first.error : first.kind})` };
    }
  }

  /**
   * Starts fetching a file a phone is about to ask for, unless it is fresh in the cache, known
   * to be missing, already on its way, or the WAN is down. The phone's own request joins it.
   */
  warm(name: string): void {
    const { cache, wan, negative } = this.o;
    if (wan.isSurvival || negative.has(name) || this.flights.has(cacheKey(name))) return;
    const entry = cache.entry(name);
    if (entry && Date.now() - Date.parse(entry.validatedAt) < this.o.revalidateAfterMs) return;
    this.o.metrics.readAheads.inc();
    void this.flight(name, entry).done;
  }

  private fromCache(name: string, stale: boolean, why: string): Lookup {
    const cached = this.o.cache.get(name);
    if (!cached) {
      this.o.log.warn({ file: name }, 'cached file failed verification; not served');
      return { kind: 'unavailable', reason: `cached copy failed verification (${why})` };
    }
    this.o.metrics.hits.inc();
    if (stale) this.o.metrics.staleServes.inc();
    return { kind: 'file', source: bufferSource(cached.data), from: 'cache', stale, whole: async () => cached.data };
  }

  private flight(name: string, entry: CachedFile | undefined): Flight {
    const key = cacheKey(name);
    const existing = this.flights.get(key);
    if (existing) return existing;
    let file: GrowingFile | undefined;
    let validators: Validators = {};
    let announce!: (v: GrowingFile | FetchResult) => void;
    const ready = new Promise<GrowingFile | FetchResult>((resolve) => { announce = resolve; });
    this.o.metrics.upstreamFetches.inc();
    const done = this.o.upstream.fetch(name, {
      start: (size, v) => {
        file = new GrowingFile(size);
        validators = v;
        announce(file);
      },
      data: (chunk) => {
        this.o.metrics.upstreamBytes.inc(chunk.length);
        file?.append(chunk);
      },
    }, entry ? { size: entry.size, etag: entry.etag, lastModified: entry.lastModified } : undefined).then(async (result) => {
      // The flight stays joinable (from memory) until the copy is on disk and indexed.
      try {
        await this.settle(name, entry, file, validators, result);
      } catch (e) {
        this.o.log.error({ err: e, file: name }, 'could not record the outcome of a fetch in the cache index');
      }
      return result;
    }, (e: unknown) => {
      const result: FetchResult = { kind: 'failed', error: e instanceof Error ? e.message : String(e) };
      file?.fail(new Error(result.error));
      return result;
    }).finally(() => {
      this.flights.delete(key);
    });
    void done.then((r) => announce(r));
    const flight = { ready, done };
    this.flights.set(key, flight);
    return flight;
  }

  private async settle(name: string, entry: CachedFile | undefined, file: GrowingFile | undefined, validators: Validators, result: FetchResult): Promise<void> {
    const { cache, negative, log } = this.o;
    if (result.kind === 'ok' && file) {
      const data = file.finish();
      const sha = createHash('sha256').update(data).digest('hex');
      if (entry && entry.sha256 === sha) cache.markValidated(name);
      else {
        try {
          await cache.put(name, data, validators);
          this.o.onStored?.(name);
        } catch (e) {
          log.error({ err: e, file: name }, 'could not store a fetched file; it will be fetched again');
        }
      }
      negative.delete(name);
    } else if (result.kind === 'not-modified') {
      cache.markValidated(name);
    } else if (result.kind === 'missing') {
      negative.add(name);
      if (entry) cache.remove(name); // CUCM is the authority while it answers
    } else {
      file?.fail(new Error(result.kind === 'failed' ? result.error : 'upstream failed'));
      if (result.kind === 'failed') log.warn({ file: name, error: result.error }, 'upstream fetch failed');
    }
  }
}
