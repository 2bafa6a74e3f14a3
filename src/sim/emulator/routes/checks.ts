import type { Core } from "../core.js";
import { resolveCommit } from "../git.js";
import { HttpError, notFound } from "../http.js";
import { timestamp } from "../store.js";
import type { CheckRun, Repo } from "../types.js";
import type { Routes } from "./route.js";

/** Check runs are stored as given; simulated CI comes later. One check suite per head sha. */

function suiteId(core: Core, repo: Repo, sha: string): number {
  const key = `${repo.fullName}@${sha}`;
  let id = core.store.checkSuites.get(key);
  if (id === undefined) {
    id = core.store.nextId("check");
    core.store.checkSuites.set(key, id);
  }
  return id;
}

function render(core: Core, repo: Repo, run: CheckRun) {
  const pulls = core.store.pullsOf(repo.fullName).filter((p) => p.head.sha === run.headSha);
  return core.render.checkRun(repo, run, pulls);
}

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
        checkSuiteId: suiteId(core, repo, sha),
      };
      apply(run, body);
      core.store.checkRuns.set(run.id, run);
      return { status: 201, body: render(core, repo, run) };
    },
  },

  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["checks"], "read");
      const run = core.store.checkRuns.get(Number(params.check_run_id));
      if (!run || run.repo !== repo.fullName) throw notFound();
      return { status: 200, body: render(core, repo, run) };
    },
  },

  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": {
    auth: "installation",
    handle: ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["checks"], "write");
      const run = core.store.checkRuns.get(Number(params.check_run_id));
      if (!run || run.repo !== repo.fullName) throw notFound();
      apply(run, body);
      return { status: 200, body: render(core, repo, run) };
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
      let runs = [...core.store.checkRuns.values()]
        .filter((r) => r.repo === repo.fullName && r.headSha === sha)
        .filter((r) => !name || r.name === name)
        .filter((r) => !status || r.status === status)
        .sort((a, b) => b.id - a.id);
      if (query.get("filter") !== "all") {
        runs = runs.filter((r, i) => runs.findIndex((o) => o.name === r.name) === i);
      }
      return {
        status: 200,
        body: { total_count: runs.length, check_runs: runs.map((r) => render(core, repo, r)) },
      };
    },
  },
};
