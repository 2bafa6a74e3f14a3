import type { Task } from "../db/schema.js";
import type { DeliveryGitHub } from "../github/types.js";
import type { PromptWork } from "./prompt.js";

/** GitHub and a push token for one attempt's preparation. */
export interface RepoAccess {
  gh: DeliveryGitHub;
  token: string;
}

/** A prepared worktree and what the agent started in it is asked to do. */
export interface AgentPlan {
  branch: string;
  baseSha: string;
  startSha: string;
  work: PromptWork;
}

/**
 * Work the runner finished without an agent: the attempt is settled and its worktree removed.
 * `opened` is the task when it reached pr_open, for the policy hook.
 */
export interface Settled {
  settled: true;
  opened: Task | null;
}

export function settled(opened: Task | null = null): Settled {
  return { settled: true, opened };
}
