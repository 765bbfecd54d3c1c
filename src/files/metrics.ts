// The files plane's Prometheus metrics (registered on the appliance's registry at start).
import { Counter, Gauge, type Registry } from 'prom-client';

export function createFilesMetrics() {
  return {
    requests: new Counter({ name: 'outpost_files_requests_total', help: 'File requests by protocol and source (cache, upstream, none)', labelNames: ['protocol', 'source'], registers: [] }),
    hits: new Counter({ name: 'outpost_files_cache_hits_total', help: 'Requests served from the cache', registers: [] }),
    misses: new Counter({ name: 'outpost_files_cache_misses_total', help: 'Requests served while fetching from CUCM', registers: [] }),
    upstreamFetches: new Counter({ name: 'outpost_files_upstream_fetches_total', help: 'Fetches and revalidations sent to CUCM', registers: [] }),
    readAheads: new Counter({ name: 'outpost_files_read_aheads_total', help: 'Fetches started for files a phone\'s configuration names, before the phone asked', registers: [] }),
    upstreamBytes: new Counter({ name: 'outpost_files_upstream_bytes_total', help: 'Bytes received from CUCM', registers: [] }),
    tftpTransfers: new Counter({ name: 'outpost_files_tftp_transfers_total', help: 'TFTP transfers by outcome and where they ran (thread=native: a native transfer thread; main: the event loop)', labelNames: ['outcome', 'thread'], registers: [] }),
    servedBytes: new Counter({ name: 'outpost_files_served_bytes_total', help: 'Bytes sent to phones', labelNames: ['protocol'], registers: [] }),
    staleServes: new Counter({ name: 'outpost_files_stale_serves_total', help: 'Cached files served because CUCM could not be asked', registers: [] }),
    negativeHits: new Counter({ name: 'outpost_files_negative_hits_total', help: 'Requests answered from the not-found memory', registers: [] }),
    evictions: new Counter({ name: 'outpost_files_evictions_total', help: 'Files evicted to stay inside the disk budget', registers: [] }),
    cacheBytes: new Gauge({ name: 'outpost_files_cache_bytes', help: 'Bytes of cached files on disk', registers: [] }),
  };
}

export type FilesMetrics = ReturnType<typeof createFilesMetrics>;

export function registerFilesMetrics(m: FilesMetrics, registry: Registry): void {
  for (const metric of Object.values(m)) registry.registerMetric(metric);
}

export function unregisterFilesMetrics(m: FilesMetrics, registry: Registry): void {
  for (const metric of Object.values(m)) registry.removeSingleMetric((metric as unknown as { name: string }).name);
}
