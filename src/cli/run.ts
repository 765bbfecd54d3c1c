// `outpost run`: the daemon. SIGTERM/SIGINT stop within 5 s, SIGHUP reloads the configuration.
import { loadConfig } from '../config/load.js';
import { Appliance } from '../core/appliance.js';
import { startApi } from '../ops/api.js';
import { createLogger } from '../ops/log.js';
import { planeModules } from '../planes.js';

const STOP_BUDGET_MS = 4500;

export async function runDaemon(configPath: string): Promise<void> {
  const loaded = loadConfig(configPath);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.error}\n`);
    process.exit(2);
  }
  const config = loaded.value;
  const log = createLogger(config.log.level);
  const appliance = new Appliance(config, planeModules, log);
  try {
    await appliance.start();
  } catch (e) {
    log.fatal({ err: e }, `cannot start: ${(e as Error).message}`);
    await appliance.stop().catch(() => undefined);
    process.exit(1);
  }
  const api = await startApi(appliance, config.api.listen);
  log.info({ api: config.api.listen, lan: config.lan.interface }, 'Outpost running');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => { log.error('stop took too long; exiting'); process.exit(1); }, STOP_BUDGET_MS);
    await api.close();
    await appliance.stop();
    clearTimeout(force);
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    const next = loadConfig(configPath);
    if (!next.ok) {
      log.error(`reload refused, keeping the running configuration:\n${next.error}`);
      return;
    }
    log.info('reloading configuration');
    appliance.reload(next.value).catch((e) => log.error({ err: e }, 'reload failed'));
  });
}
