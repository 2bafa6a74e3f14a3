import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { parseFleetConfig } from "../../src/config/fleet-config.js";
import type { Db } from "../../src/db/client.js";
import { claimNextTask, getTask, listEvents } from "../../src/db/queries/index.js";
import { type NewTask, type Task, tasks } from "../../src/db/schema.js";
import { startAttempt } from "../../src/runner/attempt.js";
import type { AttemptContext } from "../../src/runner/attempt-context.js";
import { attemptDirFor } from "../../src/runner/attempt-meta.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { taskInput } from "../db/fixtures.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { fakeGitHub } from "./support/fake-github.js";
import { type GitRemote, gitRemote } from "./support/git-remote.js";
import { tempDir } from "./support/temp-dir.js";

const root = tempDir();
const dataDir = join(root, "data");
const workspaces = new Workspaces({ root: dataDir });
let database: TestDatabase;
let db: Db;
let repoCount = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
// Claims take any queued task: each test starts from an empty queue.
beforeEach(async () => {
  await db.execute(sql`truncate tasks, attempts, events cascade`);
});

/** The agent: a shell script run in the worktree, the prompt file as $1. */
function agentConfig(script: string, maxAttempts = 1) {
  return {
    agent: {
      adapter: "command",
      command: ["sh", "-c", script, "agent", "{promptFile}"],
      maxAttempts,
    },
    retry: { initial: "1s" },
  };
}

const NO_AGENT = "echo 'no agent should run' >&2; exit 9";

function newRepo(): GitRemote {
  repoCount += 1;
  return gitRemote(root, `acme/repo-${repoCount}`);
}

/** Queues one task, claims it and runs the attempt to its end, as a runner would. */
async function runWork(
  repo: GitRemote,
  values: Partial<NewTask> & { script: string; maxAttempts?: number },
  hook: (task: Task) => Promise<void> = async () => {},
) {
  const { script, maxAttempts, ...columns } = values;
  const issueNumber = columns.issueNumber ?? 5;
  await db.insert(tasks).values({
    ...taskInput({
      repoFullName: repo.repoFullName,
      issueNumber,
      issueTitle: "Make the README shout",
      cloneUrl: repo.cloneUrl,
      config: agentConfig(script, maxAttempts),
    }),
    state: "queued",
    ...columns,
  });
  const claim = await claimNextTask(db, { runnerId: "r1", leaseMs: 60_000 });
  if (!claim) throw new Error("nothing to claim");
  const parsed = parseFleetConfig(claim.task.config);
  if (!parsed.ok) throw new Error("bad config");
  const github = fakeGitHub();
  const opened: Task[] = [];
  const ctx: AttemptContext = {
    ...claim,
    config: parsed.config,
    db,
    clock: createClock(1),
    log: pino({ level: process.env.TEST_LOG ?? "silent" }),
    github: github.factory,
    workspaces,
    dataDir,
    cancel: new AbortController().signal,
    release: new AbortController().signal,
    leaseTtlMs: 60_000,
    defaultAgentCommand: undefined,
    hostEnv: {},
    onHeartbeat: () => {},
    afterPullOpened: async (task) => {
      opened.push(task);
      await hook(task);
    },
  };
  await startAttempt(ctx);
  const task = await getTask(db, claim.task.id);
  if (!task) throw new Error("task vanished");
  const events = await listEvents(db, task.id);
  const prompt = () =>
    readFileSync(join(attemptDirFor(dataDir, task.id, claim.attempt.number), "prompt.md"), "utf8");
  return { task, calls: github.calls, opened, events, prompt };
}

/** A task whose PR #7 is open on `branch` at `head`, queued for `work`. */
function openPull(branch: string, head: string) {
  return {
    prNumber: 7,
    prUrl: "https://github.invalid/acme/pull/7",
    branch,
    headSha: head,
    policyCheckRunId: 4242,
    fixAttempts: 1,
  };
}

