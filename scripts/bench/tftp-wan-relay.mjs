// A TFTP relay that adds a one-way delay in each direction: the benchmark's stand-in for a
// branch WAN (this kernel has no netem). It listens on LISTEN_IP:LISTEN_PORT and relays each
// client's transfer to TARGET_IP:TARGET_PORT; every transfer gets its own relay port, as a TFTP
// server's transfer ID would be.
//   node tftp-wan-relay.mjs LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT DELAY_MS
import { createSocket } from 'node:dgram';

const [listenIp, listenPort, targetIp, targetPort, delayMs] = process.argv.slice(2);
const delay = Number(delayMs);
const sessions = new Map(); // client "ip:port" -> { down, up, serverPort, idle }
const later = (fn) => setTimeout(fn, delay);

const listener = createSocket('udp4');
listener.on('message', (msg, client) => {
  const key = `${client.address}:${client.port}`;
  if (sessions.has(key)) return; // a retransmitted request for a transfer already relayed
  const up = createSocket('udp4');
  const down = createSocket('udp4');
  const session = { up, down, serverPort: undefined, idle: undefined };
  sessions.set(key, session);
  const touch = () => {
    clearTimeout(session.idle);
    session.idle = setTimeout(() => { up.close(); down.close(); sessions.delete(key); }, 30_000);
  };
  up.on('message', (reply, server) => {
    session.serverPort = server.port;
    touch();
    later(() => down.send(reply, client.port, client.address, () => undefined));
  });
  down.on('message', (packet, from) => {
    if (from.address !== client.address || from.port !== client.port || session.serverPort === undefined) return;
    touch();
    later(() => up.send(packet, session.serverPort, targetIp, () => undefined));
  });
  up.on('error', () => undefined);
  down.on('error', () => undefined);
  let bound = 0;
  const ready = () => {
    if (++bound < 2) return;
    touch();
    later(() => up.send(msg, Number(targetPort), targetIp, () => undefined));
  };
  up.bind(0, ready);
  down.bind(0, listenIp, ready);
});
listener.bind(Number(listenPort), listenIp, () => process.stdout.write(`relay ${listenIp}:${listenPort} -> ${targetIp}:${targetPort}, ${delay} ms each way\n`));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
