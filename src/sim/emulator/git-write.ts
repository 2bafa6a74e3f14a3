import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { type CommitInfo, git, gitResult } from "./git.js";

/**
 * What GitHub itself writes into a repository: commits made in the web UI and merges of pulls.
 * Everything works on the bare repo's object store; no working copy is ever checked out.
 */

export interface Signature {
  name: string;
  email: string;
  /** ISO 8601; now when absent. */
  date?: string;
}

export interface Signatures {
  author: Signature;
  committer: Signature;
}

/** GitHub signs the commits it creates on a user's behalf with this committer. */
export const GITHUB_COMMITTER: Signature = { name: "GitHub", email: "noreply@github.com" };

function signatureEnv({ author, committer }: Signatures): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    ...(author.date ? { GIT_AUTHOR_DATE: author.date } : {}),
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    ...(committer.date ? { GIT_COMMITTER_DATE: committer.date } : {}),
  };
}

export type MergeTreeResult = { clean: true; tree: string } | { clean: false; conflicts: string[] };

/** A real three-way merge of two commits (their merge base found by git), without a worktree. */
export async function mergeTree(
  gitDir: string,
  ours: string,
  theirs: string,
): Promise<MergeTreeResult> {
  const result = await gitResult(gitDir, [
    "merge-tree",
    "--write-tree",
    "--name-only",
    "--no-messages",
    ours,
    theirs,
  ]);
  const [tree = "", ...files] = result.stdout.toString("utf8").split("\n").filter(Boolean);
  if (result.exitCode === 0) return { clean: true, tree };
  if (result.exitCode === 1) return { clean: false, conflicts: [...new Set(files)] };
  throw new Error(`git merge-tree failed: ${result.stderr}`);
}

export async function commitTree(
  gitDir: string,
  tree: string,
  parents: string[],
  message: string,
  who: Signatures,
): Promise<string> {
  const args = ["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"];
  return (await git(gitDir, args, message, signatureEnv(who))).trim();
}

/**
 * Moves a branch only if it still points at `expected` (null: the branch must not exist), so a
 * push that raced the write is never lost. Returns false when the guard failed.
 */
export async function updateRef(
  gitDir: string,
  branch: string,
  next: string,
  expected: string | null,
): Promise<boolean> {
  const old = expected ?? "0".repeat(40);
  try {
    await git(gitDir, ["update-ref", `refs/heads/${branch}`, next, old]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replays one commit onto `onto` (a cherry-pick). git 2.39's merge-tree has no --merge-base, so
 * the commit's parent tree becomes the root of two throwaway commits whose merge base it is.
 */
export async function replayCommit(
  gitDir: string,
  commit: CommitInfo,
  onto: string,
  committer: Signature,
): Promise<string | null> {
  const scratch: Signatures = { author: committer, committer };
  const parentTree = commit.parents[0]
    ? (await git(gitDir, ["rev-parse", `${commit.parents[0]}^{tree}`])).trim()
    : (await git(gitDir, ["hash-object", "-t", "tree", "-w", "--stdin"], "")).trim();
  const root = await commitTree(gitDir, parentTree, [], "replay base", scratch);
  const ontoTree = (await git(gitDir, ["rev-parse", `${onto}^{tree}`])).trim();
  const target = await commitTree(gitDir, ontoTree, [root], "replay target", scratch);
  const picked = await commitTree(gitDir, commit.tree, [root], "replay commit", scratch);
  const merged = await mergeTree(gitDir, target, picked);
  if (!merged.clean) return null;
  return commitTree(gitDir, merged.tree, [onto], commit.message, {
    author: commit.author,
    committer,
  });
}

/**
 * A commit on top of `parent` (null: a root commit) where each path gets new content, or is
 * deleted when its value is null. A throwaway index builds the nested trees.
 */
export async function commitFiles(
  gitDir: string,
  parent: string | null,
  files: Record<string, string | null>,
  message: string,
  who: Signatures,
): Promise<string> {
  const index = `${gitDir}/emulator-${randomBytes(6).toString("hex")}.index`;
  const env = { GIT_INDEX_FILE: index };
  try {
    if (parent) await git(gitDir, ["read-tree", parent], undefined, env);
    const lines: string[] = [];
    for (const [path, content] of Object.entries(files)) {
      const clean = path.replace(/^\/+/, "");
      if (content === null) {
        lines.push(`0 ${"0".repeat(40)}\t${clean}\n`);
      } else {
        const sha = (await git(gitDir, ["hash-object", "-w", "--stdin"], content)).trim();
        lines.push(`100644 ${sha}\t${clean}\n`);
      }
    }
    await git(gitDir, ["update-index", "--add", "--remove", "--index-info"], lines.join(""), env);
    const tree = (await git(gitDir, ["write-tree"], undefined, env)).trim();
    return await commitTree(gitDir, tree, parent ? [parent] : [], message, who);
  } finally {
    await rm(index, { force: true });
  }
}
