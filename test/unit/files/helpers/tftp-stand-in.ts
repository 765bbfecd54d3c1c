// A scripted CUCM TFTP on loopback for the upstream tests: each read request gets a transfer
// socket of its own (a new transfer ID, as every TFTP server answers), and the test decides
// what goes out on it. Real servers (tftpd-hpa, atftpd) are in the lab tests.
import { createSocket, type Socket } from 'node:dgram';
import { decodeTftp, type TftpOption } from '../../../../src/files/tftp/codec.js';

export const STAND_IN_HOST = '127.0.0.1';

export interface StandInTransfer {
  /** The options the request asked for, by name. */
  asked(name: string): string | undefined;
  send(packet: Buffer): void;
  /** Each ACK block number the client sends on this transfer. */
  onAck(handler: (block: number) => void): void;
}

export interface StandIn {
  port: number;
  close(): void;
}

export async function startTftpStandIn(onRequest: (transfer: StandInTransfer) => void): Promise<StandIn> {
  const server = createSocket('udp4');
  const transfers: Socket[] = [];
  server.on('message', (msg, rinfo) => {
    const rrq = decodeTftp(msg);
    if (!rrq.ok || rrq.value.op !== 'rrq') return;
    const options: TftpOption[] = rrq.value.options;
    const tid = createSocket('udp4');
    transfers.push(tid);
    tid.bind(0, STAND_IN_HOST, () => onRequest({
      asked: (name) => options.find((o) => o.name === name)?.value,
      send: (packet) => tid.send(packet, rinfo.port, rinfo.address),
      onAck: (handler) => tid.on('message', (m) => {
        const ack = decodeTftp(m);
        if (ack.ok && ack.value.op === 'ack') handler(ack.value.block);
      }),
    }));
  });
  await new Promise<void>((resolve) => server.bind(0, STAND_IN_HOST, resolve));
  return {
    port: server.address().port,
    close() {
      server.close();
      for (const t of transfers) t.close();
    },
  };
}
