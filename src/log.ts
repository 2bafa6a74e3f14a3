import { type DestinationStream, destination, type Logger, pino } from "pino";

/** Keys whose value is a credential wherever they sit. */
const SECRET_KEYS = [
  "token",
  "privateKey",
  "secret",
  "webhookSecret",
  "clientSecret",
  "password",
  "authorization",
  "cookie",
  "databaseUrl",
  "dashboardToken",
  "apiKey",
];

/** Runner environment variables that hold credentials, for a logged `env` object. */
const SECRET_ENV = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "FLEET_GIT_TOKEN",
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "GITHUB_CLIENT_SECRET",
  "DATABASE_URL",
  "FLEET_DASHBOARD_TOKEN",
];

/**
 * Paths pino blanks out, so no token, key or secret reaches a log line: each secret key at the
 * top and up to three objects down (an Octokit error's `err.request.headers.authorization`,
 * `err.response.data.token`), and the credential variables of a logged environment.
 */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
  ...SECRET_ENV.flatMap((name) => [`env.${name}`, `*.env.${name}`]),
];

export function createLogger(
  options: {
    level?: string;
    name?: string;
    destination?: 1 | 2;
    /** Write here instead of a file descriptor (tests capture lines this way). */
    stream?: DestinationStream;
  } = {},
): Logger {
  return pino(
    {
      name: options.name ?? "agent-fleet",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    options.stream ?? destination({ fd: options.destination ?? 1, sync: false }),
  );
}

/** Removes anything that looks like a credential from free text (agent stderr, git errors). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  // the key patterns scan base64 runs, so they run only where a key marker is
  if (out.includes("PRIVATE KEY-----")) {
    out = redactKeyTails(out.replace(PRIVATE_KEY, "[redacted]"));
  }
  return out
    .replace(/\b(gh[pousr]_[A-Za-z0-9]{16,})\b/g, "[redacted]")
    .replace(/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, "[redacted]")
    .replace(/(x-access-token:)[^@\s]+/g, "$1[redacted]")
    .replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, "$1[redacted]@")
    .replace(/\b(Bearer|token|Basic)\s+[A-Za-z0-9._~+/-]{16,}=*/gi, "$1 [redacted]");
}

// A whole PEM private key, or one cut short (a log tail can stop inside it).
const PRIVATE_KEY =
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const KEY_END = /-----END [A-Z ]*PRIVATE KEY-----/g;
const isBase64 = (c: string | undefined) => c !== undefined && /[A-Za-z0-9+/=]/.test(c);

/**
 * The end of a key whose first lines a log tail cut off: each END line goes, with the base64
 * lines (16 characters or more, real or `\n`-escaped line breaks) right above it. Walks back
 * from each END marker, never past the previous one, so the cost stays linear in the text.
 */
function redactKeyTails(text: string): string {
  let out = "";
  let from = 0;
  for (const end of text.matchAll(KEY_END)) {
    const base64Start = (at: number) => {
      let i = at;
      while (i > from && isBase64(text[i - 1]) && !(text[i - 1] === "n" && text[i - 2] === "\\")) {
        i--;
      }
      return i;
    };
    let start = base64Start(end.index);
    for (;;) {
      const brk = lineBreakBefore(text, start);
      if (brk === 0 || start - brk < from) break;
      const lineStart = base64Start(start - brk);
      if (start - brk - lineStart < 16) break;
      start = lineStart;
    }
    out += `${text.slice(from, start)}[redacted]`;
    from = end.index + end[0].length;
  }
  return out + text.slice(from);
}

/** Length of the line break (`\n`, `\r\n` or an escaped `\\n`) that ends just before `at`, or 0. */
function lineBreakBefore(text: string, at: number): number {
  if (text[at - 1] === "\n") return text[at - 2] === "\r" ? 2 : 1;
  return text.slice(at - 2, at) === "\\n" ? 2 : 0;
}
