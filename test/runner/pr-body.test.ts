import { describe, expect, it } from "vitest";
import {
  agentResultSection,
  MAX_AGENT_RESULT_CHARS,
  pullRequestBody,
  type RunSummary,
} from "../../src/runner/pr-body.js";

const run: RunSummary = {
  issueNumber: 12,
  attempt: 2,
  runtimeMs: 90_000,
  adapter: "claude-code",
  requestedBy: "octocat",
  changedFiles: ["README.md"],
};

/** The text between the opening fence line and its closing fence. */
function fencedContent(body: string): { fence: string; content: string } {
  const match = body.match(/^(`{3,})text\n([\s\S]*?)\n\1$/m);
  if (!match?.[1] || match[2] === undefined) throw new Error(`no fenced block in:\n${body}`);
  return { fence: match[1], content: match[2] };
}

describe("pullRequestBody", () => {
  it("shows the agent's reported cost, turns and final message", () => {
    const body = pullRequestBody({
      ...run,
      reported: { costUsd: 0.0421337, turns: 7, result: "Capitalised the README title." },
    });
    expect(body.startsWith("Closes #12\n")).toBe(true);
    expect(body).toContain("| cost (reported) | $0.04 |");
    expect(body).toContain("| turns | 7 |");
    expect(body).toContain("### What the agent said");
    expect(fencedContent(body).content).toBe("Capitalised the README title.");
  });

  it("says nothing of a report the agent did not make", () => {
    const body = pullRequestBody({
      ...run,
      reported: { costUsd: null, turns: null, result: null },
    });
    expect(body).not.toMatch(/cost|turns|What the agent said/);
    expect(pullRequestBody(run)).toBe(body);
  });

  it("keeps the agent's markdown, mentions and closing keywords inert inside a longer fence", () => {
    const result = "Done.\n```\n</details> @acme/admins Closes #1\n````\nfixes #2";
    const body = pullRequestBody({ ...run, reported: { costUsd: 1, turns: 1, result } });
    const { fence, content } = fencedContent(body);
    expect(fence).toBe("`````"); // longer than the agent's longest backtick run (4)
    expect(content).toBe(result);
    // outside the fence only the fleet's own closing keyword remains
    const outside = body.replace(content, "");
    expect(outside.match(/closes #\d+|fixes #\d+/gi)).toEqual(["Closes #12"]);
  });

  it("cuts a long final message", () => {
    const section = agentResultSection(`${"x".repeat(MAX_AGENT_RESULT_CHARS + 500)}`);
    const { content } = fencedContent(section);
    expect(content.length).toBeLessThan(MAX_AGENT_RESULT_CHARS + 20);
    expect(content.endsWith("… (cut)")).toBe(true);
    expect(agentResultSection("   \n")).toBe("");
  });
});
