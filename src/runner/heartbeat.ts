import { closeSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../config/clock.js";
import { codexJsonSignal } from "./adapters/codex-json.js";
import { fleetEventSignal } from "./adapters/fleet-events.js";
import type { LineSignal } from "./adapters/read-lines.js";
import { streamJsonSignal } from "./adapters/stream-json.js";
import { EVENTS_FILE, HEARTBEAT_FILE, STDOUT_FILE } from "./agent-process.js";

/**
 * Where an adapter's proof of life shows up. Only structured output counts, never terminal text:
 * - "files": the agent touches FLEET_HEARTBEAT_FILE or appends JSON lines to FLEET_EVENTS_FILE;
 * - "stream-json-stdout": each stream-json event the agent prints to stdout.log;
 * - "codex-json-stdout": each `codex exec --json` event the agent prints to stdout.log.
 * The same lines may state the run's total cost so far, which the budget is measured against.
 */
export type HeartbeatSource = "files" | "stream-json-stdout" | "codex-json-stdout";

export interface HeartbeatWatch {
  /** Time of the newest heartbeat seen (file mtime, never later than now), or null for none. */
  lastBeatAt(): number | null;
  /** Heartbeats counted so far: one per touch seen, one per parseable line. */
  beats(): number;
  /** The latest total cost the agent stated (USD), or null while it stated none. */
  costUsd(): number | null;
  /** Reads the files now instead of waiting for the shared timer; a deadline check calls it. */
  refresh(): void;
  close(): void;
}

export interface WatchHeartbeatsOptions {
  attemptDir: string;
  source: HeartbeatSource;
  clock: Clock;
  /** Called when the newest heartbeat's time advances (at most once per file per scan). */
  onBeat?: (atMs: number) => void;
  /** Called when the cost the agent states changes. */
  onCost?: (usd: number) => void;
  /** Real ms between scans; default min(1 s, the clock-scaled 1 s). */
  pollMs?: number;
}

/** A line longer than this is dropped rather than buffered without bound. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

/**
 * Watches one attempt's heartbeat files. All watchers with the same interval share one timer,
 * so 200 agents cost one wake-up per interval and a few stat calls each. There is no fs.watch:
 * a deadline check calls refresh() before judging, so a late scan can never cause a false stall,
 * and inotify would only add a wake-up per stdout line.
 */
export function watchHeartbeats(opts: WatchHeartbeatsOptions): HeartbeatWatch {
  const { attemptDir, clock, onBeat, onCost } = opts;
  const readers = readersFor(opts.source, attemptDir);
  let last: number | null = null;
  let count = 0;
  let cost: number | null = null;
  let closed = false;

  const refresh = () => {
    if (closed) return;
    for (const read of readers) {
      let seen: ReturnType<Reader>;
      try {
        seen = read();
      } catch {
        continue; // e.g. the folder went away; a stall is judged without this file
      }
      if (seen === null) continue;
      if (seen.costUsd !== null && seen.costUsd !== cost) {
        cost = seen.costUsd;
        onCost?.(cost);
      }
      const at = Math.min(seen.atMs, clock.now()); // a future mtime must not postpone a stall
      count += seen.beats;
      if (last !== null && at <= last) continue;
      last = at;
      onBeat?.(at);
    }
  };
  refresh();
  const leave = joinSharedTimer(opts.pollMs ?? Math.min(1000, clock.scale(1000)), refresh);
  return {
    lastBeatAt: () => last,
    beats: () => count,
    costUsd: () => cost,
    refresh,
    close() {
      if (closed) return;
      closed = true;
      leave();
    },
  };
}

type Reader = () => { atMs: number; beats: number; costUsd: number | null } | null;

function readersFor(source: HeartbeatSource, attemptDir: string): Reader[] {
  switch (source) {
    case "files":
      return [
        touchReader(join(attemptDir, HEARTBEAT_FILE)),
        lineReader(join(attemptDir, EVENTS_FILE), fleetEventSignal),
      ];
    case "stream-json-stdout":
      return [lineReader(join(attemptDir, STDOUT_FILE), streamJsonSignal)];
    case "codex-json-stdout":
      return [lineReader(join(attemptDir, STDOUT_FILE), codexJsonSignal)];
  }
}

/** Each change of mtime is one heartbeat (compared by inequality, so a clock step back counts). */
function touchReader(path: string): Reader {
  let mtime: number | null = null;
  return () => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat || stat.mtimeMs === mtime) return null;
    mtime = stat.mtimeMs;
    return { atMs: stat.mtimeMs, beats: 1, costUsd: null };
  };
}

/**
 * Reads only the bytes appended since the last scan, up to the size just stat'ed, so the
 * file's mtime dates every line read. A partial last line waits for its newline.
 */
function lineReader(path: string, signal: (line: string) => LineSignal | null): Reader {
  let offset = 0;
  let partial: Buffer = Buffer.alloc(0);
  let skipping = false; // inside an over-long line, dropped up to its newline
  return () => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return null;
    if (stat.size < offset) {
      offset = 0; // truncated or replaced: start over
      partial = Buffer.alloc(0);
      skipping = false;
    }
    if (stat.size === offset) return null;
    let beats = 0;
    let costUsd: number | null = null;
    for (const chunk of readRange(path, offset, stat)) {
      offset += chunk.length;
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        const line = partial.length > 0 ? Buffer.concat([partial, piece]) : piece;
        partial = Buffer.alloc(0);
        const seen = skipping ? null : signal(line.toString("utf8"));
        if (seen !== null) {
          beats++;
          costUsd = seen.costUsd ?? costUsd;
        }
        skipping = false;
        start = nl + 1;
      }
      if (start < chunk.length && !skipping) {
        partial = Buffer.concat([partial, chunk.subarray(start)]);
        if (partial.length > MAX_LINE_BYTES) {
          partial = Buffer.alloc(0);
          skipping = true;
        }
      }
    }
    return beats > 0 ? { atMs: stat.mtimeMs, beats, costUsd } : null;
  };
}

function* readRange(path: string, from: number, stat: Stats): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return; // vanished between stat and open: the next scan sees it
  }
  try {
    for (let pos = from; pos < stat.size; ) {
      const buffer = Buffer.alloc(Math.min(READ_CHUNK, stat.size - pos));
      const n = readSync(fd, buffer, 0, buffer.length, pos);
      if (n === 0) return;
      pos += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

const sharedTimers = new Map<number, { timer: NodeJS.Timeout; scans: Set<() => void> }>();

function joinSharedTimer(intervalMs: number, scan: () => void): () => void {
  const interval = Math.max(1, Math.round(intervalMs));
  let group = sharedTimers.get(interval);
  if (!group) {
    const scans = new Set<() => void>();
    const timer = setInterval(() => {
      for (const each of scans) each();
    }, interval);
    timer.unref(); // watching alone never keeps the runner alive
    group = { timer, scans };
    sharedTimers.set(interval, group);
  }
  const { scans, timer } = group;
  scans.add(scan);
  return () => {
    scans.delete(scan);
    if (scans.size === 0) {
      clearInterval(timer);
      sharedTimers.delete(interval);
    }
  };
}

/** How many shared scan timers run now (one per distinct interval); for tests and the bench. */
export function sharedTimerCount(): number {
  return sharedTimers.size;
}
