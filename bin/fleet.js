#!/usr/bin/env node
// From a checkout, run the TypeScript source through tsx, so a stale build is never used by
// mistake; where only the build ships (the Docker image, a package), run the compiled CLI.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/cli.js", import.meta.url).href);
}
