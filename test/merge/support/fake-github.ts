import type { RepoRole } from "../../../src/github/permissions.js";
import type {
  CheckRunInput,
  MergeResult,
  PullCheck,
  PullFile,
  PullGitHub,
  PullInfo,
  PullReview,
  ReviewComment,
} from "../../../src/github/pull-github.js";
import type { CheckState } from "../../../src/policies/merge-decision.js";

/**
 * An in-memory GitHub for one repository, behind the same narrow interface the policy uses. It
 * records every write, so a test can assert what was posted and that nothing was posted twice.
 */
export class FakePullGitHub implements PullGitHub {
  readonly repoFullName: string;
  pulls = new Map<number, PullInfo>();
  files = new Map<number, PullFile[]>();
  /** `${ref}:${path}` -> text */
  contents = new Map<string, string>();
  checks = new Map<string, PullCheck[]>();
  reviews = new Map<number, PullReview[]>();
  inlineComments = new Map<number, ReviewComment[]>();
  roles = new Map<string, RepoRole>();
  issues = new Map<number, "open" | "closed">();
  checkRuns = new Map<number, CheckRunInput & { id: number }>();
  comments: Array<{ number: number; body: string }> = [];
  reviewRequests: Array<{ number: number; reviewers: string[] }> = [];
  merges: Array<{ number: number; sha: string; method: string; title: string }> = [];
  /** Every write, in order, as "method #number". */
  writes: string[] = [];
  /** What the merge API answers; by default it merges when the SHA guard holds. */
  mergeAnswer?: (number: number, sha: string) => MergeResult;
  private nextId = 1000;

  constructor(repoFullName = "octo/repo") {
    this.repoFullName = repoFullName;
  }

  addPull(input: Partial<PullInfo> & { number: number; headSha: string }): PullInfo {
    const pull: PullInfo = {
      state: "open",
      merged: false,
      mergeSha: null,
      headRef: `fleet/${input.number}-work`,
      baseRef: "main",
      mergeable: true,
      labels: [],
      title: `Work for #${input.number}`,
      body: "",
      url: `https://github.example/${this.repoFullName}/pull/${input.number}`,
      ...input,
    };
    this.pulls.set(pull.number, pull);
    this.issues.set(pull.number, "open");
    return pull;
  }

  /** A new head on the PR, as a push would make it. */
  push(number: number, headSha: string, files?: PullFile[]): void {
    this.pull(number).headSha = headSha;
    if (files) this.files.set(number, files);
  }

  setCheck(sha: string, name: string, state: CheckState, summary = ""): void {
    const list = (this.checks.get(sha) ?? []).filter((c) => c.name !== name);
    list.push({ name, state, source: "check_run", title: `${name}: ${state}`, summary, url: null });
    this.checks.set(sha, list);
  }

  addReview(
    number: number,
    review: Omit<PullReview, "id" | "body" | "submittedAt"> & Partial<PullReview>,
  ) {
    const list = this.reviews.get(number) ?? [];
    const id = this.nextId++;
    list.push({ id, body: "", submittedAt: new Date(Date.now() + id).toISOString(), ...review });
    this.reviews.set(number, list);
    return id;
  }

  pull(number: number): PullInfo {
    const pull = this.pulls.get(number);
    if (!pull) throw Object.assign(new Error("Not Found"), { status: 404 });
    return pull;
  }

  policyRun(number: number) {
    const head = this.pull(number).headSha;
    return [...this.checkRuns.values()].filter(
      (r) => r.headSha === head && r.name === "fleet/policy",
    );
  }

  commentsOn(number: number): string[] {
    return this.comments.filter((c) => c.number === number).map((c) => c.body);
  }

  async getPull(number: number) {
    return structuredClone(this.pull(number));
  }
  async listFiles(number: number) {
    return structuredClone(this.files.get(number) ?? []);
  }
  async readFile(path: string, ref: string) {
    return this.contents.get(`${ref}:${path}`) ?? null;
  }
  async checksFor(sha: string) {
    return structuredClone(this.checks.get(sha) ?? []);
  }
  async listReviews(number: number) {
    return structuredClone(this.reviews.get(number) ?? []);
  }
  async reviewComments(_number: number, reviewId: number) {
    return structuredClone(this.inlineComments.get(reviewId) ?? []);
  }
  async roleOf(login: string) {
    return this.roles.get(login) ?? "none";
  }
  async upsertCheckRun(run: CheckRunInput) {
    const id = run.id && this.checkRuns.has(run.id) ? run.id : this.nextId++;
    this.writes.push(`upsertCheckRun ${run.id ? "update" : "create"}`);
    this.checkRuns.set(id, { ...run, id });
    return id;
  }
  async addLabels(number: number, labels: readonly string[]) {
    this.writes.push(`addLabels #${number} ${labels.join(",")}`);
    const pull = this.pull(number);
    pull.labels = [...new Set([...pull.labels, ...labels])];
  }
  async removeLabel(number: number, label: string) {
    this.writes.push(`removeLabel #${number} ${label}`);
    const pull = this.pull(number);
    pull.labels = pull.labels.filter((l) => l !== label);
  }
  async requestReviewers(number: number, reviewers: readonly string[]) {
    this.writes.push(`requestReviewers #${number}`);
    this.reviewRequests.push({ number, reviewers: [...reviewers] });
  }
  async merge(number: number, options: { sha: string; method: string; title: string }) {
    this.writes.push(`merge #${number}`);
    this.merges.push({ number, ...options });
    const pull = this.pull(number);
    const answer = this.mergeAnswer?.(number, options.sha);
    if (answer) return answer;
    if (pull.headSha !== options.sha) {
      return {
        merged: false as const,
        reason: "head_moved" as const,
        message: "Head branch was modified",
      };
    }
    const sha = `merge${String(number).padStart(35, "0")}`;
    Object.assign(pull, { merged: true, state: "closed", mergeSha: sha });
    return { merged: true as const, sha };
  }
  async comment(number: number, body: string) {
    this.writes.push(`comment #${number}`);
    this.comments.push({ number, body });
  }
  async closeIssue(number: number) {
    this.writes.push(`closeIssue #${number}`);
    this.issues.set(number, "closed");
  }
  async getIssueState(number: number) {
    return this.issues.get(number) ?? "open";
  }
}
