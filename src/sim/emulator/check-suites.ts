import type { Core, Queued } from "./core.js";
import { commitInfo } from "./git.js";
import type { AppInfo, SuiteState } from "./render.js";
import { timestamp } from "./store.js";
import type { CheckRun, CheckSuite, Pull, Repo, User } from "./types.js";

/**
 * Check suites group one app's runs on one commit; their status and conclusion are never stored,
 * always derived from the runs, so they cannot drift. Also the check webhooks, which carry them.
 */

/** Highest priority first: a suite reports the most severe conclusion among its runs. */
const CONCLUSION_PRIORITY = [
  "action_required",
  "cancelled",
  "timed_out",
  "failure",
  "startup_failure",
  "stale",
  "neutral",
  "skipped",
  "success",
];

/** One suite per app and head sha, created by the first run that needs it. */
export function suiteFor(
  core: Core,
  repo: Repo,
  sha: string,
  app: AppInfo,
  opts: { branch?: string | null; before?: string | null } = {},
): CheckSuite {
  for (const suite of core.store.checkSuites.values()) {
    if (suite.repo === repo.fullName && suite.headSha === sha && suite.appId === app.id) {
      return suite;
    }
  }
  const now = timestamp();
  const branch =
    opts.branch !== undefined
      ? opts.branch
      : (core.store.pullsOf(repo.fullName).find((p) => p.head.sha === sha)?.head.ref ?? null);
  const suite: CheckSuite = {
    id: core.store.nextId("check"),
    repo: repo.fullName,
    appId: app.id,
    headSha: sha,
    headBranch: branch,
    before: opts.before ?? null,
    after: sha,
    createdAt: now,
    updatedAt: now,
  };
  core.store.checkSuites.set(suite.id, suite);
  return suite;
}

/** The latest run per name decides, as GitHub's suite summary does. */
export function suiteState(core: Core, suite: CheckSuite): SuiteState {
  const runs = [...core.store.checkRuns.values()]
    .filter((r) => r.checkSuiteId === suite.id)
    .sort((a, b) => b.id - a.id)
    .filter((r, i, all) => all.findIndex((o) => o.name === r.name) === i);
  if (runs.length === 0) return { status: "queued", conclusion: null, runs: 0 };
  if (runs.some((r) => r.status !== "completed")) {
    const started = runs.some((r) => r.status === "in_progress" || r.status === "completed");
    return { status: started ? "in_progress" : "queued", conclusion: null, runs: runs.length };
  }
  const conclusions = runs.map((r) => r.conclusion ?? "neutral");
  const conclusion =
    CONCLUSION_PRIORITY.find((c) => conclusions.includes(c)) ?? conclusions[0] ?? null;
  return { status: "completed", conclusion, runs: runs.length };
}

/** Pulls a check belongs to: open ones whose head is the checked commit. */
function pullsAt(core: Core, repo: Repo, sha: string): Pull[] {
  return core.store
    .pullsOf(repo.fullName)
    .filter((p) => p.issue.state === "open" && p.head.sha === sha);
}

export function renderCheckRun(core: Core, repo: Repo, run: CheckRun) {
  const pulls = core.store.pullsOf(repo.fullName).filter((p) => p.head.sha === run.headSha);
  return core.render.checkRun(repo, run, { pulls, app: core.appById(run.appId) });
}

export async function renderCheckSuite(
  core: Core,
  repo: Repo,
  suite: CheckSuite,
  opts: { rest?: boolean } = {},
) {
  return core.render.checkSuite(repo, suite, {
    state: suiteState(core, suite),
    pulls: pullsAt(core, repo, suite.headSha),
    app: core.appById(suite.appId),
    head: await commitInfo(repo.gitDir, suite.headSha),
    ...opts,
  });
}

export function checkRunEvent(
  core: Core,
  repo: Repo,
  run: CheckRun,
  action: "created" | "completed",
  sender: User,
): Queued {
  const record = core.store.checkSuites.get(run.checkSuiteId);
  if (!record) throw new Error(`emulator: check run ${run.id} has no suite`);
  const delivered = core.hooks.send("check_run", {
    action,
    check_run: core.render.checkRun(repo, run, {
      pulls: pullsAt(core, repo, run.headSha),
      app: core.appById(run.appId),
      suite: { record, state: suiteState(core, record) },
    }),
    ...core.envelope(repo, sender),
  });
  return { delivered };
}

export async function checkSuiteCompletedEvent(
  core: Core,
  repo: Repo,
  suite: CheckSuite,
  sender: User,
): Promise<Queued> {
  const delivered = core.hooks.send("check_suite", {
    action: "completed",
    check_suite: await renderCheckSuite(core, repo, suite),
    ...core.envelope(repo, sender),
  });
  return { delivered };
}
