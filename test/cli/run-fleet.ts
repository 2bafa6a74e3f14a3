import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

export interface FleetRun {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

/** A working directory with no .env and no .pem for the CLI to pick up. */
export function emptyWorkdir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "fleet-cli-"));
}

/**
 * `node bin/fleet.js <args>` as its own process, with only the variables given (plus PATH and
 * HOME), and stdout/stderr piped: what an operator's script would see.
 */
export async function runFleet(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<FleetRun> {
  const result = await execa(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn", ...options.env },
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    timeout: 60_000,
  });
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}
