import { execa } from "execa";
import type { CheckResult } from "./types.js";

/** Runners clone, make worktrees, commit and push with the git on PATH. */
export async function checkGit(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const result = await execa("git", ["--version"], { env, extendEnv: false, reject: false });
  const version = /git version (\S+)/.exec(result.stdout)?.[1];
  if (result.exitCode === 0 && version) {
    return { name: "git", status: "pass", detail: `git ${version}` };
  }
  return {
    name: "git",
    status: "fail",
    detail:
      result.code === "ENOENT"
        ? "git not found on PATH"
        : (result.shortMessage ?? `git --version printed ${JSON.stringify(result.stdout)}`),
    hint: "install git (the Docker image has it)",
  };
}
