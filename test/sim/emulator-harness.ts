import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { verify } from "@octokit/webhooks-methods";
import { execa } from "execa";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { appKeyPair } from "../../src/sim/app-keys.js";
import {
  DEFAULT_APP_PERMISSIONS,
  type Emulator,
  type Permissions,
  startEmulator,
} from "../../src/sim/emulator/index.js";

/** A real emulator, a webhook receiver that checks signatures, and Probot's Octokit. */

export interface Received {
  headers: IncomingHttpHeaders;
  event: string;
  body: string;
  payload: { action?: string; [key: string]: unknown };
  signatureOk: boolean;
}

export async function startReceiver(secret: string) {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  let held: Array<() => void> | undefined;
  let status = 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signatureOk = await verify(secret, body, String(req.headers["x-hub-signature-256"]));
      received.push({
        headers: req.headers,
        event: String(req.headers["x-github-event"]),
        body,
        payload: JSON.parse(body),
        signatureOk,
      });
      for (const wake of waiters.splice(0)) wake();
      const answer = () => res.writeHead(status).end();
      if (held) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    received,
    /** The HTTP status the next deliveries are answered with (a failing app answers 5xx). */
    answerWith(next: number) {
      status = next;
    },
    /** Leaves every delivery unanswered until `release`, as a busy app would. */
    hold() {
      held = [];
    },
    release() {
      const answers = held ?? [];
      held = undefined;
      for (const answer of answers) answer();
    },
    /** Resolves with the first webhook matching `match`, waiting for new ones. */
    async waitFor(match: (r: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(match);
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error("webhook did not arrive");
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, left);
          waiters.push(() => {
            clearTimeout(timer);
            wake();
          });
        });
      }
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

// Octokit's throttling spaces writes out; that guards GitHub, not these tests.
export const UnthrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
  retry: { enabled: false },
}));

export type Octokit = InstanceType<typeof ProbotOctokit>;

export async function startHarness(opts: { appPermissions?: Permissions } = {}) {
  const appId = 5151;
  const secret = randomBytes(16).toString("hex");
  const keys = appKeyPair();
  const root = await mkdtemp(join(tmpdir(), "emulator-flow-"));
  const receiver = await startReceiver(secret);
  const emulator: Emulator = await startEmulator({
    gitRoot: join(root, "remotes"),
    webhookUrl: receiver.url,
    webhookSecret: secret,
    appId,
    appPublicKey: keys.publicKey,
    appPermissions: opts.appPermissions ?? DEFAULT_APP_PERMISSIONS,
    log: pino({ level: "silent" }),
  });
  const probot = new Probot({
    appId,
    privateKey: keys.privateKey,
    secret,
    baseUrl: emulator.url,
    log: pino({ level: "silent" }),
    Octokit: UnthrottledOctokit,
  });
  let clones = 0;
  return {
    root,
    emulator,
    receiver,
    probot,
    octokit: (installationId: number) => probot.auth(installationId) as Promise<Octokit>,
    /**
     * A clone that borrows the remote's objects (--shared), so a branch can start from any
     * commit of the remote without a fetch.
     */
    async clone(gitDir: string): Promise<GitClone> {
      const dir = join(root, `clone-${++clones}`);
      await execa("git", ["clone", "--quiet", "--shared", gitDir, dir]);
      return new GitClone(dir, gitDir);
    },
    async close() {
      await emulator.close();
      await receiver.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

const IDENTITY = ["-c", "user.name=Tester", "-c", "user.email=tester@127.0.0.1"];

/** A working copy that commits and pushes with plain git, as the runner does. */
export class GitClone {
  constructor(
    readonly dir: string,
    private readonly remoteGitDir: string,
  ) {}

  git(args: string[]) {
    return execa("git", [...IDENTITY, ...args], { cwd: this.dir });
  }

  /** A branch from the remote's current default branch. */
  async checkout(branch: string): Promise<void> {
    const tip = await execa("git", [
      "--git-dir",
      this.remoteGitDir,
      "rev-parse",
      "refs/heads/main",
    ]);
    await this.git(["checkout", "--quiet", "-B", branch, tip.stdout.trim()]);
  }

  /** Back to a local branch made earlier. */
  async switchTo(branch: string): Promise<void> {
    await this.git(["checkout", "--quiet", branch]);
  }

  /** Writes files, commits them and returns the new sha. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
    }
    await this.git(["add", "-A"]);
    await this.git(["commit", "--quiet", "-m", message]);
    return (await this.git(["rev-parse", "HEAD"])).stdout.trim();
  }

  async push(branch: string, opts: { force?: boolean } = {}): Promise<void> {
    const force = opts.force ? ["--force"] : [];
    await this.git(["push", "--quiet", ...force, "origin", `HEAD:refs/heads/${branch}`]);
  }
}

export const statusOf = async (promise: Promise<unknown>): Promise<number> => {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
};
