// Turns a file source into the sequence of DATA payloads for one transfer. Blocks are
// produced strictly in order, each as soon as its bytes exist, so a phone can start
// loading a file the cache is still fetching from upstream.
import { toNetascii } from './netascii.js';

export interface FileSource {
  /** Bytes in the file, when known (answers the tsize option). */
  size: number | undefined;
  /**
   * Bytes [offset, offset+length). Returns fewer than asked only at the end of the file;
   * may wait until the bytes exist (a file still being fetched).
   */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * The same bytes at once when they are already here (a cached file, or the part of a fetch
   * that has arrived), else undefined. Lets a transfer send a block without a promise or timer.
   */
  peek?(offset: number, length: number): Buffer | undefined;
  /** The whole file, when it is all in memory (a transfer thread can then serve it). */
  bytes?: Buffer;
}

export interface BlockReader {
  /** The next block's payload; shorter than blksize (possibly empty) means it is the last. */
  next(): Promise<Buffer>;
  /** The next block's payload when it can be had without waiting; undefined otherwise. */
  nextNow?(): Buffer | undefined;
}

export function octetBlocks(source: FileSource, blksize: number): BlockReader {
  let offset = 0;
  const take = (chunk: Buffer) => {
    const payload = chunk.length > blksize ? chunk.subarray(0, blksize) : chunk;
    offset += payload.length;
    return payload;
  };
  return {
    async next() {
      return take(await source.read(offset, blksize));
    },
    nextNow() {
      const chunk = source.peek?.(offset, blksize);
      return chunk ? take(chunk) : undefined;
    },
  };
}

export function netasciiBlocks(source: FileSource, blksize: number): BlockReader {
  let offset = 0;
  let eof = false;
  let pending: Buffer = Buffer.alloc(0);
  return {
    async next() {
      while (!eof && pending.length < blksize) {
        const chunk = await source.read(offset, blksize);
        const raw = chunk.length > blksize ? chunk.subarray(0, blksize) : chunk;
        offset += raw.length;
        if (raw.length < blksize) eof = true;
        pending = pending.length === 0 ? toNetascii(raw) : Buffer.concat([pending, toNetascii(raw)]);
      }
      const payload = pending.subarray(0, blksize);
      pending = pending.subarray(payload.length);
      return payload;
    },
  };
}

/** The DATA payloads of a transfer in the mode the client asked for. */
export function blockReader(source: FileSource, mode: 'octet' | 'netascii', blksize: number): BlockReader {
  return mode === 'octet' ? octetBlocks(source, blksize) : netasciiBlocks(source, blksize);
}
