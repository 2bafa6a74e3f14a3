import type { Probot, ProbotOctokit } from "probot";
import type { CheckState } from "../policies/merge-decision.js";
import type { ChangedFile } from "../policies/size.js";
import { splitRepo } from "./octokit-github.js";
import { type RepoRole, roleFromPermission } from "./permissions.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface PullInfo {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  /** The merge commit once merged (null before). */
  mergeSha: string | null;
  headSha: string;
  headRef: string;
  baseRef: string;
  /** GitHub computes it lazily: null means "not known yet", false a conflict with the base. */
  mergeable: boolean | null;
  labels: string[];
  title: string;
  body: string;
  url: string;
}

export interface PullFile extends ChangedFile {
  /** Where a renamed file came from. */
  previousFilename?: string;
}

/** A check run or a commit status, in the one shape the policy reads. */
export interface PullCheck {
  name: string;
  state: CheckState;
  source: "check_run" | "status";
  title: string;
  summary: string;
  url: string | null;
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

export interface PullReview {
  id: number;
  user: string;
  state: ReviewState;
  /** The head the review was given on. */
  commitId: string;
  body: string;
  submittedAt: string | null;
}

export interface ReviewComment {
  path: string;
  line: number | null;
  body: string;
}

export type CheckRunStatus = "queued" | "in_progress" | "completed";
export type CheckRunConclusion =
  | "success"
  | "failure"
  | "neutral"
  | "action_required"
  | "cancelled"
  | "skipped";

export interface CheckRunInput {
  /** Updates this run in place; without it a new run is created. */
  id?: number | null;
  headSha: string;
  name: string;
  status: CheckRunStatus;
  conclusion?: CheckRunConclusion;
  title: string;
  summary: string;
  detailsUrl?: string | null;
}

export type MergeResult =
  | { merged: true; sha: string }
  | { merged: false; reason: "head_moved" | "not_mergeable" | "conflict"; message: string };

/** What the merge policy needs from GitHub for one repository, and nothing more. */
export interface PullGitHub {
  readonly repoFullName: string;
  getPull(number: number): Promise<PullInfo>;
  listFiles(number: number): Promise<PullFile[]>;
  /** A file's text at a ref, or null when there is no such file. */
  readFile(path: string, ref: string): Promise<string | null>;
  /** Check runs and commit statuses on a commit, without the fleet's own `fleet/*` runs. */
  checksFor(sha: string): Promise<PullCheck[]>;
  listReviews(number: number): Promise<PullReview[]>;
  reviewComments(number: number, reviewId: number): Promise<ReviewComment[]>;
  roleOf(login: string): Promise<RepoRole>;
  /** Creates or updates a check run; returns its id. */
  upsertCheckRun(run: CheckRunInput): Promise<number>;
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  removeLabel(number: number, label: string): Promise<void>;
  /** Logins, or `org/team` for a team. */
  requestReviewers(number: number, reviewers: readonly string[]): Promise<void>;
  /** Merges only if the head is still `sha`. */
  merge(
    number: number,
    options: { sha: string; method: string; title: string },
  ): Promise<MergeResult>;
  comment(number: number, body: string): Promise<void>;
  closeIssue(number: number): Promise<void>;
  getIssueState(number: number): Promise<"open" | "closed">;
}

export interface PullGitHubFactory {
  forRepo(installationId: number, repoFullName: string): Promise<PullGitHub>;
}

/** Check runs the fleet posts itself; they never count as the PR's checks. */
export const FLEET_CHECK_PREFIX = "fleet/";
export const POLICY_CHECK_NAME = "fleet/policy";

/** GitHub caps a check run's summary at 65535 characters. */
const MAX_SUMMARY = 65_000;

const status = (error: unknown) => (error as { status?: number }).status;
const messageOf = (error: unknown) =>
  (error as { response?: { data?: { message?: string } } }).response?.data?.message ??
  (error as Error).message ??
  String(error);

/** A check run's status and conclusion, in the policy's words. */
export function checkRunState(run: { status: string; conclusion: string | null }): CheckState {
  if (run.status !== "completed") return "pending";
  switch (run.conclusion) {
    case "success":
      return "success";
    case "neutral":
      return "neutral";
    case "skipped":
      return "skipped";
    case "stale":
      // GitHub marks a run stale when it never completed: still no answer.
      return "pending";
    default:
      // failure, timed_out, cancelled, action_required, startup_failure: not a pass.
      return "failure";
  }
}

export function commitStatusState(state: string): CheckState {
  if (state === "success") return "success";
  if (state === "pending") return "pending";
  return "failure";
}

export function pullGitHub(octokit: Octokit, repoFullName: string): PullGitHub {
  const { owner, repo } = splitRepo(repoFullName);
  const where = { owner, repo };
  return {
    repoFullName,

    async getPull(number) {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
        ...where,
        pull_number: number,
      });
      return {
        number: data.number,
        state: data.state === "closed" ? "closed" : "open",
        merged: Boolean(data.merged),
        mergeSha: data.merged ? (data.merge_commit_sha ?? null) : null,
        headSha: data.head.sha,
        headRef: data.head.ref,
        baseRef: data.base.ref,
        mergeable: data.mergeable ?? null,
        labels: data.labels.map((l) => l.name ?? "").filter(Boolean),
        title: data.title,
        body: data.body ?? "",
        url: data.html_url,
      };
    },

