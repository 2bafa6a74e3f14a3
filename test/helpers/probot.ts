import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { TEST_PRIVATE_KEY } from "./keys.js";

/**
 * A Probot app for tests: silent, and with retries and write pacing off (a function default is
 * applied after Probot's own options), so every nock interceptor maps to exactly one request.
 */
export function testProbot(): Probot {
  return new Probot({
    appId: 1,
    privateKey: TEST_PRIVATE_KEY,
    log: pino({ level: process.env.TEST_LOG ?? "silent" }),
    Octokit: ProbotOctokit.defaults((options: object) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
}
