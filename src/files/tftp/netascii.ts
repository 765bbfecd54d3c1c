// netascii (RFC 1350 / RFC 764): on the wire every line ends in CR LF and a bare CR is
// sent as CR NUL. Each input byte maps on its own, so blocks can be converted one by one.

const CR = 0x0d;
const LF = 0x0a;

/** Local text (LF line ends) to netascii. */
export function toNetascii(raw: Buffer): Buffer {
  let extra = 0;
  for (const b of raw) if (b === CR || b === LF) extra++;
  if (extra === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + extra);
  let o = 0;
  for (const b of raw) {
    if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (b === CR) {
      out[o++] = CR;
      out[o++] = 0;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/**
 * netascii back to local text. A CR at the end of one chunk pairs with the first byte of
 * the next, so the decoder keeps that one byte of state between calls.
 */
export class NetasciiDecoder {
  private pendingCr = false;

  push(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let o = 0;
    for (const b of chunk) {
      if (this.pendingCr) {
        this.pendingCr = false;
        if (b === LF) { out[o++] = LF; continue; }
        out[o++] = CR;
        if (b === 0) continue;
      }
      if (b === CR) this.pendingCr = true;
      else out[o++] = b;
    }
    return out.subarray(0, o);
  }

  /** Flushes a CR left dangling at the very end of the transfer. */
  end(): Buffer {
    if (!this.pendingCr) return Buffer.alloc(0);
    this.pendingCr = false;
    return Buffer.from([CR]);
  }
}
