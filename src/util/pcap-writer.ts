// Writer for classic pcap files (microsecond, little-endian). Pure: frames in, file bytes out.
// Tests use it to hand Outpost's own frames to tshark; `outpost lab` can use it to save traffic.

export interface FrameToWrite {
  data: Buffer;
  /** Seconds since the epoch, with fraction; defaults to 0. */
  time?: number;
}

/** Link type 1 = Ethernet. */
export function writePcap(frames: (Buffer | FrameToWrite)[], linkType = 1, snapLength = 65535): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(snapLength, 16);
  header.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const { data, time = 0 } = Buffer.isBuffer(f) ? { data: f } : f;
    const record = Buffer.alloc(16);
    const seconds = Math.floor(time);
    record.writeUInt32LE(seconds, 0);
    record.writeUInt32LE(Math.min(999_999, Math.round((time - seconds) * 1e6)), 4);
    record.writeUInt32LE(Math.min(data.length, snapLength), 8);
    record.writeUInt32LE(data.length, 12);
    parts.push(record, data.subarray(0, snapLength));
  }
  return Buffer.concat(parts);
}
