/**
 * A stateful, in-memory GitHub for end-to-end tests and `fleet simulate`: REST over loopback,
 * checked against GitHub's published description, with real bare git repos as remotes and
 * signed webhooks to the app. The app reaches it only through Octokit's `baseUrl`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";
import type { CiMatch, CiOutcome, CiRule, CiRun } from "./ci.js";
import { addStatus } from "./commit-statuses.js";
import { Core } from "./core.js";
import type { FaultPlan, FaultStats } from "./faults.js";
import { initBareRepo, logCommits, resolveCommit } from "./git.js";
import { type MergeMethod, mergePull } from "./merge.js";
import { openApiLoadMs } from "./openapi.js";
import { installPushHook } from "./push-hook.js";
import { addReview } from "./reviews.js";
import { appRoutes } from "./routes/app.js";
import { checkRoutes } from "./routes/checks.js";
import { hookRoutes } from "./routes/hooks.js";
import { issueRoutes } from "./routes/issues.js";
import { pullRoutes } from "./routes/pulls.js";
import { repoRoutes } from "./routes/repos.js";
import { reviewRoutes } from "./routes/reviews.js";
import { statusRoutes } from "./routes/statuses.js";
import { createHandler } from "./server.js";
import { timestamp } from "./store.js";
import type {
  CheckRun,
  CheckSuite,
  Comment,
  CommitStatus,
  Delivery,
  Installation,
  InstallationToken,
  Issue,
  Permissions,
  Pull,
  Reaction,
  Repo,
  RepoRole,
  Review,
  ReviewComment,
  RouteStats,
  StatusState,
  User,
} from "./types.js";
import { commitOnBranch } from "./web-commits.js";

export { DEFAULT_CI_RULE } from "./ci.js";
export { API_FAULT_KINDS, type ApiFaultKind, type FaultPlan, type FaultStats } from "./faults.js";
export type {
  CheckRun,
  CheckSuite,
  CiMatch,
  CiOutcome,
  CiRule,
  CiRun,
  Comment,
  CommitStatus,
  Delivery,
  Installation,
  InstallationToken,
  Issue,
  MergeMethod,
  Permissions,
  Pull,
  Reaction,
  Repo,
  RepoRole,
  Review,
  ReviewComment,
  RouteStats,
  StatusState,
  User,
};

/** The permissions app.yml asks for; tokens can narrow them, never widen them. */
export const DEFAULT_APP_PERMISSIONS: Permissions = {
  issues: "write",
  pull_requests: "write",
  contents: "write",
  checks: "write",
  statuses: "read",
  metadata: "read",
};

export interface EmulatorOptions {
  /** Folder where the bare repos are created, as <owner>/<name>.git. */
  gitRoot: string;
  /** Where webhooks are POSTed; can be set later with setWebhookUrl. */
  webhookUrl?: string;
  webhookSecret: string;
  appId: number;
  /** PEM; when given, app JWTs must carry a valid RS256 signature. */
  appPublicKey?: string;
  /** The app's slug; its bot user is `<slug>[bot]`. */
  appSlug?: string;
  appPermissions?: Permissions;
  /** Check every JSON answer against the OpenAPI description (default true). */
  checkResponses?: boolean;
  log?: Logger;
}

export interface RepoSpec {
  slug: string;
  files?: Record<string, string>;
  /** Written to .github/fleet.yml in the initial commit. */
  fleetConfig?: string;
  collaborators?: Record<string, RepoRole>;
  defaultBranch?: string;
  /** Who owns the repo (default Organization). A User owner is admin of their repos. */
  ownerType?: "User" | "Organization";
}

export interface RepoInfo {
  id: number;
  slug: string;
  owner: string;
  name: string;
  defaultBranch: string;
  gitDir: string;
  cloneUrl: string;
  installationId: number;
  initialCommit: string;
}

export interface IssueInfo {
  id: number;
  number: number;
  url: string;
  htmlUrl: string;
  /** The issues.opened delivery. */
  delivery: Delivery;
}

