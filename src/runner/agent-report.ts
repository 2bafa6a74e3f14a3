import { join } from "node:path";
import { recordAttemptReport } from "../db/queries/spend.js";
import { redactText } from "../log.js";
import { getAdapter } from "./adapters/index.js";
import type { AgentAdapter, AgentOutputFile, AgentSummary } from "./adapters/types.js";
import type { AttemptContext } from "./attempt-context.js";
import { tailFile } from "./file-tail.js";
import type { LiveAgent } from "./follow.js";

/** Lines of output kept for the dashboard. */
export const LOG_TAIL_LINES = 40;
/** The stored final message is cut here; the PR body shows less. */
const MAX_RESULT_CHARS = 20_000;

const NOTHING: AgentSummary = { costUsd: null, turns: null, result: null };

/**
 * Once the agent ended: what it reported (cost, turns, final message) and the redacted tail of
 * its human-readable output go onto the attempt row. Returns the summary for the PR; never
 * throws, since a missing report must not cost the agent its work.
 */
export async function recordAgentReport(
  ctx: AttemptContext,
  agent: LiveAgent,
): Promise<AgentSummary> {
  try {
    const adapter = getAdapter(agent.meta.adapter);
    const secrets = passedThroughSecrets(ctx, adapter);
    const summary = await adapter.summarize(agent.attemptDir);
    const result =
      summary.result === null
        ? null
        : redactText(summary.result, secrets).slice(0, MAX_RESULT_CHARS);
    const logTail = await readLogTail(agent.attemptDir, adapter.textOutput, secrets);
    await recordAttemptReport(ctx.db, {
      attemptId: ctx.attempt.id,
      leaseToken: ctx.attempt.leaseToken,
      costUsd: summary.costUsd,
      turns: summary.turns,
      resultText: result,
      logTail: logTail === "" ? null : logTail,
    });
    if (summary.costUsd !== null || summary.turns !== null) {
      ctx.log.info({ costUsd: summary.costUsd, turns: summary.turns }, "agent reported its run");
    }
    return { ...summary, result };
  } catch (error) {
    ctx.log.warn({ err: error }, "could not record what the agent reported");
    return NOTHING;
  }
}

/**
 * The last lines of the agent's text output. With two files (stdout and stderr of a plain-text
 * agent) the lines are shared between them, each under its name: their interleaving is lost.
 */
export async function readLogTail(
  attemptDir: string,
  files: readonly AgentOutputFile[],
  secrets: readonly string[],
): Promise<string> {
  const tails = await Promise.all(
    files.map(async (file) => {
      const text = await tailFile(join(attemptDir, file), LOG_TAIL_LINES);
      return { file, lines: text === "" ? [] : text.split("\n") };
    }),
  );
  const written = tails.filter((t) => t.lines.some((line) => line.trim() !== ""));
  if (written.length === 0) return "";
  const [only] = written;
  if (written.length === 1 && only) return redactText(only.lines.join("\n"), secrets);
  const share = Math.floor(LOG_TAIL_LINES / written.length);
  const text = written.map((t) => [`[${t.file}]`, ...t.lines.slice(-share)].join("\n")).join("\n");
  return redactText(text, secrets);
}

/**
 * The values the agent was actually given: the variables passed through to it (an LLM API key).
 * It never holds a GitHub token; any that shows up anyway is caught by redactText's patterns.
 */
export function passedThroughSecrets(
  ctx: Pick<AttemptContext, "config" | "hostEnv">,
  adapter: Pick<AgentAdapter, "defaultPassthrough">,
): string[] {
  const names = new Set([...adapter.defaultPassthrough, ...ctx.config.agent.env]);
  return [...names].flatMap((name) => {
    const value = ctx.hostEnv[name];
    return value ? [value] : [];
  });
}
