// The CDP checksum: the Internet one's-complement sum (RFC 1071) over the whole CDP PDU,
// except for PDUs of odd length. There Cisco's code adds the final byte as the low half
// of a word and sign-extends it, with an off-by-one for negative bytes: a last byte L
// counts as 0x00LL when L < 0x80 and as 0xFF00 | (L - 1) otherwise. Phones and switches
// drop CDP with a wrong checksum, and Wireshark checks it the same way, so Outpost must
// reproduce the quirk exactly.

function onesComplementSum(pdu: Buffer): number {
  let sum = 0;
  const evenLength = pdu.length & ~1;
  for (let i = 0; i < evenLength; i += 2) sum += (pdu[i] << 8) | pdu[i + 1];
  if (pdu.length & 1) {
    const last = pdu[pdu.length - 1];
    sum += last & 0x80 ? 0xff00 | (last - 1) : last;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum to put in bytes 2–3 of `pdu`, whose checksum field must be zero. */
export function cdpChecksum(pdu: Buffer): number {
  return ~onesComplementSum(pdu) & 0xffff;
}

/** True when the checksum carried in bytes 2–3 matches the PDU. */
export function cdpChecksumValid(pdu: Buffer): boolean {
  return pdu.length >= 4 && onesComplementSum(pdu) === 0xffff;
}
