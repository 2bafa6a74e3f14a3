import type { ChangedFile, TreeEntry } from "./git.js";
import type {
  CheckRun,
  Comment,
  Installation,
  Issue,
  Label,
  Permissions,
  Pull,
  Repo,
  RepoRole,
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

const nodeId = (kind: string, id: number) => Buffer.from(`${kind}${id}`).toString("base64");

export class Render {
  constructor(
    private readonly base: string,
    private readonly appInfo: AppInfo,
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

  private reactions(url: string) {
    return {
      url: `${url}/reactions`,
      total_count: 0,
      "+1": 0,
      "-1": 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
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
              merged_at: opts.mergedAt ?? null,
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
      reactions: this.reactions(url),
      performed_via_github_app: null,
    };
  }

  /** A pull; `stats` adds the counters only single-pull answers and webhooks carry. */
  pull(repo: Repo, pull: Pull, opts: { stats?: PullStats; webhook?: boolean } = {}) {
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
      requested_reviewers: [],
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
    const fresh = opts.webhook;
    return {
      ...shape,
      merged: pull.merged,
      mergeable: fresh ? null : !pull.merged && issue.state === "open",
      rebaseable: fresh ? null : !pull.merged && issue.state === "open",
      mergeable_state: fresh ? "unknown" : "clean",
      merged_by: null,
      comments: issue.comments.length,
      review_comments: 0,
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

  app() {
    return {
      id: this.appInfo.id,
      slug: this.appInfo.slug,
      node_id: nodeId("A_", this.appInfo.id),
      client_id: this.appInfo.clientId,
      owner: this.user(this.appInfo.owner),
      name: this.appInfo.name,
      description: null,
      external_url: this.base,
      html_url: `${this.base}/apps/${this.appInfo.slug}`,
      created_at: this.appInfo.createdAt,
      updated_at: this.appInfo.createdAt,
      permissions: this.appInfo.permissions,
      events: this.appInfo.events,
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

  checkRun(repo: Repo, run: CheckRun, pulls: Pull[]) {
    const url = `${this.repoUrl(repo)}/check-runs/${run.id}`;
    const side = (ref: { ref: string; sha: string }) => ({
      ref: ref.ref,
      sha: ref.sha,
      repo: { id: repo.id, url: this.repoUrl(repo), name: repo.name },
    });
    return {
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
      app: this.app(),
      pull_requests: pulls.map((p) => ({
        id: p.id,
        number: p.number,
        url: `${this.repoUrl(repo)}/pulls/${p.number}`,
        head: side(p.head),
        base: side(p.base),
      })),
    };
  }
}