export interface EmulatorState {
  repos(): Repo[];
  repo(slug: string): Repo | undefined;
  /** Issues of a repo, pulls excluded. */
  issues(slug: string): Issue[];
  issue(slug: string, number: number): Issue | undefined;
  labels(slug: string, number: number): string[];
  comments(slug: string, number: number): Comment[];
  pulls(slug: string): Pull[];
  pull(slug: string, number: number): Pull | undefined;
  checkRuns(slug: string): CheckRun[];
  /** Reviews of a pull, oldest first. */
  reviews(slug: string, pull: number): Review[];
  /** Line comments of a pull's reviews, oldest first. */
  reviewComments(slug: string, pull: number): ReviewComment[];
  /** Commit statuses posted on a commit, oldest first. */
  statuses(slug: string, sha: string): CommitStatus[];
  /** Every commit reachable from the default branch, newest first. */
  defaultBranchLog(slug: string): Promise<LogEntry[]>;
  /** Every simulated CI run in the repo, oldest first. */
  ciRuns(slug: string): CiRun[];
  installations(): Installation[];
  installation(owner: string): Installation | undefined;
  /** Bodies of the access-token requests for an installation, oldest first. */
  tokenRequests(installationId: number): unknown[];
  tokens(): InstallationToken[];
  user(login: string): User;
}

export interface LogEntry {
  sha: string;
  parents: string[];
  message: string;
}

/** A pull as reports want it: plain strings, no nested records. */
export interface PullSummary {
  number: number;
  title: string;
  body: string;
  head: string;
  headSha: string;
  base: string;
  state: "open" | "closed";
  draft: boolean;
  user: string;
  labels: string[];
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: string | null;
  /** Logins asked to review and not yet answered. */
  requestedReviewers: string[];
}

export interface CommentSummary {
  id: number;
  body: string;
  user: string;
  createdAt: string;
}

export interface Emulator {
  url: string;
  app: { id: number; slug: string; botLogin: string };
  setWebhookUrl(url: string): void;
  createRepo(spec: RepoSpec): Promise<RepoInfo>;
  createIssue(spec: {
    repo: string;
    number?: number;
    title: string;
    body?: string;
    by: string;
  }): Promise<IssueInfo>;
  /**
   * A user adds a label: state changes, issues.labeled (pull_request.labeled on a pull) is sent,
   * and this resolves once the app answered. The event is sent even when the label was already
   * there, so scenarios can replay a double label.
   */
  addLabel(p: { repo: string; issue: number; name: string; by: string }): Promise<Delivery>;
  removeLabel(p: { repo: string; issue: number; name: string; by: string }): Promise<Delivery>;
  closeIssue(p: { repo: string; issue: number; by: string }): Promise<Delivery>;
  /** A user comments on an issue or pull; resolves once the app answered issue_comment.created. */
  comment(p: { repo: string; issue: number; by: string; body: string }): Promise<Delivery>;
  /**
   * Sets what the simulated CI concludes for pulls whose head branch matches (an exact name
   * wins over a pattern, the newest pattern over older ones), or for every other pull.
   */
  setCiRule(slug: string, match: CiMatch, rule: CiRule): void;
  /** Resolves once every CI run that will complete has completed and its webhooks were answered. */
  ciSettled(): Promise<void>;
  /**
   * Resolves once nothing is left to happen on the emulator's side: every webhook answered and
   * every CI run that will complete completed (a "pending" rule never does), even when answering
   * one webhook led the app to cause more.
   */
  settled(): Promise<void>;
  /** Someone (an external CI, say) posts a commit status; resolves once the app answered. */
  setStatus(p: {
    repo: string;
    sha: string;
    context: string;
    state: StatusState;
    description?: string;
    targetUrl?: string;
    by: string;
  }): Promise<Delivery>;
  /** A user reviews the pull's current head; resolves once the app answered. */
  submitReview(p: {
    repo: string;
    pull: number;
    by: string;
    state: "approved" | "changes_requested" | "commented";
    body: string;
    comments?: Array<{ path: string; line?: number | null; body: string }>;
  }): Promise<Delivery>;
  /**
   * A user presses the merge button: the same code path as the merge API. Rejects with an error
   * carrying GitHub's `status` (405, 409) and message when GitHub would refuse.
   */
  merge(p: {
    repo: string;
    pull: number;
    by: string;
    method?: MergeMethod;
    sha?: string;
    commitTitle?: string;
    commitMessage?: string;
  }): Promise<{ sha: string; deliveries: Delivery[] }>;
  /**
   * A user commits files in the web UI: a real commit on `branch` (default: the default branch;
   * created from it when missing), where null deletes a path. Pulls and CI react as to a push.
   * Resolves with the new commit's sha.
   */
  commitFiles(p: {
    repo: string;
    branch?: string;
    files: Record<string, string | null>;
    message: string;
    by: string;
  }): Promise<string>;
  /** Resends a delivery's payload with the same X-GitHub-Delivery. */
  redeliver(deliveryId: string): Promise<Delivery>;
  deliveries(): Delivery[];
  /**
   * Injects faults from now on: REST requests failed (500, 502, a secondary rate limit, a 429
   * rate limit, a timeout never answered) and first webhook deliveries dropped (recorded as
   * timed out; the app hears nothing until someone redelivers) or held back. The same seed gives
   * the same decisions in the same order; null stops injecting. The helpers that resolve once
   * the app answered (addLabel, comment...) resolve at once, unsent, for a delivery a fault
   * dropped or held back; `settled()` waits for the held ones.
   */
  setFaults(plan: FaultPlan | null): void;
  /** Every fault injected so far, by kind. */
  faultStats(): FaultStats;
  /** Guids of dropped deliveries no attempt has brought to the app yet. */
  unrecoveredDrops(): string[];
  /** Shortcuts over `state` for reports. */
  pulls(slug: string): PullSummary[];
  comments(slug: string, issue: number): CommentSummary[];
  state: EmulatorState;
  stats(): RouteStats;
  resetStats(): void;
  /** How long loading the OpenAPI description took in this process (undefined before first use). */
  openApiLoadMs(): number | undefined;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const core = new Core(url, {
    appId: opts.appId,
    appSlug: opts.appSlug ?? "agent-fleet",
    appPermissions: opts.appPermissions ?? DEFAULT_APP_PERMISSIONS,
    appPublicKey: opts.appPublicKey,
    webhookSecret: opts.webhookSecret,
    webhookUrl: opts.webhookUrl,
    log: opts.log,
  });
  const handler = createHandler(
    core,
    {
      ...appRoutes,
      ...repoRoutes,
      ...issueRoutes,
      ...pullRoutes,
      ...reviewRoutes,
      ...checkRoutes,
      ...statusRoutes,
      ...hookRoutes,
    },
    { checkResponses: opts.checkResponses ?? true },
  );
  server.on("request", handler.handle);
  const { store } = core;

