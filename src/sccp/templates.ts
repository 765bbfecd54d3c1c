// The button, soft key and soft key set templates Outpost gives phones it registers locally:
// one line button per directory number, and the soft keys basic calls need.
import { Button, SoftKey, SoftKeySet } from './constants.js';

const BUTTON_SLOTS = 42;

export function buttonDefinitions(lineCount: number): { instanceNumber: number; buttonDefinition: number }[] {
  return Array.from({ length: BUTTON_SLOTS }, (_, i) => (i < lineCount
    ? { instanceNumber: i + 1, buttonDefinition: Button.Line }
    : { instanceNumber: 0, buttonDefinition: Button.Undefined }));
}

/** Soft keys by position in the template (sets refer to them by 1-based index). */
export const SOFT_KEYS = [
  { softKeyLabel: 'Redial', softKeyEvent: SoftKey.Redial },
  { softKeyLabel: 'NewCall', softKeyEvent: SoftKey.NewCall },
  { softKeyLabel: 'EndCall', softKeyEvent: SoftKey.EndCall },
  { softKeyLabel: 'Answer', softKeyEvent: SoftKey.Answer },
];

const keyIndex = (event: number) => SOFT_KEYS.findIndex((k) => k.softKeyEvent === event) + 1;

const SETS: Partial<Record<number, number[]>> = {
  [SoftKeySet.OnHook]: [SoftKey.Redial, SoftKey.NewCall],
  [SoftKeySet.Connected]: [SoftKey.EndCall],
  [SoftKeySet.RingIn]: [SoftKey.Answer, SoftKey.EndCall],
  [SoftKeySet.OffHook]: [SoftKey.Redial, SoftKey.EndCall],
  [SoftKeySet.DigitsAfterFirst]: [SoftKey.EndCall],
  [SoftKeySet.RingOut]: [SoftKey.EndCall],
};

const SET_COUNT = 11;

export function softKeySets(): { softKeyTemplateIndex: Buffer; softKeyInfoIndex: Buffer }[] {
  return Array.from({ length: SET_COUNT }, (_, set) => {
    const template = Buffer.alloc(16);
    const info = Buffer.alloc(32);
    (SETS[set] ?? []).forEach((event, i) => {
      template[i] = keyIndex(event);
      info.writeUInt16LE(300 + event, i * 2); // CUCM's info index: 300 + event
    });
    return { softKeyTemplateIndex: template, softKeyInfoIndex: info };
  });
}
