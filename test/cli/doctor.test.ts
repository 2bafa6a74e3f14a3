import { generateKeyPairSync } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAppManifest } from "../../src/ops/doctor/manifest.js";
import { appKeyPair } from "../../src/sim/app-keys.js";
import { TEST_PRIVATE_KEY } from "../helpers/keys.js";
import { createTestDatabase, useTestDatabase } from "../support/db.js";
import { type AppRequest, startFakeGitHubApp } from "./fake-github-app.js";
import { emptyWorkdir, runFleet } from "./run-fleet.js";

const APP_ID = 4242;
const database = useTestDatabase();
let cwd: string;
let github: Awaited<ReturnType<typeof startFakeGitHubApp>>;

beforeAll(async () => {
  const manifest = await loadAppManifest();
  [cwd, github] = await Promise.all([
    emptyWorkdir(),
    startFakeGitHubApp({
      privateKey: TEST_PRIVATE_KEY,
      app: {
        id: APP_ID,
        slug: "fleet-test",
        permissions: manifest.permissions,
        events: manifest.events,
      },
    }),
  ]);
});
afterAll(async () => {
  await github?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

/** A host with everything in place: the database, the app's credentials, an agent, a data dir. */
function healthyEnv(): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    APP_ID: String(APP_ID),
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: "a-webhook-secret",
    GITHUB_API_URL: github.url,
    FLEET_AGENT_COMMAND: JSON.stringify([process.execPath, "agent.mjs", "{promptFile}"]),
    FLEET_DATA_DIR: join(cwd, "data"),
  };
}

const doctor = (env: Record<string, string | undefined>, ...args: string[]) =>
  runFleet(["doctor", ...args], { cwd, env });

/** The line of one check, e.g. `pass  database  PostgreSQL 17 at ...`. */
function line(output: string, check: string): string {
  const found = output.split("\n").find((l) => new RegExp(`^\\S+\\s+${check}\\s{2}`).test(l));
  if (!found) throw new Error(`no "${check}" line in:\n${output}`);
  return found;
}

