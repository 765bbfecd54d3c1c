// How CUCM's TFTP treats the names phones ask for: case-insensitive, CTL files answered at
// once in a non-secure cluster, a `.sgn` request falls back to the unsigned file, and a
// missing SEP<MAC>.cnf.xml sends the phone to XMLDefault.cnf.xml (auto-registration).

const CTL = /^CTL(?:SEP[0-9A-F]{12})?(?:File)?\.tlv$/i;
const DEVICE_FILE = /^(?:CTL|ITL)?(SEP[0-9A-F]{12})[._]/i;
const DEVICE_CONFIG = /^(SEP[0-9A-F]{12})\.cnf\.xml$/i;
export const DEFAULT_CONFIG = 'XMLDefault.cnf.xml';

/** Names phones send with a leading slash or backslash (some firmware) mean the TFTP root. */
export function normalizeName(requested: string): string {
  return requested.replace(/^[/\\]+/, '');
}

/** `CTLSEP<MAC>.tlv` / `CTLFile.tlv`: only a secure (mixed-mode) cluster has them. */
export function isCtlFile(name: string): boolean {
  return CTL.test(name);
}

/** The device name a per-phone file belongs to (`SEP…cnf.xml`, `ITLSEP….tlv`, …). */
export function deviceOfFile(name: string): string | undefined {
  return DEVICE_FILE.exec(name)?.[1].toUpperCase();
}

/** The device name when the file is a phone's own configuration (the one Outpost rewrites). */
export function deviceOfConfig(name: string): string | undefined {
  return DEVICE_CONFIG.exec(name)?.[1].toUpperCase();
}

export function isConfigFile(name: string): boolean {
  return DEVICE_CONFIG.test(name) || name.toLowerCase() === DEFAULT_CONFIG.toLowerCase();
}

/** `X.sgn` -> `X`: the unsigned file served when the signed one does not exist. */
export function unsignedName(name: string): string | undefined {
  return /\.sgn$/i.test(name) ? name.slice(0, -4) : undefined;
}

/**
 * The phone's own files it asks for next when it boots: CTLSEP<MAC>.tlv, then ITLSEP<MAC>.tlv,
 * then SEP<MAC>.cnf.xml, one after the other.
 */
export function bootFilesAfter(name: string): string[] {
  const trust = /^(CTL|ITL)(SEP[0-9A-F]{12})\.tlv$/i.exec(name);
  if (!trust) return [];
  const device = trust[2].toUpperCase();
  return trust[1].toUpperCase() === 'CTL' ? [`ITL${device}.tlv`, configFileOf(device)] : [configFileOf(device)];
}

export function configFileOf(deviceName: string): string {
  return `${deviceName.toUpperCase()}.cnf.xml`;
}
