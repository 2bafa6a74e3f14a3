import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { TERMINAL_STATES } from "../../src/db/task-states.js";
import { createLogger } from "../../src/log.js";
import type { SimulationReport } from "../../src/sim/report.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { simulate } from "../../src/sim/simulate.js";
import { createTestDatabase } from "../support/db.js";

/** A short night with GitHub failing: scenarios/faults.yml through the whole simulator. */

let report: SimulationReport;

beforeAll(async () => {
  const path = fileURLToPath(new URL("./scenarios/faults.yml", import.meta.url));
  const database = await createTestDatabase();
  try {
    report = await simulate(await loadScenario(path), {
      log: createLogger({ level: process.env.LOG_LEVEL ?? "error", destination: 2 }),
      databaseUrl: database.url,
      // Under a minute even on a busy machine; a night that never settles fails the test.
      settleTimeoutMs: 90_000,
    });
  } finally {
    await database.close();
  }
}, 180_000);

/** Where an issue may end: a terminal state, a failure someone can retry, or humans asked why. */
function ended(issue: SimulationReport["issues"][number]): boolean {
  return (
    (TERMINAL_STATES as readonly string[]).includes(issue.outcome) ||
    issue.outcome === "failed" ||
    issue.flaggedReason !== null
  );
}

describe("a night with GitHub faults (scenarios/faults.yml)", () => {
  it("injected faults of the API and of webhooks", () => {
    const { faults } = report;
    const api = Object.values(faults.api).reduce((a, b) => a + b, 0);
    expect(api, JSON.stringify(faults)).toBeGreaterThan(0);
    expect(faults.webhooksDropped + faults.webhooksDelayed, JSON.stringify(faults)).toBeGreaterThan(
      0,
    );
  });

  it("settles with every issue in a terminal or explained state, each dispatched once", () => {
    const summary = JSON.stringify(
      report.issues.map((i) => ({ issue: i.number, outcome: i.outcome, flagged: i.flaggedReason })),
    );
    expect(report.settled, summary).toBe(true);
    for (const issue of report.issues) {
      expect(ended(issue), `#${issue.number}: ${summary}`).toBe(true);
      expect(issue.dispatches, `#${issue.number}`).toBe(1);
    }
    expect(report.totals.duplicateDispatches).toBe(0);
    expect(report.githubApiCalls.invalid).toBe(0);
  });

  it("lost no webhook: every dropped one reached the app through the missed-delivery sweep", () => {
    expect(report.faults.webhooksUnrecovered).toBe(0);
  });
});
