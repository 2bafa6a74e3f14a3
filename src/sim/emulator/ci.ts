import { checkRunEvent, checkSuiteCompletedEvent, suiteFor, suiteState } from "./check-suites.js";
import type { Core } from "./core.js";
import { timestamp } from "./store.js";
import type { CheckRun, Pull, Repo } from "./types.js";

/**
 * A stand-in for GitHub Actions: a separate app that checks a pull's head when it is opened or
 * pushed to, and the default branch after a merge. What each run concludes is set by rules, not
 * by running anything, so scenarios can script red and green builds.
 */

export type CiOutcome = "success" | "failure" | "pending";

export interface CiRule {
  /** What CI concludes on a pull's head; a list gives one outcome per run on that pull, the last repeating. */
  pr: CiOutcome | CiOutcome[];
  /** What CI concludes on the default branch after the pull merged ("none": no run at all). */
  postMerge: "success" | "failure" | "none";
  /** How long a run stays in progress before it completes. */
  durationMs: number;
  /** The check run's name (default "ci"). */
  name?: string;
  /** The output a failed run reports. */
  failure?: { title: string; summary: string };
}

export type CiMatch = { headRef: string | RegExp } | "default";

export interface CiRun {
  checkRunId: number;
  repo: string;
  sha: string;
  /** The branch the run checked: the pull's head, or the default branch. */
  ref: string;
  kind: "pr" | "postMerge" | "push";
  pull: number | null;
  name: string;
  outcome: CiOutcome;
  /** null while the run is in progress. */
  conclusion: "success" | "failure" | null;
  startedAt: string;
  completedAt: string | null;
}

export const DEFAULT_CI_RULE: CiRule = {
  pr: "success",
  postMerge: "success",
  durationMs: 0,
  name: "ci",
};

const DEFAULT_FAILURE = {
  title: "2 tests failed",
  summary: [
    "FAIL src/math.test.ts > add > adds two numbers",
    "  expected 5 to be 4",
    "FAIL src/math.test.ts > add > handles negatives",
    "  expected -1 to be -3",
  ].join("\n"),
};

interface Entry {
  match: CiMatch;
  rule: CiRule;
}

