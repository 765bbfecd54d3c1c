// Who the lab's simulated phones are: fixed MACs, Cisco device names and line DNs derived
// from the phone's index, so every test, benchmark and demo run sees the same phones.

export interface PhoneIdentity {
  index: number;
  mac: string;        // 00:11:22:33:44:01 for phone 1
  deviceName: string; // SEP001122334401
  dn: string;         // 2001
}

/** Phone indexes start at 1; the MAC's last two bytes are 0x4400 + index (phone 1 = ...:44:01). */
export const MAX_PHONES = 0xffff - 0x4400;

export function phoneMac(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > MAX_PHONES) throw new Error(`lab: phone index ${index} out of range 1..${MAX_PHONES}`);
  const low = 0x4400 + index;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `00:11:22:33:${hex(low >> 8)}:${hex(low & 0xff)}`;
}

/** Cisco device name: "SEP" and the MAC in upper-case hex without separators. */
export function deviceNameForMac(mac: string): string {
  return `SEP${mac.replace(/:/g, '').toUpperCase()}`;
}

export function phoneDn(index: number): string {
  return String(2000 + index);
}

export function phoneIdentity(index: number): PhoneIdentity {
  const mac = phoneMac(index);
  return { index, mac, deviceName: deviceNameForMac(mac), dn: phoneDn(index) };
}
