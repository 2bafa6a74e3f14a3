// Runs one agent and records how it ended in <attemptDir>/exit.json, so that a runner which is
// not our parent (it restarted) still learns the outcome. Plain JS: node runs it without tsx.
// Usage: node agent-wrapper.mjs <attemptDir> [--lease <file> <ttlMs> <graceMs>]
//          [--beat-on-output <file>] -- <program> [args...]
import { spawn } from "node:child_process";
import { renameSync, statSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";

const argv = process.argv.slice(2);
const attemptDir = argv.shift();
let lease = null;
if (argv[0] === "--lease") {
  const [, file, ttl, grace] = argv.splice(0, 4);
  lease = { file, ttlMs: Number(ttl), graceMs: Number(grace) };
}
let beatFile = null;
if (argv[0] === "--beat-on-output") {
  [, beatFile] = argv.splice(0, 2);
}
const [separator, program, ...args] = argv;
if (
  !attemptDir ||
  separator !== "--" ||
  !program ||
  (lease && !(lease.file && lease.ttlMs > 0 && lease.graceMs >= 0)) ||
  beatFile === ""
) {
  process.stderr.write(
    "usage: agent-wrapper.mjs <attemptDir> [--lease <file> <ttlMs> <graceMs>] [--beat-on-output <file>] -- <program> [args...]\n",
  );
  process.exit(2);
}

// Kills target the whole process group, so the agent gets the signal itself; the wrapper stays
// to write down how the agent reacted.
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => {});

let leaseExpired = false;

function record(code, signal, error) {
  const entry = { code, signal, endedAt: new Date().toISOString() };
  if (error) entry.error = error;
  if (leaseExpired) entry.reason = "lease-expired";
  const file = join(attemptDir, "exit.json");
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entry)}\n`);
  renameSync(tmp, file);
}

function finish(code, signal, error) {
  record(code, signal, error);
  // After a lease expiry nobody may be left working: KILL the group, ourselves included.
  if (leaseExpired) killGroup("SIGKILL");
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
}

function killGroup(signal) {
  try {
    process.kill(-process.pid, signal); // we lead the group (spawned detached)
  } catch {}
}

// Same process group as the wrapper (no detached). The agent writes straight to our stdio files,
// unless its output is its heartbeat: then it passes through us, and each chunk touches the file.
const agent = spawn(program, args, {
  stdio: beatFile ? ["inherit", "pipe", "pipe"] : "inherit",
});
agent.on("error", (err) => {
  process.stderr.write(`agent-wrapper: cannot start ${program}: ${err.message}\n`);
  finish(127, null, err.message);
});
if (beatFile) {
  relay(agent.stdout, 1);
  relay(agent.stderr, 2);
  // Output still in the pipes is copied before the exit is recorded; a background child that
  // holds a pipe open does not keep us waiting long after the agent itself exited.
  let ended = null;
  agent.on("exit", (code, signal) => {
    ended = { code, signal };
    setTimeout(() => finish(code, signal, undefined), 2000);
  });
  agent.on("close", () => {
    if (ended) finish(ended.code, ended.signal, undefined);
  });
} else {
  agent.on("exit", (code, signal) => finish(code, signal, undefined));
}

function relay(stream, fd) {
  stream.on("data", (chunk) => {
    try {
      writeSync(fd, chunk);
    } catch {}
    beat();
  });
  stream.on("error", () => {});
}

function beat() {
  const now = new Date();
  try {
    utimesSync(beatFile, now, now);
  } catch {
    try {
      writeFileSync(beatFile, "");
    } catch {}
  }
}

// Dead-man's switch: one timer checks that the runner still renews the lease. Renewals are timed
// on the monotonic clock when an mtime change is seen, so a wall-clock jump cannot fake one.
if (lease) {
  const mtime = () => statSync(lease.file, { throwIfNoEntry: false })?.mtimeMs ?? null;
  let seen = mtime();
  let renewedAt = performance.now();
  const timer = setInterval(
    () => {
      const now = mtime();
      if (now !== null && now !== seen) {
        seen = now;
        renewedAt = performance.now();
      } else if (performance.now() - renewedAt > lease.ttlMs) {
        clearInterval(timer);
        expire();
      }
    },
    Math.max(10, lease.ttlMs / 6),
  );
  timer.unref();
}

function expire() {
  leaseExpired = true;
  process.stderr.write(
    `agent-wrapper: lease ${lease.file} unrenewed for ${lease.ttlMs} ms; stopping the agent\n`,
  );
  killGroup("SIGTERM"); // we ignore TERM ourselves; the agent's exit event then finishes
  setTimeout(() => {
    record(null, "SIGKILL", undefined);
    killGroup("SIGKILL");
  }, lease.graceMs);
}
