import type { Probot, ProbotOctokit } from "probot";
import type { DashboardIssueGitHub, DashboardIssueGitHubFactory } from "../dashboard-issue/sync.js";
import { splitRepo } from "./octokit-github.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** The dashboard issue's surface: create it, rewrite (and reopen) it, close it. */
export function dashboardIssueGitHub(octokit: Octokit, repoFullName: string): DashboardIssueGitHub {
  const where = splitRepo(repoFullName);
  return {
    async createIssue(title, body) {
      const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", {
        ...where,
        title,
        body,
      });
      return data.number;
    },
    async updateIssue(issue, body) {
      try {
        await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
          ...where,
          issue_number: issue,
          body,
          state: "open",
        });
        return "updated";
      } catch (error) {
        // 410: deleted; 404: deleted or transferred out of the repository.
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 410) return "gone";
        throw error;
      }
    },
    async closeIssue(issue) {
      await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
        ...where,
        issue_number: issue,
        state: "closed",
        state_reason: "not_planned",
      });
    },
  };
}

/** Per-repository clients from the app's credentials: the updater runs outside any webhook. */
export function probotDashboardIssueGitHubFactory(probot: Probot): DashboardIssueGitHubFactory {
  return {
    async forRepo(installationId, repoFullName) {
      return dashboardIssueGitHub(await probot.auth(installationId), repoFullName);
    },
  };
}
