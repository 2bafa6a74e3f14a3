import type { Scenario } from "./scenario.js";

/** One thing the simulator does, at a scenario time. */
export type TimelineAction =
  | { at: number; kind: "label"; repo: string; issue: number; name: string; by: string }
  | { at: number; kind: "unlabel"; repo: string; issue: number; name: string; by: string }
  | { at: number; kind: "close"; repo: string; issue: number; by: string }
  | { at: number; kind: "redeliver"; repo: string; issue: number; label: string }
  | { at: number; kind: "start-runner"; runner: string; index: number }
  | { at: number; kind: "kill-runner"; runner: string; index: number }
  | { at: number; kind: "restart-server"; index: number }
  | { at: number; kind: "kill-server"; index: number }
  | { at: number; kind: "start-server"; index: number }
  | { at: number; kind: "stop-postgres"; index: number }
  | { at: number; kind: "start-postgres"; index: number }
  | { at: number; kind: "redeliver-storm"; count: number; index: number }
  | { at: number; kind: "quiet"; durationMs: number; index: number }
  | {
      at: number;
      kind: "review";
      repo: string;
      issue: number;
      by: string;
      state: "approved" | "changes_requested" | "commented";
      body: string;
    }
  | {
      at: number;
      kind: "comment";
      repo: string;
      issue: number;
      by: string;
      body: string;
      on: "issue" | "pr";
    }
  | {
      at: number;
      kind: "commit";
      repo: string;
      files: Record<string, string | null>;
      message: string;
      by: string;
      index: number;
    };

/** Flattens the scenario into actions in time order; ties keep file order. */
export function buildTimeline(scenario: Scenario): TimelineAction[] {
  const actions: TimelineAction[] = [];
  for (const issue of scenario.issues) {
    for (const label of issue.labels) {
      const where = { repo: issue.repo, issue: issue.number, by: label.by, at: label.at };
      if ("name" in label) actions.push({ ...where, kind: "label", name: label.name });
      else actions.push({ ...where, kind: "unlabel", name: label.remove });
    }
    for (const review of issue.review) {
      actions.push({ ...review, kind: "review", repo: issue.repo, issue: issue.number });
    }
    for (const comment of issue.comment) {
      actions.push({ ...comment, kind: "comment", repo: issue.repo, issue: issue.number });
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
  scenario.events.forEach((event, index) => {
    if ("redeliver" in event) {
      const { repo, issue, label } = event.redeliver;
      // Without a time, a redelivery follows the label event it repeats.
      const original = actions.find(
        (a) => a.kind === "label" && a.repo === repo && a.issue === issue && a.name === label,
      );
      actions.push({ at: event.at ?? original?.at ?? 0, kind: "redeliver", repo, issue, label });
    } else if ("start-runner" in event) {
      actions.push({ at: event.at, kind: "start-runner", runner: event["start-runner"], index });
    } else if ("kill-runner" in event) {
      actions.push({ at: event.at, kind: "kill-runner", runner: event["kill-runner"], index });
    } else if ("restart-server" in event) {
      actions.push({ at: event.at, kind: "restart-server", index });
    } else if ("kill-server" in event) {
      // A kill and its restart are two actions, so the timeline plays on while the server is down.
      actions.push({ at: event.at, kind: "kill-server", index });
      actions.push({ at: event.at + event["kill-server"].down, kind: "start-server", index });
    } else if ("restart-postgres" in event) {
      actions.push({ at: event.at, kind: "stop-postgres", index });
      const back = event.at + event["restart-postgres"].down;
      actions.push({ at: back, kind: "start-postgres", index });
    } else if ("redeliver-storm" in event) {
      const { count } = event["redeliver-storm"];
      actions.push({ at: event.at, kind: "redeliver-storm", count, index });
    } else if ("commit" in event) {
      // Not an issue action: it runs alone, in order, like the runner and server events.
      const { repo, files, message, by } = event.commit;
      actions.push({ at: event.at, kind: "commit", repo: repo, files, message, by, index });
    } else {
      actions.push({ at: event.at, kind: "quiet", durationMs: event.quiet, index });
    }
  });
  return actions
    .map((action, order) => ({ action, order }))
    .sort((a, b) => a.action.at - b.action.at || a.order - b.order)
    .map(({ action }) => action);
}

/** The runner the simulator starts by itself, before the timeline begins. */
export const FIRST_RUNNER = "a";
