import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOC = readFileSync(`${ROOT}docs/security.md`, "utf8");

/** Every `src/…`, `test/…` or `docs/…` path the page names in backticks. */
const cited = [...DOC.matchAll(/`((?:src|test|docs)\/[^`\s]+)`/g)].map((m) => m[1] as string);

describe("docs/security.md", () => {
  it("names only files that exist", () => {
    expect(cited.length).toBeGreaterThan(20);
    expect(cited.filter((path) => !existsSync(`${ROOT}${path}`))).toEqual([]);
  });

  it("cites every test file of the security suite", () => {
    const files = readdirSync(`${ROOT}test/security`).filter((f) => f.endsWith(".test.ts"));
    const uncited = files
      .map((f) => `test/security/${f}`)
      .filter((path) => !cited.includes(path) && path !== "test/security/doc.test.ts");
    expect(uncited).toEqual([]);
  });

  it("quotes test titles that exist in the files it cites", () => {
    // "title" right after a cited test file, as in `test/x.test.ts` ("a title", "another")
    for (const [, path, titles] of DOC.matchAll(/`(test\/[^`]+\.test\.ts)` \(([^)]*)\)/g)) {
      const source = readFileSync(`${ROOT}${path}`, "utf8").replace(/\s+/g, " ");
      for (const [, title] of (titles ?? "").matchAll(/"([^"]+)"/g)) {
        expect(source, `${path}: "${title}"`).toContain((title ?? "").replace(/\s+/g, " "));
      }
    }
  });
});
