// `outpost demo` (npm start): builds the lab, runs Outpost with simulated phones booting through
// their journey, cuts and restores the WAN, prints a live status table, and tears it all down.
import { execFileSync } from 'node:child_process';
import type { Phone } from '../core/inventory.js';
import type { WanSnapshot } from '../core/wan-state.js';
import { Lab } from '../lab/topology.js';
import { startLabOutpost, type LabOutpost } from '../lab/outpost.js';
import { repoPath } from '../lab/repo-root.js';
import { formatTable } from './table.js';

const NEEDED = ['ip', 'nft', 'in.tftpd', 'kamailio', 'curl'];

function missingTools(): string[] {
  return NEEDED.filter((tool) => {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); return false; } catch { return true; }
  });
}

interface DemoOptions { phones: number; hold: boolean }

export async function runDemo(opts: DemoOptions): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('outpost demo builds network namespaces and needs root: run `sudo npm start`.\n');
    return 1;
  }
  const missing = missingTools();
  if (missing.length) {
    process.stderr.write(`outpost demo needs ${missing.join(', ')}: run \`sudo bash scripts/install-test-deps.sh\` first.\n`);
    return 1;
  }
  const started = Date.now();
  const log: string[] = [];
  const say = (line: string) => {
    log.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
    if (!process.stdout.isTTY) process.stdout.write(`${log.at(-1)}\n`);
  };
  let lab: Lab | undefined;
  let outpost: LabOutpost | undefined;
  let ui: NodeJS.Timeout | undefined;
  let phones: Phone[] = [];
  let wan: WanSnapshot | undefined;
  const teardown = async () => {
    clearInterval(ui);
    await outpost?.stop().catch(() => undefined);
    await lab?.down().catch(() => undefined);
  };
  const interrupted = new Promise<never>((_resolve, reject) => {
    const onSignal = () => reject(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  interrupted.catch(() => undefined);

  const refresh = async () => {
    if (!outpost) return;
    wan = await outpost.api<WanSnapshot>('/api/wan') ?? wan;
    phones = await outpost.api<Phone[]>('/api/phones') ?? phones;
    if (process.stdout.isTTY) render(wan, phones, log);
  };
  let summary = '';
  // On a terminal, leave each phase on screen long enough to read the table.
  const pause = () => (process.stdout.isTTY ? Promise.race([new Promise((r) => setTimeout(r, 4000)), interrupted]) : Promise.resolve());
  const waitFor = async (what: string, timeoutMs: number, done: () => boolean) => {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await Promise.race([new Promise((r) => setTimeout(r, 250)), interrupted]);
      await refresh();
    }
  };
  const registeredVia = (servedBy: 'upstream' | 'local', since: number) => () =>
    phones.length >= opts.phones && phones.every((p) => p.registration?.servedBy === servedBy && p.lastEvent && Date.parse(p.lastEvent.at) >= since);

  try {
    say(`building the lab: ${opts.phones} phones, a switch, Outpost, a WAN and a CUCM stand-in (tftpd-hpa + Kamailio)`);
    lab = await Lab.up({ phones: opts.phones });
    outpost = await startLabOutpost(lab);
    say('Outpost is running in its namespace; phones power up');
    ui = setInterval(() => void refresh(), 1000);
    for (const phone of lab.phones) {
      const child = lab.space.spawn(`phone${phone.index}`, process.execPath, [repoPath('bin', 'outpost.js'), 'sim-phone',
        '--interface', phone.ifname, '--mac', phone.mac, '--register-every', '8']);
      child.stderr?.on('data', (d: Buffer) => say(`${phone.deviceName}: ${d.toString().trim()}`));
    }
    await waitFor('every phone registered through Outpost to CUCM', 60_000, registeredVia('upstream', started));
    say('every phone booted: CDP power -> DHCP (option 150) -> TFTP config -> SIP REGISTER relayed to CUCM');
    await pause();

    const cutAt = Date.now();
    lab.cutWan();
    say('WAN cut (silent loss in the WAN namespace)');
    await waitFor('survival', 15_000, () => wan?.state === 'survival');
    say(`Outpost detected the outage and took over after ${((Date.now() - cutAt) / 1000).toFixed(1)} s`);
    await waitFor('phones served locally', 30_000, registeredVia('local', cutAt));
    say('every phone re-registered to Outpost itself: calls and registrations stay local while CUCM is away');
    await pause();

    const restoreAt = Date.now();
    lab.restoreWan();
    say('WAN restored');
    await waitFor('online', 30_000, () => wan?.state === 'online');
    say(`back online after ${((Date.now() - restoreAt) / 1000).toFixed(1)} s (hold-down included)`);
    await waitFor('phones handed back to CUCM', 30_000, registeredVia('upstream', restoreAt));
    say('every phone registers through Outpost to CUCM again');
    if (opts.hold) {
      say('holding the lab; press Ctrl-C to tear it down');
      await interrupted;
    }
    await refresh();
    const first = lab.phones[0]?.deviceName;
    const journey = first ? await outpost.api<{ journey: { at: string; step: string; outcome: string; detail: string }[] }>(`/api/phones/${first}`) : undefined;
    if (journey) {
      summary = `\nJourney of ${first} (what \`outpost show phone ${first}\` prints):\n${formatTable(['Time', 'Step', 'Outcome', 'Detail'],
        journey.journey.map((e) => [e.at.slice(11, 23), e.step, e.outcome, e.detail]))}\n`;
    }
    return 0;
  } catch (e) {
    say(`demo stopped: ${(e as Error).message}`);
    if (outpost && (e as Error).message !== 'interrupted') process.stderr.write(`${outpost.log().split('\n').slice(-30).join('\n')}\n`);
    return (e as Error).message === 'interrupted' ? 130 : 1;
  } finally {
    say('tearing the lab down');
    await teardown();
    if (process.stdout.isTTY) render(wan, phones, log);
    process.stdout.write(summary);
  }
}

function render(wan: WanSnapshot | undefined, phones: Phone[], log: string[]): void {
  const table = formatTable(['Device', 'IP', 'DN', 'Registration', 'Last step'], phones.map((p) => [
    p.deviceName, p.ip, p.dn, p.registration ? `${p.registration.protocol} via ${p.registration.servedBy === 'local' ? 'Outpost' : 'CUCM'}` : undefined,
    p.lastEvent ? `${p.lastEvent.step}: ${p.lastEvent.detail}`.slice(0, 70) : undefined,
  ]));
  process.stdout.write(`\x1b[2J\x1b[H Outpost demo — WAN: ${wan?.state ?? '?'}${wan ? ` (${wan.reason})` : ''}\n\n${table}\n\n${log.slice(-12).join('\n')}\n`);
}
