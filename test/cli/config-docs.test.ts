import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FLEET_CONFIG } from "../../src/config/fleet-config.js";
import { fleetConfigMarkdown } from "../../src/config/fleet-config-docs.js";
import { emptyWorkdir, runFleet } from "./run-fleet.js";

const COMMITTED = fileURLToPath(new URL("../../docs/fleet-yml.md", import.meta.url));
let cwd: string;

beforeAll(async () => {
  cwd = await emptyWorkdir();
});
afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

/** Every key path of the parsed defaults, down to the leaves: what the reference must list. */
function leafPaths(value: unknown, prefix = ""): string[] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

describe("the fleet.yml reference", () => {
  it("has a row for every setting, with its type and default", () => {
    const markdown = fleetConfigMarkdown();
    for (const path of leafPaths(DEFAULT_FLEET_CONFIG)) {
      expect(markdown, path).toContain(`| \`${path}\` |`);
    }
    expect(markdown).toContain(
      "| `agent.timeout` | duration (`30s`, `5m`, `1h30m`, or milliseconds) | `30m` |",
    );
    expect(markdown).toContain("| `agent.maxAttempts` | integer (≥ 1, ≤ 20) | `3` |");
    expect(markdown).toMatch(
      /\| `agent\.adapter` \| one of `command`, `claude-code`, .*\| `command` \|/,
    );
    expect(markdown).toContain(
      "| `policy.requiredChecks` | `all` or list of non-empty strings | `all` |",
    );
  });

  it("matches the committed docs/fleet-yml.md (regenerate with `fleet config docs > docs/fleet-yml.md`)", async () => {
    expect(await readFile(COMMITTED, "utf8")).toBe(fleetConfigMarkdown());
  });

  it("is what `fleet config docs` prints", async () => {
    const run = await runFleet(["config", "docs"], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(await readFile(COMMITTED, "utf8"));
  });
});
