import { ProbotOctokit } from "probot";
import { countGitHubRequests } from "../metrics/github-requests.js";
import { fetchWithTimeout } from "./fetch-timeout.js";

export interface GitHubClientOptions {
  /**
   * Probot's write pacing: 1 s between writes, 3 s between writes that notify people. A GitHub
   * without secondary rate limits, like the emulator, can do without (FLEET_GITHUB_THROTTLE=false).
   */
  pacing: boolean;
  /** Real ms a request may wait for GitHub's answer before it fails (and is retried). */
  timeoutMs?: number;
}

export const DEFAULT_GITHUB_TIMEOUT_MS = 30_000;

/** Retries after a rate limit (primary or secondary) before the request fails. */
export const RATE_LIMIT_RETRIES = 3;

type Octokit = InstanceType<typeof ProbotOctokit>;
type LimitHandler = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: Octokit,
  retryCount: number,
) => boolean;

/**
 * The Octokit class the app uses. Whatever the pacing, a request that meets a rate limit waits
 * for `retry-after` and is tried again up to RATE_LIMIT_RETRIES times (Probot's own default gives
 * up on a secondary limit at once); a 5xx or a request with no answer within the timeout is
 * retried by @octokit/plugin-retry (3 times, after 1, 4 and 9 s). What still fails is thrown to
 * the caller.
 */
export function fleetOctokitClass(options: GitHubClientOptions): typeof ProbotOctokit {
  // Added last, the metrics hook wraps retries and pacing: it sees each call's final status.
  const Counted = ProbotOctokit.plugin(countGitHubRequests);
  const timeoutMs = options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS;
  // A function default runs after Probot set its own throttle options, so these win.
  return Counted.defaults((instance: Record<string, unknown>) => {
    const request = (instance.request ?? {}) as { fetch?: typeof fetch };
    const throttle = (instance.throttle ?? {}) as Record<string, unknown>;
    return {
      ...instance,
      request: { ...request, fetch: fetchWithTimeout(timeoutMs, request.fetch) },
      throttle: {
        ...throttle,
        enabled: true,
        onRateLimit: retryAfterLimit("rate limit"),
        onSecondaryRateLimit: retryAfterLimit("secondary rate limit"),
        ...(options.pacing ? {} : UNPACED),
      },
    };
  });
}

/**
 * What `new Probot()` needs for the app's GitHub client: the class, and the same deadline for
 * the installation-token requests, which @octokit/auth-app sends with Probot's `request` option.
 */
export function fleetGitHubClient(options: GitHubClientOptions) {
  return {
    Octokit: fleetOctokitClass(options),
    request: { fetch: fetchWithTimeout(options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS) },
  };
}

function retryAfterLimit(kind: string): LimitHandler {
  return (retryAfter, options, octokit, retryCount) => {
    const call = `${options.method} ${options.url}`;
    if (retryCount < RATE_LIMIT_RETRIES) {
      octokit.log.warn(
        `GitHub ${kind} on ${call}: retry ${retryCount + 1} of ${RATE_LIMIT_RETRIES} in ${retryAfter} s`,
      );
      return true;
    }
    octokit.log.error(`GitHub ${kind} on ${call}: giving up after ${RATE_LIMIT_RETRIES} retries`);
    return false;
  };
}

/**
 * Bottleneck groups that run each job at once: the throttling plugin keeps its rate-limit
 * handling, only the spacing of writes, notifications and searches goes.
 */
const unpacedGroup = {
  key: () => ({
    schedule: (_job: unknown, task: (...args: unknown[]) => unknown, ...args: unknown[]) =>
      Promise.resolve().then(() => task(...args)),
  }),
};
const UNPACED = { write: unpacedGroup, search: unpacedGroup, notifications: unpacedGroup };
