// A TFTP transfer thread: runs the transfers the pool hands it, each on its own socket
// connected to the phone, over bytes shared with the main thread.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { bufferSource } from '../growing-file.js';
import { netasciiBlocks, octetBlocks } from './block-reader.js';
import { ReadTransfer } from './transfer.js';
import type { PooledTransfer, WorkerReply, WorkerRequest } from './transfer-pool.js';

const running = new Map<number, ReadTransfer>();
/** Aborted before their socket was ready. */
const cancelled = new Set<number>();

function connectedSocket(address: string, client: { address: string; port: number }): Promise<Socket> {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.connect(client.port, client.address, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined); // a vanished phone shows as a timeout
        resolve(socket);
      });
    });
  });
}

async function start(id: number, job: PooledTransfer): Promise<void> {
  const reply = (m: WorkerReply) => parentPort?.postMessage(m);
  let socket: Socket;
  try {
    socket = await connectedSocket(job.address, job.client);
  } catch (e) {
    reply({ id, result: { outcome: 'aborted', bytes: 0, blocks: 0, retransmissions: 0, error: (e as Error).message } });
    return;
  }
  if (cancelled.delete(id)) {
    socket.close();
    reply({ id, result: { outcome: 'aborted', bytes: 0, blocks: 0, retransmissions: 0, error: 'aborted before it started' } });
    return;
  }
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const source = bufferSource(bytes);
  const reader = job.mode === 'octet' ? octetBlocks(source, job.params.blksize) : netasciiBlocks(source, job.params.blksize);
  const transfer = new ReadTransfer(socket, reader, job.params, job.timing, (result) => {
    running.delete(id);
    reply({ id, result });
  });
  running.set(id, transfer);
  transfer.start();
}

parentPort?.on('message', (m: WorkerRequest) => {
  if (m.kind === 'start') void start(m.id, m.job);
  else if (running.has(m.id)) running.get(m.id)?.abort(m.reason, m.quietly);
  else cancelled.add(m.id);
});