  const requireRepo = (slug: string): Repo => {
    const repo = store.repo(slug);
    if (!repo) throw new Error(`emulator: no repo ${slug}`);
    return repo;
  };
  const requireIssue = (slug: string, number: number): { repo: Repo; issue: Issue } => {
    const repo = requireRepo(slug);
    const issue = store.issue(slug, number);
    if (!issue) throw new Error(`emulator: no issue ${slug}#${number}`);
    return { repo, issue };
  };

  const emulator: Emulator = {
    url,
    app: { id: core.app.id, slug: core.app.slug, botLogin: core.app.bot.login },
    setWebhookUrl: (webhookUrl) => core.hooks.setUrl(webhookUrl),

    async createRepo(spec) {
      const [ownerLogin = "", name = ""] = spec.slug.split("/");
      // The slug becomes a folder under gitRoot; GitHub's own name rules keep it inside.
      if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/.test(spec.slug) || /^\.+$/.test(name)) {
        throw new Error(`emulator: bad slug ${spec.slug}`);
      }
      if (store.repo(spec.slug)) throw new Error(`emulator: repo ${spec.slug} exists`);
      const owner = store.user(ownerLogin, spec.ownerType ?? "Organization");
      const defaultBranch = spec.defaultBranch ?? "main";
      const gitDir = resolve(opts.gitRoot, ownerLogin, `${name}.git`);
      const files = { ...spec.files };
      if (spec.fleetConfig !== undefined) files[".github/fleet.yml"] = spec.fleetConfig;
      const initialCommit = await initBareRepo(gitDir, defaultBranch, files);
      await installPushHook(gitDir, {
        url,
        secret: core.pushSecret,
        repo: `${ownerLogin}/${name}`,
      });
      const installation = core.installationFor(owner);
      const repo: Repo = {
        id: store.nextId("repo"),
        owner,
        name,
        fullName: `${ownerLogin}/${name}`,
        defaultBranch,
        gitDir,
        cloneUrl: pathToFileURL(gitDir).href,
        private: true,
        collaborators: new Map(
          Object.entries(spec.collaborators ?? {}).map(([login, role]) => {
            store.user(login);
            return [login.toLowerCase(), role];
          }),
        ),
        labels: new Map(),
        installationId: installation.id,
        createdAt: timestamp(),
        lastNumber: 0,
      };
      store.repos.set(repo.fullName.toLowerCase(), repo);
      return {
        id: repo.id,
        slug: repo.fullName,
        owner: ownerLogin,
        name,
        defaultBranch,
        gitDir,
        cloneUrl: repo.cloneUrl,
        installationId: installation.id,
        initialCommit,
      };
    },

