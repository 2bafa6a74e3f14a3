import type { ProbotOctokit } from "probot";
import type { ConfigHealthGitHub } from "../tasks/config-health.js";
import { splitRepo } from "./octokit-github.js";
import { pullGitHub } from "./pull-github.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** The repo surface the fleet.yml health report uses: files, one issue and a check run. */
export function configHealthGitHub(octokit: Octokit, repoFullName: string): ConfigHealthGitHub {
  const pulls = pullGitHub(octokit, repoFullName);
  const where = splitRepo(repoFullName);
  return {
    readFile: (path, ref) => pulls.readFile(path, ref),
    closeIssue: (n) => pulls.closeIssue(n),
    comment: (n, body) => pulls.comment(n, body),
    changedFiles: async (n) => (await pulls.listFiles(n)).map((f) => f.filename),
    async createCheckRun(run) {
      await pulls.upsertCheckRun({ ...run, status: "completed" });
    },
    async createIssue(title, body) {
      const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", {
        ...where,
        title,
        body,
      });
      return data.number;
    },
  };
}
