import type { ChangedFile, CommitInfo, TreeEntry } from "./git.js";
import type {
  CheckRun,
  CheckSuite,
  Comment,
  CommitStatus,
  Installation,
  Issue,
  Label,
  Permissions,
  Pull,
  Reaction,
  Repo,
  RepoRole,
  Review,
  ReviewComment,
  User,
} from "./types.js";

/**
 * GitHub's JSON shapes, copied field by field from @octokit/webhooks-examples and the OpenAPI
 * description. The webhook schemas forbid unknown fields, so REST-only fields are added only
 * when `rest` is set. URLs point at the emulator itself; html URLs are never fetched.
 */

export interface AppInfo {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  owner: User;
  bot: User;
  permissions: Permissions;
  events: string[];
  createdAt: string;
}

export interface PullStats {
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
}

/** What GET pull computes from git and the checks; webhooks carry null/"unknown". */
export interface Mergeability {
  mergeable: boolean | null;
  state: "clean" | "dirty" | "unstable" | "blocked" | "behind" | "draft" | "unknown";
}

/** A check suite's summary, derived from its runs. */
export interface SuiteState {
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  runs: number;
}

const nodeId = (kind: string, id: number) => Buffer.from(`${kind}${id}`).toString("base64");

export class Render {
  constructor(
    private readonly base: string,
    private readonly appInfo: AppInfo,
    /** Finds the pull behind an issue number, for the issue's `pull_request.merged_at`. */
    private readonly pullOf: (repo: string, number: number) => Pull | undefined = () => undefined,
  ) {}

  repoUrl(repo: Repo): string {
    return `${this.base}/repos/${repo.fullName}`;
  }

  user(user: User) {
    const login = encodeURIComponent(user.login);
    const url = `${this.base}/users/${login}`;
    return {
      login: user.login,
      id: user.id,
      node_id: nodeId(user.type === "Organization" ? "O_" : "U_", user.id),
      avatar_url: `${this.base}/avatars/u/${user.id}`,
      gravatar_id: "",
      url,
      html_url: `${this.base}/${login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: user.type,
      site_admin: false,
    };
  }

  repo(repo: Repo, opts: { rest?: boolean; openIssues?: number } = {}) {
    const url = this.repoUrl(repo);
    const html = `${this.base}/${repo.fullName}`;
    const open = opts.openIssues ?? 0;
    const shape = {
      id: repo.id,
      node_id: nodeId("R_", repo.id),
      name: repo.name,
      full_name: repo.fullName,
      private: repo.private,
      owner: this.user(repo.owner),
      html_url: html,
      description: null,
      fork: false,
      url,
      forks_url: `${url}/forks`,
      keys_url: `${url}/keys{/key_id}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      teams_url: `${url}/teams`,
      hooks_url: `${url}/hooks`,
      issue_events_url: `${url}/issues/events{/number}`,
      events_url: `${url}/events`,
      assignees_url: `${url}/assignees{/user}`,
      branches_url: `${url}/branches{/branch}`,
      tags_url: `${url}/tags`,
      blobs_url: `${url}/git/blobs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      trees_url: `${url}/git/trees{/sha}`,
      statuses_url: `${url}/statuses/{sha}`,
      languages_url: `${url}/languages`,
      stargazers_url: `${url}/stargazers`,
      contributors_url: `${url}/contributors`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      commits_url: `${url}/commits{/sha}`,
      git_commits_url: `${url}/git/commits{/sha}`,
      comments_url: `${url}/comments{/number}`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      contents_url: `${url}/contents/{+path}`,
      compare_url: `${url}/compare/{base}...{head}`,
      merges_url: `${url}/merges`,
      archive_url: `${url}/{archive_format}{/ref}`,
      downloads_url: `${url}/downloads`,
      issues_url: `${url}/issues{/number}`,
      pulls_url: `${url}/pulls{/number}`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      labels_url: `${url}/labels{/name}`,
      releases_url: `${url}/releases{/id}`,
      deployments_url: `${url}/deployments`,
      created_at: repo.createdAt,
      updated_at: repo.createdAt,
      pushed_at: repo.createdAt,
      git_url: repo.cloneUrl,
      ssh_url: repo.cloneUrl,
      clone_url: repo.cloneUrl,
      svn_url: html,
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: false,
      has_downloads: true,
      has_wiki: false,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: open,
      license: null,
      allow_forking: false,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [] as string[],
      visibility: repo.private ? "private" : "public",
      forks: 0,
      open_issues: open,
      watchers: 0,
      default_branch: repo.defaultBranch,
      custom_properties: {},
    };
    if (!opts.rest) return shape;
    return {
      ...shape,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_rebase_merge: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      network_count: 0,
      subscribers_count: 0,
    };
  }

  label(repo: Repo, label: Label) {
    return {
      id: label.id,
      node_id: nodeId("LA_", label.id),
      url: `${this.repoUrl(repo)}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      color: label.color,
      default: label.default,
      description: label.description,
    };
  }

