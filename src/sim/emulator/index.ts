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
import { Core } from "./core.js";
import { initBareRepo } from "./git.js";
import { openApiLoadMs } from "./openapi.js";
import { appRoutes } from "./routes/app.js";
import { checkRoutes } from "./routes/checks.js";
import { issueRoutes } from "./routes/issues.js";
import { pullRoutes } from "./routes/pulls.js";
import { repoRoutes } from "./routes/repos.js";
import { createHandler } from "./server.js";
import { timestamp } from "./store.js";
import type {
  CheckRun,
  Comment,
  Delivery,
  Installation,
  InstallationToken,
  Issue,
  Permissions,
  Pull,
  Repo,
  RepoRole,
  RouteStats,
  User,
} from "./types.js";

export type {
  CheckRun,
  Comment,
  Delivery,
  Installation,
  InstallationToken,
  Issue,
  Permissions,
  Pull,
  Repo,
  RepoRole,
  RouteStats,
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
  installations(): Installation[];
  installation(owner: string): Installation | undefined;
  /** Bodies of the access-token requests for an installation, oldest first. */
  tokenRequests(installationId: number): unknown[];
  tokens(): InstallationToken[];
  user(login: string): User;
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
  /** Resends a delivery's payload with the same X-GitHub-Delivery. */
  redeliver(deliveryId: string): Promise<Delivery>;
  deliveries(): Delivery[];
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
    { ...appRoutes, ...repoRoutes, ...issueRoutes, ...pullRoutes, ...checkRoutes },
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

    redeliver: (deliveryId) => core.hooks.redeliver(deliveryId),
    deliveries: () => core.hooks.list(),
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
      checkRuns: (slug) =>
        [...store.checkRuns.values()].filter((r) => r.repo.toLowerCase() === slug.toLowerCase()),
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
      await core.hooks.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  return emulator;
}
