import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { codeownersGlobs, codeownersPatternToGlobs } from "../../src/policies/codeowners.js";
import { matcher } from "../../src/policies/size.js";

describe("a CODEOWNERS pattern as picomatch globs", () => {
  it.each([
    ["*", ["**"]],
    ["*.js", ["**/*.js"]],
    ["/build/logs/", ["build/logs/**"]],
    ["apps/", ["**/apps/**"]],
    ["docs/*", ["docs/*"]],
    ["/docs/", ["docs/**"]],
    ["docs/**", ["docs/**"]],
    ["**/logs", ["**/logs", "**/logs/**"]],
    ["/scripts", ["scripts", "scripts/**"]],
    ["apps/github", ["apps/github", "apps/github/**"]],
    ["Makefile", ["**/Makefile", "**/Makefile/**"]],
    ["src/*.ts", ["src/*.ts"]],
    ["\\#notes", ["**/#notes", "**/#notes/**"]],
  ])("%s -> %j", (pattern, globs) => {
    expect(codeownersPatternToGlobs(pattern)).toEqual(globs);
  });
});

describe("which paths a pattern covers (GitHub's documented examples)", () => {
  it.each([
    ["*.js", "src/deep/app.js", true],
    ["*.js", "app.ts", false],
    ["/build/logs/", "build/logs/a/b.log", true],
    ["/build/logs/", "src/build/logs/x", false],
    ["apps/", "apps/x.ts", true],
    ["apps/", "nested/apps/x.ts", true],
    ["docs/*", "docs/getting-started.md", true],
    ["docs/*", "docs/build-app/troubleshooting.md", false],
    ["/docs/", "docs/build-app/troubleshooting.md", true],
    ["**/logs", "deep/logs/x.log", true],
    ["**/logs", "logs/x.log", true],
    ["/scripts", "scripts/run.sh", true],
    ["/scripts", "lib/scripts/run.sh", false],
    ["Makefile", "Makefile", true],
    ["Makefile", "tools/Makefile", true],
    ["*", ".github/workflows/ci.yml", true],
  ])("%s covers %s: %s", (pattern, path, covered) => {
    expect(matcher(codeownersPatternToGlobs(pattern))(path)).toBe(covered);
  });
});

describe("a CODEOWNERS file", () => {
  it("keeps patterns that name owners, skipping comments, blanks and ownerless lines", () => {
    const text = [
      "# Global owners",
      "",
      "*.go @octo/go-team  # inline comment",
      "/billing/ @acme/billing user@example.com",
      "/billing/generated/",
      "!negated @x",
      "   ",
      "/docs/ @writers",
    ].join("\r\n");
    expect(codeownersGlobs(text)).toEqual(["**/*.go", "billing/**", "docs/**"]);
  });

  it("de-duplicates globs", () => {
    expect(codeownersGlobs("*.md @a\n*.md @b\n")).toEqual(["**/*.md"]);
  });

  it("produces globs picomatch accepts", () => {
    const globs = codeownersGlobs("*.js @a\n/build/ @b\ndocs/* @c\n");
    expect(() => picomatch(globs)).not.toThrow();
  });
});