describe("fix work", () => {
  it("pushes the agent's commit on top of the PR branch and opens no new PR", async () => {
    const repo = newRepo();
    const head = repo.commit("fleet/5-shout", { "README.md": "# API\n" }, "shout");
    const { task, calls, opened, prompt } = await runWork(repo, {
      ...openPull("fleet/5-shout", head),
      work: "fix",
      workContext: "### test (failure)\nexpected README to end with an exclamation mark",
      script: `grep -q 'exclamation mark' "$1" || exit 3; printf '# API!\\n' > README.md`,
    });

    const pushed = repo.sha("refs/heads/fleet/5-shout");
    expect(repo.parents(pushed)).toEqual([head]); // a fast-forward on the PR's head
    expect(repo.show(pushed, "README.md")).toBe("# API!");
    expect(calls.pulls).toEqual([]);
    expect(task).toMatchObject({
      state: "pr_open",
      prNumber: 7,
      headSha: pushed,
      policyCheckRunId: null, // a new head gets a new fleet/policy run
      flaggedReason: null,
      attemptBase: 1,
    });
    expect(opened.map((t) => [t.id, t.state, t.headSha])).toEqual([[task.id, "pr_open", pushed]]);
    expect(calls.comments).toHaveLength(1);
    expect(calls.comments[0]?.number).toBe(7);
    expect(calls.comments[0]?.body).toContain(`pushed ${pushed}`);
    expect(prompt()).toMatch(/fix the failing checks \/ address the review on the open PR/);
  });

  it("flags the PR when the agent changed nothing", async () => {
    const repo = newRepo();
    const head = repo.commit("fleet/5-shout", { "README.md": "# API\n" });
    const { task, calls, opened } = await runWork(repo, {
      ...openPull("fleet/5-shout", head),
      work: "fix",
      workContext: "lint failed",
      script: "exit 0",
    });
    expect(task.state).toBe("needs_review");
    expect(task.flaggedReason).toMatch(/changed nothing/);
    expect(repo.sha("refs/heads/fleet/5-shout")).toBe(head);
    expect(calls.labels).toEqual([{ number: 7, label: "fleet:needs-review" }]);
    expect(calls.comments.map((c) => c.number)).toEqual([7]);
    expect(calls.comments[0]?.body).toContain(task.flaggedReason);
    expect(opened).toEqual([]);
  });

  it("hands the PR to humans, not to fleet:failed, when it runs out of attempts", async () => {
    const repo = newRepo();
    const head = repo.commit("fleet/5-shout", { "README.md": "# API\n" });
    const { task, calls } = await runWork(repo, {
      ...openPull("fleet/5-shout", head),
      work: "fix",
      workContext: "tests failed",
      script: "echo 'cannot fix this' >&2; exit 1",
      maxAttempts: 1,
    });
    expect(task.state).toBe("needs_review");
    expect(task.flaggedReason).toMatch(
      /1 attempt to fix the failing checks or address the review did not succeed; the last one crashed/,
    );
    expect(calls.labels).toEqual([{ number: 7, label: "fleet:needs-review" }]);
    expect(calls.labels.map((l) => l.label)).not.toContain("fleet:failed");
    expect(calls.comments[0]?.body).toContain("cannot fix this");
    expect(repo.sha("refs/heads/fleet/5-shout")).toBe(head);
  });
});

describe("rebase work", () => {
  it("rebases without an agent and pushes with a lease; a failing hook is only logged", async () => {
    const repo = newRepo();
    const head = repo.commit("fleet/5-shout", { "README.md": "# API!\n" });
    const newMain = repo.commit("main", { "CHANGELOG.md": "v2\n" });
    const { task, calls, opened, events } = await runWork(
      repo,
      { ...openPull("fleet/5-shout", head), work: "rebase", script: NO_AGENT },
      async () => {
        throw new Error("the policy is down");
      },
    );
    const pushed = repo.sha("refs/heads/fleet/5-shout");
    expect(pushed).not.toBe(head);
    expect(repo.parents(pushed)).toEqual([newMain]);
    expect(repo.show(pushed, "README.md")).toBe("# API!");
    expect(task).toMatchObject({ state: "pr_open", headSha: pushed, policyCheckRunId: null });
    expect(opened).toHaveLength(1);
    expect(events.map((e) => e.kind)).not.toContain("agent_started");
    expect(events.at(-1)).toMatchObject({
      kind: "attempt_finished",
      toState: "pr_open",
      data: { outcome: "succeeded", push: "lease", from: head, onto: newMain },
    });
    expect(calls.pulls).toEqual([]);
  });

  it("continues as an agent conflict resolution when the rebase conflicts", async () => {
    const repo = newRepo();
    const head = repo.commit("fleet/5-shout", { "README.md": "# API!\n" });
    const newMain = repo.commit("main", { "README.md": "# The API\n" });
    const { task, calls, opened, events, prompt } = await runWork(repo, {
      ...openPull("fleet/5-shout", head),
      work: "rebase",
      script: `grep -q '^- README.md$' "$1" || exit 3; grep -q '^<<<<<<< ' README.md || exit 4; printf '# The API!\\n' > README.md && git add README.md`,
    });
    const pushed = repo.sha("refs/heads/fleet/5-shout");
    expect(repo.parents(pushed)).toEqual([head, newMain]); // a merge, pushed fast-forward
    expect(repo.show(pushed, "README.md")).toBe("# The API!");
    expect(task).toMatchObject({ state: "pr_open", headSha: pushed });
    expect(opened).toHaveLength(1);
    const kinds = events.map((e) => e.kind);
    expect(kinds.indexOf("rebase_conflict")).toBeLessThan(kinds.indexOf("agent_started"));
    expect(calls.comments.map((c) => c.number)).toEqual([7]);
    expect(calls.comments[0]?.body).toMatch(/resolved the conflicts in `README.md`/);
    expect(prompt()).toMatch(/git merge origin\/main/);
  });

  it("flags the PR, naming the files, when the agent leaves conflicts behind", async () => {
    const repo = newRepo();
    const head = repo.commit("fleet/5-shout", { "README.md": "# API!\n", "src/a.ts": "a\n" });
    repo.commit("main", { "README.md": "# The API\n", "src/a.ts": "b\n" });
    const { task, calls, opened } = await runWork(repo, {
      ...openPull("fleet/5-shout", head),
      work: "rebase",
      // stages one file with its markers still in, and leaves the other unmerged
      script: "git add README.md",
    });
    expect(task.state).toBe("needs_review");
    expect(task.flaggedReason).toContain("`README.md`");
    expect(task.flaggedReason).toContain("`src/a.ts`");
    expect(repo.sha("refs/heads/fleet/5-shout")).toBe(head);
    expect(calls.labels).toEqual([{ number: 7, label: "fleet:needs-review" }]);
    expect(opened).toEqual([]);
  });
});

