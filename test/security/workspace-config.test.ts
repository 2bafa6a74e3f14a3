import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { branchName } from "../../src/runner/branch-name.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { gitRemote, sh } from "../runner/support/git-remote.js";
import { tempDir } from "../runner/support/temp-dir.js";

/**
 * The agent owns its worktree and can write the repository's git config. Each way it could make
 * the runner's next git command (here the fleet's commit) start a program of its choosing must be
 * refused before git runs: the program would run as the runner, outside any agent sandbox.
 */
describe("git config an agent writes into its workspace", () => {
  const root = tempDir("fleet-workspace-config-");
  const repo = gitRemote(root, "acme/api");
  const ws = new Workspaces({ root: join(root, "data") });
  const leak = join(root, "ran-as-runner.txt");
  const program = `sh -c "echo ran >> ${leak}; cat"`;

  async function worktree(issue: number) {
    const { dir } = await ws.createWorktree({
      repoFullName: repo.repoFullName,
      cloneUrl: repo.cloneUrl,
      branch: branchName(issue, "tampered config"),
      baseBranch: "main",
    });
    writeFileSync(join(dir, ".gitattributes"), "* filter=leak merge=leak\n");
    writeFileSync(join(dir, "README.md"), "changed\n");
    return dir;
  }

  async function expectRefused(dir: string, key: RegExp) {
    const refused = await ws.commitAll(dir, "fleet commit").catch((error: unknown) => error);
    expect(String(refused)).toMatch(/which would run a program the workspace chose/);
    expect(String(refused)).toMatch(key);
    expect(existsSync(leak)).toBe(false);
  }

  it("refuses a filter set with git config, in any letter case, and a merge driver", async () => {
    const dir = await worktree(1);
    sh(["config", "filter.leak.clean", program], dir, "agent");
    await expectRefused(dir, /filter\.leak\.clean/);
    sh(["config", "--remove-section", "filter.leak"], dir, "agent");

    const config = join(ws.mirrorDir(repo.repoFullName), "config");
    const original = readFileSync(config, "utf8");
    writeFileSync(config, `${original}[FILTER "leak"]\n\tCLEAN = ${program}\n`);
    await expectRefused(dir, /filter\.leak\.clean/);
    writeFileSync(config, `${original}[merge "leak"]\n\tdriver = ${program}\n`);
    await expectRefused(dir, /merge\.leak\.driver/);
    writeFileSync(config, original);
    expect(await ws.commitAll(dir, "clean again")).toBe(true);
  });

  it("refuses a filter brought in by an include or a per-worktree config", async () => {
    const dir = await worktree(2);
    const included = join(root, "included.cfg");
    writeFileSync(included, `[filter "leak"]\n\tclean = ${program}\n`);
    sh(["config", "include.path", included], dir, "agent");
    await expectRefused(dir, /include\.path/);
    sh(["config", "--unset", "include.path"], dir, "agent");

    sh(["config", "extensions.worktreeConfig", "true"], dir, "agent");
    sh(["config", "--worktree", "filter.leak.smudge", program], dir, "agent");
    await expectRefused(dir, /filter\.leak\.smudge/);
  });

  it("refuses a worktree whose .git now points at a repository the agent made", async () => {
    const dir = await worktree(3);
    const decoy = join(root, "decoy");
    mkdirSync(decoy);
    sh(["init", "-q", decoy], root, "agent");
    sh(["config", "filter.leak.clean", program], decoy, "agent");
    writeFileSync(join(dir, ".git"), `gitdir: ${join(decoy, ".git")}\n`);
    await expectRefused(dir, /filter\.leak\.clean/);
  });
});
