import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** app.yml sits beside src/ and dist/ at the package root, in a checkout and in the image. */
export const APP_MANIFEST = fileURLToPath(new URL("../../../app.yml", import.meta.url));

export interface AppManifest {
  events: string[];
  permissions: Record<string, string>;
}

export async function loadAppManifest(file = APP_MANIFEST): Promise<AppManifest> {
  const raw = parse(await readFile(file, "utf8")) as {
    default_events?: string[];
    default_permissions?: Record<string, string>;
  };
  return { events: raw.default_events ?? [], permissions: raw.default_permissions ?? {} };
}

const LEVELS = ["none", "read", "write", "admin"];
const rank = (level: string | undefined) => LEVELS.indexOf(level ?? "none");

/** What app.yml asks for that the registered app (GET /app) does not hold. */
export function missingFromApp(
  manifest: AppManifest,
  app: { permissions?: Record<string, string>; events?: string[] },
): string[] {
  const granted = app.permissions ?? {};
  const events = new Set(app.events ?? []);
  return [
    ...Object.entries(manifest.permissions)
      .filter(([name, level]) => rank(granted[name]) < rank(level))
      .map(([name, level]) => `${name}: ${level}`),
    ...manifest.events.filter((e) => !events.has(e)).map((e) => `the ${e} event`),
  ];
}
