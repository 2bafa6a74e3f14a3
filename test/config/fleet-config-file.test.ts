import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkFleetConfigText, fleetConfigJsonSchema } from "../../src/config/fleet-config-file.js";

describe("checking a fleet.yml file", () => {
  it("accepts a valid file, including an _extends line", () => {
    expect(checkFleetConfigText("_extends: .github\nagent: { timeout: 1h }\n")).toEqual({
      ok: true,
    });
    expect(checkFleetConfigText("")).toEqual({ ok: true });
  });

  it("names each problem by key path and line", () => {
    const text = [
      "trigger:",
      "  label: go",
      "agent:",
      "  timeout: soon",
      "  bogus: 1",
      "  env: [lower]",
      "",
    ].join("\n");
    const result = checkFleetConfigText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.errors.map((e) => [e.path, e]));
    expect(byPath["agent.timeout"]).toMatchObject({
      line: 4,
      message: "a duration like 30s, 5m or 1h",
    });
    expect(byPath["agent.bogus"]).toMatchObject({ line: 5, message: "not a known setting" });
    expect(byPath["agent.env.0"]).toMatchObject({ line: 6 });
  });

  it("reports broken YAML with its line instead of throwing", () => {
    const result = checkFleetConfigText("trigger:\n  label: [unclosed\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ path: "(file)" });
    expect(result.errors[0]?.message).toMatch(/^invalid YAML/);
    expect(result.errors[0]?.line).toBeGreaterThan(0);
  });
});

describe("the JSON Schema for editors", () => {
  it("is generated from the zod schema, defaults included", () => {
    const schema = fleetConfigJsonSchema() as {
      properties: Record<string, { properties?: Record<string, { default?: unknown }> }>;
    };
    expect(schema.properties.trigger?.properties?.label?.default).toBe("agent-ready");
    expect(schema.properties.agent?.properties?.timeout?.default).toBe("30m");
  });

  it("matches the committed schema/fleet.schema.json (regenerate with `fleet config schema`)", async () => {
    const committed = await readFile(
      fileURLToPath(new URL("../../schema/fleet.schema.json", import.meta.url)),
      "utf8",
    );
    expect(JSON.parse(committed)).toEqual(fleetConfigJsonSchema());
  });
});
