#!/usr/bin/env node
// A real agent process for the simulator. It reads its plan, does what the scenario says for its
// issue, and journals its start and end (outside the app) so dispatches can be counted honestly.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { plan: { type: "string" }, repo: { type: "string" }, issue: { type: "string" } },
});
const plan = JSON.parse(readFileSync(values.plan, "utf8"));
const key = `${values.repo}#${values.issue}`;
const steps = plan.issues[key] ?? [{ behavior: "noop", durationMs: 0, edit: {} }];

function journal(entry) {
  appendFileSync(
    plan.journal,
    `${JSON.stringify({ ...entry, key, pid: process.pid, at: Date.now() })}\n`,
  );
}

function previousStarts() {
  try {
    return readFileSync(plan.journal, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((e) => e.key === key && e.event === "start").length;
  } catch {
    return 0;
  }
}

const attempt = previousStarts();
const step = steps[Math.min(attempt, steps.length - 1)];
journal({ event: "start", attempt: attempt + 1, behavior: step.behavior });

function finish(code) {
  journal({ event: "end", attempt: attempt + 1, code });
  process.exit(code);
}

const git = (...args) => execFileSync("git", args, { stdio: ["ignore", "ignore", "inherit"] });

function succeed() {
  const files = Object.entries(step.edit);
  files.forEach(([path, content], index) => {
    mkdirSync(dirname(join(process.cwd(), path)), { recursive: true });
    writeFileSync(join(process.cwd(), path), content);
    // Commit every other file and leave the rest for the fleet to commit.
    if (index % 2 === 0) git("add", "--", path);
  });
  if (files.length > 0) git("commit", "-q", "-m", `agent: work on ${key}`);
  process.stdout.write(`edited ${files.length} file(s)\n`);
  finish(0);
}

process.on("SIGTERM", () => finish(143));

setTimeout(() => {
  if (step.behavior === "succeed") succeed();
  else if (step.behavior === "noop") finish(0);
  else {
    process.stderr.write(
      `scripted failure for ${key}\nleaked token ghs_${"x".repeat(36)} must be redacted\n`,
    );
    finish(1);
  }
}, step.durationMs);
