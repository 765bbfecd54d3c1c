// A sending thread for a Node UDP socket (datagram_sender.cc): the event loop keeps reading
// and answering, the thread hands the answers to the kernel on another core.
import type { Socket } from 'node:dgram';
import { loadAddon, type NativeDatagramSender } from './addon.js';

/**
 * The socket's descriptor, from its libuv handle: Node keeps the handle behind a symbol and
 * has no public accessor for it.
 */
function descriptorOf(socket: Socket): number | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const fd = state ? (socket as unknown as Record<symbol, { handle?: { fd?: number } }>)[state]?.handle?.fd : undefined;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export type DatagramSender = Omit<NativeDatagramSender, 'flush'>;

/**
 * A sender for a bound socket; undefined without the addon or the descriptor (the socket then
 * sends for itself). What one event-loop turn queues (a burst of answers) leaves together:
 * the thread is woken once at the end of the turn, not once per datagram.
 */
export function openDatagramSender(socket: Socket): DatagramSender | undefined {
  const fd = descriptorOf(socket);
  if (fd === undefined) return undefined;
  let native: NativeDatagramSender;
  try {
    native = new (loadAddon().DatagramSender)(fd);
  } catch {
    return undefined;
  }
  let flushing = false;
  const flush = () => {
    flushing = false;
    native.flush();
  };
  return {
    send(bytes, port, address) {
      const queued = native.send(bytes, port, address);
      if (queued && !flushing) {
        flushing = true;
        setImmediate(flush);
      }
      return queued;
    },
    close: () => native.close(),
    get stats() { return native.stats; },
  };
}
