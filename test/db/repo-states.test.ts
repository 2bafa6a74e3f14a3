import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import {
  getRepoState,
  isRepoPaused,
  pauseRepo,
  resumeRepo,
} from "../../src/db/queries/repo-states.js";
import { events, repoStates } from "../../src/db/schema.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

describe("pausing a repo", () => {
  it("pauses once, keeps the first reason, and resumes", async () => {
    const repo = "octo/pause";
    expect(await isRepoPaused(db, repo)).toBe(false);
    expect(await pauseRepo(db, { repoFullName: repo, installationId: 7, reason: "red main" })).toBe(
      true,
    );
    expect(await pauseRepo(db, { repoFullName: repo, installationId: 7, reason: "again" })).toBe(
      false,
    );
    expect(await isRepoPaused(db, repo)).toBe(true);
    expect(await getRepoState(db, repo)).toMatchObject({ pausedReason: "red main" });

    expect(await resumeRepo(db, repo, "alice")).toBe(true);
    expect(await resumeRepo(db, repo, "alice")).toBe(false);
    expect(await isRepoPaused(db, repo)).toBe(false);
    const kinds = await db.select().from(events);
    const mine = kinds.filter((e) => (e.data as { repo?: string }).repo === repo);
    expect(mine.map((e) => e.kind)).toEqual(["repo_paused", "repo_resumed"]);
    expect(mine[1]?.data).toEqual({ repo, by: "alice" });
  });

  it("leaves the configuration error columns alone", async () => {
    const repo = "octo/config";
    await db.insert(repoStates).values({
      repoFullName: repo,
      installationId: 7,
      configErrorIssue: 12,
      configErrors: [{ path: "policy.maxLines", message: "too big", line: null }],
    });
    await pauseRepo(db, { repoFullName: repo, installationId: 7, reason: "red" });
    await resumeRepo(db, repo);
    const [row] = await db.select().from(repoStates).where(eq(repoStates.repoFullName, repo));
    expect(row).toMatchObject({ configErrorIssue: 12, pausedAt: null });
    expect(row?.configErrors).toEqual([
      { path: "policy.maxLines", message: "too big", line: null },
    ]);
  });
});
