/** In-memory records of the emulated GitHub. Rendering into GitHub's JSON shapes lives in render.ts. */

export type RepoRole = "read" | "triage" | "write" | "maintain" | "admin";
export type AccessLevel = "read" | "write" | "admin";
export type Permissions = Record<string, AccessLevel>;

export interface User {
  login: string;
  id: number;
  type: "User" | "Bot" | "Organization";
}

export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface Repo {
  id: number;
  owner: User;
  name: string;
  fullName: string;
  defaultBranch: string;
  gitDir: string;
  cloneUrl: string;
  private: boolean;
  collaborators: Map<string, RepoRole>;
  /** Keyed by lower-cased name: GitHub label names are case-insensitive. */
  labels: Map<string, Label>;
  installationId: number;
  createdAt: string;
  /** Issues and pulls share one counter, as on GitHub. */
  lastNumber: number;
}

export interface Comment {
  id: number;
  issueNumber: number;
  body: string;
  user: User;
  createdAt: string;
  updatedAt: string;
  reactions: Reaction[];
}

export type ReactionContent =
  | "+1"
  | "-1"
  | "laugh"
  | "confused"
  | "heart"
  | "hooray"
  | "rocket"
  | "eyes";

export interface Reaction {
  id: number;
  content: ReactionContent;
  user: User;
  createdAt: string;
}

export interface Issue {
  id: number;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  user: User;
  /** Label names in the order they were added. */
  labels: string[];
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "duplicate" | "reopened" | null;
  locked: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: User | null;
  comments: Comment[];
  /** Set when this number is a pull request (GitHub models every pull as an issue too). */
  isPull: boolean;
}

export interface Pull {
  id: number;
  repo: string;
  number: number;
  /** Title, body, state and labels live on the issue with the same number. */
  issue: Issue;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  draft: boolean;
  maintainerCanModify: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: User | null;
  /** Users asked to review and not yet answered, in the order they were asked. */
  requestedReviewers: User[];
  reviews: Review[];
  reviewComments: ReviewComment[];
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED";

export interface Review {
  id: number;
  pullNumber: number;
  user: User;
  body: string;
  state: ReviewState;
  /** The pull's head when the review was submitted. */
  commitId: string;
  submittedAt: string;
}

export interface ReviewComment {
  id: number;
  reviewId: number;
  pullNumber: number;
  user: User;
  path: string;
  line: number | null;
  body: string;
  commitId: string;
  createdAt: string;
}

export type StatusState = "error" | "failure" | "pending" | "success";

export interface CommitStatus {
  id: number;
  repo: string;
  sha: string;
  context: string;
  state: StatusState;
  description: string | null;
  targetUrl: string | null;
  creator: User;
  createdAt: string;
}

export interface CheckRun {
  id: number;
  repo: string;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  checkSuiteId: number;
  /** The app that created the run: the fleet's app, or the simulated CI. */
  appId: number;
}

/** One per app and head sha; its status and conclusion are derived from its runs. */
export interface CheckSuite {
  id: number;
  repo: string;
  appId: number;
  headSha: string;
  headBranch: string | null;
  before: string | null;
  after: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Installation {
  id: number;
  account: User;
  createdAt: string;
  /** Bodies of POST /app/installations/{id}/access_tokens, oldest first. */
  tokenRequests: unknown[];
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: number;
  permissions: Permissions;
  /** null: every repository of the installation. */
  repoIds: Set<number> | null;
}

export interface Delivery {
  /** The event's guid (X-GitHub-Delivery), shared by its redeliveries. */
  id: string;
  /** This attempt's id in GitHub's list of deliveries: each redelivery is an attempt of its own. */
  attemptId: number;
  event: string;
  action: string | undefined;
  /** HTTP status the app answered; 0 while pending, when no webhook URL is set, or on a network error. */
  status: number;
  /** "timed out" when the app did not answer in time, or when a fault dropped the delivery. */
  error?: string;
  redelivery: boolean;
  payload: Record<string, unknown>;
  /** When the attempt began; unset while it waits its turn or is held back. */
  deliveredAt?: number;
  /** Real ms the attempt took. */
  durationMs?: number;
  /** An injected fault: dropped (recorded as timed out, never sent) or held back `ms`. */
  fault?: { kind: "drop" } | { kind: "delay"; ms: number };
}

export interface RouteStats {
  total: number;
  invalid: number;
  byRoute: Record<string, number>;
  /** Each request answered 404-unknown-route, 422-invalid-body or 501-not-emulated, oldest first. */
  invalidRequests: Array<{ method: string; path: string; status: number; message: string }>;
}
