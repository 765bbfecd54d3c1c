// A TFTP transfer thread: runs the transfers the pool hands it, each on its own socket
// connected to the phone, over bytes shared with the main thread.
import type { Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { bufferSource } from '../growing-file.js';
import { blockReader } from './block-reader.js';
import { connectedTransferSocket, ReadTransfer } from './transfer.js';
import type { PooledTransfer, WorkerReply, WorkerRequest } from './transfer-pool.js';

const running = new Map<number, ReadTransfer>();
/** Aborted before their socket was ready. */
const cancelled = new Set<number>();

async function start(id: number, job: PooledTransfer): Promise<void> {
  const reply = (m: WorkerReply) => parentPort?.postMessage(m);
  let socket: Socket;
  try {
    socket = await connectedTransferSocket(job.address, job.client);
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
  const transfer = new ReadTransfer(socket, blockReader(source, job.mode, job.params.blksize), job.params, job.timing, (result) => {
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
