import type { Scenario } from "./scenario.js";

/** One thing the simulator does to the emulated GitHub, at a scenario time. */
export type TimelineAction =
  | { at: number; kind: "label"; repo: string; issue: number; name: string; by: string }
  | { at: number; kind: "unlabel"; repo: string; issue: number; name: string; by: string }
  | { at: number; kind: "close"; repo: string; issue: number; by: string }
  | { at: number; kind: "redeliver"; repo: string; issue: number; label: string };

/** Flattens the scenario into actions in time order; ties keep file order. */
export function buildTimeline(scenario: Scenario): TimelineAction[] {
  const actions: TimelineAction[] = [];
  for (const issue of scenario.issues) {
    for (const label of issue.labels) {
      if ("name" in label) {
        actions.push({
          at: label.at,
          kind: "label",
          repo: issue.repo,
          issue: issue.number,
          name: label.name,
          by: label.by,
        });
      } else {
        actions.push({
          at: label.at,
          kind: "unlabel",
          repo: issue.repo,
          issue: issue.number,
          name: label.remove,
          by: label.by,
        });
      }
    }
    if (issue.close) {
      actions.push({
        at: issue.close.at,
        kind: "close",
        repo: issue.repo,
        issue: issue.number,
        by: issue.close.by,
      });
    }
  }
  for (const event of scenario.events) {
    const { repo, issue, label } = event.redeliver;
    // Without a time, a redelivery follows the label event it repeats.
    const original = actions.find(
      (a) => a.kind === "label" && a.repo === repo && a.issue === issue && a.name === label,
    );
    actions.push({ at: event.at ?? original?.at ?? 0, kind: "redeliver", repo, issue, label });
  }
  return actions
    .map((action, index) => ({ action, index }))
    .sort((a, b) => a.action.at - b.action.at || a.index - b.index)
    .map(({ action }) => action);
}
