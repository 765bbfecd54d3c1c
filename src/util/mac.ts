// MAC address text <-> bytes, one spelling everywhere: lower-case, colon-separated.

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Colon-separated hex: a MAC, or any chaddr (up to 16 bytes). */
export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Accepts aa:bb:cc:dd:ee:ff, aa-bb-..., Cisco's aabb.ccdd.eeff or 12 bare hex digits (as in SEP names). */
export function parseMac(text: string): Buffer | undefined {
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/** For values Outpost itself was given (configuration, not the wire): a bad one is a programming error. */
export function requireMac(text: string): Buffer {
  const bytes = parseMac(text);
  if (!bytes) throw new TypeError(`not a MAC address: ${JSON.stringify(text)}`);
  return bytes;
}
