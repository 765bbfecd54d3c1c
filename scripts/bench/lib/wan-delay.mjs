// A WAN with a constant one-way delay for the lab (this kernel has no netem). Run in the lab's
// wan namespace, it takes two ports out of the WAN bridge and forwards every Ethernet frame
// (ARP, ICMP, UDP and TCP alike) from one to the other after DELAY_MS, in arrival order, over
// Outpost's own AF_PACKET addon. nft rules on the bridge (the lab's WAN cut) do not apply
// while it runs: frames no longer cross the bridge.
//
//   ip netns exec <prefix>-wan node wan-delay.mjs DELAY_MS [PORT_A PORT_B [BRIDGE]]
//
// Prints "wan-delay ready ..." once both sockets are open, a "wan-delay stats {json}" line on
// SIGUSR1, and puts the ports back into the bridge on SIGTERM/SIGINT (a SIGKILL from the lab
// teardown leaves them out, which does not matter as the namespace is deleted).
// From a benchmark: `await startWanDelay(lab, 80)` (below) does it all.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const SCRIPT = fileURLToPath(import.meta.url);

/**
 * Starts the relay between the lab's `app` and `cucm` WAN ports and resolves once it forwards.
 * Returns { child, stats(), stop() }; stats() resolves to the counters so far.
 */
export async function startWanDelay(lab, delayMs) {
  // The relay forwards what the kernel hands to a packet socket as is. With offloads on, a veth
  // hands over 64 KB TCP super-frames (larger than the MTU, so they cannot be sent on) and
  // frames whose TCP/UDP checksum is left for hardware that does not exist here: make the two
  // hosts' stacks segment and checksum in software, as they would for a real NIC.
  for (const role of ['app', 'cucm']) lab.space.exec(role, 'ethtool', ['-K', 'wan0', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
  // Ahead of the hosts in the CPU queue: it stands in for a wire, which does not wait while a
  // boot storm's clients and servers keep the machine's few cores busy.
  const child = lab.space.spawn('wan', 'nice', ['-n', '-10', process.execPath, SCRIPT, String(delayMs), 'app', 'cucm', 'brw']);
  child.stderr.on('data', (d) => process.stderr.write(`wan-delay: ${d}`));
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  let ready;
  const up = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code, sig) => reject(new Error(`wan-delay exited (${code ?? sig}) before it was ready`)));
    setTimeout(() => reject(new Error('wan-delay: no ready line within 5 s')), 5000).unref();
  });
  lines.on('line', (line) => {
    if (line.startsWith('wan-delay ready')) ready(line);
    else if (line.startsWith('wan-delay stats ')) waiting.shift()?.(JSON.parse(line.slice('wan-delay stats '.length)));
  });
  const readyLine = await up;
  const stats = () => new Promise((resolve) => {
    waiting.push(resolve);
    child.kill('SIGUSR1');
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, readyLine, stats, stop };
}

async function main() {
  const [delayArg, portA = 'app', portB = 'cucm', bridge = 'brw'] = process.argv.slice(2);
  const delayMs = Number(delayArg);
  if (!(delayMs >= 0) || portA === portB) {
    process.stderr.write('usage: node wan-delay.mjs DELAY_MS [PORT_A PORT_B [BRIDGE]]\n');
    process.exit(2);
  }
  // Loaded here only: a benchmark that imports startWanDelay() does not need the addon itself.
  const { RawSocket, ETH_P_ALL } = await import(new URL('../../../dist/native/raw-socket.js', import.meta.url).href);

  // Out of the bridge, or every frame would arrive twice: once bridged at once, once relayed late.
  // Promiscuous, as bridge ports are, so frames for the far host's MAC reach the socket.
  const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const port of [portA, portB]) ip('link', 'set', port, 'nomaster', 'promisc', 'on', 'up');

  // 32 MB of kernel queue per port: a burst waits there, not dropped, while the event loop is
  // busy (or not scheduled: the machine is shared).
  const open = (port) => RawSocket.open({ interface: port, protocol: ETH_P_ALL, receiveBufferBytes: 32 * 1024 * 1024 });
  const a = open(portA);
  const b = open(portB);
  // Frames the port received that the socket has not delivered (dropped when its queue
  // overflowed, or still queued when asked): "missed" below.
  const rxPackets = (port) => Number(readFileSync(`/sys/class/net/${port}/statistics/rx_packets`, 'utf8'));

  // One direction: a FIFO and at most one timer. The delay is constant, so the head of the
  // queue is always the next frame due, and arrival order is kept.
  const direction = (from, to) => {
    const rx0 = rxPackets(from.interfaceName);
    const s = { frames: 0, bytes: 0, sendErrors: 0, maxQueued: 0, late: { over2ms: 0, over10ms: 0, maxMs: 0 } };
    let queue = [];
    let head = 0;
    let timer;
    const flush = () => {
      timer = undefined;
      const now = performance.now();
      while (head < queue.length && queue[head].due <= now) {
        const { due, frame } = queue[head++];
        const late = now - due;
        if (late > s.late.maxMs) s.late.maxMs = Math.round(late * 10) / 10;
        if (late > 2) s.late.over2ms++;
        if (late > 10) s.late.over10ms++;
        try {
          to.send(frame);
          s.frames++;
          s.bytes += frame.length;
        } catch {
          s.sendErrors++; // the far end's queue is full: a real link would drop it too
        }
      }
      if (head === queue.length) { queue = []; head = 0; } else if (head > 4096) { queue = queue.slice(head); head = 0; }
      // Timers count whole milliseconds and may fire a fraction early: round up.
      if (head < queue.length) timer = setTimeout(flush, Math.max(1, Math.ceil(queue[head].due - now)));
    };
    from.on('frame', (frame) => {
      queue.push({ due: performance.now() + delayMs, frame });
      s.maxQueued = Math.max(s.maxQueued, queue.length - head);
      timer ??= setTimeout(flush, delayMs);
    });
    return {
      s,
      snapshot: () => ({ ...s, missed: rxPackets(from.interfaceName) - rx0 - from.stats.framesReceived, receiveErrors: from.stats.receiveErrors }),
    };
  };
  const ways = { [`${portA}->${portB}`]: direction(a, b), [`${portB}->${portA}`]: direction(b, a) };

  // How long the relay's own event loop stalled (CPU contention, GC): frames are late by as much.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  process.on('SIGUSR1', () => {
    const stats = Object.fromEntries(Object.entries(ways).map(([k, w]) => [k, w.snapshot()]));
    stats.loopDelayMs = { p99: Math.round(loop.percentile(99) / 1e5) / 10, max: Math.round(loop.max / 1e5) / 10 };
    process.stdout.write(`wan-delay stats ${JSON.stringify(stats)}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      a.close();
      b.close();
      for (const port of [portA, portB]) {
        try { ip('link', 'set', port, 'promisc', 'off', 'master', bridge); } catch { /* bridge gone with the namespace */ }
      }
      process.exit(0);
    });
  }
  // The kernel reports twice the usable queue size.
  process.stdout.write(`wan-delay ready: ${portA} <-> ${portB}, ${delayMs} ms each way, receive queue ${a.receiveBufferBytes / 2 / 1048576} MB per port\n`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await main();
