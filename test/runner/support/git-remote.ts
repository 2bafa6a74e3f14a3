import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Test-side git, as a developer or the agent would run it (not the code under test). */
export function sh(args: string[], cwd: string, name = "dev"): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: `${name}@example.invalid`,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: `${name}@example.invalid`,
    },
  }).trim();
}

/**
 * A bare repository standing in for GitHub, plus a developer clone that pushes to it. `main`
 * starts with one commit of README.md.
 */
export function gitRemote(root: string, repoFullName: string) {
  const remote = join(root, "remotes", `${repoFullName}.git`);
  const dev = join(root, "dev", repoFullName);
  const cloneUrl = `file://${remote}`;
  mkdirSync(remote, { recursive: true });
  sh(["init", "-q", "--bare", "--initial-branch=main", remote], root);
  mkdirSync(dev, { recursive: true });
  sh(["init", "-q", "--initial-branch=main", dev], root);
  sh(["remote", "add", "origin", cloneUrl], dev);

  const write = (files: Record<string, string>) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dev, file)), { recursive: true });
      writeFileSync(join(dev, file), content);
    }
    sh(["add", "-A"], dev);
  };
  const self = {
    remote,
    dev,
    cloneUrl,
    repoFullName,
    /** Commits files on `branch` (created from `from` when new) and pushes it. */
    commit(branch: string, files: Record<string, string>, message = "change", from = "main") {
      sh(["fetch", "-q", "origin"], dev);
      const exists = sh(["ls-remote", "--heads", "origin", branch], dev) !== "";
      sh(["checkout", "-q", "-B", branch, exists ? `origin/${branch}` : `origin/${from}`], dev);
      write(files);
      sh(["commit", "-qm", message], dev);
      sh(["push", "-q", "origin", `${branch}:${branch}`], dev);
      return sh(["rev-parse", "HEAD"], dev);
    },
    /** Merges `branch` into main with a merge commit, as GitHub's merge button does. */
    mergeIntoMain(branch: string, message = `Merge ${branch}`) {
      sh(["fetch", "-q", "origin"], dev);
      sh(["checkout", "-q", "-B", "main", "origin/main"], dev);
      sh(["merge", "-q", "--no-ff", "-m", message, `origin/${branch}`], dev);
      sh(["push", "-q", "origin", "main"], dev);
      return sh(["rev-parse", "HEAD"], dev);
    },
    /** The sha of a ref in the remote, or "" when it does not exist. */
    sha(ref: string): string {
      try {
        return sh(["rev-parse", "--verify", "-q", ref], remote);
      } catch {
        return "";
      }
    },
    show(ref: string, file: string): string {
      return sh(["show", `${ref}:${file}`], remote);
    },
    parents(ref: string): string[] {
      return sh(["rev-list", "--parents", "-n", "1", ref], remote).split(" ").slice(1);
    },
    isAncestor(ancestor: string, of: string): boolean {
      try {
        sh(["merge-base", "--is-ancestor", ancestor, of], remote);
        return true;
      } catch {
        return false;
      }
    },
    tree(ref: string): string {
      return sh(["rev-parse", `${ref}^{tree}`], remote);
    },
  };
  write({ "README.md": "# api\n" });
  sh(["commit", "-qm", "initial"], dev);
  sh(["push", "-q", "origin", "main"], dev);
  return self;
}

export type GitRemote = ReturnType<typeof gitRemote>;
