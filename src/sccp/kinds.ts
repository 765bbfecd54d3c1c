// The field kinds SCCP messages are built from (all integers little-endian), each able to read
// itself from a bounded cursor and write itself back. Reads return undefined instead of throwing.

export class Reader {
  constructor(readonly buf: Buffer, public offset = 0) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  take(n: number): Buffer | undefined {
    if (n < 0 || this.remaining < n) return undefined;
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

export class Writer {
  private readonly parts: Buffer[] = [];
  length = 0;

  put(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/** A field kind; V is the value type decoded messages carry. */
export interface Kind<V> {
  readonly label: string;
  read(r: Reader): V | undefined;
  /** Writes v, or the kind's zero value when v is undefined (messages Outpost builds omit zeros). */
  write(w: Writer, v: V | undefined): void;
}

export type ValueOf<K> = K extends Kind<infer V> ? V : never;

function uint(size: 1 | 2 | 4): Kind<number> {
  return {
    label: `u${size * 8}`,
    read: (r) => r.take(size)?.readUIntLE(0, size),
    write: (w, v) => {
      const b = Buffer.alloc(size);
      b.writeUIntLE(Number.isInteger(v) && v! >= 0 ? v! % 2 ** (size * 8) : 0, 0, size);
      w.put(b);
    },
  };
}

export const u8 = uint(1);
export const u16 = uint(2);
export const u32 = uint(4);

/**
 * A NUL-padded text field of fixed size; the value ends at the first NUL. Text is latin1, one
 * character per byte: Cisco's localized prompt and label codes (0x80 + index) must survive a
 * decode/encode round trip unchanged.
 */
export function text(size: number): Kind<string> {
  return {
    label: `char[${size}]`,
    read: (r) => {
      const b = r.take(size);
      if (!b) return undefined;
      const end = b.indexOf(0);
      return b.subarray(0, end < 0 ? size : end).toString('latin1');
    },
    write: (w, v) => {
      const b = Buffer.alloc(size);
      Buffer.from(v ?? '', 'latin1').subarray(0, size).copy(b);
      w.put(b);
    },
  };
}

/** A NUL-terminated text of variable length (the "V2" messages); lenient when the NUL is missing. */
export const vtext: Kind<string> = {
  label: 'varchar',
  read: (r) => {
    if (r.remaining <= 0) return undefined;
    const end = r.buf.indexOf(0, r.offset);
    const stop = end < 0 ? r.buf.length : end;
    const s = r.buf.subarray(r.offset, stop).toString('latin1');
    r.offset = end < 0 ? stop : stop + 1;
    return s;
  },
  write: (w, v) => w.put(Buffer.concat([Buffer.from(v ?? '', 'latin1'), Buffer.alloc(1)])),
};

export function bytes(size: number): Kind<Buffer> {
  return {
    label: `bytes[${size}]`,
    read: (r) => r.take(size),
    write: (w, v) => {
      const b = Buffer.alloc(size);
      v?.copy(b, 0, 0, size);
      w.put(b);
    },
  };
}

function dotted(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function ipv4Bytes(s: string | undefined): Buffer {
  const parts = (s ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return Buffer.alloc(4);
  return Buffer.from(parts);
}

/** An IPv4 address as four bytes in network order (how stations send theirs). */
export const ipv4: Kind<string> = {
  label: 'ipv4',
  read: (r) => {
    const b = r.take(4);
    return b && dotted(b);
  },
  write: (w, v) => w.put(ipv4Bytes(v)),
};

/** Protocol 17+ address: a 32-bit family (0 = IPv4, 1 = IPv6) then 16 bytes. */
export const ip46: Kind<string> = {
  label: 'ipv4or6',
  read: (r) => {
    const family = r.take(4)?.readUInt32LE(0);
    const b = r.take(16);
    if (family === undefined || !b) return undefined;
    if (family !== 1) return dotted(b);
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return groups.join(':');
  },
  write: (w, v) => {
    const b = Buffer.alloc(20);
    if (v?.includes(':')) {
      b.writeUInt32LE(1, 0);
      const halves = v.split('::');
      const head = halves[0] ? halves[0].split(':') : [];
      const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
      const groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
      groups.slice(0, 8).forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) & 0xffff || 0, 4 + i * 2));
    } else {
      ipv4Bytes(v).copy(b, 4);
    }
    w.put(b);
  },
};

export type Fields = Record<string, Kind<unknown>>;
export type ValuesOf<F extends Fields> = { [N in keyof F]: ValueOf<F[N]> };

/** Reads fields in order; undefined when the buffer ends before the last one. */
export function readFields<F extends Fields>(r: Reader, fields: F): ValuesOf<F> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(fields)) {
    const v = kind.read(r);
    if (v === undefined) return undefined;
    out[name] = v;
  }
  return out as ValuesOf<F>;
}

export function writeFields(w: Writer, fields: Fields, values: Record<string, unknown>): void {
  for (const [name, kind] of Object.entries(fields)) kind.write(w, values[name]);
}

/**
 * A list of records whose length another field gives (read before the list). `slots` is the
 * fixed number of entries some messages always carry on the wire; the unused slots are
 * kept by the codec as trailing bytes, so nothing is lost.
 */
export function list<F extends Fields>(countField: string, item: F, max: number, slots?: number): Kind<ValuesOf<F>[]> & { countField: string; slots?: number; item: F } {
  return {
    label: `list(${countField})`,
    countField,
    slots,
    item,
    read: () => undefined, // read by the codec, which knows the count
    write: (w, v) => {
      for (const entry of (v ?? []).slice(0, max)) writeFields(w, item, entry);
    },
  };
}

export function isList(k: Kind<unknown>): k is ReturnType<typeof list> {
  return 'countField' in k;
}

export function fixedSize(fields: Fields): number {
  const w = new Writer();
  writeFields(w, fields, {});
  return w.length;
}
