import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { enqueueTask, registerRunner } from "../../src/db/queries/index.js";
import type { Attempt, Task } from "../../src/db/schema.js";
import { transitionTask } from "../../src/db/transition.js";
import { taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { finish, runningTask } from "./fixtures.js";
import { type DashboardServer, startDashboardServer } from "./support.js";

const TOKEN = "browser-token-0123456789abcdef";
const HOSTILE_TITLE = `<img src=x onerror="alert('owned')"> Fix <b>it</b>`;
const MERGE_SHA = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

const database = useTestDatabase();
let db: Db;
let server: DashboardServer;
let context: BrowserContext;
let page: Page;
let running: { task: Task; attempt: Attempt };
const scratch = mkdtempSync(join(tmpdir(), "fleet-web-browser-"));
const dialogs: string[] = [];

beforeAll(async () => {
  db = database.db;
  await registerRunner(db, { id: "r1", hostname: "host-a", pid: 11, capacity: 4, leaseMs: 60_000 });
  running = await runningTask(db, { issueTitle: HOSTILE_TITLE });
  await enqueueTask(db, taskInput({ issueTitle: "Next in line" }));
  // No periodic refresh: whatever changes on the page came through the event stream.
  server = await startDashboardServer({
    db,
    databaseUrl: database.url,
    token: TOKEN,
    pageRefreshMs: 0,
  });
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const row = (taskId: number) => `#recent tr[data-task-id="${taskId}"]`;

describe("the dashboard in a browser", () => {
  it("signs in with ?token= and renders the overview", async () => {
    const response = await page.goto(`${server.url}/fleet?token=${TOKEN}`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${server.url}/fleet`);
    await page.locator(`${row(running.task.id)} [data-state="running"]`).waitFor();
    await page.locator(`#running tr[data-task-id="${running.task.id}"]`).waitFor();
    expect(await page.locator('[data-count="queued"] strong').textContent()).toBe("1");
    expect(await page.locator(`${row(running.task.id)} td.title`).textContent()).toBe(
      HOSTILE_TITLE,
    );
    expect(await page.locator("main img, main b").count()).toBe(0);
  });

  it("shows a task moving from running to pr_open without a reload", async () => {
    await page.locator('body[data-live="on"]').waitFor();
    await page.evaluate("window.sameDocument = true");

    await finish(db, running, {
      outcome: "pushed",
      exitCode: 0,
      to: "pr_open",
      set: { prNumber: 12, prUrl: "https://example.test/octo/repo/pull/12" },
    });

    await page.locator(`${row(running.task.id)} [data-state="pr_open"]`).waitFor();
    await page
      .locator(`${row(running.task.id)} a[href="https://example.test/octo/repo/pull/12"]`)
      .waitFor();
    expect(await page.locator("#running").count()).toBe(0);
    expect(await page.evaluate("window.sameDocument")).toBe(true);
  });

  it("updates a task page live as its PR merges", async () => {
    await page.goto(`${server.url}/fleet/tasks/${running.task.id}`);
    expect(await page.locator("#title").textContent()).toBe(
      `Task ${running.task.id}: ${HOSTILE_TITLE}`,
    );
    await page.locator('body[data-live="on"]').waitFor();
    await page.evaluate("window.sameDocument = true");

    await transitionTask(db, {
      taskId: running.task.id,
      to: "merged",
      set: { mergeSha: MERGE_SHA, mergedAt: new Date() },
    });

    await page.locator(`#post-merge code[title="${MERGE_SHA}"]`).waitFor();
    await page.locator('#summary [data-state="merged"]').waitFor();
    expect(await page.locator('#timeline tr[data-event="transition"]').count()).toBe(1);
    expect(await page.evaluate("window.sameDocument")).toBe(true);
  });

  it("takes a screenshot, and no script from a title ever ran", async () => {
    const path = join(scratch, "dashboard.png");
    await page.goto(`${server.url}/fleet`);
    await page.screenshot({ path, fullPage: true });
    const png = readFileSync(path);
    expect(png.length).toBeGreaterThan(1000);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(dialogs).toEqual([]);
  });
});
