import type { Probot } from "probot";
import { splitRepo } from "./octokit-github.js";

/** What the morning report needs from GitHub: where the app is installed, and new issues. */
export interface ReportGitHub {
  /** The app's installation on a repository (the report may go to a repo with no fleet work). */
  installationOf(repo: string): Promise<number>;
  /** Opens an issue; returns its number. */
  createIssue(
    repo: string,
    title: string,
    body: string,
    labels: readonly string[],
  ): Promise<number>;
}

/** The report's GitHub from the app's credentials: an installation client per target repo. */
export function probotReportGitHub(probot: Probot): ReportGitHub {
  // An installation id does not change while the app stays installed: one lookup per repo.
  const installations = new Map<string, number>();
  const installationOf = async (repo: string) => {
    const known = installations.get(repo);
    if (known !== undefined) return known;
    const app = await probot.auth();
    const { data } = await app.request("GET /repos/{owner}/{repo}/installation", splitRepo(repo));
    installations.set(repo, data.id);
    return data.id;
  };
  return {
    installationOf,
    async createIssue(repo, title, body, labels) {
      const octokit = await probot.auth(await installationOf(repo));
      const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", {
        ...splitRepo(repo),
        title,
        body,
        labels: [...labels],
      });
      return data.number;
    },
  };
}
