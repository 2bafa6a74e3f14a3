/**
 * The fallback sweep's interval: it doubles while sweeps find nothing and snaps back to the
 * floor when work shows up. NOTIFY does the real waking; this only covers lost notifications.
 */
export class WakeSchedule {
  private current: number;

  constructor(
    private readonly floorMs = 1_000,
    private readonly ceilingMs = 300_000,
  ) {
    this.current = floorMs;
  }

  get intervalMs(): number {
    return this.current;
  }

  foundWork(): void {
    this.current = this.floorMs;
  }

  foundNothing(): void {
    this.current = Math.min(this.current * 2, this.ceilingMs);
  }
}
