/**
 * Loads `.env` from the working directory when there is one, the file Probot's setup flow writes
 * the app's credentials to. Variables already set in the environment win.
 */
export function loadEnvFile(path = ".env"): boolean {
  try {
    process.loadEnvFile(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new Error(`${path} could not be read: ${(error as Error).message}`);
  }
}
