// baresip as a branch phone in a lab namespace, driven headlessly through its ctrl_tcp module
// (netstring-framed JSON). A small Node bridge runs inside the namespace, because the control
// port listens on that namespace's loopback; it turns stdin lines into commands and prints
// each response or event as one JSON line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Lab } from '../../../src/lab/topology.js';
import { sh } from '../../../src/lab/netns.js';

const BRIDGE = `
const net = require('node:net');
const readline = require('node:readline');
let sock; let buf = Buffer.alloc(0); const queue = [];
const send = (line) => { const b = Buffer.from(line); sock.write(b.length + ':' + b + ','); };
const connectLoop = () => {
  const s = net.connect(4444, '127.0.0.1');
  s.on('connect', () => { sock = s; console.log(JSON.stringify({ bridge: 'connected' })); while (queue.length) send(queue.shift()); });
  s.on('error', () => setTimeout(connectLoop, 100));
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (true) {
      const colon = buf.indexOf(0x3a);
      if (colon < 0) break;
      const len = Number(buf.subarray(0, colon).toString());
      if (buf.length < colon + 1 + len + 1) break;
      console.log(buf.subarray(colon + 1, colon + 1 + len).toString());
      buf = buf.subarray(colon + 2 + len);
    }
  });
  s.on('close', () => { if (sock === s) process.exit(0); });
};
connectLoop();
readline.createInterface({ input: process.stdin }).on('line', (l) => (sock ? send(l) : queue.push(l)));
`;

export interface BaresipEvent {
  event?: boolean;
  type?: string;
  class?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  response?: boolean;
  ok?: boolean;
  data?: string;
  token?: string;
  bridge?: string;
}

export class BaresipPhone {
  readonly events: BaresipEvent[] = [];
  private waiters: { pred: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }[] = [];
  private token = 0;

  private constructor(readonly dn: string, readonly ip: string, private readonly daemon: ChildProcess, private readonly bridge: ChildProcess, readonly log: () => string) {
    let pending = '';
    bridge.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let e: BaresipEvent;
        try { e = JSON.parse(line) as BaresipEvent; } catch { continue; }
        this.events.push(e);
        for (const w of [...this.waiters]) {
          if (w.pred(e)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(e); }
        }
      }
    });
  }

  /**
   * Starts baresip in phone namespace `role` with a static address, registered to Outpost as
   * `dn`. `answer` auto answers incoming calls at once; manual leaves them ringing.
   */
  static async start(lab: Lab, role: `phone${number}`, opts: { dn: string; ip: string; registrar: string; transport?: 'udp' | 'tcp'; answer?: 'auto' | 'manual'; regint?: number }): Promise<BaresipPhone> {
    const ns = lab.ns(role);
    try { sh('ip', ['-n', ns, 'addr', 'add', `${opts.ip}/24`, 'dev', 'eth0']); } catch { /* already there */ }
    const dir = join(lab.workDir, `baresip-${opts.dn}`);
    mkdirSync(dir, { recursive: true });
    const transport = opts.transport ?? 'udp';
    writeFileSync(join(dir, 'config'), [
      'poll_method epoll',
      `sip_listen ${opts.ip}:5060`,
      'audio_player aufile,/dev/null',
      'audio_source ausine,440',
      'audio_alert aufile,/dev/null',
      'ausrc_srate 48000',
      'auplay_srate 48000',
      'ausrc_channels 2',
      'auplay_channels 2',
      'module_path /usr/lib/baresip/modules',
      'module g711.so', 'module ausine.so', 'module aufile.so',
      'module_app account.so', 'module_app menu.so', 'module_app ctrl_tcp.so',
      'ctrl_tcp_listen 127.0.0.1:4444',
      'rtp_ports 10000-10100',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'accounts'),
      `<sip:${opts.dn}@${opts.registrar};transport=${transport}>;regint=${opts.regint ?? 600};answermode=${opts.answer ?? 'auto'};ptime=20\n`);
    let output = '';
    const daemon = lab.space.spawn(role, 'baresip', ['-f', dir]);
    daemon.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    daemon.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const bridge = lab.space.spawn(role, process.execPath, ['-e', BRIDGE], { stdio: ['pipe', 'pipe', 'pipe'] });
    const phone = new BaresipPhone(opts.dn, opts.ip, daemon, bridge, () => output);
    await phone.waitFor((e) => e.bridge === 'connected', 10_000, 'ctrl_tcp connection');
    return phone;
  }

  /** Resolves with the first event (past or future) that matches. */
  waitFor(pred: (e: BaresipEvent) => boolean, timeoutMs: number, what: string, since = 0): Promise<BaresipEvent> {
    const past = this.events.slice(since).find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (e: BaresipEvent) => { clearTimeout(t); resolve(e); } };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`baresip ${this.dn}: no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-8))}\n${this.log().slice(-1500)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Waits for an event of this type after position `since` in the event list. */
  waitEvent(type: string, timeoutMs = 10_000, since = 0): Promise<BaresipEvent> {
    return this.waitFor((e) => e.type === type, timeoutMs, type, since);
  }

  mark(): number {
    return this.events.length;
  }

  command(command: string, params = ''): Promise<BaresipEvent> {
    const token = String(++this.token);
    this.bridge.stdin!.write(`${JSON.stringify({ command, params, token })}\n`);
    return this.waitFor((e) => e.response === true && e.token === token, 5000, `response to ${command}`);
  }

  stop(): void {
    for (const c of [this.bridge, this.daemon]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