  labels(repo: Repo, names: string[]) {
    return names.flatMap((name) => {
      const label = repo.labels.get(name.toLowerCase());
      return label ? [this.label(repo, label)] : [];
    });
  }

  association(repo: Repo, user: User) {
    if (user.login.toLowerCase() === repo.owner.login.toLowerCase()) return "OWNER" as const;
    return repo.collaborators.has(user.login.toLowerCase())
      ? ("COLLABORATOR" as const)
      : ("NONE" as const);
  }

  private reactions(url: string, given: Reaction[] = []) {
    const count = (content: Reaction["content"]) =>
      given.filter((r) => r.content === content).length;
    return {
      url: `${url}/reactions`,
      total_count: given.length,
      "+1": count("+1"),
      "-1": count("-1"),
      laugh: count("laugh"),
      hooray: count("hooray"),
      confused: count("confused"),
      heart: count("heart"),
      rocket: count("rocket"),
      eyes: count("eyes"),
    };
  }

  issue(repo: Repo, issue: Issue, opts: { rest?: boolean; mergedAt?: string | null } = {}) {
    const url = `${this.repoUrl(repo)}/issues/${issue.number}`;
    const html = `${this.base}/${repo.fullName}/${issue.isPull ? "pull" : "issues"}/${issue.number}`;
    const shape = {
      url,
      repository_url: this.repoUrl(repo),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: html,
      id: issue.id,
      node_id: nodeId(issue.isPull ? "PR_" : "I_", issue.id),
      number: issue.number,
      title: issue.title,
      user: this.user(issue.user),
      labels: this.labels(repo, issue.labels),
      state: issue.state,
      locked: issue.locked,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: issue.comments.length,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: this.association(repo, issue.user),
      active_lock_reason: null,
      body: issue.body,
      reactions: this.reactions(url),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
      state_reason: issue.stateReason,
      ...(issue.isPull
        ? {
            pull_request: {
              url: `${this.repoUrl(repo)}/pulls/${issue.number}`,
              html_url: html,
              diff_url: `${html}.diff`,
              patch_url: `${html}.patch`,
              merged_at: opts.mergedAt ?? this.pullOf(issue.repo, issue.number)?.mergedAt ?? null,
            },
          }
        : {}),
    };
    if (!opts.rest) return shape;
    return { ...shape, closed_by: issue.closedBy ? this.user(issue.closedBy) : null };
  }

