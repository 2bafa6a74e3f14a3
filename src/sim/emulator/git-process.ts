import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface GitResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

interface Answer {
  id: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

const HELPER = new URL("./git-helper.mjs", import.meta.url);

/**
 * The emulator's git commands, run by one small helper process (git-helper.mjs). Forking the
 * emulator's process itself for each of its thousands of commands blocked the event loop that
 * serves GitHub's API and webhooks for 10-20 ms a time. The helper only holds this process
 * open while commands are in flight.
 */
class GitHelper {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: GitResult) => void; reject: (e: Error) => void }
  >();

  run(args: readonly string[], input?: string, env?: Record<string, string>): Promise<GitResult> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const done = new Promise<GitResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
    });
    if (this.waiting.size === 1) this.hold(child, true);
    child.stdin?.write(`${JSON.stringify({ id, args, input, env })}\n`);
    return done;
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, [HELPER.pathname], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.child = child;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const answer = JSON.parse(line) as Answer;
      const waiter = this.waiting.get(answer.id);
      if (!waiter) return;
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) this.hold(child, false);
      waiter.resolve({
        exitCode: answer.exitCode,
        stdout: Buffer.from(answer.stdout, "base64"),
        stderr: answer.stderr,
      });
    });
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      const error = new Error(`the emulator's git helper exited (${signal ?? code})`);
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    });
    child.stdin?.on("error", () => {});
    this.hold(child, false);
    return child;
  }

  /** Keeps this process alive for the helper only while an answer is awaited. */
  private hold(child: ChildProcess, on: boolean): void {
    const handles = [child, child.stdin, child.stdout] as Array<{
      ref?: () => void;
      unref?: () => void;
    } | null>;
    for (const handle of handles) (on ? handle?.ref : handle?.unref)?.call(handle);
  }
}

const helper = new GitHelper();

/** Runs `git <args>`; resolves whatever the exit code. */
export function runGit(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return helper.run(args, options.input, options.env);
}