describe("revert work", () => {
  async function mergedOriginal(repo: GitRemote) {
    const [original] = await db
      .insert(tasks)
      .values({
        ...taskInput({ repoFullName: repo.repoFullName, issueNumber: 5 }),
        issueTitle: "Make the README shout",
        state: "merged",
        prNumber: 12,
        branch: "fleet/5-make-the-readme-shout",
      })
      .returning();
    if (!original) throw new Error("no original task");
    return original;
  }

  it("reverts a squash merge on a fresh branch and opens a labeled revert PR", async () => {
    const repo = newRepo();
    const original = await mergedOriginal(repo);
    const squash = repo.commit("main", { "README.md": "# API!\n" }, "Make the README shout (#12)");
    const { task, calls, opened } = await runWork(repo, {
      kind: "revert",
      work: "revert",
      revertSha: squash,
      revertOfTaskId: original.id,
      workContext: "- `ci/test`: failure",
      script: NO_AGENT,
    });
    const branch = `fleet/revert-5-${squash.slice(0, 7)}`;
    const head = repo.sha(`refs/heads/${branch}`);
    expect(repo.parents(head)).toEqual([squash]);
    expect(repo.show(head, "README.md")).toBe("# api");
    expect(calls.pulls).toHaveLength(1);
    const [pull] = calls.pulls;
    expect(pull).toMatchObject({
      title: 'Revert "Make the README shout"',
      head: branch,
      base: "main",
    });
    expect(pull?.body).toContain("Reverts #12");
    expect(pull?.body).toContain("`ci/test`: failure");
    expect(pull?.body).not.toMatch(/\b(close[sd]?|fix(e[sd])?|resolve[sd]?) #\d/i);
    expect(calls.labels).toEqual([{ number: 100, label: "fleet:revert" }]);
    expect(task).toMatchObject({ state: "pr_open", prNumber: 100, branch, headSha: head });
    expect(opened.map((t) => t.prNumber)).toEqual([100]);
    expect(calls.comments.map((c) => c.number)).toEqual([5]);
  });

  it("reverts a merge commit against its first parent", async () => {
    const repo = newRepo();
    const original = await mergedOriginal(repo);
    const mainBefore = repo.sha("refs/heads/main");
    repo.commit("fleet/5-shout", { "README.md": "# API!\n", "extra.txt": "x\n" });
    const merge = repo.mergeIntoMain("fleet/5-shout");
    const { task, calls } = await runWork(repo, {
      kind: "revert",
      work: "revert",
      revertSha: merge,
      revertOfTaskId: original.id,
      // as the post-merge watch writes it
      issueBody: "`ci/build` failed on the merge commit",
      script: NO_AGENT,
    });
    expect(task.state).toBe("pr_open");
    expect(calls.pulls[0]?.body).toContain("`ci/build` failed on the merge commit");
    expect(task.headSha).toBeTruthy();
    expect(repo.tree(task.headSha ?? "")).toBe(repo.tree(mainBefore));
  });

  it("fails and tells the issue when the revert conflicts", async () => {
    const repo = newRepo();
    const original = await mergedOriginal(repo);
    const bad = repo.commit("main", { "README.md": "# API!\n" });
    repo.commit("main", { "README.md": "# API!!\n" }, "later edit of the same line");
    const { task, calls, opened } = await runWork(repo, {
      kind: "revert",
      work: "revert",
      revertSha: bad,
      revertOfTaskId: original.id,
      script: NO_AGENT,
    });
    expect(task.state).toBe("failed");
    expect(task.lastError).toContain("README.md");
    expect(calls.pulls).toEqual([]);
    expect(calls.comments).toHaveLength(1);
    expect(calls.comments[0]).toMatchObject({ number: 5 });
    expect(calls.comments[0]?.body).toContain(bad);
    expect(calls.comments[0]?.body).toContain("`README.md`");
    expect(repo.sha(`refs/heads/fleet/revert-5-${bad.slice(0, 7)}`)).toBe("");
    expect(opened).toEqual([]);
  });
});

describe("implement work", () => {
  it("records the pushed head and hands the new PR to the policy", async () => {
    const repo = newRepo();
    const { task, calls, opened } = await runWork(repo, {
      script: "printf '# API!\\n' > README.md",
    });
    const head = repo.sha(`refs/heads/${task.branch}`);
    expect(head).not.toBe("");
    expect(task).toMatchObject({ state: "pr_open", prNumber: 100, headSha: head });
    expect(calls.pulls[0]?.body).toMatch(/^Closes #5/);
    expect(opened.map((t) => t.headSha)).toEqual([head]);
  });
});