  comment(repo: Repo, comment: Comment) {
    const issueUrl = `${this.repoUrl(repo)}/issues/${comment.issueNumber}`;
    const url = `${this.repoUrl(repo)}/issues/comments/${comment.id}`;
    return {
      url,
      html_url: `${this.base}/${repo.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: issueUrl,
      id: comment.id,
      node_id: nodeId("IC_", comment.id),
      user: this.user(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: this.association(repo, comment.user),
      body: comment.body,
      reactions: this.reactions(url, comment.reactions),
      performed_via_github_app: null,
    };
  }

  reaction(reaction: Reaction) {
    return {
      id: reaction.id,
      node_id: nodeId("REA_", reaction.id),
      user: this.user(reaction.user),
      content: reaction.content,
      created_at: reaction.createdAt,
    };
  }

  /**
   * A pull; `stats` adds the counters only single-pull answers and webhooks carry, and
   * `mergeability` what GET pull computes (webhooks and unknown: null, "unknown").
   */
  pull(
    repo: Repo,
    pull: Pull,
    opts: { stats?: PullStats; webhook?: boolean; mergeability?: Mergeability } = {},
  ) {
    const { issue } = pull;
    const api = `${this.repoUrl(repo)}/pulls/${pull.number}`;
    const issueUrl = `${this.repoUrl(repo)}/issues/${pull.number}`;
    const html = `${this.base}/${repo.fullName}/pull/${pull.number}`;
    const statuses = `${this.repoUrl(repo)}/statuses/${pull.head.sha}`;
    const side = (ref: { ref: string; sha: string }) => ({
      label: `${repo.owner.login}:${ref.ref}`,
      ref: ref.ref,
      sha: ref.sha,
      user: this.user(repo.owner),
      repo: this.repo(repo, opts.webhook ? {} : { rest: true }),
    });
    const shape = {
      url: api,
      id: pull.id,
      node_id: nodeId("PR_", pull.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueUrl,
      number: pull.number,
      state: issue.state,
      locked: issue.locked,
      title: issue.title,
      user: this.user(issue.user),
      body: issue.body,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.requestedReviewers.map((u) => this.user(u)),
      requested_teams: [],
      labels: this.labels(repo, issue.labels),
      milestone: null,
      draft: pull.draft,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      review_comment_url: `${this.repoUrl(repo)}/pulls/comments{/number}`,
      comments_url: `${issueUrl}/comments`,
      statuses_url: statuses,
      head: side(pull.head),
      base: side(pull.base),
      _links: {
        self: { href: api },
        html: { href: html },
        issue: { href: issueUrl },
        comments: { href: `${issueUrl}/comments` },
        review_comments: { href: `${api}/comments` },
        review_comment: { href: `${this.repoUrl(repo)}/pulls/comments{/number}` },
        commits: { href: `${api}/commits` },
        statuses: { href: statuses },
      },
      author_association: this.association(repo, issue.user),
      auto_merge: null,
      active_lock_reason: null,
    };
    if (!opts.stats) return shape;
    const mergeability = opts.mergeability ?? { mergeable: null, state: "unknown" };
    return {
      ...shape,
      merged: pull.merged,
      mergeable: mergeability.mergeable,
      rebaseable: mergeability.mergeable,
      mergeable_state: mergeability.state,
      merged_by: pull.mergedBy ? this.user(pull.mergedBy) : null,
      comments: issue.comments.length,
      review_comments: pull.reviewComments.length,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: opts.stats.commits,
      additions: opts.stats.additions,
      deletions: opts.stats.deletions,
      changed_files: opts.stats.changedFiles,
    };
  }

  diffEntry(repo: Repo, headSha: string, file: ChangedFile) {
    const path = file.filename.split("/").map(encodeURIComponent).join("/");
    return {
      sha: file.sha,
      filename: file.filename,
      status: file.status,
      additions: file.additions,
      deletions: file.deletions,
      changes: file.additions + file.deletions,
      blob_url: `${this.base}/${repo.fullName}/blob/${headSha}/${path}`,
      raw_url: `${this.base}/${repo.fullName}/raw/${headSha}/${path}`,
      contents_url: `${this.repoUrl(repo)}/contents/${path}?ref=${headSha}`,
    };
  }

  contentFile(repo: Repo, ref: string, path: string, file: Extract<TreeEntry, { kind: "file" }>) {
    const url = `${this.repoUrl(repo)}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const gitUrl = `${this.repoUrl(repo)}/git/blobs/${file.sha}`;
    const htmlUrl = `${this.base}/${repo.fullName}/blob/${encodeURIComponent(ref)}/${path}`;
    // GitHub wraps base64 content at 60 characters.
    const content = (file.content.toString("base64").match(/.{1,60}/g) ?? []).join("\n");
    return {
      type: "file" as const,
      encoding: "base64",
      size: file.size,
      name: path.split("/").pop() ?? path,
      path,
      content: content ? `${content}\n` : "",
      sha: file.sha,
      url,
      git_url: gitUrl,
      html_url: htmlUrl,
      download_url: null,
      _links: { self: url, git: gitUrl, html: htmlUrl },
    };
  }

  contentDirectory(
    repo: Repo,
    ref: string,
    path: string,
    dir: Extract<TreeEntry, { kind: "dir" }>,
  ) {
    return dir.entries.map((entry) => {
      const entryPath = path ? `${path}/${entry.name}` : entry.name;
      const url = `${this.repoUrl(repo)}/contents/${entryPath}?ref=${encodeURIComponent(ref)}`;
      const gitUrl = `${this.repoUrl(repo)}/git/${entry.type === "tree" ? "trees" : "blobs"}/${entry.sha}`;
      const htmlUrl = `${this.base}/${repo.fullName}/${entry.type === "tree" ? "tree" : "blob"}/${encodeURIComponent(ref)}/${entryPath}`;
      return {
        type: entry.type === "tree" ? "dir" : entry.type === "commit" ? "submodule" : "file",
        size: entry.size,
        name: entry.name,
        path: entryPath,
        sha: entry.sha,
        url,
        git_url: gitUrl,
        html_url: htmlUrl,
        download_url: null,
        _links: { self: url, git: gitUrl, html: htmlUrl },
      };
    });
  }

  collaboratorPermission(user: User, role: RepoRole | "none") {
    const permission =
      role === "maintain" ? "write" : role === "triage" ? "read" : (role as string);
    const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(role);
    return {
      permission,
      role_name: role,
      user: {
        ...this.user(user),
        permissions: {
          admin: rank >= 5,
          maintain: rank >= 4,
          push: rank >= 3,
          triage: rank >= 2,
          pull: rank >= 1,
        },
        role_name: role,
      },
    };
  }

  /** An app; webhook payloads carry it without client_id. */
  app(info: AppInfo = this.appInfo, opts: { webhook?: boolean } = {}) {
    return {
      id: info.id,
      slug: info.slug,
      node_id: nodeId("A_", info.id),
      ...(opts.webhook ? {} : { client_id: info.clientId }),
      owner: this.user(info.owner),
      name: info.name,
      description: null,
      external_url: this.base,
      html_url: `${this.base}/apps/${info.slug}`,
      created_at: info.createdAt,
      updated_at: info.createdAt,
      permissions: info.permissions,
      events: info.events,
    };
  }

  installation(inst: Installation) {
    return {
      id: inst.id,
      account: this.user(inst.account),
      repository_selection: "all" as const,
      access_tokens_url: `${this.base}/app/installations/${inst.id}/access_tokens`,
      repositories_url: `${this.base}/installation/repositories`,
      html_url: `${this.base}/organizations/${inst.account.login}/settings/installations/${inst.id}`,
      app_id: this.appInfo.id,
      client_id: this.appInfo.clientId,
      app_slug: this.appInfo.slug,
      target_id: inst.account.id,
      target_type: inst.account.type,
      permissions: this.appInfo.permissions,
      events: this.appInfo.events,
      created_at: inst.createdAt,
      updated_at: inst.createdAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  private pullRef(repo: Repo, p: Pull) {
    const side = (ref: { ref: string; sha: string }) => ({
      ref: ref.ref,
      sha: ref.sha,
      repo: { id: repo.id, url: this.repoUrl(repo), name: repo.name },
    });
    return {
      id: p.id,
      number: p.number,
      url: `${this.repoUrl(repo)}/pulls/${p.number}`,
      head: side(p.head),
      base: side(p.base),
    };
  }

  /**
   * A check run. With `suite` it takes the webhook form, whose check_suite is the whole suite
   * and whose optional strings may not be null.
   */
  checkRun(
    repo: Repo,
    run: CheckRun,
    ctx: { pulls: Pull[]; app: AppInfo; suite?: { record: CheckSuite; state: SuiteState } },
  ) {
    const url = `${this.repoUrl(repo)}/check-runs/${run.id}`;
    const shape = {
      id: run.id,
      head_sha: run.headSha,
      node_id: nodeId("CR_", run.id),
      external_id: run.externalId,
      url,
      html_url: `${this.base}/${repo.fullName}/runs/${run.id}`,
      details_url: run.detailsUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: { ...run.output, annotations_count: 0, annotations_url: `${url}/annotations` },
      name: run.name,
      check_suite: { id: run.checkSuiteId },
      app: this.app(ctx.app),
      pull_requests: ctx.pulls.map((p) => this.pullRef(repo, p)),
    };
    if (!ctx.suite) return shape;
    const { details_url, ...rest } = shape;
    const { record, state } = ctx.suite;
    const app = this.app(ctx.app, { webhook: true });
    return {
      ...rest,
      app,
      ...(details_url ? { details_url } : {}),
      external_id: run.externalId ?? "",
      started_at: run.startedAt ?? run.completedAt ?? record.createdAt,
      check_suite: {
        id: record.id,
        node_id: nodeId("CS_", record.id),
        head_branch: record.headBranch,
        head_sha: record.headSha,
        status: state.status,
        conclusion: state.conclusion,
        url: `${this.repoUrl(repo)}/check-suites/${record.id}`,
        before: record.before,
        after: record.after,
        pull_requests: ctx.pulls.map((p) => this.pullRef(repo, p)),
        app,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      },
    };
  }

  /** A check suite; `rest` adds the repository the REST answer carries. */
  checkSuite(
    repo: Repo,
    suite: CheckSuite,
    ctx: { state: SuiteState; pulls: Pull[]; app: AppInfo; head: CommitInfo; rest?: boolean },
  ) {
    const url = `${this.repoUrl(repo)}/check-suites/${suite.id}`;
    const shape = {
      id: suite.id,
      node_id: nodeId("CS_", suite.id),
      head_branch: suite.headBranch,
      head_sha: suite.headSha,
      status: ctx.state.status,
      conclusion: ctx.state.conclusion,
      url,
      before: suite.before,
      after: suite.after,
      pull_requests: ctx.pulls.map((p) => this.pullRef(repo, p)),
      app: this.app(ctx.app, { webhook: !ctx.rest }),
      created_at: suite.createdAt,
      updated_at: suite.updatedAt,
      rerequestable: true,
      runs_rerequestable: true,
      latest_check_runs_count: ctx.state.runs,
      check_runs_url: `${url}/check-runs`,
      head_commit: this.simpleCommit(ctx.head),
    };
    if (!ctx.rest) return shape;
    return { ...shape, repository: this.repo(repo, { rest: true }) };
  }

  simpleCommit(commit: CommitInfo) {
    return {
      id: commit.sha,
      tree_id: commit.tree,
      message: commit.message,
      timestamp: commit.committer.date,
      author: { name: commit.author.name, email: commit.author.email },
      committer: { name: commit.committer.name, email: commit.committer.email },
    };
  }

  /** A commit as the status webhook carries it; GitHub users only when the email is theirs. */
  commit(repo: Repo, commit: CommitInfo, users: { author: User | null; committer: User | null }) {
    const url = `${this.repoUrl(repo)}/commits/${commit.sha}`;
    const html = `${this.base}/${repo.fullName}/commit/${commit.sha}`;
    const person = (p: CommitInfo["author"]) => ({ name: p.name, email: p.email, date: p.date });
    return {
      sha: commit.sha,
      node_id: Buffer.from(`C_${commit.sha}`).toString("base64"),
      commit: {
        author: person(commit.author),
        committer: person(commit.committer),
        message: commit.message,
        tree: { sha: commit.tree, url: `${this.repoUrl(repo)}/git/trees/${commit.tree}` },
        url: `${this.repoUrl(repo)}/git/commits/${commit.sha}`,
        comment_count: 0,
        verification: {
          verified: false,
          reason: "unsigned" as const,
          signature: null,
          payload: null,
        },
      },
      url,
      html_url: html,
      comments_url: `${url}/comments`,
      author: users.author ? this.user(users.author) : null,
      committer: users.committer ? this.user(users.committer) : null,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${this.repoUrl(repo)}/commits/${sha}`,
        html_url: `${this.base}/${repo.fullName}/commit/${sha}`,
      })),
    };
  }

  status(repo: Repo, status: CommitStatus) {
    return {
      url: `${this.repoUrl(repo)}/statuses/${status.sha}`,
      avatar_url: `${this.base}/avatars/u/${status.creator.id}`,
      id: status.id,
      node_id: nodeId("SC_", status.id),
      state: status.state,
      description: status.description,
      target_url: status.targetUrl,
      context: status.context,
      created_at: status.createdAt,
      updated_at: status.createdAt,
    };
  }

  statusWithCreator(repo: Repo, status: CommitStatus) {
    return { ...this.status(repo, status), creator: this.user(status.creator) };
  }

  /** GET commits/{ref}/status: the newest status per context and their combined state. */
  combinedStatus(repo: Repo, sha: string, state: string, latest: CommitStatus[]) {
    return {
      state,
      statuses: latest.map((s) => this.status(repo, s)),
      sha,
      total_count: latest.length,
      repository: this.repo(repo, { rest: true }),
      commit_url: `${this.repoUrl(repo)}/commits/${sha}`,
      url: `${this.repoUrl(repo)}/commits/${sha}/status`,
    };
  }

  /** A review; webhooks spell the state in lower case, REST in upper case. */
  review(repo: Repo, pull: Pull, review: Review, opts: { webhook?: boolean } = {}) {
    const pullUrl = `${this.repoUrl(repo)}/pulls/${pull.number}`;
    const html = `${this.base}/${repo.fullName}/pull/${pull.number}#pullrequestreview-${review.id}`;
    return {
      id: review.id,
      node_id: nodeId("PRR_", review.id),
      user: this.user(review.user),
      body: review.body,
      state: opts.webhook ? review.state.toLowerCase() : review.state,
      html_url: html,
      pull_request_url: pullUrl,
      author_association: this.association(repo, review.user),
      _links: { html: { href: html }, pull_request: { href: pullUrl } },
      submitted_at: review.submittedAt,
      commit_id: review.commitId,
    };
  }

  /** The older shape GitHub still serves for one review's comments: positions in the diff. */
  legacyReviewComment(repo: Repo, pull: Pull, comment: ReviewComment) {
    return {
      ...this.reviewComment(repo, pull, comment),
      position: comment.line,
      original_position: comment.line,
    };
  }

  reviewComment(repo: Repo, pull: Pull, comment: ReviewComment) {
    const url = `${this.repoUrl(repo)}/pulls/comments/${comment.id}`;
    const pullUrl = `${this.repoUrl(repo)}/pulls/${pull.number}`;
    const html = `${this.base}/${repo.fullName}/pull/${pull.number}#discussion_r${comment.id}`;
    return {
      url,
      pull_request_review_id: comment.reviewId,
      id: comment.id,
      node_id: nodeId("PRRC_", comment.id),
      diff_hunk: "",
      path: comment.path,
      ...(comment.line === null ? { subject_type: "file" as const } : { line: comment.line }),
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      user: this.user(comment.user),
      body: comment.body,
      created_at: comment.createdAt,
      updated_at: comment.createdAt,
      html_url: html,
      pull_request_url: pullUrl,
      author_association: this.association(repo, comment.user),
      _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
      reactions: this.reactions(url),
    };
  }
}
