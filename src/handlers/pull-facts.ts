import type { Context } from "probot";
import { FLEET_CHECK_PREFIX } from "../github/pull-github.js";
import type { CheckEventFacts, PullClosedFacts } from "../merge/index.js";

/** The parts of a `pull_request.closed` payload the policy acts on. */
export function pullClosedFacts(context: Context<"pull_request.closed">): PullClosedFacts {
  const pull = context.payload.pull_request;
  return {
    prNumber: pull.number,
    merged: Boolean(pull.merged),
    mergeSha: pull.merged ? (pull.merge_commit_sha ?? null) : null,
    mergedBy: pull.merged_by?.login ?? null,
  };
}

const numbers = (pulls: ReadonlyArray<{ number: number }> | null | undefined) =>
  (pulls ?? []).map((p) => p.number);

/**
 * A completed check run, or null for the fleet's own `fleet/*` runs: judging a PR updates its
 * `fleet/policy` run, and that update must not come back here as a new event to judge.
 */
export function checkRunFacts(context: Context<"check_run.completed">): CheckEventFacts | null {
  const run = context.payload.check_run;
  if (run.name.startsWith(FLEET_CHECK_PREFIX)) return null;
  return { sha: run.head_sha, prNumbers: numbers(run.pull_requests) };
}

export function checkSuiteFacts(context: Context<"check_suite.completed">): CheckEventFacts {
  const suite = context.payload.check_suite;
  return { sha: suite.head_sha, prNumbers: numbers(suite.pull_requests) };
}

/** A commit status, or null for a `fleet/*` context. */
export function statusFacts(context: Context<"status">): CheckEventFacts | null {
  if (context.payload.context.startsWith(FLEET_CHECK_PREFIX)) return null;
  return { sha: context.payload.sha, prNumbers: [] };
}
