import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { allows } from "./auth.js";
import { SimulatedCi } from "./ci.js";
import { Faults } from "./faults.js";
import { countCommits, diffFiles, listBranches } from "./git.js";
import { HttpError, notFound } from "./http.js";
import { mergeabilityOf } from "./mergeability.js";
import type { RefUpdate } from "./push-hook.js";
import { recordPush } from "./pushes.js";
import { type AppInfo, type Mergeability, type PullStats, Render } from "./render.js";
import { Store, timestamp } from "./store.js";
import type {
  AccessLevel,
  Comment,
  Delivery,
  Installation,
  InstallationToken,
  Issue,
  Label,
  Permissions,
  Pull,
  Repo,
  User,
} from "./types.js";
import { WebhookSender } from "./webhooks.js";

/**
 * A webhook whose payload was built, validated and queued. Routes do not wait for `delivered`:
 * the app may be answering the very webhook that led to this API call.
 */
export interface Queued {
  delivered: Promise<Delivery>;
}

/** GitHub Actions' app id; the simulated CI stands in for it. */
const CI_APP_ID = 15368;

/** What every route and the public helpers share: records, rendering, git and webhooks. */
export class Core {
  readonly store = new Store();
  readonly render: Render;
  readonly hooks: WebhookSender;
  readonly app: AppInfo;
  /** The CI app ("GitHub Actions"): its check runs are the ones the simulated CI writes. */
  readonly ciApp: AppInfo;
  readonly ci: SimulatedCi;
  /** Injected failures of the API and of webhook deliveries; none unless a plan is set. */
  readonly faults = new Faults();
  /** Proves a push notice came from one of this emulator's own hooks. */
  readonly pushSecret = randomBytes(24).toString("hex");
  private readonly repoLocks = new Map<string, Promise<unknown>>();
  private readonly statsCache = new Map<string, PullStats>();

  constructor(
    readonly base: string,
    readonly opts: {
      appId: number;
      appSlug: string;
      appPermissions: Permissions;
      appPublicKey?: string | undefined;
      webhookSecret: string;
      webhookUrl?: string | undefined;
      log?: Logger | undefined;
    },
  ) {
    const createdAt = timestamp();
    this.app = {
      id: opts.appId,
      slug: opts.appSlug,
      name: opts.appSlug,
      clientId: `Iv1.${opts.appId.toString(16).padStart(16, "0")}`,
      owner: this.store.user(`${opts.appSlug}-owner`, "Organization"),
      bot: this.store.user(`${opts.appSlug}[bot]`, "Bot"),
      permissions: opts.appPermissions,
      events: [
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "check_run",
        "check_suite",
        "status",
        "push",
      ],
      createdAt,
    };
    const ciId = opts.appId === CI_APP_ID ? CI_APP_ID + 1 : CI_APP_ID;
    this.ciApp = {
      id: ciId,
      slug: "emulated-ci",
      name: "Emulated CI",
      clientId: `Iv1.${ciId.toString(16).padStart(16, "0")}`,
      owner: this.store.user("emulated-ci-owner", "Organization"),
      bot: this.store.user("emulated-ci[bot]", "Bot"),
      permissions: { checks: "write", contents: "read", metadata: "read", pull_requests: "read" },
      events: ["check_run", "check_suite", "pull_request", "push"],
      createdAt,
    };
    this.render = new Render(base, this.app, (slug, number) => this.store.pull(slug, number));
    this.ci = new SimulatedCi(this);
    this.hooks = new WebhookSender({
      secret: opts.webhookSecret,
      appId: opts.appId,
      url: opts.webhookUrl,
      log: opts.log,
      faults: this.faults,
    });
  }

  /** One installation per account, created the first time a repo of that account appears. */
  installationFor(account: User): Installation {
    for (const inst of this.store.installations.values()) {
      if (inst.account.id === account.id) return inst;
    }
    const inst: Installation = {
      id: this.store.nextId("installation"),
      account,
      createdAt: timestamp(),
      tokenRequests: [],
    };
    this.store.installations.set(inst.id, inst);
    return inst;
  }

  /**
   * The repo a token may act on. Like GitHub, a repo outside the token's reach is 404 and a
   * missing permission is 403; `scopes` lists alternatives (issue routes accept pull_requests
   * permission on pull numbers).
   */
  repoFor(
    token: InstallationToken | undefined,
    params: Record<string, string>,
    scopes: string[],
    level: AccessLevel,
  ): Repo {
    const repo = this.store.repo(`${params.owner}/${params.repo}`);
    if (!repo || !token || token.installationId !== repo.installationId) throw notFound();
    if (token.repoIds && !token.repoIds.has(repo.id)) throw notFound();
    if (!scopes.some((scope) => allows(token.permissions, scope, level))) {
      throw new HttpError(403, "Resource not accessible by integration");
    }
    return repo;
  }

