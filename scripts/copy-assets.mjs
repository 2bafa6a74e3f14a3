// tsc compiles only TypeScript; the plain-JS helpers that run as their own processes are copied.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

for (const file of ["runner/agent-wrapper.mjs", "sim/scripted-agent.mjs"]) {
  mkdirSync(dirname(`dist/${file}`), { recursive: true });
  copyFileSync(`src/${file}`, `dist/${file}`);
}
