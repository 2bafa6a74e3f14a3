import ora from "ora";
import { type Clock, systemClock } from "../config/clock.js";

/** How often a running spinner's elapsed time is redrawn. */
const REDRAW_MS = 1_000;

export interface Progress {
  stop(): void;
}

type Stream = NodeJS.WriteStream;

/**
 * A spinner on stderr, only when stderr is a terminal: piped or redirected output gets nothing
 * extra, so `--json` on stdout and logs on stderr stay clean.
 */
export function startProgress(
  text: (elapsedMs: number) => string,
  options: { stream?: Stream; clock?: Clock } = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  // A pseudo-terminal without a size (columns 0) would make ora redraw endlessly.
  if (!stream.isTTY || !(stream.columns > 0)) return { stop() {} };
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  // stdin stays untouched: the fleet reads nothing from it, and a raw-mode terminal outlives a crash.
  const spinner = ora({ text: text(0), stream, discardStdin: false }).start();
  const timer = setInterval(() => {
    spinner.text = text(clock.now() - started);
  }, REDRAW_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      spinner.stop();
    },
  };
}

/** Runs `work` under a spinner labelled `label` with its elapsed seconds. */
export async function withProgress<T>(
  label: string,
  work: () => Promise<T>,
  options: { stream?: Stream; clock?: Clock } = {},
): Promise<T> {
  const progress = startProgress((ms) => `${label} (${formatElapsed(ms)})`, options);
  try {
    return await work();
  } finally {
    progress.stop();
  }
}

export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}
