import type { Scenario } from "./scenario.js";
import { buildTimeline, FIRST_RUNNER } from "./timeline.js";

/**
 * Events that cannot happen in the order given: starting a runner that runs, killing one that
 * does not, or anything scheduled inside a quiet period (which must measure an idle fleet).
 */
export function checkEventOrder(scenario: Scenario): Array<{ index: number; message: string }> {
  const problems: Array<{ index: number; message: string }> = [];
  const timeline = buildTimeline(scenario);
  const up = new Set([FIRST_RUNNER]);
  for (const action of timeline) {
    if (action.kind === "start-runner") {
      if (up.has(action.runner)) {
        problems.push({ index: action.index, message: `runner ${action.runner} is already up` });
      }
      up.add(action.runner);
    } else if (action.kind === "kill-runner") {
      if (!up.has(action.runner)) {
        problems.push({ index: action.index, message: `runner ${action.runner} is not running` });
      }
      up.delete(action.runner);
    }
  }
  for (const quiet of timeline) {
    if (quiet.kind !== "quiet") continue;
    const end = quiet.at + quiet.durationMs;
    const inside = timeline.find((a) => a !== quiet && a.at > quiet.at && a.at < end);
    if (inside) {
      problems.push({
        index: quiet.index,
        message: `a quiet period must be quiet, but a ${inside.kind} falls inside it`,
      });
    }
  }
  return problems;
}
