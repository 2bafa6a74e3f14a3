import type { RepoRole } from "./permissions.js";

/** What the intake of an issue event needs from GitHub, and nothing more. */
export interface IssueGitHub {
  roleOf(username: string): Promise<RepoRole>;
  comment(issueNumber: number, body: string): Promise<void>;
  /** The repo's `.github/fleet.yml`, parsed YAML or undefined when there is none. */
  readFleetConfig(): Promise<unknown>;
  removeLabel(issueNumber: number, label: string): Promise<void>;
  /** A reaction on a comment: how a command is acknowledged without more noise. */
  react(commentId: number, content: "+1" | "eyes"): Promise<void>;
}

/** What a runner needs to deliver one attempt's work for one repository. */
export interface DeliveryGitHub {
  /** A short-lived token scoped to this one repository, for git over HTTPS. */
  createPushToken(): Promise<string>;
  createPullRequest(pr: {
    title: string;
    body: string;
    head: string;
    base: string;
  }): Promise<{ number: number; url: string }>;
  comment(issueNumber: number, body: string): Promise<void>;
  addLabel(issueNumber: number, label: string): Promise<void>;
}

export interface DeliveryGitHubFactory {
  forRepo(installationId: number, repoFullName: string): Promise<DeliveryGitHub>;
}
