import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { branchName, revertBranchName, slugify } from "../../src/runner/branch-name.js";

function gitAcceptsBranch(name: string): boolean {
  return spawnSync("git", ["check-ref-format", "--branch", name]).status === 0;
}

describe("slugify", () => {
  it.each([
    ["Fix the README title", "fix-the-readme-title"],
    ["../../etc/passwd", "etc-passwd"],
    ["a/b", "a-b"],
    ["Café déjà vu", "cafe-deja-vu"],
    ["--force", "force"],
    ["refs.lock", "refs-lock"],
    ["HEAD@{1}", "head-1"],
    ["line one\nline two", "line-one-line-two"],
    ["nul\u0000byte", "nul-byte"],
    ["?!*:~^[]\\ ..", "issue"],
    ["🚀🔥", "issue"],
    ["日本語のタイトル", "issue"],
    ["", "issue"],
  ])("%j -> %s", (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it("cuts long titles at the limit without a trailing dash", () => {
    const slug = slugify(`${"word ".repeat(50)}end`);
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(slugify("abcd efgh", 5)).toBe("abcd");
  });
});

describe("branchName", () => {
  const hostile = [
    "../../etc/passwd",
    "a/b",
    "Ünïcödé tïtlé",
    "emoji 🚀 launch 🔥",
    "config.lock",
    "x.lock",
    "@{-1}",
    "@",
    "a@{b}",
    "x".repeat(500),
    "!!!...///",
    "--force",
    "-x",
    ".hidden",
    "trailing.",
    "two\nlines\r\nand\ttabs",
    "nul\u0000inside",
    "spaces   and ~tilde^caret:colon?question*star[bracket\\back",
    "refs/heads/main",
    "..",
    "/",
  ];

  it.each(hostile)("is a safe, valid git branch for %j", (title) => {
    const name = branchName(42, title);
    expect(name).toMatch(/^fleet\/42-[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(name.length).toBeLessThanOrEqual("fleet/42-".length + 40);
    expect(name).not.toContain("..");
    expect(name.split("/")).toHaveLength(2);
    expect(gitAcceptsBranch(name)).toBe(true);
  });

  it("names the issue and its title", () => {
    expect(branchName(1, "Fix the README title")).toBe("fleet/1-fix-the-readme-title");
  });

  it("rejects issue numbers that are not positive integers", () => {
    expect(() => branchName(0, "x")).toThrow(/positive integer/);
    expect(() => branchName(1.5, "x")).toThrow(/positive integer/);
    expect(() => branchName(-3, "x")).toThrow(/positive integer/);
  });
});

describe("revertBranchName", () => {
  it("names the issue and the reverted commit", () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const name = revertBranchName(12, sha);
    expect(name).toBe("fleet/revert-12-0123456");
    expect(gitAcceptsBranch(name)).toBe(true);
  });

  it("rejects anything that is not a commit sha", () => {
    expect(() => revertBranchName(12, "../../main")).toThrow(/not a commit sha/);
    expect(() => revertBranchName(12, "ABCDEF0")).toThrow(/not a commit sha/);
    expect(() => revertBranchName(0, "0123456")).toThrow(/positive integer/);
  });
});
