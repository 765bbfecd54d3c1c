// sipp as a branch phone or gateway in a call test: one sipp run per side of a dialog, each with
// its message trace (-trace_msg), parsed so a test can judge exactly what each peer sent and saw.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabRole } from '../../../src/lab/topology.js';
import { execIn, waitUntil } from '../../../src/lab/ns-exec.js';
import { repoPath } from '../../../src/lab/repo-root.js';

export interface SippMessage {
  direction: 'sent' | 'received';
  /** Request method, or undefined for a response. */
  method?: string;
  uri?: string;
  status?: number;
  headers: { name: string; value: string }[];
  body: string;
}

export interface SippRun {
  code: number | null;
  output: string;
  messages: SippMessage[];
}

/** Every value of a header, comma-separated lists split (Route, Record-Route, Via). */
export function values(msg: SippMessage, name: string): string[] {
  const out: string[] = [];
  for (const h of msg.headers) {
    if (h.name.toLowerCase() !== name.toLowerCase()) continue;
    let depth = 0;
    let quoted = false;
    let start = 0;
    for (let i = 0; i < h.value.length; i++) {
      const c = h.value[i];
      if (c === '"') quoted = !quoted;
      else if (!quoted && c === '<') depth++;
      else if (!quoted && c === '>') depth--;
      else if (!quoted && depth === 0 && c === ',') { out.push(h.value.slice(start, i).trim()); start = i + 1; }
    }
    out.push(h.value.slice(start).trim());
  }
  return out;
}

export function header(msg: SippMessage, name: string): string | undefined {
  return msg.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

export function tagOf(value: string | undefined): string | undefined {
  return /;\s*tag=([^;>\s]+)/i.exec(value ?? '')?.[1];
}

export function branchOf(via: string | undefined): string | undefined {
  return /;\s*branch=([^;\s]+)/i.exec(via ?? '')?.[1];
}

/** "2 INVITE" */
export function cseqOf(msg: SippMessage): string {
  return (header(msg, 'CSeq') ?? '').trim().replace(/\s+/, ' ');
}

/** sipp's -trace_msg file: entries separated by a dashed line, each "UDP|TCP message sent|received ...", a blank line, the message. */
export function parseSippTrace(text: string): SippMessage[] {
  const out: SippMessage[] = [];
  for (const entry of text.split(/^-{20,}.*$/m)) {
    const m = /^\s*\S+ message (sent|received)[^\n]*\n\n([\s\S]*)$/.exec(entry);
    if (!m) continue;
    const raw = m[2].replace(/\r/g, '');
    const split = raw.indexOf('\n\n');
    const head = (split >= 0 ? raw.slice(0, split) : raw).split('\n');
    const first = head.shift() ?? '';
    const msg: SippMessage = { direction: m[1] as 'sent' | 'received', headers: [], body: split >= 0 ? raw.slice(split + 2).trim() : '' };
    const res = /^SIP\/2\.0 (\d{3})/.exec(first);
    if (res) msg.status = Number(res[1]);
    else [msg.method, msg.uri] = first.split(' ');
    for (const line of head) {
      const colon = line.indexOf(':');
      if (colon > 0) msg.headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
    }
    out.push(msg);
  }
  return out;
}

/**
 * Starts sipp with `scenario` (a file in scripts/lab) in a lab namespace and resolves when it
 * exits, or after `timeoutMs` with it killed. sipp's own -timeout should end it well before that.
 */
export function startSipp(lab: Lab, role: LabRole, scenario: string, args: string[], opts: { name: string; timeoutMs?: number; transport?: 'udp' | 'tcp' }): { done: Promise<SippRun>; kill(): void } {
  const trace = join(lab.workDir, `sipp-${opts.name}-${Date.now()}.log`);
  const child = lab.space.spawn(role, 'sipp', ['-sf', repoPath('scripts', 'lab', scenario), '-m', '1', '-nostdin', '-t', opts.transport === 'tcp' ? 't1' : 'u1',
    '-trace_msg', '-message_file', trace, ...args]);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20_000); });
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-20_000); });
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  const timer = setTimeout(kill, opts.timeoutMs ?? 60_000);
  const done = new Promise<SippRun>((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, messages: existsSync(trace) ? parseSippTrace(readFileSync(trace, 'latin1')) : [] });
    });
  });
  return { done, kill };
}

/** Waits until something in the namespace listens on this UDP address (a sipp UAS is ready for calls). */
export function waitUdpListener(lab: Lab, role: LabRole, address: string, port: number): Promise<void> {
  return waitUntil(`UDP listener ${address}:${port}`, 15_000,
    async () => (await execIn(lab.ns(role), 'ss', ['-Hlun', 'src', `${address}:${port}`], { timeoutMs: 5000 })).stdout.trim() !== '');
}

/** A readable failure message: the sipp screen's end and the messages it exchanged. */
export function describeRun(name: string, run: SippRun): string {
  const lines = run.messages.map((m) => `${m.direction === 'sent' ? '->' : '<-'} ${m.method ? `${m.method} ${m.uri}` : m.status} (${cseqOf(m)})`);
  return `${name}: exit ${run.code}\n${lines.join('\n')}\n${run.output.slice(-1500)}`;
}
