import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { attempts, tasks } from "../../src/db/schema.js";
import { createLogger, redactText } from "../../src/log.js";
import { loadTaskDetail } from "../../src/web/dashboard-data.js";
import { taskContent } from "../../src/web/task-page.js";
import { TEST_PRIVATE_KEY } from "../helpers/keys.js";
import { attemptHarness } from "../runner/support/attempt-harness.js";
import { gitRemote } from "../runner/support/git-remote.js";
import { tempDir } from "../runner/support/temp-dir.js";
import { useTestDatabase } from "../support/db.js";

/** Credentials in the shapes they leak in: GitHub tokens, a PEM key, a URL, an API key. */
const SECRET = {
  installationToken: "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
  pat: "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
  urlToken: "v1.0123456789abcdef0123456789abcdef",
  apiKey: "sk-ant-planted-3f9e8d7c6b5a4f3e",
  bearer: "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlLXBsYW50ZWQ",
  databaseUrl: "postgres://fleet:pg-planted-pw@127.0.0.1:5432/fleet",
  webhookSecret: "whsec-planted-0a1b2c3d4e",
  dashboardToken: "dash-planted-9f8e7d6c5b4a",
};
/** The key's base64 lines: not one of them may survive, even when a tail cuts the key. */
const KEY_LINES = TEST_PRIVATE_KEY.split("\n").filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));

function expectNoSecret(text: string, extra: readonly string[] = []) {
  for (const value of [...Object.values(SECRET), ...extra]) expect(text).not.toContain(value);
  for (const line of KEY_LINES) expect(text).not.toContain(line);
}

describe("pino redaction", () => {
  function capture() {
    const lines: string[] = [];
    const log = createLogger({
      level: "info",
      stream: { write: (line: string) => lines.push(line) },
    });
    return { log, text: () => lines.join("") };
  }

  it("blanks credentials at the depths the code logs them, keeping the rest", () => {
    const { log, text } = capture();
    log.info(
      {
        repo: "acme/api",
        token: SECRET.installationToken,
        privateKey: TEST_PRIVATE_KEY,
        secret: SECRET.webhookSecret,
        authorization: `Bearer ${SECRET.bearer}`,
        databaseUrl: SECRET.databaseUrl,
      },
      "top level",
    );
    log.info(
      {
        settings: {
          webhookSecret: SECRET.webhookSecret,
          dashboardToken: SECRET.dashboardToken,
          privateKey: TEST_PRIVATE_KEY,
          databaseUrl: SECRET.databaseUrl,
          port: 3000,
        },
      },
      "one object down",
    );
    // an Octokit RequestError carries the request's headers and the response's body
    const err = Object.assign(new Error("POST /app/installations/7/access_tokens failed"), {
      status: 502,
      request: { headers: { authorization: `token ${SECRET.installationToken}` } },
      response: { data: { token: SECRET.installationToken, apiKey: SECRET.apiKey } },
    });
    log.error({ err }, "request failed");
    log.info(
      {
        env: {
          PATH: "/usr/bin",
          DATABASE_URL: SECRET.databaseUrl,
          PRIVATE_KEY: TEST_PRIVATE_KEY,
          WEBHOOK_SECRET: SECRET.webhookSecret,
          FLEET_DASHBOARD_TOKEN: SECRET.dashboardToken,
          GITHUB_TOKEN: SECRET.installationToken,
        },
      },
      "environment",
    );
    log.info({ headers: { authorization: `Bearer ${SECRET.bearer}`, cookie: "fleet=abc" } }, "h");

    const out = text();
    expectNoSecret(out);
    expect(out).not.toContain("fleet=abc");
    const records = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records.map((r) => r.msg)).toEqual([
      "top level",
      "one object down",
      "request failed",
      "environment",
      "h",
    ]);
    expect(records[0]).toMatchObject({
      repo: "acme/api",
      token: "[redacted]",
      secret: "[redacted]",
    });
    expect(records[1].settings).toMatchObject({ port: 3000, privateKey: "[redacted]" });
    expect(records[2].err).toMatchObject({
      message: "POST /app/installations/7/access_tokens failed",
      status: 502,
      request: { headers: { authorization: "[redacted]" } },
      response: { data: { token: "[redacted]", apiKey: "[redacted]" } },
    });
    expect(records[3].env).toMatchObject({ PATH: "/usr/bin", DATABASE_URL: "[redacted]" });
  });
});

