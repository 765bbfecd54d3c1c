// SCCP values Outpost sends as a call agent (numbering as CUCM and Wireshark use it).

export const CallState = {
  OffHook: 1, OnHook: 2, RingOut: 3, RingIn: 4, Connected: 5, Busy: 6, Congestion: 7, Proceed: 12, InvalidNumber: 14,
} as const;

export const Tone = { Silence: 0x00, InsideDialTone: 0x21, BusyTone: 0x23, AlertingTone: 0x24, ReorderTone: 0x25 } as const;

export const Stimulus = { Line: 0x09 } as const;

export const LampMode = { Off: 1, On: 2, Blink: 5 } as const;

export const RingMode = { RingOff: 1, InsideRing: 2 } as const;

export const SpeakerMode = { On: 1, Off: 2 } as const;

export const CallType = { InBound: 1, OutBound: 2 } as const;

/** Soft key events (the event a phone reports in SoftKeyEvent). */
export const SoftKey = { Redial: 1, NewCall: 2, EndCall: 9, Answer: 11 } as const;

/** Soft key set index per call state (the order of sets in SoftKeySetRes). */
export const SoftKeySet = { OnHook: 0, Connected: 1, OnHold: 2, RingIn: 3, OffHook: 4, ConnectedTransfer: 5, DigitsAfterFirst: 6, ConnectedConference: 7, RingOut: 8, OffHookWithFeatures: 9 } as const;

/** Button definitions in ButtonTemplateRes. */
export const Button = { Line: 0x09, Undefined: 0xff } as const;

/** Media payload types; G.711 u-law is what every Cisco phone offers. */
export const Codec = { G711Alaw: 2, G711Ulaw: 4 } as const;

/** Keypad buttons 0-9, then 0x0e = '*', 0x0f = '#'. */
export function keypadDigit(button: number): string | undefined {
  if (button >= 0 && button <= 9) return String(button);
  if (button === 0x0e) return '*';
  if (button === 0x0f) return '#';
  return undefined;
}

export const LINE_TYPE_DN = 9;
