import { describe, expect, it } from "vitest";
import { MAX_LISTED_CONFIG_ERRORS } from "../../src/config/fleet-config.js";
import type { LocatedConfigError } from "../../src/config/fleet-config-file.js";
import { configErrorTable } from "../../src/tasks/config-messages.js";
import { configErrorComment } from "../../src/tasks/messages.js";

const errors = (count: number): LocatedConfigError[] =>
  Array.from({ length: count }, (_, i) => ({
    path: `key${i}`,
    message: "not a known setting",
    line: i + 1,
  }));

describe("configuration problem lists", () => {
  it("lists every problem when there are few", () => {
    const table = configErrorTable(errors(3));
    expect(table.split("\n").filter((l) => l.startsWith("| `key"))).toHaveLength(3);
    expect(table).not.toContain("more");
  });

  it("caps a file with thousands of unknown keys, saying how many were left out", () => {
    const many = errors(5_000);
    const table = configErrorTable(many);
    const comment = configErrorComment(many);
    expect(table.split("\n").filter((l) => l.startsWith("| `key"))).toHaveLength(
      MAX_LISTED_CONFIG_ERRORS,
    );
    expect(table).toContain(`… and ${5_000 - MAX_LISTED_CONFIG_ERRORS} more`);
    expect(comment.split("\n").filter((l) => l.startsWith("- `key"))).toHaveLength(
      MAX_LISTED_CONFIG_ERRORS,
    );
    expect(comment).toContain(`… and ${5_000 - MAX_LISTED_CONFIG_ERRORS} more`);
    // GitHub refuses a comment or check-run summary over 65,536 characters.
    expect(comment.length).toBeLessThan(65_536);
    expect(table.length).toBeLessThan(65_536);
  });
});
