// LLDP-MED fast start (ANSI/TIA-1057 §11.2.1): when a new MED endpoint appears, the port sends
// a burst of LLDPDUs one second apart so the phone learns its voice VLAN in seconds, not at the
// next 30 s advertisement. Phones that appear during a burst extend it rather than start a
// second one, so a boot storm of phones costs one burst, not one per phone.

export class FastStart {
  private remaining = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: () => void, private readonly frames = 4, private readonly intervalMs = 1000) {}

  get running(): boolean {
    return this.remaining > 0;
  }

  trigger(): void {
    const idle = this.remaining === 0;
    this.remaining = this.frames;
    if (idle) this.tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remaining = 0;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.remaining === 0) return;
    this.remaining--;
    if (this.remaining > 0) this.timer = setTimeout(this.tick, this.intervalMs);
    this.send();
  };
}
