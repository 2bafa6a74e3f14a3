import type { Logger } from "pino";
import { allows } from "./auth.js";
import { countCommits, diffFiles, listBranches } from "./git.js";
import { HttpError, notFound } from "./http.js";
import { type AppInfo, type PullStats, Render } from "./render.js";
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

/** What every route and the public helpers share: records, rendering, git and webhooks. */
export class Core {
  readonly store = new Store();
  readonly render: Render;
  readonly hooks: WebhookSender;
  readonly app: AppInfo;

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
      events: ["issues", "issue_comment", "pull_request", "check_run", "check_suite", "status"],
      createdAt,
    };
    this.render = new Render(base, this.app);
    this.hooks = new WebhookSender({
      secret: opts.webhookSecret,
      appId: opts.appId,
      url: opts.webhookUrl,
      log: opts.log,
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

  async pullStats(repo: Repo, pull: Pick<Pull, "base" | "head">): Promise<PullStats> {
    const files = await diffFiles(repo.gitDir, pull.base.sha, pull.head.sha);
    return {
      commits: await countCommits(repo.gitDir, pull.base.sha, pull.head.sha),
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changedFiles: files.length,
    };
  }

  private envelope(repo: Repo, sender: User) {
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
