import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { repoStates } from "../../src/db/schema.js";
import {
  type ConfigHealthGitHub,
  checkConfigOnPull,
  locateConfigErrors,
  onDefaultBranchPush,
  syncConfigHealth,
} from "../../src/tasks/config-health.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let database: TestDatabase;
let db: Db;
const log = pino({ level: "silent" });
const repo = { fullName: "octo/repo", installationId: 7 };

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await db.delete(repoStates);
});

/** A repo whose files are a map, recording every issue, comment and check run. */
function fakeGitHub(files: Record<string, string> = {}, changed: string[] = []) {
  const said = {
    issues: [] as Array<{ number: number; title: string; body: string; open: boolean }>,
    comments: [] as Array<{ issue: number; body: string }>,
    checks: [] as Array<Parameters<ConfigHealthGitHub["createCheckRun"]>[0]>,
  };
  const gh: ConfigHealthGitHub = {
    readFile: async (path) => files[path] ?? null,
    changedFiles: async () => changed,
    createIssue: async (title, body) => {
      const number = 100 + said.issues.length;
      said.issues.push({ number, title, body, open: true });
      return number;
    },
    closeIssue: async (n) => {
      const issue = said.issues.find((i) => i.number === n);
      if (issue) issue.open = false;
    },
    comment: async (issue, body) => void said.comments.push({ issue, body }),
    createCheckRun: async (run) => void said.checks.push(run),
  };
  return { gh, said };
}

const BAD = "agent:\n  timeout: soon\n  colour: blue\n";

describe("the fleet/config check run", () => {
  it("fails with a table of property, problem and line", async () => {
    const { gh, said } = fakeGitHub({ ".github/fleet.yml": BAD }, [
      "src/a.ts",
      ".github/fleet.yml",
    ]);
    const result = await checkConfigOnPull(gh, { number: 3, headSha: "abc" });
    expect(result).toBe("failed");
    const run = said.checks[0];
    expect(run).toMatchObject({ name: "fleet/config", headSha: "abc", conclusion: "failure" });
    expect(run?.title).toBe("fleet.yml has 2 problems");
    expect(run?.summary).toContain("| property | problem | line |");
    expect(run?.summary).toMatch(/\| `agent.timeout` \| .*duration.* \| 2 \|/);
    expect(run?.summary).toMatch(/\| `agent.colour` \| not a known setting \| 3 \|/);
  });

  it("passes a valid file, and a deleted one, and ignores PRs that leave it alone", async () => {
    const touched = [".github/fleet.yml"];
    const valid = fakeGitHub({ ".github/fleet.yml": "agent:\n  timeout: 20m\n" }, touched);
    expect(await checkConfigOnPull(valid.gh, { number: 1, headSha: "a" })).toBe("passed");
    expect(valid.said.checks[0]).toMatchObject({ conclusion: "success" });

    const removed = fakeGitHub({}, touched);
    expect(await checkConfigOnPull(removed.gh, { number: 2, headSha: "b" })).toBe("passed");
    expect(removed.said.checks[0]?.title).toMatch(/removed: defaults apply/);

    const untouched = fakeGitHub({ ".github/fleet.yml": BAD }, ["x"]);
    expect(await checkConfigOnPull(untouched.gh, { number: 4, headSha: "c" })).toBe("not-changed");
    expect(untouched.said.checks).toEqual([]);
  });
});

describe("the configuration error issue", () => {
  it("is opened once while the default branch is broken and closed when fixed", async () => {
    const { gh, said } = fakeGitHub({ ".github/fleet.yml": BAD });
    const errors = await locateConfigErrors(gh, "main", []);
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ["agent.timeout", 2],
      ["agent.colour", 3],
    ]);

    const [first, second] = await Promise.all([
      syncConfigHealth({ db, log }, gh, repo, errors),
      syncConfigHealth({ db, log }, gh, repo, errors),
    ]);
    expect(said.issues).toHaveLength(1);
    expect(said.issues[0]?.title).toBe("agent-fleet configuration error");
    expect(said.issues[0]?.body).toMatch(/\| `agent.timeout` \|/);
    expect([first, second]).toContainEqual({ kind: "reported", issue: 100, created: true });
    expect([first, second]).toContainEqual({ kind: "reported", issue: 100, created: false });
    expect(said.comments).toEqual([]);

    // Still broken, differently: one comment on the same issue.
    const other = [{ path: "trigger.label", message: "too long", line: 1 }];
    await syncConfigHealth({ db, log }, gh, repo, other);
    expect(said.issues).toHaveLength(1);
    expect(said.comments).toHaveLength(1);
    expect(said.comments[0]?.body).toMatch(/still invalid[\s\S]*trigger.label/);

    expect(await syncConfigHealth({ db, log }, gh, repo, [])).toEqual({
      kind: "fixed",
      issue: 100,
    });
    expect(said.issues[0]?.open).toBe(false);
    expect(said.comments.at(-1)?.body).toMatch(/valid again/);
    expect(await syncConfigHealth({ db, log }, gh, repo, [])).toEqual({ kind: "healthy" });
  });

  it("keeps the loader's errors when the file itself reads fine (an _extends problem)", async () => {
    const { gh } = fakeGitHub({ ".github/fleet.yml": "_extends: .github\n" });
    const errors = await locateConfigErrors(gh, "main", [
      { path: "agent.maxAttempts", message: "Too big" },
    ]);
    expect(errors).toEqual([{ path: "agent.maxAttempts", message: "Too big", line: null }]);
  });

  it("checks again on a push to the default branch, and closes the issue on a fix", async () => {
    const files: Record<string, string> = { ".github/fleet.yml": BAD };
    const { gh, said } = fakeGitHub(files);
    const push = (touched: string[], ref = "refs/heads/main") =>
      onDefaultBranchPush({ db, log }, gh, {
        repo: { ...repo, defaultBranch: "main" },
        ref,
        after: "f00",
        touched,
      });
    expect(await push(["README.md"])).toBe("ignored");
    expect(await push([".github/fleet.yml"])).toMatchObject({ kind: "reported", created: true });
    expect(await push([".github/fleet.yml"], "refs/heads/feature")).toBe("ignored");

    files[".github/fleet.yml"] = "agent:\n  timeout: 20m\n";
    // Any default-branch push is checked while the repo is reported broken.
    expect(await push(["src/other.ts"])).toEqual({ kind: "fixed", issue: 100 });
    expect(said.issues[0]?.open).toBe(false);
    expect(await push(["src/other.ts"])).toBe("ignored");
  });
});
