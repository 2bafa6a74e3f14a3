import type { Probot, ProbotOctokit } from "probot";
import { roleFromPermission } from "./permissions.js";
import type { DeliveryGitHub, DeliveryGitHubFactory, IssueGitHub } from "./types.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export function splitRepo(fullName: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = fullName.split("/");
  if (!owner || !repo || rest.length) throw new Error(`not an owner/name repository: ${fullName}`);
  return { owner, repo };
}

function isNotFound(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

async function postComment(
  octokit: Octokit,
  where: { owner: string; repo: string },
  issueNumber: number,
  body: string,
): Promise<void> {
  await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...where,
    issue_number: issueNumber,
    body,
  });
}

export function issueGitHub(
  octokit: Octokit,
  repoFullName: string,
  readConfig: () => Promise<unknown>,
): IssueGitHub {
  const { owner, repo } = splitRepo(repoFullName);
  return {
    async roleOf(username) {
      try {
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
          { owner, repo, username },
        );
        return roleFromPermission(data);
      } catch (error) {
        if (isNotFound(error)) return "none";
        throw error;
      }
    },
    comment: (issueNumber, body) => postComment(octokit, { owner, repo }, issueNumber, body),
    readFleetConfig: readConfig,
    async removeLabel(issueNumber, label) {
      try {
        await octokit.request("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {
          owner,
          repo,
          issue_number: issueNumber,
          name: label,
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    async react(commentId, content) {
      await octokit.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
        owner,
        repo,
        comment_id: commentId,
        content,
      });
    },
  };
}

export function deliveryGitHub(
  appOctokit: Octokit,
  octokit: Octokit,
  installationId: number,
  repoFullName: string,
): DeliveryGitHub {
  const { owner, repo } = splitRepo(repoFullName);
  return {
    async createPushToken() {
      const { data } = await appOctokit.request(
        "POST /app/installations/{installation_id}/access_tokens",
        {
          installation_id: installationId,
          repositories: [repo],
          permissions: { contents: "write", pull_requests: "write" },
        },
      );
      return data.token;
    },
    async createPullRequest(pr) {
      try {
        const { data } = await octokit.request("POST /repos/{owner}/{repo}/pulls", {
          owner,
          repo,
          ...pr,
        });
        return { number: data.number, url: data.html_url };
      } catch (error) {
        // An earlier attempt opened it and died before recording so: carry on with that PR.
        if ((error as { status?: number }).status !== 422) throw error;
        const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
          owner,
          repo,
          head: `${owner}:${pr.head}`,
          base: pr.base,
          state: "open",
        });
        const existing = data[0];
        if (!existing) throw error;
        return { number: existing.number, url: existing.html_url };
      }
    },
    comment: (issueNumber, body) => postComment(octokit, { owner, repo }, issueNumber, body),
    async addLabel(issueNumber, label) {
      await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", {
        owner,
        repo,
        issue_number: issueNumber,
        labels: [label],
      });
    },
  };
}

/** Builds per-repository clients from the app's credentials, for runners outside a webhook. */
export function probotDeliveryFactory(probot: Probot): DeliveryGitHubFactory {
  return {
    async forRepo(installationId, repoFullName) {
      const [appOctokit, octokit] = await Promise.all([probot.auth(), probot.auth(installationId)]);
      return deliveryGitHub(appOctokit, octokit, installationId, repoFullName);
    },
  };
}