describe("redactText", () => {
  it("removes tokens, keys and URL credentials from free text", () => {
    const text = [
      `token ${SECRET.installationToken} expired`,
      `export GH=${SECRET.pat}`,
      `remote: https://x-access-token:${SECRET.urlToken}@github.com/acme/api.git`,
      `header x-access-token:${SECRET.urlToken}`,
      `Authorization: Bearer ${SECRET.bearer}`,
      `Authorization: Basic ${Buffer.from(`x-access-token:${SECRET.urlToken}`).toString("base64")}`,
      `db ${SECRET.databaseUrl}`,
      TEST_PRIVATE_KEY,
      "the end",
    ].join("\n");
    const out = redactText(text);
    expectNoSecret(out, [Buffer.from(`x-access-token:${SECRET.urlToken}`).toString("base64")]);
    expect(out).toContain("https://[redacted]@github.com/acme/api.git");
    expect(out).toContain("the end");
  });

  it("removes a key cut short at either end, as a log tail cuts it, and an escaped one", () => {
    const lines = TEST_PRIVATE_KEY.trim().split("\n");
    const tail = ["some output", ...lines.slice(10)].join("\n");
    const head = [...lines.slice(0, 12), ""].join("\n");
    const escaped = `PRIVATE_KEY="${TEST_PRIVATE_KEY.trim().replaceAll("\n", "\\n")}"`;
    const escapedTail = `"${lines.slice(8).join("\\n")}"`;
    const crlfTail = `${lines.slice(5).join("\r\n")}\r\nafter`;
    for (const text of [tail, head, escaped, escapedTail, crlfTail]) {
      const out = redactText(text);
      for (const line of KEY_LINES) expect(out).not.toContain(line);
      expect(out).toContain("[redacted]");
    }
    expect(redactText(tail)).toMatch(/^some output\n/);
  });

  it("removes the values it is told about, and leaves ordinary text alone", () => {
    expect(redactText(`key=${SECRET.apiKey}.`, [SECRET.apiKey])).toBe("key=[redacted].");
    const plain = "Tests: 12 passed. See https://github.com/acme/api/pull/3 and token counts.";
    expect(redactText(plain)).toBe(plain);
  });
});

describe("agent output shown on GitHub and on the dashboard", () => {
  const root = tempDir("fleet-redaction-");
  const database = useTestDatabase({ truncate: ["tasks", "attempts", "events"] });
  const harness = attemptHarness({ db: () => database.db, dataDir: join(root, "data") });
  const keyFile = join(root, "planted-key.pem");
  writeFileSync(keyFile, TEST_PRIVATE_KEY);

  /**
   * An agent that prints every planted secret and fails. Both files end a few lines after the
   * key, so the kept tails start inside it: the key's head is cut, its body and END line stay.
   */
  const agent = join(root, "leaky-agent.sh");
  const leaks = [
    `echo "using ${SECRET.installationToken}"`,
    `echo "and ${SECRET.pat}"`,
    `echo "git push https://x-access-token:${SECRET.urlToken}@github.com/acme/api.git"`,
    'echo "my key is $ANTHROPIC_API_KEY"',
  ];
  writeFileSync(
    agent,
    [
      `cat '${keyFile}'`,
      ...leaks,
      "echo 'stdout end'",
      `cat '${keyFile}' >&2`,
      ...leaks.map((line) => `${line} >&2`),
      'i=1; while [ $i -le 25 ]; do echo "stderr padding $i" >&2; i=$((i+1)); done',
      "exit 1",
    ].join("\n"),
  );

  it("keeps no planted secret in the failure comment, the stored log tail or the task page", async () => {
    const repo = gitRemote(root, "acme/leaky");
    await harness.queue(repo, {
      agent: {
        adapter: "command",
        command: ["sh", agent],
        env: ["ANTHROPIC_API_KEY"],
        maxAttempts: 1,
      },
    });
    const run = await harness.claimAndRun({ hostEnv: { ANTHROPIC_API_KEY: SECRET.apiKey } });
    expect(run.task.state).toBe("failed");

    const comment = run.calls.comments[0]?.body ?? "";
    expect(comment).toContain("stderr padding 25");
    expect(comment).toContain("[redacted]");
    expectNoSecret(comment);

    const logTail = run.attempts[0]?.logTail ?? "";
    expect(logTail).toContain("stdout end");
    expect(logTail).toContain("[redacted]");
    expectNoSecret(logTail);

    const page = async () => {
      const detail = await loadTaskDetail(database.db, run.task.id);
      if (!detail) throw new Error("no task detail");
      return String(
        taskContent(detail, { clock: createClock(1), secrets: [SECRET.dashboardToken] }),
      );
    };
    const shown = await page();
    expect(shown).toContain("stdout end");
    expectNoSecret(shown);

    // rows written before redaction existed, or by hand, are still redacted when shown
    const raw = [
      `token ${SECRET.installationToken}`,
      `https://x-access-token:${SECRET.urlToken}@github.com/x`,
      TEST_PRIVATE_KEY,
      `dashboard ${SECRET.dashboardToken}`,
    ].join("\n");
    await database.db
      .update(attempts)
      .set({ logTail: raw })
      .where(eq(attempts.taskId, run.task.id));
    await database.db.update(tasks).set({ lastError: raw }).where(eq(tasks.id, run.task.id));
    const tampered = await page();
    expect(tampered).toMatch(/<pre data-log="1">[^<]*\[redacted\]/);
    expect(tampered).toMatch(/<pre id="last-error">[^<]*\[redacted\]/);
    expectNoSecret(tampered);
  });
});
