/** A bench helper run as its own Node process, TypeScript loaded through tsx as bin/fleet.js does. */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface BenchChild {
  process: ChildProcess;
  /** Resolves with the first line the child prints; rejects if it exits first. */
  firstLine: Promise<string>;
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export function startChild(file: string, env: Record<string, string>): BenchChild {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(file, import.meta.url))],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const firstLine = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    void exited.then((code) => reject(new Error(`${file} exited (${code}) before answering`)));
  });
  firstLine.catch(() => {});
  return {
    process: child,
    firstLine,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
