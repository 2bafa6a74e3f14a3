// Runs one agent and records how it ended in <attemptDir>/exit.json, so that a runner which is
// not our parent (it restarted) still learns the outcome. Plain JS: node runs it without tsx.
// Usage: node agent-wrapper.mjs <attemptDir> -- <program> [args...]
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";

const [attemptDir, separator, program, ...args] = process.argv.slice(2);
if (!attemptDir || separator !== "--" || !program) {
  process.stderr.write("usage: agent-wrapper.mjs <attemptDir> -- <program> [args...]\n");
  process.exit(2);
}

// Kills target the whole process group, so the agent gets the signal itself; the wrapper stays
// to write down how the agent reacted.
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => {});

function finish(code, signal, error) {
  const record = { code, signal, endedAt: new Date().toISOString() };
  if (error) record.error = error;
  const file = join(attemptDir, "exit.json");
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  renameSync(tmp, file);
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
}

// Same process group as the wrapper (no detached), same stdio files.
const agent = spawn(program, args, { stdio: "inherit" });
agent.on("error", (err) => {
  process.stderr.write(`agent-wrapper: cannot start ${program}: ${err.message}\n`);
  finish(127, null, err.message);
});
agent.on("exit", (code, signal) => finish(code, signal, undefined));