    async listFiles(number) {
      const files = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
        ...where,
        pull_number: number,
        per_page: 100,
      });
      return files.map((f) => ({
        filename: f.filename,
        additions: f.additions,
        deletions: f.deletions,
        ...(f.previous_filename ? { previousFilename: f.previous_filename } : {}),
      }));
    },

    async readFile(path, ref) {
      try {
        const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
          ...where,
          path,
          ref,
          headers: { accept: "application/vnd.github.raw+json" },
        });
        // A directory answers with a listing, not text.
        return typeof data === "string" ? data : null;
      } catch (error) {
        if (status(error) === 404) return null;
        throw error;
      }
    },

    async checksFor(sha) {
      const runs = await octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        ...where,
        ref: sha,
        per_page: 100,
      });
      // The newest run of each name wins (a re-run replaces the earlier result).
      const latest = new Map<string, (typeof runs)[number]>();
      for (const run of runs) {
        if (run.name.startsWith(FLEET_CHECK_PREFIX)) continue;
        const seen = latest.get(run.name);
        if (!seen || seen.id < run.id) latest.set(run.name, run);
      }
      const { data: combined } = await octokit.request(
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        { ...where, ref: sha, per_page: 100 },
      );
      const checks: PullCheck[] = [...latest.values()].map((run) => ({
        name: run.name,
        state: checkRunState(run),
        source: "check_run",
        title: run.output?.title ?? "",
        summary: run.output?.summary ?? "",
        url: run.details_url ?? run.html_url ?? null,
      }));
      for (const s of combined.statuses ?? []) {
        if (s.context.startsWith(FLEET_CHECK_PREFIX)) continue;
        checks.push({
          name: s.context,
          state: commitStatusState(s.state),
          source: "status",
          title: s.description ?? "",
          summary: s.description ?? "",
          url: s.target_url ?? null,
        });
      }
      return checks;
    },

    async listReviews(number) {
      const reviews = await octokit.paginate(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        { ...where, pull_number: number, per_page: 100 },
      );
      return reviews.map((r) => ({
        id: r.id,
        user: r.user?.login ?? "",
        state: r.state as ReviewState,
        commitId: r.commit_id ?? "",
        body: r.body ?? "",
        submittedAt: r.submitted_at ?? null,
      }));
    },

    async reviewComments(number, reviewId) {
      const comments = await octokit.paginate(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
        { ...where, pull_number: number, review_id: reviewId, per_page: 100 },
      );
      return comments.map((c) => ({
        path: c.path,
        line: c.line ?? c.original_line ?? null,
        body: c.body,
      }));
    },

    async roleOf(username) {
      try {
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
          { ...where, username },
        );
        return roleFromPermission(data);
      } catch (error) {
        if (status(error) === 404) return "none";
        throw error;
      }
    },

    async upsertCheckRun(run) {
      const summary =
        run.summary.length > MAX_SUMMARY
          ? `${run.summary.slice(0, MAX_SUMMARY)}\n\n(truncated)`
          : run.summary;
      const fields = {
        name: run.name,
        status: run.status,
        ...(run.conclusion ? { conclusion: run.conclusion } : {}),
        ...(run.detailsUrl ? { details_url: run.detailsUrl } : {}),
        output: { title: run.title, summary },
      };
      if (run.id) {
        try {
          const { data } = await octokit.request(
            "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
            { ...where, check_run_id: run.id, ...fields },
          );
          return Number(data.id);
        } catch (error) {
          // Gone, or a completed run GitHub will not reopen: report on a new run instead.
          if (status(error) !== 404 && status(error) !== 422) throw error;
        }
      }
      const { data } = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
        ...where,
        head_sha: run.headSha,
        ...fields,
      });
      return Number(data.id);
    },

    async addLabels(number, labels) {
      if (labels.length === 0) return;
      await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", {
        ...where,
        issue_number: number,
        labels: [...labels],
      });
    },

    async removeLabel(number, label) {
      try {
        await octokit.request("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {
          ...where,
          issue_number: number,
          name: label,
        });
      } catch (error) {
        if (status(error) !== 404) throw error;
      }
    },

    async requestReviewers(number, reviewers) {
      const users = reviewers.filter((r) => !r.includes("/"));
      const teams = reviewers.filter((r) => r.includes("/")).map((t) => t.split("/").pop() ?? t);
      if (users.length === 0 && teams.length === 0) return;
      await octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
        ...where,
        pull_number: number,
        reviewers: users,
        ...(teams.length ? { team_reviewers: teams } : {}),
      });
    },

    async merge(number, options) {
      try {
        const { data } = await octokit.request(
          "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
          {
            ...where,
            pull_number: number,
            sha: options.sha,
            merge_method: options.method as "merge" | "squash" | "rebase",
            commit_title: options.title,
          },
        );
        return { merged: true, sha: data.sha };
      } catch (error) {
        const message = messageOf(error);
        // 409: the head moved past the SHA guard. 405: GitHub will not merge it as it is.
        if (status(error) === 409) return { merged: false, reason: "head_moved", message };
        if (status(error) === 405) {
          const reason = /conflict/i.test(message) ? "conflict" : "not_mergeable";
          return { merged: false, reason, message };
        }
        throw error;
      }
    },

    async comment(number, body) {
      await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...where,
        issue_number: number,
        body,
      });
    },

    async closeIssue(number) {
      await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
        ...where,
        issue_number: number,
        state: "closed",
        state_reason: "completed",
      });
    },

    async getIssueState(number) {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
        ...where,
        issue_number: number,
      });
      return data.state === "closed" ? "closed" : "open";
    },
  };
}

/** Per-repository clients from the app's credentials, for callers outside a webhook. */
export function probotPullGitHubFactory(probot: Probot): PullGitHubFactory {
  return {
    async forRepo(installationId, repoFullName) {
      return pullGitHub(await probot.auth(installationId), repoFullName);
    },
  };
}
