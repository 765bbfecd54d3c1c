// The `outpost` command line.
import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { runDaemon } from './run.js';
import { show, showTopics } from './show.js';

const program = new Command();
program.name('outpost').description('Branch survivability appliance for Cisco IP phones').version('0.1.0');

program.command('run').description('run the appliance (every plane, the API and metrics)')
  .requiredOption('-c, --config <file>', 'YAML configuration')
  .action(async (o: { config: string }) => runDaemon(o.config));

program.command('config').description('check a configuration file and print it with defaults filled in')
  .argument('<check>', 'the word "check"').argument('<file>', 'YAML configuration')
  .action((_check: string, file: string) => {
    const r = loadConfig(file);
    if (!r.ok) { process.stderr.write(`${r.error}\n`); process.exit(2); }
    process.stdout.write(`${JSON.stringify(r.value, null, 2)}\n`);
  });

program.command('show').description(`show state of a running Outpost: ${showTopics.join(', ')}`)
  .argument('<topic>').argument('[arg]', 'device name for "phone"')
  .option('--json', 'print JSON')
  .option('--api <host:port>', 'API address of the running daemon')
  .option('-c, --config <file>', 'take the API address from this configuration')
  .action(async (topic: string, arg: string | undefined, o: { json?: boolean; api?: string; config?: string }) => {
    let api = o.api ?? '127.0.0.1:8080';
    if (o.config) {
      const r = loadConfig(o.config);
      if (!r.ok) { process.stderr.write(`${r.error}\n`); process.exit(2); }
      api = r.value.api.listen;
    }
    try {
      process.stdout.write(`${await show(topic, arg, { api, json: o.json })}\n`);
    } catch (e) {
      process.stderr.write(`outpost show: ${(e as Error).message}\n`);
      process.exit(1);
    }
  });

await program.parseAsync(process.argv);
