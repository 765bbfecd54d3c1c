// Asynchronous commands inside a lab namespace (the lab must not block Outpost's event loop while
// it waits for a stand-in to answer), plus small UDP probes run with Node inside the namespace.
import { execFile } from 'node:child_process';

export interface ExecResult { code: number; stdout: string; stderr: string }

/** Runs `cmd args` inside namespace `ns`; never throws for a non-zero exit, only reports it. */
export function execIn(ns: string, cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 0, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

// Sends one datagram and waits for the first answer. "{port}" in the payload becomes the local
// port (a SIP Via needs it); if `answerHex` is given it is sent back to the responder (a TFTP
// ERROR, so the server ends the transfer instead of retransmitting into the void).
const UDP_PROBE = `
const dgram = require('node:dgram');
const [host, port, payloadHex, timeoutMs, expect, answerHex] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const timer = setTimeout(() => { s.close(); process.exit(2); }, Number(timeoutMs));
s.on('message', (msg, rinfo) => {
  const ok = expect.startsWith('hex:') ? msg.subarray(0, (expect.length - 4) / 2).toString('hex') === expect.slice(4)
    : new RegExp(expect.slice(3)).test(msg.toString('latin1'));
  const done = () => { clearTimeout(timer); s.close(); process.stdout.write(msg.toString('latin1')); process.exit(ok ? 0 : 1); };
  if (answerHex) s.send(Buffer.from(answerHex, 'hex'), rinfo.port, rinfo.address, done); else done();
});
s.bind(0, () => {
  const payload = Buffer.from(payloadHex, 'hex').toString('latin1').split('{port}').join(String(s.address().port));
  s.send(Buffer.from(payload, 'latin1'), Number(port), host);
});
`;

export interface UdpProbe {
  host: string;
  port: number;
  payload: Buffer;
  /** The answer must match this pattern (as latin1 text) or start with these bytes. */
  expect: RegExp | Buffer;
  answer?: Buffer;
  timeoutMs: number;
}

/** True when something answered `probe.payload` with a datagram matching `probe.expect`. */
export async function udpProbe(ns: string, probe: UdpProbe): Promise<boolean> {
  const r = await execIn(ns, process.execPath, ['-e', UDP_PROBE, probe.host, String(probe.port), probe.payload.toString('hex'),
    String(probe.timeoutMs), Buffer.isBuffer(probe.expect) ? `hex:${probe.expect.toString('hex')}` : `re:${probe.expect.source}`, probe.answer?.toString('hex') ?? ''], { timeoutMs: probe.timeoutMs + 5000 });
  return r.code === 0;
}

/** Repeats `attempt` until it succeeds or `deadlineMs` passes. */
export async function waitUntil(what: string, deadlineMs: number, attempt: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (true) {
    if (await attempt()) return;
    if (Date.now() > end) throw new Error(`lab: ${what} did not answer within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
