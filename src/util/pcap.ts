// Reader for classic pcap and pcapng capture files. Pure: takes the file's bytes,
// returns the link-layer frames in order. Used by `outpost decode` and the golden tests.

export interface CapturedFrame {
  /** 1-based frame number, as tshark counts. */
  number: number;
  /** Link-layer type (1 = Ethernet, 101 = raw IP). */
  linkType: number;
  /** Seconds since the epoch, with fraction. */
  time: number;
  data: Buffer;
}

export type PcapResult = { ok: true; frames: CapturedFrame[] } | { ok: false; error: string; frames: CapturedFrame[] };

const PCAPNG_SHB = 0x0a0d0d0a;

export function readCapture(buf: Buffer): PcapResult {
  if (buf.length < 4) return { ok: false, error: 'file too short for a capture header', frames: [] };
  if (buf.readUInt32LE(0) === PCAPNG_SHB) return readPcapng(buf);
  return readPcap(buf);
}

function readPcap(buf: Buffer): PcapResult {
  const frames: CapturedFrame[] = [];
  if (buf.length < 24) return { ok: false, error: 'pcap header truncated', frames };
  const magicLe = buf.readUInt32LE(0);
  const magicBe = buf.readUInt32BE(0);
  const known = (m: number) => m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  if (!known(magicLe) && !known(magicBe)) return { ok: false, error: 'not a pcap or pcapng file (bad magic)', frames };
  const le = known(magicLe);
  const nanos = (le ? magicLe : magicBe) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off), frac = u32(off + 4), incl = u32(off + 8);
    off += 16;
    if (off + incl > buf.length) return { ok: false, error: `frame ${frames.length + 1} truncated`, frames };
    frames.push({ number: frames.length + 1, linkType, time: sec + frac / (nanos ? 1e9 : 1e6), data: buf.subarray(off, off + incl) });
    off += incl;
  }
  return { ok: true, frames };
}

interface Interface { linkType: number; tsDivisor: number }

function readPcapng(buf: Buffer): PcapResult {
  const frames: CapturedFrame[] = [];
  let le = true;
  let ifaces: Interface[] = [];
  let off = 0;
  while (off + 12 <= buf.length) {
    const type = buf.readUInt32LE(off);
    if (type === PCAPNG_SHB) {
      const bom = buf.readUInt32LE(off + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return { ok: false, error: 'pcapng section header has a bad byte-order magic', frames };
      ifaces = [];
    }
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const blockType = u32(off);
    const len = u32(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length) {
      return { ok: false, error: `pcapng block at offset ${off} has a bad length ${len}`, frames };
    }
    const body = off + 8;
    if (blockType === 1) {
      ifaces.push({ linkType: u16(body), tsDivisor: interfaceTsDivisor(buf, body + 8, off + len - 4, u16) });
    } else if (blockType === 6 || blockType === 3) {
      let ifIndex = 0, time = 0, capLen: number, dataOff: number;
      if (blockType === 6) {
        ifIndex = u32(body);
        const ts = u32(body + 4) * 2 ** 32 + u32(body + 8);
        capLen = u32(body + 12);
        dataOff = body + 20;
        time = ts / (ifaces[ifIndex]?.tsDivisor ?? 1e6);
      } else {
        capLen = Math.min(u32(body), len - 16);
        dataOff = body + 4;
      }
      if (dataOff + capLen > off + len) return { ok: false, error: `frame ${frames.length + 1} truncated`, frames };
      const iface = ifaces[ifIndex];
      if (!iface) return { ok: false, error: `frame ${frames.length + 1} names unknown interface ${ifIndex}`, frames };
      frames.push({ number: frames.length + 1, linkType: iface.linkType, time, data: buf.subarray(dataOff, dataOff + capLen) });
    }
    off += len;
  }
  return { ok: true, frames };
}

/** if_tsresol option (9): 2^-n or 10^-n seconds per tick; default microseconds. */
function interfaceTsDivisor(buf: Buffer, start: number, end: number, u16: (o: number) => number): number {
  let o = start;
  while (o + 4 <= end) {
    const code = u16(o), len = u16(o + 2);
    if (code === 0) break;
    if (code === 9 && len >= 1) {
      const v = buf[o + 4];
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    o += 4 + ((len + 3) & ~3);
  }
  return 1e6;
}