  openIssueCount(repo: Repo): number {
    return this.store.issuesOf(repo.fullName).filter((i) => i.state === "open").length;
  }

  /** Re-reads branch tips so pushes made with plain `git push` show up on open pulls. */
  async refreshPulls(repo: Repo, pulls: Pull[]): Promise<void> {
    const open = pulls.filter((p) => p.issue.state === "open");
    if (open.length === 0) return;
    const branches = await listBranches(repo.gitDir);
    for (const pull of open) {
      pull.head.sha = branches.get(pull.head.ref) ?? pull.head.sha;
      pull.base.sha = branches.get(pull.base.ref) ?? pull.base.sha;
    }
  }

  /** Counters of a pull; two commits always give the same answer, so it is computed once. */
  async pullStats(repo: Repo, pull: Pick<Pull, "base" | "head">): Promise<PullStats> {
    const key = `${repo.gitDir}\0${pull.base.sha}\0${pull.head.sha}`;
    const known = this.statsCache.get(key);
    if (known) return known;
    const [files, commits] = await Promise.all([
      diffFiles(repo.gitDir, pull.base.sha, pull.head.sha),
      countCommits(repo.gitDir, pull.base.sha, pull.head.sha),
    ]);
    const stats = {
      commits,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changedFiles: files.length,
    };
    if (this.statsCache.size >= 2_000) this.statsCache.clear();
    this.statsCache.set(key, stats);
    return stats;
  }

  appById(id: number): AppInfo {
    return id === this.ciApp.id ? this.ciApp : this.app;
  }

  /**
   * Runs `fn` after every earlier locked call for the same repo finished: merges and the
   * emulator's own commits move branches one at a time, as GitHub's git backend does.
   */
  locked<T>(repo: Repo, fn: () => Promise<T>): Promise<T> {
    const key = repo.fullName.toLowerCase();
    const run = (this.repoLocks.get(key) ?? Promise.resolve()).then(fn, fn);
    this.repoLocks.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Waits until every webhook was answered and no CI run is left to complete. */
  async settled(): Promise<void> {
    for (;;) {
      const sent = this.hooks.list().length;
      await this.ci.settled();
      await this.hooks.idle();
      if (this.hooks.list().length === sent && this.ci.idle()) return;
    }
  }

  /** A push (from the post-receive hook, a merge or a web commit) moved these refs. */
  pushed(
    repo: Repo,
    updates: RefUpdate[],
    opts: { sender?: User; mergedPull?: Pull } = {},
  ): Promise<void> {
    return recordPush(this, repo, updates, opts);
  }

  mergeability(repo: Repo, pull: Pull): Promise<Mergeability> {
    return mergeabilityOf(this, repo, pull);
  }

  envelope(repo: Repo, sender: User) {
    return {
      repository: this.render.repo(repo, { openIssues: this.openIssueCount(repo) }),
      sender: this.render.user(sender),
      installation: {
        id: repo.installationId,
        node_id: Buffer.from(`IN_${repo.installationId}`).toString("base64"),
      },
    };
  }

  /**
   * Raises an issue event, or the matching pull_request event when the number is a pull (GitHub
   * reports label changes on pulls as pull_request events).
   */
  async issueEvent(
    repo: Repo,
    issue: Issue,
    action: "opened" | "labeled" | "unlabeled" | "closed" | "reopened" | "edited",
    sender: User,
    extra: { label?: Label; changes?: Record<string, { from: string }> } = {},
  ): Promise<Queued> {
    const label = extra.label ? { label: this.render.label(repo, extra.label) } : {};
    const changes = extra.changes ? { changes: extra.changes } : {};
    const pull = issue.isPull ? this.store.pull(repo.fullName, issue.number) : undefined;
    if (pull) return this.pullEvent(repo, pull, action, sender, { ...label, ...changes });
    const delivered = this.hooks.send("issues", {
      action,
      issue: this.render.issue(repo, issue),
      ...label,
      ...changes,
      ...this.envelope(repo, sender),
    });
    return { delivered };
  }

  async pullEvent(
    repo: Repo,
    pull: Pull,
    action: string,
    sender: User,
    extra: Record<string, unknown> = {},
  ): Promise<Queued> {
    await this.refreshPulls(repo, [pull]);
    const stats = await this.pullStats(repo, pull);
    const delivered = this.hooks.send("pull_request", {
      action,
      number: pull.number,
      pull_request: this.render.pull(repo, pull, { stats, webhook: true }),
      ...extra,
      ...this.envelope(repo, sender),
    });
    return { delivered };
  }

  commentEvent(repo: Repo, issue: Issue, comment: Comment, sender: User): Queued {
    const delivered = this.hooks.send("issue_comment", {
      action: "created",
      issue: this.render.issue(repo, issue),
      comment: this.render.comment(repo, comment),
      ...this.envelope(repo, sender),
    });
    return { delivered };
  }
}
