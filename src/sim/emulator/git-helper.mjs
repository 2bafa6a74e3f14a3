// Runs git commands for the emulator, one JSON line per request on stdin and per answer on
// stdout. A small process forks cheaply; the emulator's own, large one would block its event
// loop for tens of milliseconds on every fork. Plain JS: node runs it without tsx.
// Request: {"id":1,"args":["--git-dir","x","rev-parse","HEAD"],"input":"...","env":{...}}
// Answer:  {"id":1,"exitCode":0,"stdout":"<base64>","stderr":"..."}
import { execFile } from "node:child_process";
import { createInterface } from "node:readline";

const MAX_OUTPUT = 1024 * 1024 * 1024;
let pending = 0;
let closing = false;

const answer = (message) => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
  pending -= 1;
  if (closing && pending === 0) process.exit(0);
};

createInterface({ input: process.stdin })
  .on("line", (line) => {
    const { id, args, input, env } = JSON.parse(line);
    pending += 1;
    const child = execFile(
      "git",
      args,
      { env: { ...process.env, ...env }, encoding: "buffer", maxBuffer: MAX_OUTPUT },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        answer({
          id,
          exitCode,
          stdout: Buffer.from(stdout ?? "").toString("base64"),
          stderr: error && exitCode === -1 ? error.message : Buffer.from(stderr ?? "").toString(),
        });
      },
    );
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  })
  // The emulator went away: finish what was asked, then leave.
  .on("close", () => {
    closing = true;
    if (pending === 0) process.exit(0);
  });
