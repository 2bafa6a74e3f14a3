import { randomBytes } from "node:crypto";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appKeyPair } from "../../src/sim/app-keys.js";
import { type Emulator, type RepoInfo, startEmulator } from "../../src/sim/emulator/index.js";
import { checkResponse, matchRoute } from "../../src/sim/emulator/openapi.js";
import { assertValidWebhook } from "../../src/sim/emulator/webhook-schemas.js";
import { type Received, startReceiver } from "./emulator-harness.js";

/** Real Octokit (Probot's), real git and real signed HTTP against the emulator on loopback. */

const APP_ID = 4242;
const SECRET = randomBytes(16).toString("hex");
const silent = pino({ level: "silent" });

// Octokit's throttling spaces writes 1 s (comments 3 s) apart; that guards GitHub, not this test.
// Probot passes its own throttle options per instance, so the override must come last.
const UnthrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
}));

function keyPair() {
  return appKeyPair();
}

const isRequestError = (status: number) => (error: unknown) =>
  (error as { status?: number }).status === status;

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

describe("GitHub emulator", () => {
  let root: string;
  let emulator: Emulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let probot: Probot;
  let api: RepoInfo;
  let octokit: InstanceType<typeof ProbotOctokit>;
  const keys = keyPair();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "emulator-test-"));
    receiver = await startReceiver(SECRET);
    emulator = await startEmulator({
      gitRoot: join(root, "remotes"),
      webhookUrl: receiver.url,
      webhookSecret: SECRET,
      appId: APP_ID,
      appPublicKey: keys.publicKey,
      log: silent,
    });
    api = await emulator.createRepo({
      slug: "acme/api",
      files: { "README.md": "# api\n", "src/index.ts": "export const x = 1;\n" },
      fleetConfig: "trigger:\n  label: go\n",
      collaborators: { alice: "write", mia: "maintain", tom: "triage", rita: "read", ada: "admin" },
    });
    await emulator.createRepo({ slug: "acme/web", files: { "README.md": "# web\n" } });
    probot = new Probot({
      appId: APP_ID,
      privateKey: keys.privateKey,
      secret: SECRET,
      baseUrl: emulator.url,
      log: silent,
      Octokit: UnthrottledOctokit,
    });
    octokit = await probot.auth(api.installationId);
  });

  afterAll(async () => {
    await emulator?.close();
    await receiver?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  describe("app authentication", () => {
    it("answers app routes to a JWT signed with the app's key", async () => {
      const app = await probot.auth();
      const { data } = await app.request("GET /app");
      expect(data?.id).toBe(APP_ID);
      const install = await app.request("GET /repos/{owner}/{repo}/installation", {
        owner: "acme",
        repo: "api",
      });
      expect(install.data.id).toBe(api.installationId);
      expect((install.data.account as { login?: string } | null)?.login).toBe("acme");
      const list = await app.request("GET /app/installations");
      expect(list.data.map((i) => i.id)).toEqual([api.installationId]);
    });

    it("refuses a JWT signed with another key and a token it never issued", async () => {
      const stranger = new Probot({
        appId: APP_ID,
        privateKey: keyPair().privateKey,
        baseUrl: emulator.url,
        log: silent,
      });
      const app = await stranger.auth();
      expect(await statusOf(app.request("GET /app"))).toBe(401);
      const forged = new ProbotOctokit({ auth: { token: "ghs_notissued" }, baseUrl: emulator.url });
      expect(
        await statusOf(forged.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" })),
      ).toBe(401);
    });

    it("mints tokens limited to the requested repositories and permissions", async () => {
      const app = await probot.auth();
      const { data, status } = await app.request(
        "POST /app/installations/{installation_id}/access_tokens",
        {
          installation_id: api.installationId,
          repositories: ["api"],
          permissions: { contents: "write", issues: "read" },
        },
      );
      expect(status).toBe(201);
      expect(data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
      expect(data.repository_selection).toBe("selected");
      expect(data.repositories?.map((r) => r.full_name)).toEqual(["acme/api"]);
      expect(data.permissions).toEqual({ metadata: "read", contents: "write", issues: "read" });
      expect(emulator.state.tokenRequests(api.installationId).at(-1)).toEqual({
        repositories: ["api"],
        permissions: { contents: "write", issues: "read" },
      });

      const scoped = new ProbotOctokit({ auth: { token: data.token }, baseUrl: emulator.url });
      const repo = await scoped.request("GET /repos/{owner}/{repo}", {
        owner: "acme",
        repo: "api",
      });
      expect(repo.data.clone_url).toBe(api.cloneUrl);
      const other = scoped.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "web" });
      await expect(other).rejects.toSatisfy(isRequestError(404));
      const issue = await emulator.createIssue({ repo: "acme/api", title: "scoped", by: "alice" });
      const read = await scoped.rest.issues.get({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
      });
      expect(read.data.title).toBe("scoped");
      const write = scoped.rest.issues.createComment({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        body: "no issues:write on this token",
      });
      await expect(write).rejects.toSatisfy(isRequestError(403));

      const wider = app.request("POST /app/installations/{installation_id}/access_tokens", {
        installation_id: api.installationId,
        permissions: { administration: "write" },
      });
      await expect(wider).rejects.toSatisfy(isRequestError(422));
    });
  });

  describe("contents", () => {
    it("serves a file raw, as base64 JSON, and 404 when absent", async () => {
      const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner: "acme",
        repo: "api",
        path: ".github/fleet.yml",
        mediaType: { format: "raw" },
      });
      expect(raw.data).toBe("trigger:\n  label: go\n");

      const json = await octokit.rest.repos.getContent({
        owner: "acme",
        repo: "api",
        path: "src/index.ts",
      });
      const file = json.data as { type: string; content: string; encoding: string; sha: string };
      expect(file.type).toBe("file");
      expect(Buffer.from(file.content, file.encoding as BufferEncoding).toString()).toBe(
        "export const x = 1;\n",
      );
      expect(file.sha).toMatch(/^[0-9a-f]{40}$/);

      const dir = await octokit.rest.repos.getContent({ owner: "acme", repo: "api", path: "src" });
      expect((dir.data as Array<{ name: string }>).map((e) => e.name)).toEqual(["index.ts"]);

      const missing = octokit.rest.repos.getContent({
        owner: "acme",
        repo: "api",
        path: "nope.md",
      });
      await expect(missing).rejects.toSatisfy(isRequestError(404));
    });

    it("is what octokit's config plugin reads, falling back to the owner's .github repo", async () => {
      const found = await octokit.config.get({
        owner: "acme",
        repo: "api",
        path: ".github/fleet.yml",
      });
      expect(found.config).toEqual({ trigger: { label: "go" } });
      const web = await probot.auth(api.installationId);
      const fallback = await web.config.get({
        owner: "acme",
        repo: "web",
        path: ".github/fleet.yml",
        defaults: { trigger: { label: "agent-ready" } },
      });
      expect(fallback.config).toEqual({ trigger: { label: "agent-ready" } });
      expect(fallback.files.map((f) => f.repo)).toEqual(["web", ".github"]);
    });

    it("honours ?ref= for a branch pushed with git", async () => {
      const work = join(root, "ref-clone");
      await gitClone(api.cloneUrl, work);
      await writeFile(join(work, "README.md"), "# api v2\n");
      await commitAndPush(work, "readme-v2", "update readme");
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner: "acme",
        repo: "api",
        path: "README.md",
        ref: "readme-v2",
        mediaType: { format: "raw" },
      });
      expect(data).toBe("# api v2\n");
      const main = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        owner: "acme",
        repo: "api",
        path: "README.md",
        mediaType: { format: "raw" },
      });
      expect(main.data).toBe("# api\n");
    });
  });

  it("reports collaborator permissions the way GitHub maps roles", async () => {
    const level = async (username: string) => {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
        owner: "acme",
        repo: "api",
        username,
      });
      return [data.permission, data.role_name, data.user?.login];
    };
    expect(await level("alice")).toEqual(["write", "write", "alice"]);
    expect(await level("mia")).toEqual(["write", "maintain", "mia"]);
    expect(await level("tom")).toEqual(["read", "triage", "tom"]);
    expect(await level("rita")).toEqual(["read", "read", "rita"]);
    expect(await level("ada")).toEqual(["admin", "admin", "ada"]);
    expect(await level("mallory")).toEqual(["none", "none", "mallory"]);
  });

  describe("webhooks", () => {
    it("sends a user's label as a signed issues.labeled with GitHub's headers", async () => {
      const issue = await emulator.createIssue({
        repo: "acme/api",
        title: "Fix the title",
        body: "please",
        by: "alice",
      });
      const delivery = await emulator.addLabel({
        repo: "acme/api",
        issue: issue.number,
        name: "go",
        by: "alice",
      });
      expect(delivery.status).toBe(200);
      const hit = receiver.received.find(
        (r) => r.headers["x-github-delivery"] === delivery.id,
      ) as Received;
      expect(hit.signatureOk).toBe(true);
      expect(hit.headers["x-github-event"]).toBe("issues");
      expect(hit.headers["x-github-hook-installation-target-id"]).toBe(String(APP_ID));
      expect(hit.headers["x-github-hook-installation-target-type"]).toBe("integration");
      expect(hit.headers["x-github-hook-id"]).toMatch(/^\d+$/);
      expect(hit.headers["user-agent"]).toMatch(/^GitHub-Hookshot\/[0-9a-f]+$/);
      expect(hit.headers["content-type"]).toBe("application/json");
      const payload = hit.payload as {
        action: string;
        label: { name: string };
        issue: { number: number; labels: Array<{ name: string }>; user: { login: string } };
        sender: { login: string; type: string; id: number };
        installation: { id: number };
        repository: { full_name: string; clone_url: string };
      };
      expect(payload.action).toBe("labeled");
      expect(payload.label.name).toBe("go");
      expect(payload.issue.number).toBe(issue.number);
      expect(payload.issue.labels.map((l) => l.name)).toEqual(["go"]);
      expect(payload.sender).toMatchObject({ login: "alice", type: "User" });
      expect(payload.sender.id).toBe(emulator.state.user("alice").id);
      expect(payload.installation.id).toBe(api.installationId);
      expect(payload.repository.clone_url).toBe(api.cloneUrl);
      expect(emulator.state.labels("acme/api", issue.number)).toEqual(["go"]);
    });

    it("records the status the app answered and delivers in order", async () => {
      const issue = await emulator.createIssue({ repo: "acme/api", title: "order", by: "alice" });
      receiver.answerWith(503);
      const refused = await emulator.addLabel({
        repo: "acme/api",
        issue: issue.number,
        name: "first",
        by: "dependabot[bot]",
      });
      receiver.answerWith(200);
      expect(refused.status).toBe(503);
      expect((refused.payload.sender as { type: string }).type).toBe("Bot");

      const names = ["a", "b", "c", "d", "e"];
      const all = await Promise.all(
        names.map((name) =>
          emulator.addLabel({ repo: "acme/api", issue: issue.number, name, by: "alice" }),
        ),
      );
      const order = receiver.received
        .filter((r) => all.some((d) => d.id === r.headers["x-github-delivery"]))
        .map((r) => (r.payload.label as { name: string }).name);
      expect(order).toEqual(names);
      const closed = await emulator.closeIssue({
        repo: "acme/api",
        issue: issue.number,
        by: "alice",
      });
      expect(closed.action).toBe("closed");
      expect(emulator.state.issue("acme/api", issue.number)?.state).toBe("closed");
    });

    it("redelivers the same payload under the same delivery id", async () => {
      const issue = await emulator.createIssue({ repo: "acme/api", title: "again", by: "alice" });
      const first = await emulator.addLabel({
        repo: "acme/api",
        issue: issue.number,
        name: "go",
        by: "alice",
      });
      const again = await emulator.redeliver(first.id);
      expect(again.id).toBe(first.id);
      expect(again.redelivery).toBe(true);
      const copies = receiver.received.filter((r) => r.headers["x-github-delivery"] === first.id);
      expect(copies).toHaveLength(2);
      expect(copies[1]?.body).toBe(copies[0]?.body);
      expect(copies[1]?.signatureOk).toBe(true);
      expect(emulator.deliveries().filter((d) => d.id === first.id)).toHaveLength(2);
    });
  });

  describe("issues API", () => {
    it("adds comments and labels, and announces the bot's label changes", async () => {
      const issue = await emulator.createIssue({ repo: "acme/api", title: "api", by: "alice" });
      const { data: comment, status } = await octokit.rest.issues.createComment({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        body: "on it",
      });
      expect(status).toBe(201);
      expect(comment.user?.login).toBe(emulator.app.botLogin);
      expect(emulator.comments("acme/api", issue.number).map((c) => c.body)).toEqual(["on it"]);
      const listed = await octokit.rest.issues.listComments({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
      });
      expect(listed.data.map((c) => c.id)).toEqual([comment.id]);

      const added = await octokit.rest.issues.addLabels({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        labels: ["fleet:failed"],
      });
      expect(added.data.map((l) => l.name)).toEqual(["fleet:failed"]);
      const labeled = await receiver.waitFor(
        (r) =>
          r.payload.action === "labeled" &&
          (r.payload.issue as { number: number }).number === issue.number,
      );
      expect((labeled.payload.sender as { login: string; type: string }).type).toBe("Bot");
      expect((labeled.payload.sender as { login: string }).login).toBe(`${emulator.app.slug}[bot]`);

      const removed = await octokit.rest.issues.removeLabel({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        name: "fleet:failed",
      });
      expect(removed.data).toEqual([]);
      await receiver.waitFor(
        (r) =>
          r.payload.action === "unlabeled" &&
          (r.payload.issue as { number: number }).number === issue.number,
      );
      const again = octokit.rest.issues.removeLabel({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        name: "fleet:failed",
      });
      await expect(again).rejects.toSatisfy(isRequestError(404));

      const got = await octokit.rest.issues.get({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
      });
      expect(got.data.comments).toBe(1);
      const open = await octokit.rest.issues.listForRepo({
        owner: "acme",
        repo: "api",
        state: "all",
      });
      expect(open.data.map((i) => i.number)).toContain(issue.number);
      const closed = await octokit.rest.issues.update({
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        state: "closed",
      });
      expect(closed.data.state).toBe("closed");
      await receiver.waitFor(
        (r) =>
          r.payload.action === "closed" &&
          (r.payload.issue as { number: number }).number === issue.number,
      );
    });
  });

  it("drives a real Probot app: signed delivery, context.config and the permission API", async () => {
    const seen: string[] = [];
    const app = new Probot({
      appId: APP_ID,
      privateKey: keys.privateKey,
      secret: SECRET,
      baseUrl: emulator.url,
      log: silent,
      Octokit: UnthrottledOctokit,
    });
    const middleware = await createNodeMiddleware(
      (probotApp) => {
        probotApp.on("issues.labeled", async (context) => {
          const config = (await context.config("fleet.yml", {
            trigger: { label: "agent-ready" },
          })) as {
            trigger: { label: string };
          };
          seen.push(`${context.payload.repository.name}:${config.trigger.label}`);
          if (context.payload.label?.name !== config.trigger.label) return;
          const { data } = await context.octokit.rest.repos.getCollaboratorPermissionLevel(
            context.repo({ username: context.payload.sender.login }),
          );
          await context.octokit.rest.issues.createComment(
            context.issue({ body: `${context.payload.sender.login} has ${data.permission}` }),
          );
        });
      },
      { probot: app },
    );
    const server = createServer((req, res) => middleware(req, res));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const { port } = server.address() as AddressInfo;
    emulator.setWebhookUrl(`http://127.0.0.1:${port}/api/github/webhooks`);
    try {
      const issue = await emulator.createIssue({ repo: "acme/api", title: "probot", by: "alice" });
      const ignored = await emulator.addLabel({
        repo: "acme/api",
        issue: issue.number,
        name: "other",
        by: "alice",
      });
      expect(ignored.status).toBe(200);
      const delivery = await emulator.addLabel({
        repo: "acme/api",
        issue: issue.number,
        name: "go",
        by: "rita",
      });
      expect(delivery.status).toBe(200);
      // The delivery resolves only after the app answered, so its comment is already there.
      expect(emulator.comments("acme/api", issue.number).map((c) => c.body)).toEqual([
        "rita has read",
      ]);

      await emulator.createIssue({ repo: "acme/web", number: 5, title: "no config", by: "alice" });
      await emulator.addLabel({ repo: "acme/web", issue: 5, name: "agent-ready", by: "alice" });
      expect(seen).toEqual(["api:go", "api:go", "web:agent-ready"]);
      expect(emulator.comments("acme/web", 5).map((c) => c.body)).toEqual(["alice has none"]);
    } finally {
      emulator.setWebhookUrl(receiver.url);
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });

  describe("validation against GitHub's description", () => {
    it("answers unknown routes 404, invalid bodies 422, unserved routes 501, and counts them", async () => {
      emulator.resetStats();
      const unknown = octokit.request("GET /repos/{owner}/{repo}/no-such-thing", {
        owner: "acme",
        repo: "api",
      });
      await expect(unknown).rejects.toSatisfy(isRequestError(404));
      const notNumber = octokit.request("GET /repos/acme/api/issues/abc");
      await expect(notNumber).rejects.toSatisfy(isRequestError(404));

      const issue = await emulator.createIssue({ repo: "acme/api", title: "bodies", by: "alice" });
      // @ts-expect-error a body GitHub's description does not allow, on purpose
      const bad = octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        owner: "acme",
        repo: "api",
        issue_number: issue.number,
        text: "wrong field",
      });
      const error = await bad.catch((e: { status: number; response: { data: unknown } }) => e);
      expect(error).toMatchObject({
        status: 422,
        response: {
          data: {
            message: "Validation Failed",
            errors: [expect.objectContaining({ code: "missing_field" })],
          },
        },
      });

      const unserved = octokit.request("GET /repos/{owner}/{repo}/branches", {
        owner: "acme",
        repo: "api",
        request: { retries: 0 },
      });
      await expect(unserved).rejects.toSatisfy(isRequestError(501));

      await octokit.rest.repos.get({ owner: "acme", repo: "api" });
      await octokit.rest.repos.get({ owner: "acme", repo: "api" });

      const stats = emulator.stats();
      expect(stats.invalid).toBe(4);
      expect(stats.invalidRequests.map((r) => r.status)).toEqual([404, 404, 422, 501]);
      expect(stats.byRoute).toEqual({
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": 1,
        "GET /repos/{owner}/{repo}/branches": 1,
        "GET /repos/{owner}/{repo}": 2,
      });
      expect(stats.total).toBe(6);
      expect(emulator.comments("acme/api", issue.number)).toEqual([]);
    });
  });

  describe("the emulator's own shapes", () => {
    it("refuses to send a webhook payload that breaks its schema", () => {
      expect(() => assertValidWebhook("issues", { action: "labeled", issue: {} })).toThrow(
        /emulator bug: issues\.labeled/,
      );
    });

    it("tells a response GitHub would send from one it would not", async () => {
      const match = matchRoute("GET", "/repos/acme/api");
      expect(match?.op.template).toBe("/repos/{owner}/{repo}");
      const op = match?.op as NonNullable<typeof match>["op"];
      const { data } = await octokit.rest.repos.get({ owner: "acme", repo: "api" });
      expect(checkResponse(op, 200, data)).toBeUndefined();
      expect(checkResponse(op, 200, { ...data, id: String(data.id) })).toMatch(
        /id must be integer/,
      );
    });
  });

  describe("pull requests", () => {
    it("opens a pull on a pushed branch, announces it and lists its files", async () => {
      const issue = await emulator.createIssue({ repo: "acme/api", title: "pr", by: "alice" });
      const work = join(root, "pr-clone");
      await gitClone(api.cloneUrl, work);
      await writeFile(join(work, "README.md"), "# API\n\nNow with words.\n");
      await writeFile(join(work, "NEW.md"), "one\ntwo\nthree\n");
      await unlink(join(work, "src/index.ts"));
      await commitAndPush(work, "fleet/7-fix", "fix things");

      const missing = octokit.rest.pulls.create({
        owner: "acme",
        repo: "api",
        title: "x",
        head: "fleet/never-pushed",
        base: "main",
      });
      await expect(missing).rejects.toSatisfy(isRequestError(422));

      const { data: pr, status } = await octokit.rest.pulls.create({
        owner: "acme",
        repo: "api",
        title: "Fix things",
        head: "fleet/7-fix",
        base: "main",
        body: `Closes #${issue.number}`,
      });
      expect(status).toBe(201);
      expect(pr.number).toBe(issue.number + 1);
      expect(pr.head.ref).toBe("fleet/7-fix");
      expect(pr.changed_files).toBe(3);
      const opened = await receiver.waitFor(
        (r) => r.headers["x-github-event"] === "pull_request" && r.payload.action === "opened",
      );
      expect((opened.payload.pull_request as { number: number }).number).toBe(pr.number);
      expect(opened.signatureOk).toBe(true);

      const { data: files } = await octokit.rest.pulls.listFiles({
        owner: "acme",
        repo: "api",
        pull_number: pr.number,
      });
      const byName = Object.fromEntries(
        files.map((f) => [f.filename, [f.status, f.additions, f.deletions, f.changes]]),
      );
      expect(byName).toEqual({
        "NEW.md": ["added", 3, 0, 3],
        "README.md": ["modified", 3, 1, 4],
        "src/index.ts": ["removed", 0, 1, 1],
      });

      const duplicate = octokit.rest.pulls.create({
        owner: "acme",
        repo: "api",
        title: "again",
        head: "acme:fleet/7-fix",
        base: "main",
      });
      await expect(duplicate).rejects.toSatisfy(isRequestError(422));

      const listed = await octokit.rest.pulls.list({
        owner: "acme",
        repo: "api",
        head: "acme:fleet/7-fix",
      });
      expect(listed.data.map((p) => p.number)).toEqual([pr.number]);
      expect(emulator.pulls("acme/api")).toEqual([
        expect.objectContaining({
          number: pr.number,
          head: "fleet/7-fix",
          body: `Closes #${issue.number}`,
        }),
      ]);

      const check = await octokit.rest.checks.create({
        owner: "acme",
        repo: "api",
        name: "fleet/size",
        head_sha: pr.head.sha,
        status: "in_progress",
      });
      expect(check.data.pull_requests.map((p) => p.number)).toEqual([pr.number]);
      await octokit.rest.checks.update({
        owner: "acme",
        repo: "api",
        check_run_id: check.data.id,
        conclusion: "success",
        output: { title: "Size", summary: "small" },
      });
      // The simulated CI checks the pull too, as another app.
      const runs = await octokit.rest.checks.listForRef({
        owner: "acme",
        repo: "api",
        ref: "fleet/7-fix",
        app_id: APP_ID,
      });
      expect(runs.data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([
        ["fleet/size", "completed", "success"],
      ]);
    });
  });
});

async function gitClone(url: string, dir: string): Promise<void> {
  await execa("git", ["clone", "--quiet", url, dir]);
}

async function commitAndPush(dir: string, branch: string, message: string): Promise<void> {
  const identity = ["-c", "user.name=Tester", "-c", "user.email=tester@127.0.0.1"];
  await execa("git", ["checkout", "--quiet", "-b", branch], { cwd: dir });
  await execa("git", ["add", "-A"], { cwd: dir });
  await execa("git", [...identity, "commit", "--quiet", "-m", message], { cwd: dir });
  await execa("git", ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`], { cwd: dir });
}
