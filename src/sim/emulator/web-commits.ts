import type { Core } from "./core.js";
import { listBranches } from "./git.js";
import { commitFiles, GITHUB_COMMITTER, updateRef } from "./git-write.js";
import { signatureOf } from "./merge.js";
import type { Repo, User } from "./types.js";

/**
 * A commit made in GitHub's web editor: real git on `branch` (created from the default branch
 * when missing; null content deletes a path), then the same reactions as a push.
 */
export function commitOnBranch(
  core: Core,
  repo: Repo,
  spec: { branch: string; files: Record<string, string | null>; message: string; user: User },
): Promise<string> {
  return core.locked(repo, async () => {
    const branches = await listBranches(repo.gitDir);
    const before = branches.get(spec.branch) ?? null;
    const parent = before ?? branches.get(repo.defaultBranch) ?? null;
    const who = { author: signatureOf(spec.user), committer: GITHUB_COMMITTER };
    const sha = await commitFiles(repo.gitDir, parent, spec.files, spec.message, who);
    if (!(await updateRef(repo.gitDir, spec.branch, sha, before))) {
      throw new Error(`emulator: ${repo.fullName} ${spec.branch} moved while committing`);
    }
    const update = {
      before: before ?? "0".repeat(40),
      after: sha,
      ref: `refs/heads/${spec.branch}`,
    };
    await core.pushed(repo, [update], { sender: spec.user });
    return sha;
  });
}
