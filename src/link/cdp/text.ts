// Text in CDP and LLDP TLVs is ASCII in practice and UTF-8 by the LLDP MIB. Decoders read it
// as UTF-8; a TLV whose text is not valid UTF-8 is kept as raw bytes instead (see the codecs),
// so that what a neighbour sent is always re-encoded unchanged.

export function decodeText(bytes: Buffer): string {
  return bytes.toString('utf8');
}

export function encodeText(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
