import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
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
  /** The branch must exist on the remote (an open PR's branch): fail instead of using the base. */
  requireRemoteBranch?: boolean;
}

/** A rebase, merge or revert either applied, or stopped on conflicts in these files. */
export type ApplyResult = { ok: true } | { ok: false; conflicts: string[] };

/** How a push may move the remote branch. */
export type PushMode =
  /** The fleet owns the branch and it has no PR yet: overwrite whatever is there. */
  | { kind: "force" }
  /** Only on top of what is there: a commit pushed meanwhile by anyone makes it fail. */
  | { kind: "fast-forward" }
  /** A rewritten history, only if the remote still holds the commit it was rewritten from. */
  | { kind: "lease"; expectSha: string };

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
      const remoteBranch =
        req.reuseRemoteBranch || req.requireRemoteBranch
          ? await revParse(mirror, `refs/remotes/origin/${req.branch}`)
          : null;
      if (req.requireRemoteBranch && !remoteBranch)
        throw new Error(`branch ${req.branch} not found in ${req.repoFullName}`);
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

  /**
   * Commits whatever the agent left uncommitted, as the fleet. True when it made a commit. A
   * merge in progress is concluded even when its result equals HEAD's tree.
   */
  async commitAll(dir: string, message: string): Promise<boolean> {
    await git(["add", "-A"], { cwd: dir });
    const staged = await git(["diff", "--cached", "--quiet"], { cwd: dir, okExitCodes: [1] });
    if (staged.exitCode === 0 && !(await this.mergeInProgress(dir))) return false;
    await git([...this.asFleet(), "commit", "--no-verify", "--quiet", "-m", message], {
      cwd: dir,
    });
    return true;
  }

  async headSha(dir: string): Promise<string> {
    return (await git(["rev-parse", "--verify", "HEAD^{commit}"], { cwd: dir })).stdout;
  }

  async isAncestor(dir: string, ancestor: string, of = "HEAD"): Promise<boolean> {
    const result = await git(["merge-base", "--is-ancestor", assertSha(ancestor), of], {
      cwd: dir,
      okExitCodes: [1],
    });
    return result.exitCode === 0;
  }

  /** Replays the branch onto commit `onto`; on conflicts the rebase is aborted and the files named. */
  async rebase(dir: string, onto: string): Promise<ApplyResult> {
    const run = await git(
      [
        ...this.asFleet(),
        // the host's config must not turn this into something else
        "-c",
        "rebase.autoSquash=false",
        "-c",
        "rebase.updateRefs=false",
        "-c",
        "rebase.autoStash=false",
        "rebase",
        "--quiet",
        assertSha(onto),
      ],
      { cwd: dir, okExitCodes: [1] },
    );
    if (run.exitCode === 0) return { ok: true };
    const conflicts = await this.unmergedPaths(dir);
    await git(["rebase", "--abort"], { cwd: dir, okExitCodes: [128] });
    if (conflicts.length === 0) throw new Error(`git rebase onto ${onto} failed: ${run.stderr}`);
    return { ok: false, conflicts };
  }

  /**
   * Merges commit `sha` into the branch with a merge commit. On conflicts the merge is left in
   * progress, markers in the files, for an agent to resolve; commitAll then concludes it.
   */
  async mergeLeavingConflicts(dir: string, sha: string, message: string): Promise<ApplyResult> {
    const run = await git(
      [
        ...this.asFleet(),
        "merge",
        "--no-ff",
        "--no-edit",
        "--quiet",
        "-m",
        message,
        assertSha(sha),
      ],
      { cwd: dir, okExitCodes: [1] },
    );
    if (run.exitCode === 0) return { ok: true };
    const conflicts = await this.unmergedPaths(dir);
    if (conflicts.length === 0) throw new Error(`git merge of ${sha} failed: ${run.stderr}`);
    return { ok: false, conflicts };
  }

  /** Paths the index still holds in more than one stage: conflicts nobody resolved. */
  async unmergedPaths(dir: string): Promise<string[]> {
    const { stdout } = await git(["diff", "--name-only", "--diff-filter=U", "-z"], { cwd: dir });
    return [...new Set(stdout.split("\0").filter((name) => name !== ""))];
  }

  /** Those of `files` whose working-tree text still carries a conflict marker line. */
  async filesWithConflictMarkers(dir: string, files: readonly string[]): Promise<string[]> {
    const marked: string[] = [];
    const root = resolve(dir);
    for (const file of files) {
      const path = resolve(root, file);
      if (!isInside(root, path)) continue;
      const text = await readFile(path, "utf8").catch(() => null); // deleted: resolved by removal
      if (text !== null && CONFLICT_MARKER.test(text)) marked.push(file);
    }
    return marked;
  }

  /**
   * Reverts one commit on top of HEAD, as the fleet; a merge commit is reverted against its
   * first parent (the branch it was merged into). On conflicts the revert is aborted.
   */
  async revert(dir: string, sha: string): Promise<ApplyResult> {
    const parents = (
      await git(["rev-list", "--parents", "-n", "1", assertSha(sha), "--"], { cwd: dir })
    ).stdout
      .split(" ")
      .slice(1);
    const mainline = parents.length > 1 ? ["-m", "1"] : [];
    const run = await git([...this.asFleet(), "revert", "--no-edit", ...mainline, sha], {
      cwd: dir,
      okExitCodes: [1],
    });
    if (run.exitCode === 0) return { ok: true };
    const conflicts = await this.unmergedPaths(dir);
    await git(["revert", "--abort"], { cwd: dir, okExitCodes: [128] });
    if (conflicts.length === 0) throw new Error(`git revert of ${sha} failed: ${run.stderr}`);
    return { ok: false, conflicts };
  }

  private async mergeInProgress(dir: string): Promise<boolean> {
    const found = await git(["rev-parse", "-q", "--verify", "MERGE_HEAD"], {
      cwd: dir,
      okExitCodes: [1],
    });
    return found.exitCode === 0;
  }

  /** Commits the fleet makes carry its identity and no signature, whatever the host's config. */
  private asFleet(): string[] {
    return [
      "-c",
      `user.name=${this.identity.name}`,
      "-c",
      `user.email=${this.identity.email}`,
      "-c",
      "commit.gpgsign=false",
    ];
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

  /**
   * Pushes HEAD to the branch. By default a force push: before its PR exists the fleet is the
   * branch's only writer. Once the PR is open, see PushMode.
   */
  async push(req: {
    dir: string;
    cloneUrl: string;
    branch: string;
    /** Named so the push guard refuses it outright, whatever the branch name says. */
    defaultBranch: string;
    token?: string;
    mode?: PushMode;
  }): Promise<void> {
    await assertBranchName(req.branch);
    assertNoUserInfo(req.cloneUrl);
    const ref = `refs/heads/${req.branch}`;
    const mode = req.mode ?? { kind: "force" };
    const how =
      mode.kind === "force"
        ? [`+HEAD:${ref}`]
        : mode.kind === "fast-forward"
          ? [`HEAD:${ref}`]
          : [`--force-with-lease=${ref}:${assertSha(mode.expectSha)}`, `HEAD:${ref}`];
    const refspec = how.pop() as string;
    await git(["push", "--no-verify", "--quiet", ...how, req.cloneUrl, refspec], {
      cwd: req.dir,
      token: req.token,
      defaultBranch: req.defaultBranch,
    });
    this.log?.info({ branch: req.branch, dir: req.dir, mode: mode.kind }, "branch pushed");
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

/** A line that starts a conflict block, its base section, or ends it (as git writes them). */
const CONFLICT_MARKER = /^(<{7}|\|{7}|>{7})(?: |$)/m;

function assertSha(sha: string): string {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new Error(`not a commit sha: ${sha}`);
  return sha;
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
