import { describe, expect, it } from "vitest";
import { type AgentLife, killedHealthy } from "../../src/sim/agent-lives.js";

// Real ms; the lease TTL is 60.
const life = (pid: number): AgentLife => ({
  key: `a/b#${pid}`,
  pid,
  ppid: 1000 + pid,
  startTime: undefined,
  attempt: 1,
  behavior: "succeed",
  startedAt: 100,
  diedAt: 300,
  natural: false,
  end: "killed",
  code: null,
  sigtermIgnoredAt: null,
});

function killed(backAfterMs: number, outcome: string) {
  return killedHealthy({
    lives: [life(1)],
    cancelledAt: new Map(),
    attemptOf: () => ({ runnerId: "a", startedAt: 90, outcome }),
    outages: [{ runner: "a", killedAt: 200, backAt: 200 + backAfterMs }],
    leaseTtlRealMs: 60,
  }).length;
}

describe("a healthy agent whose runner came back late", () => {
  it("is the dead-man's switch, not a kill, when the runner returned after half its lease and the attempt was lost", () => {
    // Its lease was last renewed up to a third of the TTL before the kill, and renewed again
    // only once the restarted runner had looked at its agents.
    expect(killed(40, "lost")).toBe(0);
    expect(killed(61, "lost")).toBe(0);
  });

  it("counts when the runner was back early, or when the attempt ended otherwise", () => {
    expect(killed(10, "lost")).toBe(1);
    expect(killed(40, "stalled")).toBe(1);
    expect(killed(40, "crashed")).toBe(1);
  });

  it("excuses any death once the runner stayed away past its lease, as before", () => {
    expect(killed(61, "crashed")).toBe(0);
  });
});
