// Files plane: TFTP for phones, read through to CUCM's TFTP while the WAN is up, served
// from the cache when CUCM does not answer or the WAN is down.
import { Counter } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import type { PhoneKey } from '../core/inventory.js';
import { FILE_CACHE_MIGRATIONS, FileCache } from './cache.js';
import { fetchTftp } from './tftp/client.js';
import { TftpServer, type FileSource, type OpenResult } from './tftp/server.js';

const DEVICE_FILE = /^(?:CTL|ITL)?(SEP[0-9A-F]{12})\./i;

function bufferSource(data: Buffer): FileSource {
  return { size: data.length, read: async (offset: number, length: number) => data.subarray(offset, offset + length) };
}

export function createFilesPlane(ctx: PlaneContext): Plane {
  const { config, wan, inventory, log, metrics, db } = ctx;
  const cache = new FileCache(db, config.dataDir);
  const requests = new Counter({ name: 'outpost_files_requests_total', help: 'File requests by source (cache, upstream, none)', labelNames: ['source'], registers: [] });
  let server: TftpServer;

  /** Journey events go to the phone the file names, else to the phone with that address. */
  const phoneKey = (filename: string, ip: string): PhoneKey => {
    const m = DEVICE_FILE.exec(filename);
    return m ? { deviceName: m[1].toUpperCase() } : { ip };
  };

  const fromUpstream = async (name: string): Promise<{ data: Buffer } | { missing: true } | undefined> => {
    for (const host of config.upstream.cucm) {
      const r = await fetchTftp({ host, port: config.upstream.tftpPort, filename: name, blksize: 1428, tsize: true,
        timeoutMs: Math.ceil(config.files.upstreamTimeoutMs / 2), retries: 1 });
      if (r.ok && r.data) return { data: r.data };
      if (!r.ok && r.code === 1) return { missing: true };
    }
    return undefined;
  };

  const open = async (filename: string, client: { address: string }): Promise<OpenResult> => {
    const name = filename.replace(/^\/+/, '');
    const key = phoneKey(name, client.address);
    if (!wan.isSurvival) {
      const up = await fromUpstream(name);
      if (up && 'data' in up) {
        cache.put(name, up.data);
        requests.inc({ source: 'upstream' });
        inventory.record(key, 'tftp', 'ok', `${name} from CUCM (${up.data.length} bytes)`, 'ip' in key ? undefined : { ip: client.address });
        return { ok: true, source: bufferSource(up.data) };
      }
      if (up) {
        requests.inc({ source: 'none' });
        inventory.record(key, 'tftp', 'fail', `${name} not found at CUCM`);
        return { ok: false, code: 1, message: 'File not found' };
      }
    }
    const cached = cache.get(name);
    if (cached) {
      requests.inc({ source: 'cache' });
      inventory.record(key, 'tftp', 'ok', `${name} from cache (${wan.isSurvival ? 'WAN down' : 'CUCM did not answer'})`);
      return { ok: true, source: bufferSource(cached.data) };
    }
    requests.inc({ source: 'none' });
    inventory.record(key, 'tftp', 'fail', `${name} not cached and CUCM unreachable`);
    return { ok: false, code: 1, message: 'File not found' };
  };

  return {
    views: { files: () => cache.list() },
    async start() {
      metrics.registerMetric(requests);
      server = new TftpServer({ address: config.lan.address, port: config.files.tftpPort, open });
      server.on('error', (e) => log.warn({ err: e }, 'TFTP server error'));
      server.on('transfer-refused', (e) => log.info({ file: e.filename, client: e.client, code: e.code }, 'TFTP request refused'));
      await server.listen();
      log.info({ address: config.lan.address, port: config.files.tftpPort }, 'TFTP listening');
    },
    async stop() {
      await server.close();
      metrics.removeSingleMetric('outpost_files_requests_total');
    },
  };
}

export const filesPlane: PlaneModule = { name: 'files', migrations: FILE_CACHE_MIGRATIONS, create: createFilesPlane };
