import { ProbotOctokit } from "probot";

/**
 * The Octokit class the app uses. Probot paces writes to respect GitHub's secondary rate limits
 * (notably 3 s between comments); a GitHub without those limits, like the emulator, can turn the
 * pacing off with FLEET_GITHUB_THROTTLE=false.
 */
export function fleetOctokitClass(options: { throttle: boolean }): typeof ProbotOctokit {
  if (options.throttle) return ProbotOctokit;
  // A function default runs last, after Probot merged its own throttle options.
  return ProbotOctokit.defaults((instance: object) => ({
    ...instance,
    throttle: { enabled: false },
  }));
}
