// The `outpost` command line.
import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { runDecode } from './decode.js';
import { runDemo } from './demo.js';
import { labDown, labStatus, labUp } from '../lab/topology.js';
import { runSimPhone } from '../sim/phone.js';
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
  .argument('<topic>').argument('[arg...]', 'device name for "phone"; "neighbors [detail]" for cdp and lldp; "inline" for power')
  .option('--json', 'print JSON')
  .option('--api <host:port>', 'API address of the running daemon')
  .option('-c, --config <file>', 'take the API address from this configuration')
  .action(async (topic: string, args: string[], o: { json?: boolean; api?: string; config?: string }) => {
    const arg = args.length ? args.join(' ') : undefined;
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

program.command('decode').description('decode the CDP, LLDP, DHCP and SIP messages of a pcap or pcapng file')
  .argument('<file>').option('--json', 'one JSON object per line')
  .action((file: string, o: { json?: boolean }) => { process.exitCode = runDecode(file, o.json ?? false); });

program.command('demo').description('build the lab, boot simulated phones through Outpost, cut and restore the WAN (root)')
  .option('--phones <n>', 'simulated phones', '4').option('--hold', 'keep the lab until Ctrl-C')
  .action(async (o: { phones: string; hold?: boolean }) => { process.exitCode = await runDemo({ phones: Number(o.phones), hold: o.hold ?? false }); });

const lab = program.command('lab').description('the network-namespace lab: phones, switch, Outpost, WAN, CUCM stand-in (root)');
lab.command('up').option('--phones <n>', 'phone namespaces', '2').option('--prefix <p>', 'namespace prefix')
  .action(async (o: { phones: string; prefix?: string }) => {
    const state = await labUp({ phones: Number(o.phones), prefix: o.prefix });
    process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
  });
lab.command('down').argument('[prefix]').action(async (prefix?: string) => {
  process.stdout.write(`removed: ${(await labDown(prefix)).join(', ') || 'nothing'}\n`);
});
lab.command('status').argument('[prefix]').action((prefix?: string) => {
  process.stdout.write(`${JSON.stringify(labStatus(prefix), null, 2)}\n`);
});

program.command('sim-phone', { hidden: true }).description('a simulated phone (runs inside a phone namespace)')
  .requiredOption('--interface <if>').requiredOption('--mac <mac>').option('--register-every <s>', 'seconds', '30')
  .action(async (o: { interface: string; mac: string; registerEvery: string }) => {
    try {
      await runSimPhone({ interface: o.interface, mac: o.mac, registerEverySeconds: Number(o.registerEvery) });
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    }
  });

await program.parseAsync(process.argv);
