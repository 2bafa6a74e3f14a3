import { beforeAll, describe, expect, it } from "vitest";
import type { SimulationReport } from "../../src/sim/report.js";
import { brief, issueOf, runScenario } from "./run-scenario.js";

let report: SimulationReport;

beforeAll(async () => {
  report = await runScenario("quiet");
}, 120_000);

describe("an idle fleet (scenarios/quiet.yml)", () => {
  it("drains the queue first, with a label that arrived after a server restart", () => {
    expect(report.settled, brief(report)).toBe(true);
    expect(report.totals).toMatchObject({ prsOpened: 1, noChanges: 1, duplicateDispatches: 0 });
    expect(issueOf(report, "acme/api", 2)).toMatchObject({ outcome: "no_changes", dispatches: 1 });
    expect(report.webhooks.failed).toBe(0);
  });

  it("makes no GitHub call and at most 12 claim queries in 10 quiet minutes", () => {
    expect(report.idle).toHaveLength(1);
    const [quiet] = report.idle;
    expect(quiet, JSON.stringify(report.idle)).toMatchObject({ githubApiCalls: 0 });
    // Counted apart: the missed-delivery sweep lists the app's deliveries every 15 minutes
    // whatever the fleet does, so at most one list falls in the window, and nothing failed to
    // redeliver.
    expect(quiet?.redeliverySweepCalls).toBeLessThanOrEqual(1);
    expect(quiet?.claimQueries).toBeLessThanOrEqual(12);
    // The period really lasted ten simulated minutes, and the work before it was really there.
    expect((quiet?.to ?? 0) - (quiet?.from ?? 0)).toBeGreaterThanOrEqual(10 * 60_000);
    expect(report.githubApiCalls.total).toBeGreaterThan(0);
  });
});
