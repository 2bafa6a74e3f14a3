import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closingReferences } from "../../src/sim/emulator/closing-references.js";
import { combinedState, latestPerContext } from "../../src/sim/emulator/commit-statuses.js";
import { Core } from "../../src/sim/emulator/core.js";
import { installPushHook, PUSH_PATH, parseRefUpdates } from "../../src/sim/emulator/push-hook.js";
import type { CommitStatus, StatusState, User } from "../../src/sim/emulator/types.js";

/** The emulator's pieces that need no GitHub around them. */

describe("closing keywords", () => {
  it("finds the issues a pull body closes in its own repository", () => {
    const body = [
      "Closes #1, fixes #2 and Resolves: #3.",
      "fixed acme/shop#4, resolved ACME/Shop#5, close #1 again",
      "Refs #6, closes other/repo#7, prefixes#8, fixes#9",
    ].join("\n");
    expect(closingReferences(body, "acme/shop")).toEqual([1, 2, 3, 4, 5]);
    expect(closingReferences(null, "acme/shop")).toEqual([]);
  });
});

describe("post-receive input", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);

  it("parses git's old/new/ref lines and refuses anything else", () => {
    expect(parseRefUpdates(`${a} ${b} refs/heads/main\n${b} ${a} refs/heads/fleet/1-x\n`)).toEqual([
      { before: a, after: b, ref: "refs/heads/main" },
      { before: b, after: a, ref: "refs/heads/fleet/1-x" },
    ]);
    expect(parseRefUpdates("")).toEqual([]);
    expect(parseRefUpdates(`${a} nope refs/heads/main`)).toBeUndefined();
    expect(parseRefUpdates(`${a} ${b} main`)).toBeUndefined();
  });
});

describe("combined status", () => {
  const user: User = { login: "ci", id: 1, type: "User" };
  let id = 0;
  const status = (context: string, state: StatusState): CommitStatus => ({
    id: ++id,
    repo: "acme/shop",
    sha: "a".repeat(40),
    context,
    state,
    description: null,
    targetUrl: null,
    creator: user,
    createdAt: "2024-01-01T00:00:00Z",
  });
  const combine = (...statuses: CommitStatus[]) => combinedState(latestPerContext(statuses));

  it("follows GitHub's rules on the newest status of each context", () => {
    expect(combine()).toBe("pending");
    expect(combine(status("a", "success"))).toBe("success");
    expect(combine(status("a", "success"), status("b", "pending"))).toBe("pending");
    expect(combine(status("a", "pending"), status("b", "error"))).toBe("failure");
    expect(combine(status("a", "failure"), status("a", "success"))).toBe("success");
    expect(combine(status("a", "success"), status("a", "failure"))).toBe("failure");
  });
});

describe("CI rules", () => {
  const ci = new Core("http://127.0.0.1:1", {
    appId: 77,
    appSlug: "agent-fleet",
    appPermissions: {},
    webhookSecret: "s",
  }).ci;

  it("prefers an exact branch, then the newest pattern, then the repo's default", () => {
    expect(ci.ruleFor("acme/shop", "anything")).toMatchObject({ pr: "success", name: "ci" });
    ci.setRule("acme/shop", "default", { pr: "failure", postMerge: "none", durationMs: 1 });
    ci.setRule(
      "acme/shop",
      { headRef: /^fleet\// },
      { pr: "pending", postMerge: "success", durationMs: 0 },
    );
    ci.setRule(
      "acme/shop",
      { headRef: /^fleet\/1-/ },
      { pr: ["failure", "success"], postMerge: "failure", durationMs: 0 },
    );
    ci.setRule(
      "acme/shop",
      { headRef: "fleet/1-exact" },
      { pr: "success", postMerge: "success", durationMs: 0, name: "build" },
    );
    expect(ci.ruleFor("acme/shop", "main")).toMatchObject({ pr: "failure", postMerge: "none" });
    expect(ci.ruleFor("ACME/shop", "fleet/2-x")).toMatchObject({ pr: "pending" });
    expect(ci.ruleFor("acme/shop", "fleet/1-x")).toMatchObject({ pr: ["failure", "success"] });
    expect(ci.ruleFor("acme/shop", "fleet/1-exact")).toMatchObject({ name: "build" });
    expect(ci.ruleFor("acme/other", "fleet/1-exact")).toMatchObject({ pr: "success", name: "ci" });
    // The same match set again replaces the earlier rule.
    ci.setRule(
      "acme/shop",
      { headRef: /^fleet\// },
      { pr: "success", postMerge: "none", durationMs: 0 },
    );
    expect(ci.ruleFor("acme/shop", "fleet/2-x")).toMatchObject({
      pr: "success",
      postMerge: "none",
    });
  });
});

describe("the post-receive hook", () => {
  let root: string;
  const notices: Array<{
    path: string | undefined;
    headers: IncomingHttpHeaders;
    body: string;
    answer: ServerResponse;
  }> = [];
  let arrived: () => void = () => {};
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      notices.push({ path: req.url, headers: req.headers, body, answer: res });
      arrived();
    });
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "emulator-hook-"));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
    await rm(root, { recursive: true, force: true });
  });

  for (const runtime of ["bash", "node"] as const) {
    it(`(${runtime}) reports the moved refs and holds the push until answered`, async () => {
      const gitDir = join(root, `${runtime}.git`);
      const work = join(root, `${runtime}-work`);
      await execa("git", ["init", "--bare", "--quiet", "--initial-branch=main", gitDir]);
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      await installPushHook(gitDir, { url, secret: "s3cret", repo: "acme/it's" }, { runtime });
      await execa("git", ["init", "--quiet", "--initial-branch=main", work]);
      await writeFile(join(work, "a.txt"), "a\n");
      const git = (args: string[]) =>
        execa("git", ["-c", "user.name=T", "-c", "user.email=t@127.0.0.1", ...args], { cwd: work });
      await git(["add", "-A"]);
      await git(["commit", "--quiet", "-m", "first"]);
      const sha = (await git(["rev-parse", "HEAD"])).stdout.trim();

      const received = new Promise<void>((ok) => {
        arrived = ok;
      });
      let pushed = false;
      // The hook may not rely on the pusher's PATH: runners hand agents a narrow one.
      const gitPath = (await execa("sh", ["-c", "command -v git"])).stdout.trim();
      const refs = ["HEAD:refs/heads/main", "HEAD:refs/heads/x"];
      const push = execa(gitPath, ["push", "--quiet", gitDir, ...refs], {
        cwd: work,
        env: { PATH: "/nonexistent", HOME: root },
        extendEnv: false,
      }).then((result) => {
        pushed = true;
        return result;
      });
      await received;
      const notice = notices.at(-1);
      expect(pushed).toBe(false);
      expect(notice?.path).toBe(PUSH_PATH);
      expect(notice?.headers).toMatchObject({
        "x-emulator-push-secret": "s3cret",
        "x-emulator-repo": "acme/it's",
      });
      expect(parseRefUpdates(notice?.body ?? "")).toEqual([
        { before: "0".repeat(40), after: sha, ref: "refs/heads/main" },
        { before: "0".repeat(40), after: sha, ref: "refs/heads/x" },
      ]);
      notice?.answer.writeHead(204).end();
      const result = await push;
      expect(result.stderr).not.toContain("not recorded");
    });
  }
});
