import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import {
  claimNextTask,
  enqueueTask,
  insertRevertTask,
  listEvents,
  pauseRepo,
  recordAttemptHeartbeat,
  registerRunner,
  updatePullTask,
} from "../../src/db/queries/index.js";
import type { Task } from "../../src/db/schema.js";
import { transitionTask } from "../../src/db/transition.js";
import { collectStatus } from "../../src/status/fleet-status.js";
import { taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { finish, recordAttemptReport, runningTask } from "./fixtures.js";
import { type DashboardServer, startDashboardServer } from "./support.js";

const HOSTILE_TITLE = `<script>alert("x")</script> & <img src=x onerror=alert(1)>`;
const GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const MERGE_SHA = "0123456789abcdef0123456789abcdef01234567";

const database = useTestDatabase();
let db: Db;
let server: DashboardServer;
const ids = {} as Record<"hostile" | "other" | "queued" | "lived" | "reverted", number>;

async function must(task: Promise<Task | null>): Promise<Task> {
  const value = await task;
  if (!value) throw new Error("the transition did not apply");
  return value;
}

async function get(path: string): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

beforeAll(async () => {
  db = database.db;
  await registerRunner(db, { id: "r1", hostname: "host-a", pid: 11, capacity: 4, leaseMs: 60_000 });

  // A task that crashed once, then opened a PR that was judged, merged and verified.
  const first = await runningTask(db, { issueTitle: "Fix the parser" });
  ids.lived = first.task.id;
  await recordAttemptReport(db, first.attempt.id, {
    costUsd: 0.5,
    turns: 12,
    logTail: `cloning with ${GITHUB_TOKEN}\n<b>not bold</b>\nexit 3`,
  });
  await finish(db, first, { outcome: "crashed", exitCode: 3, to: "retry_wait" });
  await must(transitionTask(db, { taskId: ids.lived, to: "queued", from: ["retry_wait"] }));
  const second = await claimNextTask(db, { runnerId: "r1", leaseMs: 60_000 });
  if (second?.task.id !== ids.lived) throw new Error("the retry was not claimed");
  await recordAttemptReport(db, second.attempt.id, { costUsd: 0.25, logTail: null });
  await finish(db, second, {
    outcome: "pushed",
    exitCode: 0,
    to: "pr_open",
    set: { prNumber: 77, prUrl: "https://example.test/octo/repo/pull/77", branch: "fleet/77" },
  });
  await must(
    updatePullTask(db, ids.lived, ["pr_open"], {
      headSha: "feedfacefeedfacefeedfacefeedfacefeedface",
      decision: "needs_review",
      decisionReason: "touches .github/** (protected)",
      flaggedReason: "checks pending for more than 2h",
    }),
  );
  await must(
    transitionTask(db, {
      taskId: ids.lived,
      to: "merged",
      set: { mergeSha: MERGE_SHA, mergedAt: new Date() },
    }),
  );
  await must(transitionTask(db, { taskId: ids.lived, to: "verified", from: ["merged"] }));

  // A merged task whose PR URL is not a web address, reverted after a red build.
  const doomed = await runningTask(db, { issueTitle: "Risky change" });
  ids.reverted = doomed.task.id;
  await finish(db, doomed, {
    outcome: "pushed",
    exitCode: 0,
    to: "pr_open",
    set: { prNumber: 78, prUrl: "javascript:alert(1)" },
  });
  const merged = await must(
    transitionTask(db, {
      taskId: ids.reverted,
      to: "merged",
      set: { mergeSha: "abcabcabcabcabcabcabcabcabcabcabcabcabca", mergedAt: new Date() },
    }),
  );

  // Running now: the hostile title with a 2m timeout, and another repo's with the default.
  const hostile = await runningTask(db, {
    issueTitle: HOSTILE_TITLE,
    config: { agent: { adapter: "command", timeout: 120_000 } },
  });
  ids.hostile = hostile.task.id;
  await recordAttemptHeartbeat(db, {
    attemptId: hostile.attempt.id,
    leaseToken: hostile.attempt.leaseToken,
  });
  ids.other = (await runningTask(db, { repoFullName: "other/repo" })).task.id;
  const queued = await enqueueTask(db, taskInput({ issueTitle: "Waiting its turn" }));
  ids.queued = queued.task?.id ?? -1;

  await must(transitionTask(db, { taskId: ids.reverted, to: "reverted", from: ["merged"] }));
  await insertRevertTask(db, { original: merged, revertSha: MERGE_SHA, reason: "red build" });
  await pauseRepo(db, {
    repoFullName: "octo/repo",
    installationId: 7,
    reason: "<b>red</b> default branch",
  });

  server = await startDashboardServer({ db, databaseUrl: database.url });
});

afterAll(async () => {
  await server?.close();
});

describe("the overview", () => {
  it("reads each running agent's timeout from its task's fleet.yml snapshot", async () => {
    const status = await collectStatus(db);
    const timeouts = Object.fromEntries(status.running.map((r) => [r.taskId, r.timeoutMs]));
    expect(timeouts).toEqual({ [ids.hostile]: 120_000, [ids.other]: 30 * 60_000 });
  });

  it("shows tasks by state, running agents against their timeout, runners and paused repos", async () => {
    const { status, body, headers } = await get("/fleet");
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/html; charset=utf-8");
    const count = (state: string) =>
      new RegExp(`data-count="${state}">.*?<strong>(\\d+)</strong>`).exec(body)?.[1];
    expect(count("running")).toBe("2");
    expect(count("queued")).toBe("2");
    expect(count("verified")).toBe("1");
    expect(count("reverted")).toBe("1");
    expect(count("failed")).toBe("0");

    const running = body.slice(
      body.indexOf('<table id="running">'),
      body.indexOf("</table>", body.indexOf('<table id="running">')),
    );
    expect(running).toMatch(
      new RegExp(`data-task-id="${ids.hostile}">[\\s\\S]*? of 2m[\\s\\S]*?ago</td>`),
    );
    expect(running).toMatch(
      new RegExp(`data-task-id="${ids.other}">[\\s\\S]*? of 30m[\\s\\S]*?none yet</td>`),
    );
    expect(body).toMatch(/<td>r1<\/td><td>host-a<\/td>/);
    expect(body).toMatch(/\d+s left/);
    expect(body).toContain("&lt;b&gt;red&lt;/b&gt; default branch");
    expect(body).toContain(`<a href="https://example.test/octo/repo/pull/77">#77</a>`);
  });

  it("escapes a hostile issue title and never links a non-web PR URL", async () => {
    const { body } = await get("/fleet");
    expect(body).toContain(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;",
    );
    expect(body).not.toContain("<script>alert");
    expect(body).not.toContain("<img");
    expect(body).not.toContain("javascript:");
    expect(body).toMatch(new RegExp(`data-task-id="${ids.reverted}">[\\s\\S]*?<td>#78</td>`));
  });

  it("lets only its own nonced style and script run", async () => {
    const { body, headers } = await get("/fleet");
    const policy = headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(body).toContain(`<script nonce="${nonce}">`);
    expect(policy).toContain("default-src 'none'");
    expect(body.match(/<script/g)).toHaveLength(1);
  });

  it("serves only its content as a fragment", async () => {
    const { status, body } = await get("/fleet?fragment=1");
    expect(status).toBe(200);
    expect(body).not.toContain("<html");
    expect(body).not.toContain("<script");
    expect(body).toContain("Tasks by state");
    expect(body).toContain(`data-task-id="${ids.queued}"`);
  });
});

describe("the task page", () => {
  it("shows the timeline with server-rendered timestamps", async () => {
    const { status, body } = await get(`/fleet/tasks/${ids.lived}`);
    expect(status).toBe(200);
    const events = await listEvents(db, ids.lived);
    expect(events.map((e) => e.kind)).toContain("attempt_finished");
    for (const event of events) {
      const iso = event.at.toISOString();
      expect(body).toContain(
        `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`,
      );
    }
    expect(body.match(/data-event="claimed"/g)).toHaveLength(2);
    expect(body.match(/data-event="attempt_finished"/g)).toHaveLength(2);
    expect(body).toMatch(/data-state="merged">merged<\/span><\/td>/);
  });

  it("lists the attempts with outcome, exit, duration and cost, and the redacted log tails", async () => {
    const { body } = await get(`/fleet/tasks/${ids.lived}`);
    expect(body).toMatch(
      /data-attempt="1">[\s\S]*?<td>r1<\/td>\s*<td>crashed<\/td>\s*<td class="num">3<\/td>[\s\S]*?<td class="num">\$0\.5000<\/td>\s*<td class="num">12<\/td>/,
    );
    expect(body).toMatch(/data-attempt="2">[\s\S]*?<td>pushed<\/td>\s*<td class="num">0<\/td>/);
    expect(body).toContain("spent $0.7500");
    const log = /<pre data-log="1">([\s\S]*?)<\/pre>/.exec(body)?.[1] ?? "";
    expect(log).toContain("cloning with [redacted]");
    expect(log).toContain("&lt;b&gt;not bold&lt;/b&gt;");
    expect(body).not.toContain(GITHUB_TOKEN);
    expect(body).toMatch(/<p class="muted" data-log="2">no output kept<\/p>/);
  });

  it("shows the PR with its decision and flag, and the verified merge", async () => {
    const { body } = await get(`/fleet/tasks/${ids.lived}`);
    const pull = /<dl id="pull">([\s\S]*?)<\/dl>/.exec(body)?.[1] ?? "";
    expect(pull).toContain(`<a href="https://example.test/octo/repo/pull/77">#77</a>`);
    expect(pull).toContain(`data-decision="needs_review">needs_review</dd>`);
    expect(pull).toContain("touches .github/** (protected)");
    expect(pull).toContain("checks pending for more than 2h");
    const merge = /<dl id="post-merge">([\s\S]*?)<\/dl>/.exec(body)?.[1] ?? "";
    expect(merge).toContain(`<code title="${MERGE_SHA}">${MERGE_SHA.slice(0, 12)}</code>`);
    expect(merge).toContain(`<span class="state state-verified">verified</span>`);
  });

  it("shows a reverted merge with its revert task, and escapes the title", async () => {
    const reverted = await get(`/fleet/tasks/${ids.reverted}`);
    expect(reverted.body).toContain(`<span class="state state-reverted">reverted</span>`);
    expect(reverted.body).toMatch(
      /<dt>revert<\/dt><dd><a href="\/fleet\/tasks\/\d+">task \d+<\/a>/,
    );
    expect(reverted.body).not.toContain("javascript:");

    const hostile = await get(`/fleet/tasks/${ids.hostile}`);
    expect(hostile.body).toContain(
      `<title>task ${ids.hostile}: &lt;script&gt;alert(&quot;x&quot;)`,
    );
    expect(hostile.body).not.toContain("<script>alert");
    expect(hostile.body).toContain("no pull request yet");
    expect(hostile.body).toMatch(/data-attempt="1">[\s\S]*?data-state="running"[\s\S]*?so far/);
  });

  it("answers 404 for a task that does not exist, and for unknown dashboard paths", async () => {
    expect((await get("/fleet/tasks/999999")).status).toBe(404);
    expect((await get("/fleet/nothing-here")).status).toBe(404);
    const post = await fetch(`${server.url}/fleet`, { method: "POST" });
    expect(post.status).toBe(405);
  });
});
