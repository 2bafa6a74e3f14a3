import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git } from "../../src/runner/git.js";
import { TEST_PRIVATE_KEY } from "../helpers/keys.js";
import { attemptHarness } from "../runner/support/attempt-harness.js";
import { gitRemote } from "../runner/support/git-remote.js";
import { tempDir } from "../runner/support/temp-dir.js";
import { useTestDatabase } from "../support/db.js";

const root = tempDir("fleet-agent-env-");
const database = useTestDatabase({ truncate: ["tasks", "attempts", "events"] });
const harness = attemptHarness({ db: () => database.db, dataDir: join(root, "data") });

/** The runner's secrets, planted in its environment for the length of each test. */
const PLANTED = {
  PRIVATE_KEY: TEST_PRIVATE_KEY,
  WEBHOOK_SECRET: "whsec-planted-5f0c1e9a7b",
  DATABASE_URL: "postgres://fleet:pg-planted-9d2e@127.0.0.1:5432/fleet",
  FLEET_DASHBOARD_TOKEN: "dash-planted-1b8c4f6e2a90",
  GITHUB_TOKEN: "ghs_plantedRunnerToken0123456789",
  ANTHROPIC_API_KEY: "sk-ant-planted-7e3d9c1b5a",
};
/** What the fake GitHub mints as the push token (test/runner/support/fake-github.ts). */
const PUSH_TOKEN = "test-token";

const saved = new Map<string, string | undefined>();
beforeEach(() => {
  for (const [name, value] of Object.entries(PLANTED)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
});
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/**
 * A real agent process: it writes everything it can see of its environment and of git's
 * configuration into the worktree, which the fleet then commits and pushes.
 */
const dumpAgent = join(root, "dump-agent.mjs");
writeFileSync(
  dumpAgent,
  `import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
const run = (args) => {
  try { return execFileSync("git", args, { encoding: "utf8" }); } catch (e) { return String(e); }
};
writeFileSync("agent-dump.json", JSON.stringify({
  env: process.env,
  gitConfig: run(["config", "--list", "--show-origin"]),
  remotes: run(["remote", "-v"]),
}, null, 2));
`,
);

/** Runs one attempt of the dump agent; returns what it dumped, read back from the pushed branch. */
async function dumpWith(repoName: string, agentEnv: string[]) {
  const repo = gitRemote(root, repoName);
  await harness.queue(repo, {
    agent: { adapter: "command", command: ["node", dumpAgent], env: agentEnv, maxAttempts: 1 },
  });
  const run = await harness.claimAndRun({ hostEnv: process.env });
  expect(run.task.state).toBe("pr_open");
  const branch = run.calls.pulls[0]?.head ?? "";
  expect(branch).toMatch(/^fleet\//);
  const text = repo.show(`refs/heads/${branch}`, "agent-dump.json");
  return { text, dump: JSON.parse(text) as { env: Record<string, string>; gitConfig: string } };
}

/** Each secret value, and each line of the PEM key on its own. */
function secretValues(names: readonly (keyof typeof PLANTED)[]): string[] {
  return names.flatMap((name) =>
    name === "PRIVATE_KEY"
      ? PLANTED.PRIVATE_KEY.split("\n").filter((line) => line.length > 20)
      : [PLANTED[name]],
  );
}

const RUNNER_SECRETS = [
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "DATABASE_URL",
  "FLEET_DASHBOARD_TOKEN",
  "GITHUB_TOKEN",
] as const;

describe("what an agent can see", () => {
  it("holds none of the runner's secrets, nor the push token, nor an unlisted API key", async () => {
    const { text, dump } = await dumpWith("acme/env-none", []);
    for (const secret of [...secretValues(RUNNER_SECRETS), PLANTED.ANTHROPIC_API_KEY]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain(`"${PUSH_TOKEN}"`);
    expect(text).not.toContain(`:${PUSH_TOKEN}`);
    for (const name of [...RUNNER_SECRETS, "ANTHROPIC_API_KEY", "FLEET_GIT_TOKEN", "GH_TOKEN"]) {
      expect(dump.env[name], name).toBeUndefined();
    }
    // the agent did run with its own HOME, and git shows no credential or remote config
    expect(dump.env.HOME).toMatch(/\/attempts\/\d+-1\/home$/);
    expect(dump.gitConfig).not.toMatch(/credential|x-access-token|extraheader|url\..*insteadof/i);
  });

  it("sees an API key only when agent.env names it", async () => {
    const { text, dump } = await dumpWith("acme/env-listed", ["ANTHROPIC_API_KEY"]);
    expect(dump.env.ANTHROPIC_API_KEY).toBe(PLANTED.ANTHROPIC_API_KEY);
    for (const secret of secretValues(RUNNER_SECRETS)) expect(text).not.toContain(secret);
  });

  it("never starts an agent whose agent.env names a runner secret", async () => {
    const repo = gitRemote(root, "acme/env-forbidden");
    await harness.queue(repo, {
      agent: {
        adapter: "command",
        command: ["node", dumpAgent],
        env: ["FLEET_DASHBOARD_TOKEN"],
        maxAttempts: 1,
      },
    });
    const run = await harness.claimAndRun({ hostEnv: process.env });
    expect(run.task.state).toBe("failed");
    expect(run.task.lastError).toMatch(
      /refusing to give the agent runner secrets: FLEET_DASHBOARD_TOKEN/,
    );
    expect(run.events.map((e) => e.kind)).not.toContain("agent_started");
    expect(repo.sha("refs/heads/fleet/5-make-the-readme-shout")).toBe("");
  });
});

describe("what the runner's own git commands can leak", () => {
  it("gives git none of the runner's secrets", async () => {
    // a shell alias prints git's environment: what any filter or helper git starts would see
    const { stdout } = await git(["-c", "alias.printenv=!env", "printenv"]);
    expect(stdout).toMatch(/^PATH=/m);
    for (const secret of secretValues(RUNNER_SECRETS)) expect(stdout).not.toContain(secret);
    expect(stdout).not.toContain(PLANTED.ANTHROPIC_API_KEY);
  });

  it("refuses to run a clean filter the agent configured, so it never runs as the runner", async () => {
    const leak = join(root, "filter-leak.txt");
    const agent = join(root, "filter-agent.sh");
    writeFileSync(
      agent,
      [
        `git config filter.leak.clean 'sh -c "env >> ${leak}; cat"'`,
        "echo '* filter=leak' > .gitattributes",
        "echo changed > README.md",
      ].join("\n"),
    );
    const repo = gitRemote(root, "acme/env-filter");
    await harness.queue(repo, {
      agent: { adapter: "command", command: ["sh", agent], maxAttempts: 1 },
    });
    const run = await harness.claimAndRun({ hostEnv: process.env });
    expect(run.task.state).toBe("failed");
    expect(run.task.lastError).toMatch(
      /which would run a program the workspace chose.*filter\.leak\.clean/,
    );
    expect(existsSync(leak)).toBe(false);
    expect(repo.sha("refs/heads/fleet/5-make-the-readme-shout")).toBe("");
  });
});
