import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TASK_STATES, TERMINAL_STATES, TRANSITIONS } from "../../src/db/task-states.js";

const DOC = fileURLToPath(new URL("../../docs/architecture.md", import.meta.url));

async function stateDiagram(): Promise<string> {
  const text = await readFile(DOC, "utf8");
  const block = /```mermaid\nstateDiagram-v2\n([\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error("docs/architecture.md has no stateDiagram-v2 block");
  return block;
}

describe("docs/architecture.md", () => {
  it("draws exactly the transitions of src/db/task-states.ts", async () => {
    const drawn = [...(await stateDiagram()).matchAll(/^\s*(\w+) --> (\w+)/gm)].map(
      (m) => `${m[1]} -> ${m[2]}`,
    );
    const table = TASK_STATES.flatMap((from) => TRANSITIONS[from].map((to) => `${from} -> ${to}`));
    expect(new Set(drawn)).toEqual(new Set(table));
    expect(drawn).toHaveLength(table.length);
  });

  it("starts at queued and ends in the terminal states", async () => {
    const diagram = await stateDiagram();
    expect(diagram).toMatch(/^\s*\[\*\] --> queued\b/m);
    const ends = [...diagram.matchAll(/^\s*(\w+) --> \[\*\]/gm)].map((m) => m[1]);
    expect(new Set(ends)).toEqual(new Set(TERMINAL_STATES));
  });
});
