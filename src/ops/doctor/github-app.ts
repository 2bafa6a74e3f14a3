import { createPrivateKey } from "node:crypto";
import { getPrivateKey } from "@probot/get-private-key";
import type { Clock } from "../../config/clock.js";
import { appJwt } from "./app-jwt.js";
import { type AppManifest, missingFromApp } from "./manifest.js";
import type { CheckResult } from "./types.js";

const DEFAULT_API_URL = "https://api.github.com";
const SETUP_HINT =
  "run `npm start` without credentials and open http://localhost:3000 to register the app from app.yml (it writes .env)";

export function checkAppId(env: NodeJS.ProcessEnv): { result: CheckResult; appId?: number } {
  const text = env.APP_ID?.trim();
  if (!text) {
    return {
      result: {
        name: "GitHub App id",
        status: "fail",
        detail: "APP_ID is not set",
        hint: SETUP_HINT,
      },
    };
  }
  const appId = Number(text);
  if (!Number.isSafeInteger(appId) || appId < 1) {
    return {
      result: {
        name: "GitHub App id",
        status: "fail",
        detail: `APP_ID "${text}" is not a number`,
        hint: "APP_ID is the numeric App ID on the app's settings page",
      },
    };
  }
  return { result: { name: "GitHub App id", status: "pass", detail: `APP_ID ${appId}` }, appId };
}

/** PRIVATE_KEY (PEM, `\n` escapes or base64) or PRIVATE_KEY_PATH, read as Probot reads it. */
export function checkPrivateKey(env: NodeJS.ProcessEnv): { result: CheckResult; pem?: string } {
  const name = "GitHub App private key";
  let pem: string | null;
  try {
    pem = getPrivateKey({ env });
  } catch (error) {
    return {
      result: {
        name,
        status: "fail",
        detail: (error as Error).message.replace(/^\[@probot\/get-private-key\] /, ""),
        hint: "set PRIVATE_KEY to the .pem text, or PRIVATE_KEY_PATH to the file",
      },
    };
  }
  if (!pem) {
    return {
      result: {
        name,
        status: "fail",
        detail: "neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set",
        hint: SETUP_HINT,
      },
    };
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") {
      return {
        result: {
          name,
          status: "fail",
          detail: `a ${key.asymmetricKeyType} key; GitHub Apps sign with RSA`,
          hint: "generate a private key on the app's settings page",
        },
      };
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return {
      result: { name, status: "pass", detail: `RSA, ${bits} bits, ${keySource(env)}` },
      pem,
    };
  } catch (error) {
    return {
      result: {
        name,
        status: "fail",
        detail: `does not parse: ${(error as Error).message}`,
        hint: "copy the whole .pem file, BEGIN and END lines included",
      },
    };
  }
}

function keySource(env: NodeJS.ProcessEnv): string {
  if (env.PRIVATE_KEY) return "from PRIVATE_KEY";
  if (env.PRIVATE_KEY_PATH) return `from ${env.PRIVATE_KEY_PATH}`;
  return "from the .pem file in the working directory";
}

export function checkWebhookSecret(env: NodeJS.ProcessEnv): CheckResult {
  return env.WEBHOOK_SECRET?.trim()
    ? { name: "webhook secret", status: "pass", detail: "WEBHOOK_SECRET is set" }
    : {
        name: "webhook secret",
        status: "fail",
        detail: "WEBHOOK_SECRET is not set",
        hint: "set it to the webhook secret on the app's settings page",
      };
}

interface AppResponse {
  id?: number;
  slug?: string;
  permissions?: Record<string, string>;
  events?: string[];
}

/**
 * `GET /app` with the app's JWT: proves the id and key belong together and the API answers.
 * Also compares what the app was granted with what app.yml asks for.
 */
export async function checkGitHubApi(input: {
  env: NodeJS.ProcessEnv;
  appId: number;
  privateKey: string;
  clock: Clock;
  manifest: AppManifest | undefined;
}): Promise<CheckResult[]> {
  const name = "GitHub API";
  const base = (input.env.GITHUB_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${base}/app`, {
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${appJwt(input.appId, input.privateKey, input.clock.now())}`,
        "user-agent": "agent-fleet-doctor",
        "x-github-api-version": "2022-11-28",
      },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    return [
      {
        name,
        status: "fail",
        detail: `GET ${base}/app failed: ${cause}`,
        hint: "check GITHUB_API_URL and this host's network access",
      },
    ];
  }
  const body = (await response.json().catch(() => ({}))) as AppResponse & { message?: string };
  if (!response.ok) {
    return [
      {
        name,
        status: "fail",
        detail: `GET ${base}/app answered ${response.status}${body.message ? `: ${body.message}` : ""}`,
        hint:
          response.status === 401
            ? "APP_ID and the private key do not belong together, or this host's clock is off"
            : "check GITHUB_API_URL",
      },
    ];
  }
  if (body.id !== input.appId) {
    return [
      {
        name,
        status: "fail",
        detail: `GET ${base}/app answered for app ${body.id}, not APP_ID ${input.appId}`,
        hint: "APP_ID and the private key belong to different apps",
      },
    ];
  }
  const results: CheckResult[] = [
    { name, status: "pass", detail: `app "${body.slug ?? "?"}" (id ${body.id}) at ${base}` },
  ];
  if (input.manifest) {
    const missing = missingFromApp(input.manifest, body);
    results.push(
      missing.length === 0
        ? {
            name: "app permissions",
            status: "pass",
            detail: "every permission and event of app.yml",
          }
        : {
            name: "app permissions",
            status: "warn",
            detail: `the app lacks ${missing.join(", ")}`,
            hint: "grant them in the app's settings (Permissions & events), then accept them on each installation",
          },
    );
  }
  return results;
}
