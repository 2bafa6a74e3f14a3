import { runningEmbeddedUrl } from "../../db/embedded.js";
import { checkAgents } from "./agents.js";
import { checkDatabase } from "./database.js";
import { checkDisk } from "./disk.js";
import { checkGit } from "./git.js";
import { checkAppId, checkGitHubApi, checkPrivateKey, checkWebhookSecret } from "./github-app.js";
import { loadAppManifest } from "./manifest.js";
import type { CheckResult, DoctorInput } from "./types.js";

export type { CheckResult, CheckStatus, DoctorInput } from "./types.js";

const needsSettings = (name: string): CheckResult => ({
  name,
  status: "skip",
  detail: "needs valid settings",
});

/** Every check, in the order an operator fixes things: settings, database, GitHub, host. */
export async function runDoctor(input: DoctorInput): Promise<CheckResult[]> {
  const around = input.around ?? ((_label, work) => work());
  const { env, settings } = input;
  const results: CheckResult[] = [];
  if (input.settingsError) {
    results.push({
      name: "settings",
      status: "fail",
      detail: input.settingsError,
      hint: "every variable is described in .env.example",
    });
  }

  // Without DATABASE_URL, the embedded server a running fleet holds is checked as it is.
  const url =
    settings?.databaseUrl ?? (settings ? await runningEmbeddedUrl(settings.pgDir) : undefined);
  if (!settings) results.push(needsSettings("database"), needsSettings("migrations"));
  else if (!url) {
    results.push(
      {
        name: "database",
        status: "skip",
        detail: `no DATABASE_URL: an embedded PostgreSQL in ${settings.pgDir} starts with the fleet`,
      },
      { name: "migrations", status: "skip", detail: "applied when the fleet starts" },
    );
  } else {
    results.push(
      ...(await around("checking the database", () => checkDatabase(url, input.migrationsFolder))),
    );
  }

  const appId = checkAppId(env);
  const key = checkPrivateKey(env);
  results.push(appId.result, key.result);
  if (appId.appId !== undefined && key.pem !== undefined) {
    const [id, pem] = [appId.appId, key.pem];
    const manifest = await loadAppManifest().catch(() => undefined);
    results.push(
      ...(await around("calling GET /app", () =>
        checkGitHubApi({ env, appId: id, privateKey: pem, clock: input.clock, manifest }),
      )),
    );
  } else {
    results.push({ name: "GitHub API", status: "skip", detail: "needs APP_ID and a private key" });
  }
  results.push(checkWebhookSecret(env));

  results.push(
    ...(await checkAgents({
      env,
      defaultAgentCommand: settings?.defaultAgentCommand,
      agent: input.agent,
    })),
  );
  results.push(
    settings ? await checkDisk(settings.dataDir, input.minFreeBytes) : needsSettings("disk space"),
  );
  results.push(await checkGit(env));
  return results;
}

export function doctorPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== "fail");
}

const MARK = { pass: "pass", fail: "FAIL", warn: "warn", skip: "skip" } as const;

/** One line per check, then a hint line under each that did not pass, then a summary. */
export function formatDoctor(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.hint && (r.status === "fail" || r.status === "warn")) {
      lines.push(`      ${" ".repeat(width)}  hint: ${r.hint}`);
    }
  }
  const count = (status: CheckResult["status"]) =>
    results.filter((r) => r.status === status).length;
  const failed = count("fail");
  lines.push(
    "",
    `${failed === 0 ? "ok" : "not ready"}: ${count("pass")} passed, ${failed} failed, ${count("warn")} warnings, ${count("skip")} skipped`,
  );
  return lines.join("\n");
}
