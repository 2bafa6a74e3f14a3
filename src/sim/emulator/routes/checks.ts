import { renderCheckRun, renderCheckSuite, suiteFor } from "../check-suites.js";
import { resolveCommit } from "../git.js";
import { HttpError, notFound } from "../http.js";
import { timestamp } from "../store.js";
import type { CheckRun } from "../types.js";
import type { Routes } from "./route.js";

/**
 * The app's own check runs are stored as given (the simulated CI writes its runs directly).
 * One check suite per app and head sha.
 */

// biome-ignore lint/suspicious/noExplicitAny: the body was validated against the description
function apply(run: CheckRun, body: any): void {
  if (typeof body.name === "string") run.name = body.name;
  if (typeof body.details_url === "string") run.detailsUrl = body.details_url;
  if (typeof body.external_id === "string") run.externalId = body.external_id;
  if (typeof body.started_at === "string") run.startedAt = body.started_at;
  if (typeof body.status === "string") run.status = body.status;
  if (body.output) {
    run.output = {
      title: body.output.title ?? null,
      summary: body.output.summary ?? null,
      text: body.output.text ?? null,
    };
  }
  if (typeof body.conclusion === "string") {
    run.conclusion = body.conclusion;
    run.status = "completed";
  }
  if (run.status === "completed") {
    run.completedAt =
      typeof body.completed_at === "string" ? body.completed_at : (run.completedAt ?? timestamp());
  }
}

export const checkRoutes: Routes = {
  "POST /repos/{owner}/{repo}/check-runs": {
    auth: "installation",
    handle: async ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["checks"], "write");
      const sha = await resolveCommit(repo.gitDir, String(body.head_sha));
      if (!sha?.startsWith(String(body.head_sha))) {
        throw new HttpError(422, `No commit found for SHA: ${body.head_sha}`);
      }
      const run: CheckRun = {
        id: core.store.nextId("check"),
        repo: repo.fullName,
        name: String(body.name),
        headSha: sha,
        status: "queued",
        conclusion: null,
        startedAt: timestamp(),
        completedAt: null,
        detailsUrl: null,
        externalId: null,
        output: { title: null, summary: null, text: null },
        checkSuiteId: suiteFor(core, repo, sha, core.app).id,
        appId: core.app.id,
      };
      apply(run, body);
      core.store.checkRuns.set(run.id, run);
      return { status: 201, body: renderCheckRun(core, repo, run) };
    },
  },

  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["checks"], "read");
      const run = core.store.checkRuns.get(Number(params.check_run_id));
      if (!run || run.repo !== repo.fullName) throw notFound();
      return { status: 200, body: renderCheckRun(core, repo, run) };
    },
  },

  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": {
    auth: "installation",
    handle: ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["checks"], "write");
      const run = core.store.checkRuns.get(Number(params.check_run_id));
      if (!run || run.repo !== repo.fullName) throw notFound();
      apply(run, body);
      return { status: 200, body: renderCheckRun(core, repo, run) };
    },
  },

  /** `filter=latest` (the default) keeps the newest run per name, as GitHub does. */
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": {
    auth: "installation",
    handle: async ({ core, token, params, query }) => {
      const repo = core.repoFor(token, params, ["checks"], "read");
      const sha = await resolveCommit(repo.gitDir, params.ref ?? "");
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${params.ref}`);
      const name = query.get("check_name");
      const status = query.get("status");
      const appId = query.get("app_id");
      let runs = core.store
        .checkRunsOf(repo.fullName, sha)
        .filter((r) => !name || r.name === name)
        .filter((r) => !status || r.status === status)
        .filter((r) => !appId || r.appId === Number(appId))
        .sort((a, b) => b.id - a.id);
      if (query.get("filter") !== "all") {
        runs = runs.filter(
          (r, i) => runs.findIndex((o) => o.name === r.name && o.appId === r.appId) === i,
        );
      }
      return {
        status: 200,
        body: {
          total_count: runs.length,
          check_runs: runs.map((r) => renderCheckRun(core, repo, r)),
        },
      };
    },
  },

  /** Suites of every app on a commit; status and conclusion follow their runs. */
  "GET /repos/{owner}/{repo}/commits/{ref}/check-suites": {
    auth: "installation",
    handle: async ({ core, token, params, query }) => {
      const repo = core.repoFor(token, params, ["checks"], "read");
      const sha = await resolveCommit(repo.gitDir, params.ref ?? "");
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${params.ref}`);
      const appId = query.get("app_id");
      const suites = [...core.store.checkSuites.values()]
        .filter((s) => s.repo === repo.fullName && s.headSha === sha)
        .filter((s) => !appId || s.appId === Number(appId))
        .sort((a, b) => a.id - b.id);
      return {
        status: 200,
        body: {
          total_count: suites.length,
          check_suites: await Promise.all(
            suites.map((s) => renderCheckSuite(core, repo, s, { rest: true })),
          ),
        },
      };
    },
  },
};
