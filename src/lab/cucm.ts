// The lab's stand-ins for the central CUCM, in the "cucm" namespace on 10.30.0.1:
// tftpd-hpa serving per-phone cnf.xml files, and Kamailio as SIP registrar and proxy.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { LabSpace } from './netns.js';
import { sh } from './netns.js';
import { loadDefaultConfigTemplate, loadPhoneConfigTemplate, renderDefaultConfig, renderPhoneConfig } from './phone-config.js';
import type { PhoneIdentity } from './phone-identity.js';
import { logTail, startDaemon, type LabProcess } from './processes.js';
import { udpProbe, waitUntil } from './ns-exec.js';
import { repoPath } from './repo-root.js';

export const CUCM_ADDRESS = '10.30.0.1';
export const KAMAILIO_CFG = ['scripts', 'lab', 'kamailio.cfg'];
const READY_DEADLINE_MS = 15_000;

/**
 * Fills the CUCM TFTP directory: a rendered SEP<MAC>.cnf.xml per phone and XMLDefault.cnf.xml,
 * then the caller's own files on top (theirs win). tftpd-hpa drops to the tftp user: everything
 * must be world-readable.
 */
export function populateTftpDir(dir: string, phones: PhoneIdentity[], cucmAddress: string, extraDir?: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const template = loadPhoneConfigTemplate();
  for (const p of phones) {
    writeFileSync(join(dir, `${p.deviceName}.cnf.xml`), renderPhoneConfig(template, { deviceName: p.deviceName, dn: p.dn, cucmAddress }), { mode: 0o644 });
  }
  writeFileSync(join(dir, 'XMLDefault.cnf.xml'), renderDefaultConfig(loadDefaultConfigTemplate(), cucmAddress), { mode: 0o644 });
  if (extraDir) copyTree(extraDir, dir);
}

function copyTree(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (statSync(src).isDirectory()) {
      mkdirSync(dst, { recursive: true });
      chmodSync(dst, 0o755);
      copyTree(src, dst);
    } else {
      copyFileSync(src, dst);
      chmodSync(dst, 0o644);
    }
  }
}

/** Kamailio's module directory as the installed binary reports it (Debian's is arch-specific). */
export function kamailioModulesDir(): string {
  let help: string;
  try { help = sh('kamailio', ['-h']); } catch (e) { help = String((e as { stdout?: string }).stdout ?? ''); }
  const reported = /Modules search path \(default:\s*([^)\s]+)\)/.exec(help)?.[1];
  const candidates = [reported, ...['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/arm-linux-gnueabihf', '/usr/lib', '/usr/local/lib', '/usr/lib64']
    .map((d) => `${d}/kamailio/modules`)];
  const found = candidates.find((d) => d !== undefined && existsSync(join(d, 'registrar.so')));
  if (!found) throw new Error('lab: Kamailio modules not found (is the kamailio package installed?)');
  return found;
}

function tftpRrq(file: string): Buffer {
  return Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${file}\0octet\0`, 'latin1')]);
}
// ERROR 0 "probe done": ends the transfer so tftpd does not keep retransmitting block 1.
const TFTP_PROBE_DONE = Buffer.concat([Buffer.from([0, 5, 0, 0]), Buffer.from('probe done\0', 'latin1')]);

/** True when the TFTP server at `host` sends the first DATA block of `file`. */
export function tftpAnswers(ns: string, host: string, file: string, timeoutMs = 1000): Promise<boolean> {
  return udpProbe(ns, { host, port: 69, payload: tftpRrq(file), expect: Buffer.from([0, 3]), answer: TFTP_PROBE_DONE, timeoutMs });
}

/** True when the SIP server at `host:port` answers an OPTIONS with 200. */
export function sipOptionsAnswered(ns: string, host: string, port = 5060, timeoutMs = 1000): Promise<boolean> {
  const branch = `z9hG4bK-outpost-lab-${Math.random().toString(36).slice(2)}`;
  const msg = [
    `OPTIONS sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${host}:{port};rport;branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:outpost-lab-probe@${host}>;tag=${branch.slice(-8)}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: ${branch}@outpost-lab`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  return udpProbe(ns, { host, port, payload: Buffer.from(msg, 'latin1'), expect: /^SIP\/2\.0 200 /, timeoutMs });
}

export interface CucmStandIns {
  address: string;
  tftpDir: string;
  kamailioCtl?: string;
  processes: LabProcess[];
}

/**
 * Starts tftpd-hpa (and Kamailio unless disabled) in the cucm namespace and waits until each
 * answers a real request. `workDir` holds the TFTP root, Kamailio's runtime dir and the logs.
 */
export async function startCucm(space: LabSpace, opts: {
  workDir: string; tftpDir: string; kamailio: boolean; persist: boolean; role?: string;
  /** Called as soon as each daemon runs, so a failed start can still be torn down by PID. */
  onStarted?: (proc: LabProcess, child: ChildProcess) => void;
}): Promise<CucmStandIns> {
  const role = opts.role ?? 'cucm';
  const ns = space.ns(role);
  const result: CucmStandIns = { address: CUCM_ADDRESS, tftpDir: opts.tftpDir, processes: [] };
  const start = (spec: { name: string; cmd: string; args: string[] }) => {
    const { proc, child } = startDaemon(space, { ...spec, role, log: join(opts.workDir, `${spec.name}.log`), persist: opts.persist });
    result.processes.push(proc);
    opts.onStarted?.(proc, child);
    return proc;
  };

  const tftpd = start({ name: 'tftpd', cmd: 'in.tftpd', args: ['-L', '-s', '-a', `${CUCM_ADDRESS}:69`, opts.tftpDir] });
  const waits: Promise<void>[] = [
    waitUntil('CUCM TFTP (tftpd-hpa)', READY_DEADLINE_MS, () => tftpAnswers(ns, CUCM_ADDRESS, 'XMLDefault.cnf.xml'))
      .catch((e: Error) => { throw new Error(`${e.message}\n${logTail(tftpd)}`); }),
  ];

  if (opts.kamailio) {
    const runDir = join(opts.workDir, 'kamailio');
    mkdirSync(runDir, { recursive: true });
    const ctl = join(runDir, 'kamailio_ctl');
    const kamailio = start({
      name: 'kamailio', cmd: 'kamailio',
      // 1 GB of shared memory: the SIP benchmark's ladder leaves some 200,000 bindings, and with
      // 256 MB Kamailio ran out of memory (every REGISTER refused) before it ran out of speed.
      args: ['-DD', '-E', '-m', '1024', '-f', repoPath(...KAMAILIO_CFG), '-Y', runDir, '-w', runDir, '-L', kamailioModulesDir(),
        '-A', `LISTEN_IP=${CUCM_ADDRESS}`, '-A', `CTL_SOCKET="unix:${ctl}"`],
    });
    result.kamailioCtl = ctl;
    waits.push(waitUntil('CUCM SIP (Kamailio)', READY_DEADLINE_MS, () => sipOptionsAnswered(ns, CUCM_ADDRESS))
      .then(() => waitUntil('Kamailio ctl socket', READY_DEADLINE_MS, async () => existsSync(ctl)))
      .catch((e: Error) => { throw new Error(`${e.message}\n${logTail(kamailio)}`); }));
  }
  await Promise.all(waits);
  return result;
}
