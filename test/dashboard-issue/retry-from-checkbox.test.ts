import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CheckboxRetryGitHub,
  retryFromCheckbox,
} from "../../src/dashboard-issue/retry-from-checkbox.js";
import type { Db } from "../../src/db/client.js";
import { enqueueTask } from "../../src/db/queries/index.js";
import { events, repoStates, tasks } from "../../src/db/schema.js";
import type { RepoRole } from "../../src/github/permissions.js";
import { taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";

const database = useTestDatabase({ truncate: ["events", "tasks", "repo_states"] });
let db: Db;
const log = pino({ level: "silent" });
const REPO = "octo/boxes";
const DASHBOARD = 500;

beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  await db.insert(repoStates).values({
    repoFullName: REPO,
    installationId: 7,
    dashboardIssue: DASHBOARD,
    dashboardBodyHash: "h",
  });
});

async function failedTask(repoFullName: string, issueNumber: number): Promise<number> {
  const { task } = await enqueueTask(db, taskInput({ repoFullName, issueNumber }));
  if (!task) throw new Error("not enqueued");
  await db.update(tasks).set({ state: "failed", attempt: 2 }).where(eq(tasks.id, task.id));
  return task.id;
}

function github(role: RepoRole) {
  const said: string[] = [];
  const gh: CheckboxRetryGitHub = {
    roleOf: async () => role,
    comment: async (issue, body) => void said.push(`comment #${issue}: ${body}`),
    removeLabel: async (issue, label) => void said.push(`unlabel #${issue}: ${label}`),
  };
  return { gh, said };
}

const box = (id: number, ticked: boolean) =>
  `- [${ticked ? "x" : " "}] <!-- fleet-retry:${id} --> retry #${id}`;

const edit = (before: string, after: string | null) => ({
  deliveryId: randomUUID(),
  repoFullName: REPO,
  issueNumber: DASHBOARD,
  body: after ?? before,
  previousBody: after === null ? null : before,
  sender: { login: "maintainer", type: "User" },
});

const stateOf = async (id: number) =>
  (await db.select({ state: tasks.state }).from(tasks).where(eq(tasks.id, id)))[0]?.state;
const hash = async () =>
  (await db.select().from(repoStates).where(eq(repoStates.repoFullName, REPO)))[0]
    ?.dashboardBodyHash;

describe("retryFromCheckbox", () => {
  it("queues every box ticked in one edit, each acknowledged on its own issue", async () => {
    const a = await failedTask(REPO, 1);
    const b = await failedTask(REPO, 2);
    const { gh, said } = github("maintain");
    const before = [box(a, false), box(b, false)].join("\n");
    const after = [box(a, true), box(b, true)].join("\n");
    const outcome = await retryFromCheckbox({ db, log }, gh, edit(before, after));
    expect(outcome).toEqual({
      kind: "retried",
      results: [
        { taskId: a, result: "requeued" },
        { taskId: b, result: "requeued" },
      ],
    });
    expect([await stateOf(a), await stateOf(b)]).toEqual(["queued", "queued"]);
    expect(said).toEqual([
      "unlabel #1: fleet:failed",
      expect.stringMatching(/^comment #1: .*@maintainer asked for a retry/s),
      "unlabel #2: fleet:failed",
      expect.stringMatching(/^comment #2: .*@maintainer asked for a retry/s),
    ]);
    expect(await hash()).toBeNull();
  });

  it("never retries a task of another repository named in a hand-written box", async () => {
    const foreign = await failedTask("someone/else", 3);
    const { gh, said } = github("admin");
    const outcome = await retryFromCheckbox(
      { db, log },
      gh,
      edit(box(foreign, false), box(foreign, true)),
    );
    expect(outcome).toEqual({
      kind: "retried",
      results: [{ taskId: foreign, result: "unknown-task" }],
    });
    expect(await stateOf(foreign)).toBe("failed");
    expect(said).toEqual([]);
  });

  it("leaves the stored body alone when an edit did not touch the body", async () => {
    const a = await failedTask(REPO, 1);
    const { gh } = github("write");
    const outcome = await retryFromCheckbox({ db, log }, gh, edit(box(a, true), null));
    expect(outcome).toEqual({ kind: "ignored", reason: "body-unchanged" });
    expect(await hash()).toBe("h");
    expect(await stateOf(a)).toBe("failed");
  });

  it("forgets the stored body after a human edit without ticks, so the next render restores it", async () => {
    const { gh, said } = github("write");
    const outcome = await retryFromCheckbox({ db, log }, gh, edit("old text", "new text"));
    expect(outcome).toEqual({ kind: "ignored", reason: "nothing-ticked" });
    expect(await hash()).toBeNull();
    const woke = await db.select().from(events).where(eq(events.kind, "dashboard_edited"));
    expect(woke.map((e) => e.data.repo)).toEqual([REPO]);
    expect(said).toEqual([]);
  });
});
