import { describe, expect, it } from "vitest";
import { DEFAULT_FLEET_CONFIG } from "../../src/config/fleet-config.js";
import {
  linguistGenerated,
  measurePull,
  sizeBucket,
  sizeLabelChanges,
} from "../../src/policies/size.js";

const file = (filename: string, additions: number, deletions = 0) => ({
  filename,
  additions,
  deletions,
});
const ignore = DEFAULT_FLEET_CONFIG.policy.ignore;

describe("size buckets (Prow's thresholds)", () => {
  it.each([
    [0, "XS"],
    [9, "XS"],
    [10, "S"],
    [29, "S"],
    [30, "M"],
    [99, "M"],
    [100, "L"],
    [499, "L"],
    [500, "XL"],
    [999, "XL"],
    [1000, "XXL"],
  ] as const)("%i lines is %s", (lines, bucket) => {
    expect(sizeBucket(lines)).toBe(bucket);
  });
});

describe("measuring a pull request", () => {
  it("counts additions plus deletions and skips lock files", () => {
    const size = measurePull(
      [
        file("src/a.ts", 20, 5),
        file("package-lock.json", 4000, 3000),
        file("web/yarn.lock", 50),
        file("go.sum", 10),
        file("crates/Cargo.lock", 10),
        file("README.md", 3, 2),
      ],
      ignore,
    );
    expect(size).toEqual({
      lines: 30,
      ignoredLines: 7070,
      files: 2,
      ignoredFiles: ["package-lock.json", "web/yarn.lock", "go.sum", "crates/Cargo.lock"],
      bucket: "M",
    });
  });

  it("skips files .gitattributes marks linguist-generated", () => {
    const generated = linguistGenerated(
      "# generated code\n*.pb.go linguist-generated=true\n/api/openapi.json linguist-generated\ndocs/** -diff\n",
    );
    expect(generated).toEqual(["**/*.pb.go", "api/openapi.json"]);
    const size = measurePull(
      [file("svc/x.pb.go", 900), file("api/openapi.json", 400), file("docs/a.md", 4)],
      ignore,
      generated,
    );
    expect(size).toMatchObject({ lines: 4, files: 1, bucket: "XS" });
  });
});

describe("size labels", () => {
  it("adds the current label and removes stale ones", () => {
    expect(sizeLabelChanges(["bug", "size/XS"], "L")).toEqual({
      add: ["size/L"],
      remove: ["size/XS"],
    });
    expect(sizeLabelChanges(["size/L"], "L")).toEqual({ add: [], remove: [] });
  });
});
