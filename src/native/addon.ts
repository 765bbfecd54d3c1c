// Outpost's native addon: raw Ethernet sockets (packet_socket.cc), the TFTP transfer threads
// (tftp_sender.cc) and the SIP port's sending thread (datagram_sender.cc), built by
// `npm run install` (node-gyp).
import { createRequire } from 'node:module';
import type { NativePacketSocket } from './raw-socket.js';

/** What tftp_sender.cc takes for one transfer (see src/files/tftp/transfer-threads.ts). */
export interface NativeTransferOptions {
  /** Outpost's address; the transfer's own ephemeral port is bound there. */
  address: string;
  clientAddress: string;
  clientPort: number;
  blksize: number;
  windowsize: number;
  /** The OACK to send first and see acknowledged as block 0; absent: block 1 goes first. */
  oack?: Buffer;
  timeoutMs: number;
  maxTimeoutMs: number;
  retries: number;
}

export interface NativeTransferResult {
  outcome: 'complete' | 'timeout' | 'client-error' | 'aborted';
  bytes: number;
  blocks: number;
  retransmissions: number;
  error?: string;
}

export interface NativeTransfer {
  abort(reason: string, quietly: boolean): void;
}

/** A thread that sends on a UDP socket the event loop owns (see src/native/datagram-sender.ts). */
export interface NativeDatagramSender {
  /** Queues one datagram; false when the address is not an IP address or the queue is full. */
  send(bytes: Buffer, port: number, address: string): boolean;
  /** Wakes the thread for what is queued (send() alone may leave the last few waiting). */
  flush(): void;
  /** Sends what is queued and ends the thread; call before the socket closes. */
  close(): void;
  readonly stats: { sent: number; errors: number; dropped: number };
}

export interface NativeAddon {
  PacketSocket: new (ifname: string, protocol: number) => NativePacketSocket;
  DatagramSender: new (fd: number) => NativeDatagramSender;
  TftpTransfer: new (options: NativeTransferOptions, bytes: Buffer, onEnd: (result: NativeTransferResult) => void) => NativeTransfer;
}

// Same relative path from src/native/ and dist/native/.
const ADDON_PATH = '../../build/Release/outpost_packet.node';
let addon: NativeAddon | undefined;

/** The addon, loaded once; throws naming the fix when it has not been built. */
export function loadAddon(): NativeAddon {
  if (!addon) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    } catch (e) {
      throw new Error(`cannot load Outpost's native addon (${ADDON_PATH}); build it with \`npm run install\`: ${(e as Error).message}`, { cause: e });
    }
  }
  return addon;
}
