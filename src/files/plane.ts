// Files plane: TFTP (and HTTP on :6970) for phones, read through to CUCM while the WAN is up,
// served from the cache when CUCM does not answer or the WAN is down.
import { readFileSync } from 'node:fs';
import type { WanSnapshot } from '../core/wan-state.js';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import { FILE_CACHE_MIGRATIONS, FileCache } from './cache.js';
import { deviceOfFile } from './cisco-names.js';
import { FileService } from './file-service.js';
import { HttpFileServer } from './http-server.js';
import { createFilesMetrics, registerFilesMetrics, unregisterFilesMetrics } from './metrics.js';
import { NegativeCache } from './negative-cache.js';
import { Prefetcher } from './prefetch.js';
import { ReadThrough } from './read-through.js';
import { MAX_BLKSIZE } from './tftp/codec.js';
import { TftpServer, type OpenResult } from './tftp/server.js';
import { TransferThreads } from './tftp/transfer-threads.js';
import { Upstream } from './upstream.js';

/** The largest TFTP block that fits one frame on the phones' interface (IP 20 + UDP 8 + TFTP 4). */
export function blksizeForInterface(ifname: string): number {
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${ifname}/mtu`, 'utf8'));
    if (Number.isInteger(mtu) && mtu > 68) return Math.min(MAX_BLKSIZE, mtu - 32);
  } catch { /* interface not there (yet): the Ethernet default */ }
  return 1468;
}

export function createFilesPlane(ctx: PlaneContext): Plane {
  const { config, wan, inventory, log, metrics: registry, db } = ctx;
  const files = config.files;
  const metrics = createFilesMetrics();
  const cache = new FileCache(db, config.dataDir, { diskBudgetBytes: files.diskBudgetMb * 1024 * 1024 });
  const upstream = new Upstream({ hosts: config.upstream.cucm, tftpPort: config.upstream.tftpPort, httpPort: files.upstreamHttpPort, timeoutMs: files.upstreamTimeoutMs, lockstepBlksize: files.upstreamLockstepBlksize });
  /** Files of known phones and the files their configurations name are never evicted. */
  const keep = (name: string) => {
    const device = deviceOfFile(name);
    return (device !== undefined && inventory.find({ deviceName: device }) !== undefined) || service.referenced.has(name.toLowerCase());
  };
  const readThrough = new ReadThrough({
    cache, upstream, wan, metrics, log, negative: new NegativeCache(files.negativeTtlSeconds * 1000),
    revalidateAfterMs: files.revalidateAfterSeconds * 1000,
    onStored: () => {
      const evicted = cache.evict(keep);
      metrics.cacheBytes.set(cache.diskBytes());
      metrics.evictions.inc(evicted.length);
      if (evicted.length > 0) log.info({ evicted }, 'evicted cached files to stay inside the disk budget');
    },
  });
  const service = new FileService({
    readThrough, inventory, metrics, log, mode: files.mode, address: config.lan.address, sipPort: config.sip.port, secureCluster: files.secureCluster,
  });
  const prefetch = new Prefetcher({ service, inventory, wan, log, onLease: files.prefetchOnLease, intervalMs: files.prefetchIntervalMinutes * 60_000 });

  const openTftp = async (filename: string, client: { address: string }): Promise<OpenResult> => {
    const r = await service.open(filename, client, 'tftp');
    return r.ok ? { ok: true, source: r.source } : { ok: false, code: 1, message: r.message };
  };
  let threads: TransferThreads | undefined;
  let tftp: TftpServer | undefined;
  const http = files.httpPort > 0
    ? new HttpFileServer({
      address: config.lan.address, port: files.httpPort,
      open: async (name, client) => {
        const r = await service.open(name, client, 'http');
        return r.ok ? { ok: true, source: r.source } : { ok: false, message: r.message };
      },
      onServed: (bytes) => metrics.servedBytes.inc({ protocol: 'http' }, bytes),
    })
    : undefined;

  // Which CUCM TFTP is lockstep-only, learnt from the file every CUCM has (auto-registration's
  // default) while the WAN is up, so that the first boot storm already gets large blocks.
  const learnUpstream = () => {
    if (wan.isSurvival) return;
    upstream.learnTftp('XMLDefault.cnf.xml').catch((e: unknown) => log.debug({ err: e }, 'could not ask CUCM TFTP for its options'));
  };
  const onWanChange = (snap: WanSnapshot) => { if (snap.state === 'online') learnUpstream(); };

  return {
    views: {
      files: () => ({ diskBytes: cache.diskBytes(), budgetBytes: files.diskBudgetMb * 1024 * 1024, mode: files.mode, inFlight: readThrough.inFlight, files: cache.list() }),
    },
    async start() {
      registerFilesMetrics(metrics, registry);
      metrics.cacheBytes.set(cache.diskBytes());
      threads = files.tftpThreads ? TransferThreads.open() : undefined;
      tftp = new TftpServer({
        address: config.lan.address, port: files.tftpPort, open: openTftp, maxTransfers: files.maxTransfers, blksizeMax: blksizeForInterface(config.lan.interface), threads,
      });
      tftp.on('error', (e) => log.warn({ err: e }, 'TFTP server error'));
      tftp.on('transfer-refused', (e) => log.info({ file: e.filename, client: e.client, code: e.code }, 'TFTP request refused'));
      tftp.on('transfer-end', (e) => {
        metrics.servedBytes.inc({ protocol: 'tftp' }, e.bytes);
        metrics.tftpTransfers.inc({ outcome: e.outcome, thread: e.onThread ? 'native' : 'main' });
        if (e.outcome !== 'complete') {
          const device = deviceOfFile(e.filename);
          inventory.record(device ? { deviceName: device } : { ip: e.client.address }, 'tftp', 'fail', `${e.filename}: transfer ${e.outcome}${e.error ? ` (${e.error})` : ''}`);
        }
      });
      await tftp.listen();
      if (http) await http.listen();
      prefetch.start();
      wan.on('change', onWanChange);
      learnUpstream();
      log.info({ address: config.lan.address, tftp: files.tftpPort, tftpThreads: threads !== undefined, http: files.httpPort, mode: files.mode }, 'file service listening');
    },
    async stop() {
      wan.off('change', onWanChange);
      prefetch.stop();
      await Promise.all([tftp?.close(), http?.close()]);
      await threads?.close();
      upstream.close();
      cache.close();
      unregisterFilesMetrics(metrics, registry);
    },
  };
}

export const filesPlane: PlaneModule = { name: 'files', migrations: FILE_CACHE_MIGRATIONS, create: createFilesPlane };
