import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Logger } from "pino";
import { git } from "./git.js";

export interface WorktreeRequest {
  repoFullName: string;
  cloneUrl: string;
  token?: string;
  branch: string;
  baseBranch: string;
  /** Defaults to a fresh folder under <root>/worktrees/<owner>/<repo>/. */
  dir?: string;
  /** Start from the branch already on the remote (a retry continuing earlier work). */
  reuseRemoteBranch?: boolean;
}

const DEFAULT_IDENTITY = {
  name: "agent-fleet[bot]",
  email: "agent-fleet[bot]@users.noreply.github.com",
};

/**
 * One bare cache per repository, fetched before each attempt, and one git worktree per attempt.
 * Remote branches land in refs/remotes/origin/* (not a literal --mirror) so a fetch --prune can
 * never rewrite or delete the fleet branch an attempt has checked out.
 */
export class Workspaces {
  readonly root: string;
  private readonly log: Logger | undefined;
  private readonly identity: { name: string; email: string };
  private readonly repoQueues = new Map<string, Promise<unknown>>();
  private readonly worktreeMirrors = new Map<string, string>();

  constructor(opts: { root: string; log?: Logger; identity?: { name: string; email: string } }) {
    this.root = resolve(opts.root);
    this.log = opts.log;
    this.identity = opts.identity ?? DEFAULT_IDENTITY;
  }

  mirrorDir(repoFullName: string): string {
    const [owner, repo] = splitRepo(repoFullName);
    return join(this.root, "mirrors", owner, `${repo}.git`);
  }

  ensureMirror(req: { repoFullName: string; cloneUrl: string; token?: string }): Promise<string> {
    return this.serialised(req.repoFullName, () => this.syncMirror(req));
  }

  async createWorktree(
    req: WorktreeRequest,
  ): Promise<{ dir: string; baseSha: string; startSha: string }> {
    await assertBranchName(req.branch);
    await assertBranchName(req.baseBranch);
    const [owner, repo] = splitRepo(req.repoFullName);
    const dir = resolve(
      req.dir ??
        join(
          this.root,
          "worktrees",
          owner,
          repo,
          `${req.branch.replaceAll("/", "-")}-${Date.now()}`,
        ),
    );
    return this.serialised(req.repoFullName, async () => {
      const mirror = await this.syncMirror(req);
      const baseSha = await revParse(mirror, `refs/remotes/origin/${req.baseBranch}`);
      if (!baseSha)
        throw new Error(`base branch ${req.baseBranch} not found in ${req.repoFullName}`);
      const remoteBranch = req.reuseRemoteBranch
        ? await revParse(mirror, `refs/remotes/origin/${req.branch}`)
        : null;
      const startSha = remoteBranch ?? baseSha;
      // leftovers of a crashed attempt at the same path
      await git(["worktree", "remove", "--force", "--force", dir], {
        cwd: mirror,
        okExitCodes: [128],
      });
      await rm(dir, { recursive: true, force: true });
      await git(["worktree", "prune"], { cwd: mirror });
      await mkdir(dirname(dir), { recursive: true });
      // --force: a dead attempt's worktree may still hold this branch; one live attempt per issue
      await git(["worktree", "add", "--force", "-B", req.branch, dir, startSha], { cwd: mirror });
      this.worktreeMirrors.set(dir, mirror);
      this.log?.info(
        { repo: req.repoFullName, branch: req.branch, dir, baseSha },
        "worktree created",
      );
      return { dir, baseSha, startSha };
    });
  }

  /** Commits whatever the agent left uncommitted, as the fleet. True when it made a commit. */
  async commitAll(dir: string, message: string): Promise<boolean> {
    await git(["add", "-A"], { cwd: dir });
    const staged = await git(["diff", "--cached", "--quiet"], { cwd: dir, okExitCodes: [1] });
    if (staged.exitCode === 0) return false;
    await git(
      [
        "-c",
        `user.name=${this.identity.name}`,
        "-c",
        `user.email=${this.identity.email}`,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--no-verify",
        "--quiet",
        "-m",
        message,
      ],
      { cwd: dir },
    );
    return true;
  }

  /** Whether HEAD's tree differs from the base: commits that cancel out are not changes. */
  async hasChangesSince(dir: string, baseSha: string): Promise<boolean> {
    const diff = await git(["diff", "--quiet", baseSha, "HEAD", "--"], {
      cwd: dir,
      okExitCodes: [1],
    });
    return diff.exitCode === 1;
  }

  async changedFiles(dir: string, baseSha: string): Promise<string[]> {
    const { stdout } = await git(
      ["diff", "--name-only", "--no-renames", "-z", baseSha, "HEAD", "--"],
      {
        cwd: dir,
      },
    );
    return stdout.split("\0").filter((name) => name !== "");
  }

