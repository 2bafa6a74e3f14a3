import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { enqueueTask, getTask } from "../../src/db/queries/index.js";
import { events, tasks } from "../../src/db/schema.js";
import type { RepoRole } from "../../src/github/permissions.js";
import {
  type CommandGitHub,
  type CommentFacts,
  onFleetCommand,
  parseCommand,
} from "../../src/tasks/commands.js";
import { taskInput } from "../db/fixtures.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let database: TestDatabase;
let db: Db;
const log = pino({ level: "silent" });

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await db.delete(events);
  await db.delete(tasks);
});

/** A GitHub that records what the command said back. */
function fakeGitHub(role: RepoRole = "write") {
  const said = { comments: [] as string[], reactions: [] as string[], removed: [] as string[] };
  const gh: CommandGitHub = {
    roleOf: async () => role,
    comment: async (_n, body) => void said.comments.push(body),
    removeLabel: async (_n, label) => void said.removed.push(label),
    react: async (id, content) => void said.reactions.push(`${id}:${content}`),
  };
  return { gh, said };
}

function facts(body: string, overrides: Partial<CommentFacts> = {}): CommentFacts {
  return {
    deliveryId: randomUUID(),
    repoFullName: "octo/repo",
    issueNumber: 5,
    isPullRequest: false,
    commentId: 77,
    body,
    sender: { login: "maintainer", type: "User" },
    ...overrides,
  };
}

function deps(paused = false) {
  const resumed: string[] = [];
  return {
    resumed,
    deps: {
      db,
      log,
      resumeRepo: async (repo: string, by: string) => {
        resumed.push(`${repo} by ${by}`);
        return paused;
      },
    },
  };
}

async function taskIn(state: "queued" | "pr_open" | "failed", issueNumber = 5) {
  const { task } = await enqueueTask(db, taskInput({ issueNumber }));
  if (!task) throw new Error("no task");
  await db
    .update(tasks)
    .set({ state, prNumber: state === "pr_open" ? 9 : null })
    .where(eq(tasks.id, task.id));
  return task.id;
}

describe("parseCommand", () => {
  it.each([
    ["/fleet retry", { verb: "retry" }],
    ["  /FLEET Cancel  \nbecause", { verb: "cancel" }],
    ["/fleet resume", { verb: "resume" }],
    ["/fleet status", { verb: "status" }],
    ["/fleet merge", { unknown: "merge" }],
    ["/fleet", { unknown: "" }],
    ["please /fleet retry", null],
    ["/fleetretry", null],
    ["thanks!", null],
  ])("%j -> %j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });
});

describe("onFleetCommand", () => {
  it("refuses a reader politely, once per delivery", async () => {
    const { gh, said } = fakeGitHub("read");
    const input = facts("/fleet cancel");
    expect(await onFleetCommand(deps().deps, gh, input)).toBe("refused");
    expect(await onFleetCommand(deps().deps, gh, input)).toBe("duplicate-delivery");
    expect(said.comments).toHaveLength(1);
    expect(said.comments[0]).toMatch(/only takes `\/fleet` commands from people with write/);
  });

  it("ignores bots and ordinary comments", async () => {
    const { gh, said } = fakeGitHub();
    const bot = facts("/fleet retry", { sender: { login: "x[bot]", type: "Bot" } });
    expect(await onFleetCommand(deps().deps, gh, bot)).toBe("not-a-command");
    expect(await onFleetCommand(deps().deps, gh, facts("LGTM"))).toBe("not-a-command");
    expect(said.comments).toEqual([]);
  });

  it("names the commands when the verb is unknown", async () => {
    const { gh, said } = fakeGitHub();
    expect(await onFleetCommand(deps().deps, gh, facts("/fleet merge"))).toBe("unknown");
    expect(said.comments[0]).toMatch(/`\/fleet merge` is not a command.*`\/fleet resume`/s);
  });

  it("cancels an open PR's task from a comment on the PR, with a reaction", async () => {
    const id = await taskIn("pr_open");
    const { gh, said } = fakeGitHub();
    const input = facts("/fleet cancel", { issueNumber: 9, isPullRequest: true });
    expect(await onFleetCommand(deps().deps, gh, input)).toBe("cancelled");
    expect((await getTask(db, id))?.state).toBe("cancelled");
    expect(said.reactions).toEqual(["77:+1"]);
    expect(said.comments[0]).toMatch(/#9 stays open, but agent-fleet will not merge it/);
    expect(await onFleetCommand(deps().deps, gh, input)).toBe("duplicate-delivery");
    expect(said.comments).toHaveLength(1);
  });

  it("says so when there is nothing to cancel", async () => {
    await taskIn("failed");
    const { gh, said } = fakeGitHub();
    expect(await onFleetCommand(deps().deps, gh, facts("/fleet cancel"))).toBe("nothing-to-cancel");
    expect(said.comments[0]).toMatch(/no queued, running or open agent-fleet task/);
  });

  it("resumes a paused repo with a reaction, and explains when it was not paused", async () => {
    const { gh, said } = fakeGitHub();
    const paused = deps(true);
    expect(await onFleetCommand(paused.deps, gh, facts("/fleet resume"))).toBe("resumed");
    expect(paused.resumed).toEqual(["octo/repo by maintainer"]);
    expect(said.reactions).toEqual(["77:+1"]);
    expect(await onFleetCommand(deps(false).deps, gh, facts("/fleet resume"))).toBe("not-paused");
    expect(said.comments[0]).toMatch(/is not paused; nothing to resume/);
  });

  it("replies to status with the task's timeline", async () => {
    const id = await taskIn("queued");
    const { gh, said } = fakeGitHub();
    expect(await onFleetCommand(deps().deps, gh, facts("/fleet status"))).toBe("status");
    const reply = said.comments[0] ?? "";
    expect(reply).toContain(`Task ${id} (issue): state \`queued\``);
    expect(reply).toMatch(/\| enqueued \| — → queued \|/);
  });

  it("requeues a failed task and drops the failed label", async () => {
    const id = await taskIn("failed");
    const { gh, said } = fakeGitHub();
    expect(await onFleetCommand(deps().deps, gh, facts("/fleet retry"))).toBe("requeued");
    expect((await getTask(db, id))?.state).toBe("queued");
    expect(said.removed).toEqual(["fleet:failed"]);
  });
});
