import { execa } from "execa";

async function git(gitDir: string, args: string[], input?: string): Promise<string> {
  const result = await execa("git", ["--git-dir", gitDir, ...args], {
    ...(input === undefined ? {} : { input }),
  });
  return result.stdout;
}

/** The stable patch id of a diff between two commits (empty when they hold the same tree). */
async function patchId(gitDir: string, from: string, to: string): Promise<string> {
  const diff = await git(gitDir, ["diff", "--full-index", from, to]);
  if (!diff.trim()) return "";
  return (await git(gitDir, ["patch-id", "--stable"], `${diff}\n`)).split(" ")[0] ?? "";
}

/**
 * Commits on the default branch whose post-merge CI failed and that no later commit undoes: a
 * later commit whose change is the exact inverse (what `git revert` produces, squashed or not).
 */
export async function unrevertedBadCommits(
  gitDir: string,
  defaultBranch: string,
  failed: ReadonlySet<string>,
): Promise<string[]> {
  const log = (await git(gitDir, ["rev-list", "--first-parent", "--reverse", defaultBranch]))
    .split("\n")
    .filter(Boolean);
  const bad: string[] = [];
  for (const [index, sha] of log.entries()) {
    if (!failed.has(sha) || index === 0) continue;
    const undo = await patchId(gitDir, sha, `${sha}^`);
    let reverted = false;
    for (const later of log.slice(index + 1)) {
      if ((await patchId(gitDir, `${later}^`, later)) === undo && undo !== "") {
        reverted = true;
        break;
      }
    }
    if (!reverted) bad.push(sha);
  }
  return bad;
}
