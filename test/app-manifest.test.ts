import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadAppManifest } from "../src/ops/doctor/manifest.js";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

/** The app's own source; the emulator in src/sim plays GitHub and is not the app. */
async function appSources(): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(SRC, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !file.startsWith(join(SRC, "sim")));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, "utf8") })));
}

/** Event names of every `app.on(...)` subscription: "issues.labeled" counts as "issues". */
function subscribedEvents(text: string): string[] {
  const names: string[] = [];
  for (const call of text.matchAll(/app\.on\(\s*(\[[^\]]*\]|"[^"]+")/g)) {
    for (const name of (call[1] ?? "").matchAll(/"([a-z_]+)(?:\.[a-z_]+)?"/g)) {
      if (name[1]) names.push(name[1]);
    }
  }
  return names;
}

/** Every REST route the app calls, as written in `request(` and `paginate(`. */
function calledRoutes(text: string): string[] {
  return [
    ...text.matchAll(/(?:request|paginate)\(\s*"((?:GET|POST|PUT|PATCH|DELETE) [^"]+)"/g),
  ].map((m) => m[1] ?? "");
}

/** The permission each route needs; GET reads, anything else writes. A new route must be added. */
const ROUTE_PERMISSIONS: [RegExp, string | null][] = [
  [/^\/app\//, null], // the app's own JWT
  [/^\/repos\/\{owner\}\/\{repo\}\/installation$/, null],
  [/\/pulls\/\{pull_number\}\/merge$/, "contents"],
  [/\/issues\/comments\/\{comment_id\}\/reactions$/, "issues"],
  [/\/issues(\/|$)/, "issues"],
  [/\/pulls(\/|$)/, "pull_requests"],
  [/\/contents\//, "contents"],
  [/\/check-runs(\/|$)/, "checks"],
  [/\/commits\/\{ref\}\/status$/, "statuses"],
  [/\/collaborators\/\{username\}\/permission$/, "metadata"],
];

/** What receiving each event takes (GitHub delivers an event only with its permission). */
const EVENT_PERMISSIONS: Record<string, string> = {
  issues: "issues",
  issue_comment: "issues",
  pull_request: "pull_requests",
  pull_request_review: "pull_requests",
  check_run: "checks",
  check_suite: "checks",
  status: "statuses",
  push: "contents",
};

const LEVELS = ["read", "write", "admin"];
const covers = (granted: string | undefined, needed: string) =>
  granted !== undefined && LEVELS.indexOf(granted) >= LEVELS.indexOf(needed);

describe("app.yml", () => {
  it("subscribes to every event a handler listens to, and to no installation event", async () => {
    const manifest = await loadAppManifest();
    const subscribed = new Set((await appSources()).flatMap((s) => subscribedEvents(s.text)));
    expect(subscribed.size).toBeGreaterThan(5);
    expect(subscribed).toContain("issue_comment");
    for (const event of subscribed) expect(manifest.events, `event ${event}`).toContain(event);
    // GitHub delivers these to every app and rejects a manifest that lists them.
    expect(manifest.events).not.toContain("installation");
    expect(manifest.events).not.toContain("installation_repositories");
  });

  it("holds the permission each subscribed event needs", async () => {
    const manifest = await loadAppManifest();
    for (const event of manifest.events) {
      const permission = EVENT_PERMISSIONS[event];
      expect(permission, `no permission known for the ${event} event`).toBeDefined();
      if (permission) expect(covers(manifest.permissions[permission], "read"), event).toBe(true);
    }
  });

  it("holds the permission of every GitHub API route the app calls", async () => {
    const manifest = await loadAppManifest();
    const routes = new Set((await appSources()).flatMap((s) => calledRoutes(s.text)));
    expect(routes).toContain("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge");
    for (const route of routes) {
      const [method = "", path = ""] = route.split(" ");
      const rule = ROUTE_PERMISSIONS.find(([pattern]) => pattern.test(path));
      expect(rule, `add ${route} to ROUTE_PERMISSIONS`).toBeDefined();
      const permission = rule?.[1];
      if (!permission) continue;
      const needed = method === "GET" ? "read" : "write";
      expect(
        covers(manifest.permissions[permission], needed),
        `${route} needs ${permission}: ${needed}`,
      ).toBe(true);
    }
    // fleet.yml (context.config) and CODEOWNERS are read through the contents API; git pushes
    // fleet/ branches with a token scoped to contents and pull requests.
    expect(manifest.permissions.contents).toBe("write");
  });
});
