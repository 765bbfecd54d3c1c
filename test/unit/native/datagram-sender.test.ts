// The native sending thread of the SIP UDP port, on loopback: a datagram queued alone leaves
// at the end of its event-loop turn, a burst larger than the thread's wake-up step leaves
// whole and in order, and close() sends what is still queued.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatagramSender, type DatagramSender } from '../../../src/native/datagram-sender.js';

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

function collect(socket: Socket, count: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${count} datagrams arrived`)), 5000);
    socket.on('message', (m) => {
      got.push(m.toString());
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe('native datagram sender', () => {
  const sockets: Socket[] = [];
  let sender: DatagramSender | undefined;
  afterEach(() => {
    sender?.close();
    sender = undefined;
    for (const s of sockets.splice(0)) s.close();
  });

  const open = async () => {
    const [from, to] = [await bound(), await bound()];
    sockets.push(from, to);
    sender = openDatagramSender(from);
    expect(sender, 'the addon is built (npm run install)').toBeDefined();
    return { to, port: to.address().port };
  };

  it('sends a datagram queued alone, at the end of the turn', async () => {
    const { to, port } = await open();
    const arrived = collect(to, 1);
    expect(sender!.send(Buffer.from('OPTIONS'), port, '127.0.0.1')).toBe(true);
    expect(await arrived).toEqual(['OPTIONS']);
    expect(sender!.stats).toMatchObject({ sent: 1, errors: 0, dropped: 0 });
  });

  it('sends a burst of 1,000 from one turn whole and in order', async () => {
    const { to, port } = await open();
    to.setRecvBufferSize(4 << 20);
    const want = Array.from({ length: 1000 }, (_, i) => `SIP/2.0 200 OK ${i}`);
    const arrived = collect(to, want.length);
    for (const m of want) sender!.send(Buffer.from(m), port, '127.0.0.1');
    expect(await arrived).toEqual(want);
  });

  it('refuses a name where an address belongs, and close() sends what is queued', async () => {
    const { to, port } = await open();
    expect(sender!.send(Buffer.from('x'), port, 'cucm.example')).toBe(false);
    const arrived = collect(to, 3);
    for (const m of ['a', 'b', 'c']) sender!.send(Buffer.from(m), port, '127.0.0.1');
    sender!.close();
    sender = undefined;
    expect(await arrived).toEqual(['a', 'b', 'c']);
  });
});
