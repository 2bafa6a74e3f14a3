import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { systemClock } from "../config/clock.js";
import { type AgentConfig, parseFleetConfig } from "../config/fleet-config.js";
import { checkFleetConfigText, formatLocatedErrors } from "../config/fleet-config-file.js";
import { loadSettings, type Settings } from "../config/settings.js";
import { DEFAULT_MIN_FREE_BYTES } from "../ops/doctor/disk.js";
import { type CheckResult, doctorPassed, formatDoctor, runDoctor } from "../ops/doctor/index.js";
import { withProgress } from "./progress.js";

export interface DoctorOptions {
  json?: boolean;
  config?: string;
  minFreeGib?: number;
}

/** `fleet doctor`: exit code 1 when a required check fails, 0 otherwise (warnings included). */
export async function runDoctorCommand(options: DoctorOptions): Promise<number> {
  const env = process.env;
  const { settings, error } = readSettings(env);
  const fleetYml = options.config ? await readAgentConfig(options.config) : undefined;
  const results = await runDoctor({
    env,
    settings,
    ...(error ? { settingsError: error } : {}),
    clock: systemClock,
    ...(fleetYml?.agent ? { agent: fleetYml.agent } : {}),
    minFreeBytes:
      options.minFreeGib === undefined ? DEFAULT_MIN_FREE_BYTES : options.minFreeGib * 1024 ** 3,
    around: (label, work) => withProgress(label, work),
  });
  if (fleetYml) results.unshift(fleetYml.result);
  const ok = doctorPassed(results);
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ ok, checks: results }, null, 2)}\n`
      : `${formatDoctor(results)}\n`,
  );
  return ok ? 0 : 1;
}

function readSettings(env: NodeJS.ProcessEnv): { settings?: Settings; error?: string } {
  try {
    return { settings: loadSettings(env) };
  } catch {
    // An unusable private key has a check of its own: read the other settings without it.
    try {
      return {
        settings: loadSettings({ ...env, PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: undefined }),
      };
    } catch (error) {
      return { error: (error as Error).message.replace(/:?\n\s*/g, "; ") };
    }
  }
}

/** `--config`: a repository's fleet.yml, whose adapter becomes the one the checks require. */
async function readAgentConfig(
  file: string,
): Promise<{ result: CheckResult; agent?: AgentConfig }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return { result: { name: "fleet.yml", status: "fail", detail: (error as Error).message } };
  }
  const check = checkFleetConfigText(text);
  const parsed = check.ok ? parseFleetConfig(parse(text)) : undefined;
  if (!parsed?.ok) {
    return {
      result: {
        name: "fleet.yml",
        status: "fail",
        detail: check.ok
          ? `${file} is invalid`
          : formatLocatedErrors(file, check.errors).split("\n").join("; "),
        hint: `\`fleet config validate ${file}\` lists every problem`,
      },
    };
  }
  return {
    result: {
      name: "fleet.yml",
      status: "pass",
      detail: `${file}: valid, adapter ${parsed.config.agent.adapter}`,
    },
    agent: parsed.config.agent,
  };
}
