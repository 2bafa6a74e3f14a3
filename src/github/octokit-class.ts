import { ProbotOctokit } from "probot";
import { countGitHubRequests } from "../metrics/github-requests.js";

/**
 * The Octokit class the app uses. Probot paces writes to respect GitHub's secondary rate limits
 * (notably 3 s between comments); a GitHub without those limits, like the emulator, can turn the
 * pacing off with FLEET_GITHUB_THROTTLE=false.
 */
export function fleetOctokitClass(options: { throttle: boolean }): typeof ProbotOctokit {
  // Added last, the metrics hook wraps retries and pacing: it sees each call's final status.
  const Counted = ProbotOctokit.plugin(countGitHubRequests);
  if (options.throttle) return Counted;
  // A function default runs last, after Probot merged its own throttle options.
  return Counted.defaults((instance: object) => ({
    ...instance,
    throttle: { enabled: false },
  }));
}
