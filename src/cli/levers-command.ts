import { loadSettings } from "../config/settings.js";
import { openDatabase } from "../fleet.js";
import { createLogger } from "../log.js";
import { cancelTask, type LeverResult, resumeRepoLever, retryTask } from "../ops/levers.js";
import { parseRepoRef, parseTaskRef, RefError } from "./task-ref.js";

export type LeverName = "retry" | "cancel" | "resume";

/** Exit codes: 0 done, 1 the lever does not apply (unknown task, wrong state), 2 a bad reference. */
export async function runLeverCommand(lever: LeverName, target: string): Promise<number> {
  let act: (db: Parameters<typeof retryTask>[0]) => Promise<LeverResult>;
  try {
    if (lever === "resume") {
      const repo = parseRepoRef(target);
      act = (db) => resumeRepoLever(db, repo);
    } else {
      const ref = parseTaskRef(target);
      act = (db) => (lever === "retry" ? retryTask(db, ref) : cancelTask(db, ref));
    }
  } catch (error) {
    if (!(error instanceof RefError)) throw error;
    process.stderr.write(`fleet ${lever}: ${error.message}\n`);
    return 2;
  }
  const settings = loadSettings();
  const log = createLogger({ level: settings.logLevel, destination: 2 });
  const database = await openDatabase(settings, log, { share: true });
  try {
    const result = await act(database.db);
    if (result.ok) process.stdout.write(`${result.message}\n`);
    else process.stderr.write(`fleet ${lever}: ${result.message}\n`);
    return result.ok ? 0 : 1;
  } finally {
    await database.close();
  }
}