    async createIssue(spec) {
      const repo = requireRepo(spec.repo);
      const number = spec.number ?? repo.lastNumber + 1;
      if (store.issue(repo.fullName, number)) {
        throw new Error(`emulator: ${repo.fullName}#${number} exists`);
      }
      repo.lastNumber = Math.max(repo.lastNumber, number);
      const issue = store.openIssue({
        repo: repo.fullName,
        number,
        title: spec.title,
        body: spec.body ?? null,
        user: store.user(spec.by),
        isPull: false,
      });
      const { delivered } = await core.issueEvent(repo, issue, "opened", issue.user);
      const rendered = core.render.issue(repo, issue);
      return {
        id: issue.id,
        number,
        url: rendered.url,
        htmlUrl: rendered.html_url,
        delivery: await delivered,
      };
    },

    async addLabel({ repo: slug, issue: number, name, by }) {
      const { repo, issue } = requireIssue(slug, number);
      const label = store.label(repo, name);
      if (!issue.labels.some((l) => l.toLowerCase() === name.toLowerCase())) {
        issue.labels.push(label.name);
      }
      issue.updatedAt = timestamp();
      const { delivered } = await core.issueEvent(repo, issue, "labeled", store.user(by), {
        label,
      });
      return delivered;
    },

    async removeLabel({ repo: slug, issue: number, name, by }) {
      const { repo, issue } = requireIssue(slug, number);
      const index = issue.labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
      const label = repo.labels.get(name.toLowerCase());
      if (index < 0 || !label) throw new Error(`emulator: ${slug}#${number} has no label ${name}`);
      issue.labels.splice(index, 1);
      issue.updatedAt = timestamp();
      const sender = store.user(by);
      const { delivered } = await core.issueEvent(repo, issue, "unlabeled", sender, { label });
      return delivered;
    },

    async closeIssue({ repo: slug, issue: number, by }) {
      const { repo, issue } = requireIssue(slug, number);
      if (issue.state === "closed") throw new Error(`emulator: ${slug}#${number} is closed`);
      const now = timestamp();
      const sender = store.user(by);
      Object.assign(issue, {
        state: "closed",
        stateReason: "completed",
        closedAt: now,
        closedBy: sender,
        updatedAt: now,
      });
      const { delivered } = await core.issueEvent(repo, issue, "closed", sender);
      return delivered;
    },

    async comment({ repo: slug, issue: number, by, body }) {
      const { repo, issue } = requireIssue(slug, number);
      const user = store.user(by);
      const comment = store.addComment(issue, user, body, timestamp());
      return core.commentEvent(repo, issue, comment, user).delivered;
    },

    setCiRule: (slug, match, rule) => {
      requireRepo(slug);
      core.ci.setRule(slug, match, rule);
    },
    ciSettled: () => core.ci.settled(),
    settled: () => core.settled(),

    async setStatus({ repo: slug, sha, context, state, description, targetUrl, by }) {
      const repo = requireRepo(slug);
      const commit = await resolveCommit(repo.gitDir, sha);
      if (!commit) throw new Error(`emulator: no commit ${sha} in ${slug}`);
      const { queued } = addStatus(core, repo, {
        sha: commit,
        state,
        context,
        description,
        targetUrl,
        creator: store.user(by),
      });
      return (await queued).delivered;
    },

