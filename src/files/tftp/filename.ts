// Which requested names Outpost will even look up. Phones ask for flat names such as
// SEP001122334455.cnf.xml or a load under a relative folder; anything that could climb
// out of the served tree is refused before the file source sees it.
import { err, ok, type Result } from '../../util/result.js';

export const MAX_FILENAME_BYTES = 255;

export function checkRequestedName(name: string): Result<string> {
  if (name.length === 0) return err('empty filename');
  if (Buffer.byteLength(name, 'latin1') > MAX_FILENAME_BYTES) return err(`filename longer than ${MAX_FILENAME_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return err('filename contains control characters');
  if (name.startsWith('/') || name.startsWith('\\')) return err('absolute path');
  if (/^[A-Za-z]:/.test(name)) return err('drive-letter path');
  const parts = name.split(/[/\\]/);
  if (parts.some((p) => p === '..')) return err('path climbs out of the served tree');
  return ok(name);
}
