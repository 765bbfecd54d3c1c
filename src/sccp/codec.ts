// SCCP (Skinny) message codec. Pure: one whole message in (12-byte header + body, as the framer
// cuts them), a typed value out; never throws on hostile bytes. Messages without a layout in
// the table, and bytes after a known layout, are kept so a relayed message is never altered.
//
// Header: length (u32 LE, counts the bytes after the first 8), header version (u32 LE, the
// negotiated protocol version from 17 on, else 0), message id (u32 LE).
import { type Result, ok, err } from '../util/result.js';
import { Reader, Writer, isList, writeFields, fixedSize, type Fields, type ValuesOf } from './kinds.js';
import { LAYOUTS, MODERN_HEADER, layoutName, messageName, type Layout, type MessageName, type Shape } from './messages.js';

export const HEADER_SIZE = 12;
/** Bytes of a message that the length field does not count. */
export const LENGTH_EXCLUDES = 8;

type ShapeValues<S> = S extends { fields: infer F extends Fields }
  ? ValuesOf<F> & (S extends { tail: infer T extends Fields } ? Partial<ValuesOf<T>> : unknown)
  : never;

type LayoutOf<N extends MessageName> = (typeof LAYOUTS)[N];

/** The fields of a message: the basic layout, with tail and protocol-17 fields optional. */
export type FieldsOf<N extends MessageName> = ShapeValues<LayoutOf<N>['basic']>
  & (LayoutOf<N> extends { modern: infer M } ? Partial<ShapeValues<M>> : unknown);

export interface KnownMessage<N extends MessageName = MessageName> {
  kind: 'known';
  name: N;
  id: number;
  /** Header version: 0 (basic) or the negotiated protocol version (17 and above). */
  version: number;
  fields: FieldsOf<N>;
  /** Bytes after the last field Outpost knows (unused list slots, newer fields), re-sent as they came. */
  trailing?: Buffer;
}

export interface RawMessage {
  kind: 'raw';
  name: string;
  id: number;
  version: number;
  body: Buffer;
}

export type SccpMessage = { [N in MessageName]: KnownMessage<N> }[MessageName] | RawMessage;

export function shapeFor(layout: Layout, version: number): Shape {
  return version >= (layout.modernFrom ?? MODERN_HEADER) && layout.modern ? layout.modern : layout.basic;
}

/** Decodes one message; `buf` must be exactly the header plus the length the header gives. */
export function decodeMessage(buf: Buffer): Result<SccpMessage> {
  if (buf.length < HEADER_SIZE) return err(`message too short for the SCCP header (${buf.length} bytes)`);
  const length = buf.readUInt32LE(0);
  if (length < 4) return err(`length ${length} is too small to hold a message id`);
  if (buf.length !== LENGTH_EXCLUDES + length) return err(`length ${length} does not match the ${buf.length - LENGTH_EXCLUDES} bytes given`);
  const version = buf.readUInt32LE(4);
  const id = buf.readUInt32LE(8);
  const body = buf.subarray(HEADER_SIZE);
  const name = layoutName(id);
  if (!name) return ok({ kind: 'raw', name: messageName(id), id, version, body });
  const shape = shapeFor(LAYOUTS[name], version);
  const r = new Reader(body);
  const fields: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(shape.fields)) {
    if (isList(kind)) {
      const count = Number(fields[kind.countField] ?? 0);
      const entries = [];
      for (let i = 0; i < Math.min(count, kind.slots ?? count, 64); i++) {
        const entry = readEntry(r, kind.item);
        if (!entry) return err(`${name}: entry ${i + 1} of ${field} is truncated`);
        entries.push(entry);
      }
      fields[field] = entries;
      continue;
    }
    const v = kind.read(r);
    if (v === undefined) return err(`${name}: truncated at ${field} (body is ${body.length} bytes)`);
    fields[field] = v;
  }
  for (const [field, kind] of Object.entries(shape.tail ?? {})) {
    const start = r.offset;
    const v = kind.read(r);
    if (v === undefined) {
      r.offset = start;
      break;
    }
    fields[field] = v;
  }
  const rest = r.remaining > 0 ? body.subarray(r.offset) : undefined;
  return ok({ kind: 'known', name, id, version, fields, ...(rest ? { trailing: Buffer.from(rest) } : {}) } as SccpMessage);
}

function readEntry(r: Reader, item: Fields): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(item)) {
    const v = kind.read(r);
    if (v === undefined) return undefined;
    out[name] = v;
  }
  return out;
}

/** Encodes a message; fields Outpost leaves out are sent as zero. */
export function encodeMessage(msg: KnownMessage | RawMessage): Buffer {
  const body = msg.kind === 'raw' ? msg.body : encodeBody(msg);
  const head = Buffer.alloc(HEADER_SIZE);
  head.writeUInt32LE(body.length + 4, 0);
  head.writeUInt32LE(msg.version >>> 0, 4);
  head.writeUInt32LE(msg.id >>> 0, 8);
  return Buffer.concat([head, body]);
}

function encodeBody(msg: KnownMessage): Buffer {
  const shape = shapeFor(LAYOUTS[msg.name], msg.version);
  const values: Record<string, unknown> = { ...msg.fields };
  const counts = new Map<string, number>();
  for (const [field, kind] of Object.entries(shape.fields)) {
    if (isList(kind)) counts.set(kind.countField, ((values[field] as unknown[] | undefined) ?? []).length);
  }
  const w = new Writer();
  let unusedSlots = 0;
  for (const [field, kind] of Object.entries(shape.fields)) {
    if (isList(kind)) {
      const entries = ((values[field] as unknown[] | undefined) ?? []).slice(0, kind.slots ?? 64);
      kind.write(w, entries as never);
      if (kind.slots !== undefined) unusedSlots = (kind.slots - entries.length) * fixedSize(kind.item);
      continue;
    }
    kind.write(w, values[field] ?? counts.get(field));
  }
  const tail = shape.tail ?? {};
  const names = Object.keys(tail);
  const last = names.reduce((at, f, i) => (values[f] !== undefined ? i : at), -1);
  writeFields(w, Object.fromEntries(Object.entries(tail).slice(0, last + 1)), values);
  if (msg.trailing) {
    w.put(msg.trailing);
  } else if (unusedSlots > 0) {
    w.put(Buffer.alloc(unusedSlots));
  } else if (hasVariableText(shape) && w.length % 4 !== 0) {
    // Call managers pad the variable-length ("V2") messages to a multiple of four bytes.
    w.put(Buffer.alloc(4 - (w.length % 4)));
  }
  return w.toBuffer();
}

function hasVariableText(shape: Shape): boolean {
  return [...Object.values(shape.fields), ...Object.values(shape.tail ?? {})].some((k) => k.label === 'varchar');
}

/** Builds a message Outpost sends; `version` is the header version negotiated with the phone. */
export function message<N extends MessageName>(name: N, fields: Partial<FieldsOf<N>> = {}, version = 0): KnownMessage<N> {
  return { kind: 'known', name, id: LAYOUTS[name].id, version, fields: fields as FieldsOf<N> };
}

/** Narrows a decoded message to one name. */
export function is<N extends MessageName>(msg: SccpMessage, name: N): msg is KnownMessage<N> & SccpMessage {
  return msg.kind === 'known' && msg.name === name;
}
