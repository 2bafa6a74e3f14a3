import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { MorningReport } from "../../src/report/types.js";
import { useTestDatabase } from "../support/db.js";
import { claim, enqueue, failAndRetry, finish } from "./support/history.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FLEET = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

const database = useTestDatabase();

beforeAll(async () => {
  const task = await enqueue(database.db, "acme/cli", 1);
  await failAndRetry(database.db, await claim(database.db, task, "r1"), "crashed", {
    exitCode: 3,
  });
  await finish(database.db, await claim(database.db, task, "r1"), "succeeded", "pr_open", {
    exitCode: 0,
    set: { prNumber: 12 },
  });
});

function fleet(...args: string[]) {
  return execa(process.execPath, [FLEET, ...args], {
    cwd: ROOT,
    env: { DATABASE_URL: database.url, LOG_LEVEL: "warn" },
    timeout: 60_000,
  });
}

describe("fleet report", () => {
  it("prints the last hour as parseable JSON", async () => {
    const { stdout } = await fleet("report", "--json", "--since", "1h");
    const report = JSON.parse(stdout) as MorningReport;
    expect(report.window.ms).toBe(3_600_000);
    expect(report.repos).toBeNull();
    expect(report.dispatches.perIssue).toEqual([
      { repo: "acme/cli", issue: 1, dispatches: 2, outcomes: ["crashed", "succeeded"] },
    ]);
    expect(report.failures).toEqual([
      expect.objectContaining({
        cause: "crashed: exit code <n>",
        count: 1,
        examples: [
          expect.objectContaining({ repo: "acme/cli", attempt: 1, message: "exit code 3" }),
        ],
      }),
    ]);
  });

  it("prints text by default and markdown on request", async () => {
    const text = await fleet("report", "--since", "30m");
    expect(text.stdout).toMatch(/^agent-fleet report: .* UTC \(30m\), all repos$/m);
    expect(text.stdout).toMatch(/^acme\/cli#1\s+2\s+crashed, succeeded$/m);
    const md = await fleet("report", "--markdown");
    expect(md.stdout).toMatch(/^\*\*Window:\*\* .* UTC \(12h\), all repos$/m);
    expect(md.stdout).toContain("| `acme/cli#1` | 2 | crashed, succeeded |");
  });

  it("refuses a duration it cannot read", async () => {
    const result = await fleet("report", "--since", "yesterday").catch((error: unknown) => error);
    expect(result).toMatchObject({ exitCode: 1 });
    expect((result as { stderr: string }).stderr).toContain('"yesterday" is not a duration');
  });
});
