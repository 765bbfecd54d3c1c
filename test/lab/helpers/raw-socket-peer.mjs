// Runs Outpost's compiled RawSocket inside a lab namespace for test/lab/raw-socket.test.ts.
// argv[2]: JSON {iface, protocol, filter?: 'lldp'|'cdp'|'dhcp'|'arp', multicast?: string[]}.
// stdout: JSON lines {event:'open'|'frame'|'sent'|'closed'|'error', ...}.
// stdin: JSON lines {cmd:'send', hex} or {cmd:'close'}; after 'close' the process must exit
// on its own, which shows the socket released the event loop.
import { createInterface } from 'node:readline';
import { RawSocket } from '../../../dist/native/raw-socket.js';
import { arpFilter, cdpFilter, dhcpServerFilter, lldpFilter } from '../../../dist/native/bpf.js';

const filters = { lldp: lldpFilter, cdp: cdpFilter, dhcp: dhcpServerFilter, arp: arpFilter };
const opts = JSON.parse(process.argv[2] ?? '{}');
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

let sock;
try {
  sock = RawSocket.open({
    interface: opts.iface,
    protocol: opts.protocol,
    filter: opts.filter ? filters[opts.filter]() : undefined,
    multicast: opts.multicast,
  });
} catch (e) {
  say({ event: 'error', message: e.message, code: e.code });
  process.exitCode = 2;
  process.stdin.destroy();
}

if (sock) {
  sock.on('frame', (frame) => say({ event: 'frame', hex: frame.toString('hex') }));
  sock.on('receive-error', (e) => say({ event: 'receive-error', message: e.message }));
  say({ event: 'open', mac: sock.mac, ifindex: sock.ifindex, mtu: sock.mtu });

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = JSON.parse(line);
    if (cmd.cmd === 'send') {
      try {
        sock.send(Buffer.from(cmd.hex, 'hex'));
        say({ event: 'sent' });
      } catch (e) {
        say({ event: 'error', message: e.message, code: e.code });
      }
    } else if (cmd.cmd === 'close') {
      sock.close();
      sock.close(); // idempotent
      say({ event: 'closed', stats: sock.stats });
      lines.close();
      process.stdin.destroy();
    }
  });
}
