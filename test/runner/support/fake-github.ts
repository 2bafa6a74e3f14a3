import type { DeliveryGitHub, DeliveryGitHubFactory } from "../../../src/github/types.js";

/** Records what the runner asked of GitHub; PR numbers count from 100. */
export function fakeGitHub() {
  const calls = {
    pulls: [] as Array<{ title: string; body: string; head: string; base: string }>,
    comments: [] as Array<{ number: number; body: string }>,
    labels: [] as Array<{ number: number; label: string }>,
  };
  const gh: DeliveryGitHub = {
    createPushToken: async () => "test-token",
    createPullRequest: async (pr) => {
      calls.pulls.push(pr);
      const number = 99 + calls.pulls.length;
      return { number, url: `https://github.invalid/acme/pull/${number}` };
    },
    comment: async (number, body) => {
      calls.comments.push({ number, body });
    },
    addLabel: async (number, label) => {
      calls.labels.push({ number, label });
    },
  };
  const factory: DeliveryGitHubFactory = { forRepo: async () => gh };
  return { calls, factory };
}
