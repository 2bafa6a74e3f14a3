import { destination, type Logger, pino } from "pino";

/** Paths pino blanks out wherever they appear, so no token, key or secret reaches a log line. */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "*.*.token",
  "privateKey",
  "*.privateKey",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "env.GITHUB_TOKEN",
  "env.PRIVATE_KEY",
  "env.WEBHOOK_SECRET",
  "databaseUrl",
  "dashboardToken",
  "*.dashboardToken",
  "env.FLEET_DASHBOARD_TOKEN",
];

export function createLogger(
  options: { level?: string; name?: string; destination?: 1 | 2 } = {},
): Logger {
  return pino(
    {
      name: options.name ?? "agent-fleet",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination({ fd: options.destination ?? 1, sync: false }),
  );
}

/** Removes anything that looks like a credential from free text (agent stderr, git errors). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(/\b(gh[pousr]_[A-Za-z0-9]{16,})\b/g, "[redacted]")
    .replace(/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, "[redacted]")
    .replace(/(x-access-token:)[^@\s]+@/g, "$1[redacted]@")
    .replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, "$1[redacted]@")
    .replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
      "[redacted]",
    )
    .replace(/\b(Bearer|token)\s+[A-Za-z0-9._-]{16,}/gi, "$1 [redacted]");
}
