#!/usr/bin/env node
// A real agent process for the simulator. It reads its plan, does what the scenario says for its
// issue and attempt, and journals its start and end (outside the app) so dispatches can be
// counted honestly. Behaviours are described in behaviors.ts. Plain JS: node runs it directly.
import { execFileSync, spawnSync } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { plan: { type: "string" }, repo: { type: "string" }, issue: { type: "string" } },
});
const plan = JSON.parse(readFileSync(values.plan, "utf8"));
const key = `${values.repo}#${values.issue}`;
const own = plan.issues[key] ?? { heartbeatMs: 1000, steps: [] };
const steps = own.steps.length > 0 ? own.steps : [{ behavior: "noop", durationMs: 0, edit: {} }];

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

/** Field 22 of /proc/self/stat: with the pid, tells this process apart from a recycled pid. */
function ownStartTime() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

const attempt = previousStarts() + 1;
const step = steps[Math.min(attempt, steps.length) - 1];
journal({
  event: "start",
  attempt,
  behavior: step.behavior,
  ppid: process.ppid,
  startTime: ownStartTime(),
});

// The witness is a socket the simulator holds: the kernel closes it when this process dies,
// however it dies, so the simulator learns the moment of death even after a SIGKILL.
// An agent that ends at once waits (briefly) for its hello to be out, or its death goes unseen.
let introduced = !plan.witness;
const onIntroduced = [];
if (plan.witness) {
  const socket = connect(plan.witness, () =>
    socket.write(`${JSON.stringify({ key, pid: process.pid, attempt })}\n`, () => {
      introduced = true;
      for (const then of onIntroduced) then();
    }),
  );
  socket.on("error", () => {
    introduced = true;
    for (const then of onIntroduced) then();
  });
  socket.unref();
}

function finish(code, reason = "exit") {
  journal({ event: "end", attempt, code, reason });
  if (introduced) process.exit(code);
  onIntroduced.push(() => process.exit(code));
  setTimeout(() => process.exit(code), 1000);
}

function heartbeat() {
  const file = process.env.FLEET_HEARTBEAT_FILE;
  if (!file) return;
  try {
    closeSync(openSync(file, "a"));
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // the attempt folder is the runner's; a missing one only means no heartbeat
  }
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
  // A retry that continues a pushed branch may find its work already there: nothing to commit.
  const staged = spawnSync("git", ["diff", "--cached", "--quiet"]).status === 1;
  if (staged) git("commit", "-q", "-m", `agent: work on ${key}`);
  process.stdout.write(`edited ${files.length} file(s)\n`);
  finish(0);
}

const heartbeats = step.behavior !== "hang";
const forever = ["hang", "busy", "ignore-sigterm"].includes(step.behavior);

process.on("SIGTERM", () => {
  if (step.behavior === "ignore-sigterm") {
    journal({ event: "signal", attempt, signal: "SIGTERM", ignored: true });
    return;
  }
  finish(143, "sigterm");
});

if (heartbeats) {
  heartbeat();
  setInterval(heartbeat, Math.max(10, own.heartbeatMs));
} else {
  setInterval(() => {}, 60_000); // alive, silent
}

if (!forever) {
  setTimeout(() => {
    switch (step.behavior) {
      case "succeed":
      case "slow":
        return succeed();
      case "noop":
        return finish(0);
      case "crash":
        process.stderr.write(`scripted crash for ${key}\n`);
        return finish(137);
      default:
        process.stderr.write(
          `scripted failure for ${key}\nleaked token ghs_${"x".repeat(36)} must be redacted\n`,
        );
        return finish(1);
    }
  }, step.durationMs);
}
