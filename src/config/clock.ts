/**
 * The one source of time. Every duration the fleet waits on passes through `scale`, so the
 * simulator can replay a night in a minute and tests can shorten timeouts without sleeping.
 */
export interface Clock {
  now(): number;
  /** Converts a configured duration into the real milliseconds to wait. */
  scale(ms: number): number;
  /** Resolves after `ms` configured milliseconds (scaled), or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function createClock(speed = 1): Clock {
  if (!(speed > 0)) throw new Error(`clock speed must be positive, got ${speed}`);
  const scale = (ms: number) => ms / speed;
  return {
    now: () => Date.now(),
    scale,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(done, scale(ms));
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      }),
  };
}

export const systemClock = createClock(1);