  /** Force-pushes HEAD to the fleet-owned branch; the fleet is its only writer. */
  async push(req: {
    dir: string;
    cloneUrl: string;
    branch: string;
    token?: string;
  }): Promise<void> {
    await assertBranchName(req.branch);
    assertNoUserInfo(req.cloneUrl);
    await git(["push", "--no-verify", "--quiet", req.cloneUrl, `+HEAD:refs/heads/${req.branch}`], {
      cwd: req.dir,
      token: req.token,
    });
    this.log?.info({ branch: req.branch, dir: req.dir }, "branch pushed");
  }

  async removeWorktree(dir: string): Promise<void> {
    const target = resolve(dir);
    const mirror = this.worktreeMirrors.get(target) ?? (await this.findMirror(target));
    if (mirror) {
      const repo = relative(join(this.root, "mirrors"), mirror).replace(/\.git$/, "");
      await this.serialised(repo, async () => {
        const branch = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], {
          cwd: target,
          okExitCodes: [1, 128],
        }).catch(() => null);
        await git(["worktree", "remove", "--force", "--force", target], {
          cwd: mirror,
          okExitCodes: [128],
        });
        await git(["worktree", "prune"], { cwd: mirror });
        if (branch?.exitCode === 0 && branch.stdout.startsWith("fleet/")) {
          // drop the local ref so finished attempts don't pin objects in the cache
          await git(["branch", "-D", branch.stdout], { cwd: mirror, okExitCodes: [1] });
        }
      });
    }
    if (mirror || isInside(this.root, target)) await rm(target, { recursive: true, force: true });
    this.worktreeMirrors.delete(target);
  }

  /** After a restart the map is empty: ask the worktree, but trust only a mirror of ours. */
  private async findMirror(dir: string): Promise<string | null> {
    if (!existsSync(dir)) return null;
    const found = await git(["rev-parse", "--path-format=absolute", "--git-common-dir"], {
      cwd: dir,
      okExitCodes: [128],
    });
    const mirror = found.exitCode === 0 ? resolve(found.stdout) : null;
    return mirror && isInside(join(this.root, "mirrors"), mirror) ? mirror : null;
  }

  private async syncMirror(req: {
    repoFullName: string;
    cloneUrl: string;
    token?: string;
  }): Promise<string> {
    assertNoUserInfo(req.cloneUrl);
    const mirror = this.mirrorDir(req.repoFullName);
    const fetch = (cwd: string) =>
      git(
        [
          "fetch",
          "--prune",
          "--no-tags",
          "--quiet",
          req.cloneUrl,
          "+refs/heads/*:refs/remotes/origin/*",
        ],
        {
          cwd,
          token: req.token,
        },
      );
    if (existsSync(join(mirror, "HEAD"))) {
      await fetch(mirror);
      return mirror;
    }
    // build the first copy aside so a failed clone never leaves a half mirror behind
    const staging = `${mirror}.staging-${randomBytes(4).toString("hex")}`;
    await mkdir(dirname(mirror), { recursive: true });
    try {
      await git(["init", "--quiet", "--bare", staging]);
      await fetch(staging);
      await rename(staging, mirror).catch(async (err) => {
        // another runner on this host sharing the root won the race; use its copy
        if (!existsSync(join(mirror, "HEAD"))) throw err;
        await fetch(mirror);
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    this.log?.info({ repo: req.repoFullName, mirror }, "mirror created");
    return mirror;
  }

  private serialised<T>(repoFullName: string, fn: () => Promise<T>): Promise<T> {
    const key = repoFullName.toLowerCase();
    const previous = this.repoQueues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    const tail = next.catch(() => {});
    this.repoQueues.set(key, tail);
    void tail.then(() => {
      if (this.repoQueues.get(key) === tail) this.repoQueues.delete(key);
    });
    return next;
  }
}

function splitRepo(repoFullName: string): [string, string] {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repoFullName);
  if (!match?.[1] || !match[2] || [match[1], match[2]].some((p) => p === "." || p === "..")) {
    throw new Error(`not a repository name: ${JSON.stringify(repoFullName)}`);
  }
  return [match[1], match[2]];
}

async function assertBranchName(branch: string): Promise<void> {
  const check = await git(["check-ref-format", "--branch", branch], { okExitCodes: [1, 128] });
  if (check.exitCode !== 0 || branch.startsWith("-")) {
    throw new Error(`not a valid branch name: ${JSON.stringify(branch)}`);
  }
}

/** Credentials travel per command; a URL that embeds them would end up in config and logs. */
function assertNoUserInfo(cloneUrl: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(cloneUrl)) {
    throw new Error("clone URL must not embed credentials; pass the token separately");
  }
}

async function revParse(cwd: string, ref: string): Promise<string | null> {
  const result = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
    cwd,
    okExitCodes: [1, 128],
  });
  return result.exitCode === 0 ? result.stdout : null;
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep);
}