    async submitReview({ repo: slug, pull: number, by, state, body, comments }) {
      const repo = requireRepo(slug);
      const pull = store.pull(slug, number);
      if (!pull) throw new Error(`emulator: no pull ${slug}#${number}`);
      const { delivered } = await addReview(core, repo, pull, {
        user: store.user(by),
        state: state.toUpperCase() as Review["state"],
        body,
        ...(comments ? { comments } : {}),
      });
      return delivered;
    },

    async merge({ repo: slug, pull: number, by, method, sha, commitTitle, commitMessage }) {
      const repo = requireRepo(slug);
      const pull = store.pull(slug, number);
      if (!pull) throw new Error(`emulator: no pull ${slug}#${number}`);
      const outcome = await mergePull(core, repo, pull, {
        by: store.user(by),
        method: method ?? "merge",
        sha,
        commitTitle,
        commitMessage,
      });
      return { sha: outcome.sha, deliveries: await outcome.delivered };
    },

    commitFiles: ({ repo: slug, branch, files, message, by }) => {
      const repo = requireRepo(slug);
      const target = branch ?? repo.defaultBranch;
      return commitOnBranch(core, repo, { branch: target, files, message, user: store.user(by) });
    },

    redeliver: (deliveryId) => core.hooks.redeliver(deliveryId),
    deliveries: () => core.hooks.list(),
    setFaults: (plan) => core.faults.set(plan),
    faultStats: () => core.faults.stats(),
    unrecoveredDrops: () => core.hooks.unrecoveredDrops(),
    pulls: (slug) =>
      store.pullsOf(slug).map((p) => ({
        number: p.number,
        title: p.issue.title,
        body: p.issue.body ?? "",
        head: p.head.ref,
        headSha: p.head.sha,
        base: p.base.ref,
        state: p.issue.state,
        draft: p.draft,
        user: p.issue.user.login,
        labels: [...p.issue.labels],
        merged: p.merged,
        mergedAt: p.mergedAt,
        mergeCommitSha: p.mergeCommitSha,
        mergedBy: p.mergedBy?.login ?? null,
        requestedReviewers: p.requestedReviewers.map((u) => u.login),
      })),
    comments: (slug, number) =>
      (store.issue(slug, number)?.comments ?? []).map((c) => ({
        id: c.id,
        body: c.body,
        user: c.user.login,
        createdAt: c.createdAt,
      })),

    state: {
      repos: () => [...store.repos.values()],
      repo: (slug) => store.repo(slug),
      issues: (slug) => store.issuesOf(slug).filter((i) => !i.isPull),
      issue: (slug, number) => store.issue(slug, number),
      labels: (slug, number) => [...(store.issue(slug, number)?.labels ?? [])],
      comments: (slug, number) => [...(store.issue(slug, number)?.comments ?? [])],
      pulls: (slug) => store.pullsOf(slug),
      pull: (slug, number) => store.pull(slug, number),
      checkRuns: (slug) => store.checkRunsOf(slug),
      reviews: (slug, number) => [...(store.pull(slug, number)?.reviews ?? [])],
      reviewComments: (slug, number) => [...(store.pull(slug, number)?.reviewComments ?? [])],
      statuses: (slug, sha) => store.statusesOf(slug, sha),
      async defaultBranchLog(slug) {
        const repo = requireRepo(slug);
        const commits = await logCommits(repo.gitDir, `refs/heads/${repo.defaultBranch}`);
        return commits.map((c) => ({ sha: c.sha, parents: c.parents, message: c.message }));
      },
      ciRuns: (slug) =>
        core.ci.runs
          .filter((r) => r.repo.toLowerCase() === slug.toLowerCase())
          .map((r) => ({ ...r })),
      installations: () => [...store.installations.values()],
      installation: (owner) =>
        [...store.installations.values()].find(
          (i) => i.account.login.toLowerCase() === owner.toLowerCase(),
        ),
      tokenRequests: (id) => [...(store.installations.get(id)?.tokenRequests ?? [])],
      tokens: () => [...store.tokens.values()],
      user: (login) => store.user(login),
    },

    stats: () => handler.stats(),
    resetStats: () => handler.resetStats(),
    openApiLoadMs,

    async close() {
      core.ci.close();
      await core.hooks.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  return emulator;
}
