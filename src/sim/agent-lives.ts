import { HEALTHY_BEHAVIORS } from "./behaviors.js";
import type { JournalEntry } from "./journal.js";

/** One scripted agent process, from its journal start to its death. Times are real epoch ms. */
export interface AgentLife {
  key: string;
  pid: number;
  /** The wrapper's pid: the pid the runner recorded for the attempt. */
  ppid: number | undefined;
  startTime: string | undefined;
  attempt: number;
  behavior: string;
  startedAt: number;
  /** When it died; null while it still runs. */
  diedAt: number | null;
  /** It ended by itself (journal `end` with reason exit), not by a signal. */
  natural: boolean;
  /** exit: by itself; sigterm: it left when told to; killed: died without a word (SIGKILL). */
  end: "exit" | "sigterm" | "killed" | "alive";
  code: number | null;
  /** When it ignored a SIGTERM (the ignore-sigterm behaviour), real ms. */
  sigtermIgnoredAt: number | null;
}

/**
 * Pairs each start with the agent's death: the witness's time when it saw one, else the
 * journal's end, else (dead, but nobody saw when) the end of the simulation, which can only
 * overstate an overlap, never hide one.
 */
export function agentLives(input: {
  journal: readonly JournalEntry[];
  deaths: ReadonlyMap<number, number>;
  isAlive: (life: { pid: number; startTime?: string | undefined }) => boolean;
  endedAt: number;
}): AgentLife[] {
  const lives: AgentLife[] = [];
  input.journal.forEach((entry, index) => {
    if (entry.event !== "start") return;
    const end = input.journal
      .slice(index + 1)
      .find((e) => e.event === "end" && e.pid === entry.pid && e.key === entry.key);
    const alive = input.isAlive({ pid: entry.pid, startTime: entry.startTime });
    const witnessed = input.deaths.get(entry.pid);
    const ignored = input.journal
      .slice(index + 1)
      .find((e) => e.event === "signal" && e.pid === entry.pid && e.key === entry.key);
    const natural = end?.reason === "exit" || (end !== undefined && end.reason === undefined);
    lives.push({
      key: entry.key,
      pid: entry.pid,
      ppid: entry.ppid,
      startTime: entry.startTime,
      attempt: entry.attempt,
      behavior: entry.behavior ?? "unknown",
      startedAt: entry.at,
      diedAt: alive ? null : (witnessed ?? end?.at ?? input.endedAt),
      natural,
      end: alive ? "alive" : natural ? "exit" : end ? "sigterm" : "killed",
      code: end?.code ?? null,
      sigtermIgnoredAt: ignored?.at ?? null,
    });
  });
  return lives;
}

/**
 * Starts that should not have happened: a start while another agent of the same issue was still
 * alive, or a start after the issue already had a successful attempt that nothing asked to
 * follow up (the merge policy asks for fix and conflict attempts). A retry after a death is
 * legitimate and not counted.
 */
export function duplicateStarts(
  lives: readonly AgentLife[],
  successes: ReadonlyMap<string, readonly number[]>,
  followUps: ReadonlyMap<string, readonly number[]> = new Map(),
): AgentLife[] {
  return lives.filter((life) => {
    const overlaps = lives.some(
      (other) =>
        other !== life &&
        other.key === life.key &&
        (other.startedAt < life.startedAt ||
          (other.startedAt === life.startedAt && other.pid < life.pid)) &&
        (other.diedAt === null || other.diedAt > life.startedAt),
    );
    const asked = followUps.get(life.key) ?? [];
    const unasked = (successes.get(life.key) ?? []).some(
      (at) =>
        at < life.startedAt && !asked.some((request) => request >= at && request <= life.startedAt),
    );
    return overlaps || unasked;
  });
}

/** When a runner was killed and when it was back up (null: never). Real epoch ms. */
export interface RunnerOutage {
  runner: string;
  killedAt: number;
  backAt: number | null;
}

/**
 * Healthy agents (behaviours that end by themselves) that died without finishing, except:
 * - the issue was cancelled (unlabeled or closed) before the agent died: a cancel stops agents;
 * - the runner that claimed the agent's attempt was killed after the claim and before the
 *   agent died, and stayed away longer than its lease TTL: the wrapper's dead-man's switch then
 *   stops the agent so it cannot overlap its replacement. (The claim, not the agent's first
 *   journal line, marks the start: a runner can die between spawning an agent and the agent's
 *   first word.) The lease was last renewed up to a third of the TTL before the kill and is
 *   renewed again only once the restarted runner has looked at its agents, so a runner away for
 *   more than half the TTL may still be late: then the attempt ends `lost` (a restarted runner
 *   never kills an agent it finds), and that too is the switch.
 * Anything else (a restart that killed instead of adopting, a stray stall or timeout kill of an
 * agent that was heartbeating and within its limits) counts, and must stay 0. An agent still
 * alive at the end is an orphan, not a kill.
 */
export function killedHealthy(input: {
  lives: readonly AgentLife[];
  /** Real time of the first unlabel or close per issue key. */
  cancelledAt: ReadonlyMap<string, number>;
  /** The attempt that ran the agent (by the wrapper pid it recorded): its runner and claim time. */
  attemptOf: (
    life: AgentLife,
  ) => { runnerId: string; startedAt: number; outcome?: string | null } | undefined;
  outages: readonly RunnerOutage[];
  leaseTtlRealMs: number;
}): AgentLife[] {
  return input.lives.filter((life) => {
    if (!HEALTHY_BEHAVIORS.has(life.behavior) || life.natural || life.diedAt === null) {
      return false;
    }
    const diedAt = life.diedAt;
    const cancel = input.cancelledAt.get(life.key);
    if (cancel !== undefined && cancel <= diedAt) return false;
    const attempt = input.attemptOf(life);
    const orphaned = input.outages.some(
      (o) =>
        o.runner === attempt?.runnerId &&
        o.killedAt >= attempt.startedAt &&
        o.killedAt <= diedAt &&
        (o.backAt === null ||
          o.backAt - o.killedAt > input.leaseTtlRealMs ||
          (attempt.outcome === "lost" && o.backAt - o.killedAt > input.leaseTtlRealMs / 2)),
    );
    return !orphaned;
  });
}
