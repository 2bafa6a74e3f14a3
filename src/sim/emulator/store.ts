import type {
  CheckRun,
  CheckSuite,
  Comment,
  CommitStatus,
  Installation,
  InstallationToken,
  Issue,
  Label,
  Pull,
  Repo,
  User,
} from "./types.js";

/** Every record the emulator holds. Ids come from per-kind counters so runs are reproducible. */
export class Store {
  readonly users = new Map<string, User>();
  readonly repos = new Map<string, Repo>();
  readonly installations = new Map<number, Installation>();
  readonly issues = new Map<string, Issue>();
  readonly pulls = new Map<string, Pull>();
  readonly checkRuns = new Map<number, CheckRun>();
  readonly checkSuites = new Map<number, CheckSuite>();
  /** Commit statuses, oldest first. */
  readonly statuses: CommitStatus[] = [];
  readonly tokens = new Map<string, InstallationToken>();
  private readonly counters = new Map<string, number>();

  nextId(
    kind:
      | "user"
      | "repo"
      | "issue"
      | "comment"
      | "label"
      | "installation"
      | "pull"
      | "check"
      | "status"
      | "review"
      | "reaction",
  ): number {
    const bases = {
      user: 1000,
      repo: 2000,
      issue: 3000,
      comment: 4000,
      label: 5000,
      installation: 100,
      pull: 6000,
      check: 7000,
      status: 8000,
      review: 9000,
      reaction: 10000,
    };
    const next = (this.counters.get(kind) ?? bases[kind]) + 1;
    this.counters.set(kind, next);
    return next;
  }

  /** Every login is a user the first time it is seen; a `[bot]` suffix makes it a Bot. */
  user(login: string, type?: User["type"]): User {
    let user = this.users.get(login.toLowerCase());
    if (!user) {
      user = {
        login,
        id: this.nextId("user"),
        type: type ?? (login.endsWith("[bot]") ? "Bot" : "User"),
      };
      this.users.set(login.toLowerCase(), user);
    }
    return user;
  }

  repo(slug: string): Repo | undefined {
    return this.repos.get(slug.toLowerCase());
  }

  issue(slug: string, number: number): Issue | undefined {
    return this.issues.get(`${slug.toLowerCase()}#${number}`);
  }

  addIssue(issue: Issue): void {
    this.issues.set(`${issue.repo.toLowerCase()}#${issue.number}`, issue);
  }

  /** Opens and stores a new issue (or a pull's issue half), with GitHub's initial fields. */
  openIssue(spec: {
    repo: string;
    number: number;
    title: string;
    body: string | null;
    user: User;
    isPull: boolean;
  }): Issue {
    const now = timestamp();
    const issue: Issue = {
      id: this.nextId("issue"),
      ...spec,
      labels: [],
      state: "open",
      stateReason: null,
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedBy: null,
      comments: [],
    };
    this.addIssue(issue);
    return issue;
  }

  pull(slug: string, number: number): Pull | undefined {
    return this.pulls.get(`${slug.toLowerCase()}#${number}`);
  }

  addPull(pull: Pull): void {
    this.pulls.set(`${pull.repo.toLowerCase()}#${pull.number}`, pull);
  }

  issuesOf(slug: string): Issue[] {
    return [...this.issues.values()].filter((i) => i.repo.toLowerCase() === slug.toLowerCase());
  }

  /** Finds a comment by id among a repo's issues and pulls. */
  comment(slug: string, id: number): { issue: Issue; comment: Comment } | undefined {
    for (const issue of this.issuesOf(slug)) {
      const comment = issue.comments.find((c) => c.id === id);
      if (comment) return { issue, comment };
    }
    return undefined;
  }

  statusesOf(slug: string, sha: string): CommitStatus[] {
    return this.statuses.filter(
      (s) => s.repo.toLowerCase() === slug.toLowerCase() && s.sha === sha,
    );
  }

  checkRunsOf(slug: string, sha?: string): CheckRun[] {
    return [...this.checkRuns.values()].filter(
      (r) =>
        r.repo.toLowerCase() === slug.toLowerCase() && (sha === undefined || r.headSha === sha),
    );
  }

  pullsOf(slug: string): Pull[] {
    return [...this.pulls.values()].filter((p) => p.repo.toLowerCase() === slug.toLowerCase());
  }

  /** GitHub creates a label on the repo the first time it is applied to an issue. */
  label(repo: Repo, name: string): Label {
    let label = repo.labels.get(name.toLowerCase());
    if (!label) {
      label = {
        id: this.nextId("label"),
        name,
        color: "ededed",
        description: null,
        default: false,
      };
      repo.labels.set(name.toLowerCase(), label);
    }
    return label;
  }

  addComment(issue: Issue, user: User, body: string, at: string): Comment {
    const comment: Comment = {
      id: this.nextId("comment"),
      issueNumber: issue.number,
      body,
      user,
      createdAt: at,
      updatedAt: at,
      reactions: [],
    };
    issue.comments.push(comment);
    issue.updatedAt = at;
    return comment;
  }
}

/** GitHub timestamps carry no milliseconds. */
export function timestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