export class SimulatedCi {
  readonly runs: CiRun[] = [];
  private readonly rules = new Map<string, Entry[]>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  /** Everything started and not yet answered by the app: timers, then deliveries. */
  private readonly work = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly core: Core) {}

  /** A later rule for the same match replaces the earlier one. */
  setRule(slug: string, match: CiMatch, rule: CiRule): void {
    const key = slug.toLowerCase();
    const same = (m: CiMatch) => {
      if (m === "default" || match === "default") return m === match;
      return String(m.headRef) === String(match.headRef);
    };
    const entries = (this.rules.get(key) ?? []).filter((e) => !same(e.match));
    entries.push({ match, rule });
    this.rules.set(key, entries);
  }

  /** An exact branch name wins over a pattern; among patterns, the newest; then the default. */
  ruleFor(slug: string, headRef: string): CiRule {
    const entries = this.rules.get(slug.toLowerCase()) ?? [];
    const exact = entries.find((e) => e.match !== "default" && e.match.headRef === headRef);
    const pattern = [...entries]
      .reverse()
      .find(
        (e) =>
          e.match !== "default" &&
          e.match.headRef instanceof RegExp &&
          test(e.match.headRef, headRef),
      );
    const fallback = entries.find((e) => e.match === "default");
    return { ...DEFAULT_CI_RULE, ...(exact ?? pattern ?? fallback)?.rule };
  }

  /** CI on a pull's current head, unless that commit was already checked for a pull. */
  startForPull(repo: Repo, pull: Pull, before: string | null = null): CiRun | undefined {
    const sha = pull.head.sha;
    if (this.runs.some((r) => r.repo === repo.fullName && r.sha === sha && r.kind === "pr")) {
      return undefined;
    }
    const rule = this.ruleFor(repo.fullName, pull.head.ref);
    const earlier = this.runs.filter(
      (r) => r.repo === repo.fullName && r.kind === "pr" && r.pull === pull.number,
    ).length;
    const outcomes = Array.isArray(rule.pr) ? rule.pr : [rule.pr];
    const outcome = outcomes[Math.min(earlier, outcomes.length - 1)] ?? "success";
    return this.start(repo, { sha, ref: pull.head.ref, kind: "pr", pull, outcome, rule, before });
  }

  /** CI on the default branch after `pull` merged as `sha`, per the pull's rule. */
  startPostMerge(repo: Repo, pull: Pull, sha: string, before: string | null): CiRun | undefined {
    const rule = this.ruleFor(repo.fullName, pull.head.ref);
    if (rule.postMerge === "none") return undefined;
    const outcome = rule.postMerge;
    return this.start(repo, {
      sha,
      ref: pull.base.ref,
      kind: "postMerge",
      pull,
      outcome,
      rule,
      before,
    });
  }

  /** CI on a direct push to the default branch, per the rule for that branch's name. */
  startForPush(repo: Repo, branch: string, sha: string, before: string | null): CiRun | undefined {
    const rule = this.ruleFor(repo.fullName, branch);
    if (rule.postMerge === "none") return undefined;
    const outcome = rule.postMerge;
    return this.start(repo, { sha, ref: branch, kind: "push", pull: null, outcome, rule, before });
  }

  private start(
    repo: Repo,
    spec: {
      sha: string;
      ref: string;
      kind: CiRun["kind"];
      pull: Pull | null;
      outcome: CiOutcome;
      rule: CiRule;
      before: string | null;
    },
  ): CiRun | undefined {
    if (this.closed) return undefined;
    const { core } = this;
    const app = core.ciApp;
    const suite = suiteFor(core, repo, spec.sha, app, { branch: spec.ref, before: spec.before });
    const now = timestamp();
    const id = core.store.nextId("check");
    const run: CheckRun = {
      id,
      repo: repo.fullName,
      name: spec.rule.name ?? "ci",
      headSha: spec.sha,
      status: "in_progress",
      conclusion: null,
      startedAt: now,
      completedAt: null,
      detailsUrl: `${core.base}/${repo.fullName}/actions/runs/${id}`,
      externalId: `ci-${id}`,
      output: { title: "Running tests", summary: "The test suite is running.", text: null },
      checkSuiteId: suite.id,
      appId: app.id,
    };
    core.store.checkRuns.set(run.id, run);
    suite.updatedAt = now;
    const record: CiRun = {
      checkRunId: run.id,
      repo: repo.fullName,
      sha: spec.sha,
      ref: spec.ref,
      kind: spec.kind,
      pull: spec.pull?.number ?? null,
      name: run.name,
      outcome: spec.outcome,
      conclusion: null,
      startedAt: now,
      completedAt: null,
    };
    this.runs.push(record);
    this.track(checkRunEvent(core, repo, run, "created", app.bot).delivered);
    if (spec.outcome !== "pending") {
      const outcome = spec.outcome;
      this.track(
        new Promise<void>((done) => {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.track(this.finish(repo, run, record, outcome, spec.rule));
            done();
          }, spec.rule.durationMs);
          this.timers.set(timer, done);
        }),
      );
    }
    return record;
  }

  private async finish(
    repo: Repo,
    run: CheckRun,
    record: CiRun,
    outcome: "success" | "failure",
    rule: CiRule,
  ): Promise<void> {
    if (this.closed) return;
    const { core } = this;
    const now = timestamp();
    const failure = rule.failure ?? DEFAULT_FAILURE;
    Object.assign(run, {
      status: "completed",
      conclusion: outcome,
      completedAt: now,
      output:
        outcome === "success"
          ? { title: "All tests passed", summary: "42 tests passed.", text: null }
          : { title: failure.title, summary: failure.summary, text: null },
    });
    record.conclusion = outcome;
    record.completedAt = now;
    const suite = core.store.checkSuites.get(run.checkSuiteId);
    if (suite) suite.updatedAt = now;
    const sent = [checkRunEvent(core, repo, run, "completed", core.ciApp.bot).delivered];
    if (suite && suiteState(core, suite).status === "completed") {
      sent.push((await checkSuiteCompletedEvent(core, repo, suite, core.ciApp.bot)).delivered);
    }
    await Promise.all(sent);
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      (error: unknown) => this.core.opts.log?.error({ err: error }, "simulated CI failed"),
    );
    this.work.add(settled);
    void settled.finally(() => this.work.delete(settled));
  }

  /** True when no run is waiting to complete and no CI webhook waits for an answer. */
  idle(): boolean {
    return this.work.size === 0;
  }

  /** Resolves once every run that will complete has completed and the app answered its webhooks. */
  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  close(): void {
    this.closed = true;
    for (const [timer, done] of this.timers) {
      clearTimeout(timer);
      done();
    }
    this.timers.clear();
  }
}

function test(pattern: RegExp, value: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(value);
}