describe("fleet doctor", () => {
  it("passes every required check on a healthy host, and the app's JWT verifies", async () => {
    const before = github.requests.length;
    const run = await doctor(healthyEnv());
    expect(run.code, run.stdout).toBe(0);
    const out = run.stdout;
    expect(line(out, "database")).toMatch(/^pass .*PostgreSQL \d+/);
    expect(line(out, "migrations")).toMatch(/^pass .*all \d+ applied/);
    expect(line(out, "GitHub App id")).toMatch(/^pass .*APP_ID 4242/);
    expect(line(out, "GitHub App private key")).toMatch(/^pass .*RSA, 2048 bits/);
    expect(line(out, "GitHub API")).toMatch(/^pass .*app "fleet-test" \(id 4242\)/);
    expect(line(out, "app permissions")).toMatch(/^pass /);
    expect(line(out, "webhook secret")).toMatch(/^pass /);
    expect(line(out, "agent command")).toMatch(/^pass .*at /);
    expect(line(out, "disk space")).toMatch(/^pass .*free for/);
    expect(line(out, "git")).toMatch(/^pass .*git \d+\.\d+/);
    expect(out).toMatch(/\nok: \d+ passed, 0 failed/);
    // Optional adapters are labelled so, whether or not their program is installed here.
    expect(line(out, "agent claude-code \\(optional\\)")).toMatch(/^(pass|warn) /);

    const calls: AppRequest[] = github.requests.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe("/app");
    expect(calls[0]?.claims?.iss).toBe(APP_ID);
    const claims = calls[0]?.claims;
    if (claims) expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
  });

  it("prints clean JSON when piped: no spinner, nothing on stderr", async () => {
    const run = await doctor(healthyEnv(), "--json");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toContain("migrations");
  });

  it("fails without APP_ID, with a hint, and does not call GitHub", async () => {
    const before = github.requests.length;
    const run = await doctor({ ...healthyEnv(), APP_ID: undefined });
    expect(run.code).toBe(1);
    expect(line(run.stdout, "GitHub App id")).toMatch(/^FAIL .*APP_ID is not set/);
    expect(run.stdout).toMatch(/FAIL +GitHub App id .*\n +hint: .*register the app/);
    expect(line(run.stdout, "GitHub API")).toMatch(/^skip /);
    expect(run.stdout).toMatch(/\nnot ready: \d+ passed, 1 failed/);
    expect(github.requests.length).toBe(before);
  });

  it("fails when GitHub refuses the app's JWT (a key that is not the app's)", async () => {
    const otherKey = appKeyPair().privateKey;
    const run = await doctor({ ...healthyEnv(), PRIVATE_KEY: otherKey });
    expect(run.code).toBe(1);
    expect(line(run.stdout, "GitHub App private key")).toMatch(/^pass /);
    expect(line(run.stdout, "GitHub API")).toMatch(/^FAIL .*answered 401/);
    expect(run.stdout).toContain("do not belong together");
  });

  it("fails a key that is not RSA, and a database it cannot reach, without printing secrets", async () => {
    const ecKey = generateKeyPairSync("ec", {
      namedCurve: "P-256",
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    const run = await doctor({
      ...healthyEnv(),
      PRIVATE_KEY: ecKey,
      DATABASE_URL: "postgres://fleet:hunter2-password@127.0.0.1:1/fleet",
    });
    expect(run.code).toBe(1);
    expect(line(run.stdout, "GitHub App private key")).toMatch(
      /^FAIL .*a ec key; GitHub Apps sign with RSA/,
    );
    expect(line(run.stdout, "database")).toMatch(/^FAIL .*127\.0\.0\.1:1\/fleet unreachable/);
    expect(line(run.stdout, "migrations")).toMatch(/^skip /);
    expect(run.stdout).not.toContain("hunter2");
  });

  it("names pending migrations without applying them", async () => {
    const stale = await createTestDatabase();
    try {
      await stale.pool.query(
        "delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)",
      );
      const journal = JSON.parse(
        await readFile(
          fileURLToPath(new URL("../../migrations/meta/_journal.json", import.meta.url)),
          "utf8",
        ),
      ) as { entries: { tag: string }[] };
      const latest = journal.entries.at(-1)?.tag;
      const run = await doctor({ ...healthyEnv(), DATABASE_URL: stale.url });
      expect(run.code).toBe(1);
      expect(line(run.stdout, "migrations")).toMatch(
        new RegExp(`^FAIL .*1 of ${journal.entries.length} pending: ${latest}`),
      );
      expect(run.stdout).toContain("fleet migrate");
      const { rows } = await stale.pool.query(
        "select count(*)::int as n from drizzle.__drizzle_migrations",
      );
      expect(rows[0].n).toBe(journal.entries.length - 1);
    } finally {
      await stale.close();
    }
  });

  it("warns without failing: little disk space, an optional agent missing", async () => {
    const run = await doctor(
      { ...healthyEnv(), PATH: `${join(process.execPath, "..")}:/usr/bin:/bin` },
      "--min-free-gib",
      "1000000",
    );
    expect(run.code, run.stdout).toBe(0);
    expect(line(run.stdout, "disk space")).toMatch(/^warn .*below 976\.6 TiB/);
    expect(line(run.stdout, "agent aider \\(optional\\)")).toMatch(
      /^warn .*aider not found on PATH/,
    );
  });

  it("requires the adapter a repository's fleet.yml names", async () => {
    await writeFile(join(cwd, "fleet.yml"), "agent:\n  adapter: aider\n");
    const run = await doctor(
      { ...healthyEnv(), PATH: `${join(process.execPath, "..")}:/usr/bin:/bin` },
      "--config",
      "fleet.yml",
    );
    expect(run.code).toBe(1);
    expect(line(run.stdout, "fleet.yml")).toMatch(/^pass .*adapter aider/);
    expect(line(run.stdout, "agent aider")).toMatch(/^FAIL .*aider not found on PATH/);
    expect(line(run.stdout, "agent command \\(optional\\)")).toMatch(/^pass /);
  });
});
