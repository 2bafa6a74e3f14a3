import { access, chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Pushes reach the bare repos with plain `git push` over file:// URLs, so the emulator learns
 * about them the way a git server does: a post-receive hook. It POSTs git's own "old new ref"
 * lines to the emulator's loopback server and waits for the answer, so `git push` returns only
 * once the emulator has recorded the push (webhooks are queued, never awaited, by then).
 */

export const PUSH_PATH = "/_emulator/push";
export const PUSH_SECRET_HEADER = "x-emulator-push-secret";
export const PUSH_REPO_HEADER = "x-emulator-repo";

export interface RefUpdate {
  before: string;
  after: string;
  /** Full ref name, e.g. refs/heads/main. */
  ref: string;
}

export interface HookTarget {
  /** The emulator's base URL, http://127.0.0.1:<port>. */
  url: string;
  secret: string;
  repo: string;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * bash talks HTTP through /dev/tcp and starts in milliseconds, where node takes a few hundred;
 * every push pays that, so node is only the fallback for hosts without bash.
 */
export async function installPushHook(
  gitDir: string,
  target: HookTarget,
  opts: { runtime?: "bash" | "node" } = {},
): Promise<void> {
  const runtime = opts.runtime ?? ((await exists("/bin/bash")) ? "bash" : "node");
  const hook = join(gitDir, "hooks", "post-receive");
  if (runtime === "bash") {
    await writeFile(hook, bashHook(target));
  } else {
    const script = join(gitDir, "hooks", "emulator-push.mjs");
    await writeFile(script, nodeHook(target));
    // The pusher's NODE_OPTIONS (a test runner's loader, say) has nothing to do with the hook.
    await writeFile(
      hook,
      `#!/bin/sh\nNODE_OPTIONS= exec ${shellQuote(process.execPath)} ${shellQuote(script)}\n`,
    );
  }
  await chmod(hook, 0o755);
}

function bashHook(target: HookTarget): string {
  const { hostname, port } = new URL(target.url);
  return `#!/bin/bash
# Tells the GitHub emulator which refs this push moved; post-receive cannot refuse a push.
# Builtins only: the pusher's PATH may be anything.
export LC_ALL=C
body=""
while IFS= read -r line; do body+="$line"$'\n'; done
exec 3<>/dev/tcp/${hostname}/${port} || { echo "emulator: push not recorded" >&2; exit 0; }
printf 'POST ${PUSH_PATH} HTTP/1.1\\r\\nHost: ${hostname}:${port}\\r\\n${PUSH_SECRET_HEADER}: %s\\r\\n${PUSH_REPO_HEADER}: %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' \\
  ${shellQuote(target.secret)} ${shellQuote(target.repo)} "\${#body}" "$body" >&3
# Waiting for the status line is what makes the push wait for the emulator.
read -r -t 60 status <&3
case "$status" in
  "HTTP/1.1 2"*) ;;
  *) echo "emulator: push not recorded ($status)" >&2 ;;
esac
exec 3<&-
`;
}

function nodeHook(target: HookTarget): string {
  const config = JSON.stringify({
    url: `${target.url}${PUSH_PATH}`,
    headers: {
      "content-type": "text/plain",
      [PUSH_SECRET_HEADER]: target.secret,
      [PUSH_REPO_HEADER]: target.repo,
    },
  });
  return `// Tells the GitHub emulator which refs this push moved; post-receive cannot refuse a push.
import { request } from "node:http";
const config = ${config};
let body = "";
for await (const chunk of process.stdin) body += chunk;
await new Promise((done) => {
  const req = request(config.url, { method: "POST", headers: config.headers }, (res) => {
    if (res.statusCode >= 300) console.error(\`emulator: push not recorded (\${res.statusCode})\`);
    res.resume();
    res.on("end", done);
  });
  req.on("error", (error) => {
    console.error(\`emulator: push not recorded (\${error.message})\`);
    done();
  });
  req.end(body);
});
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Parses git's post-receive input, "<old> <new> <ref>" per line; undefined when malformed. */
export function parseRefUpdates(text: string): RefUpdate[] | undefined {
  const sha = /^[0-9a-f]{40}$/;
  const updates: RefUpdate[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const [before = "", after = "", ref = ""] = line.trim().split(" ");
    if (!sha.test(before) || !sha.test(after) || !ref.startsWith("refs/")) return undefined;
    updates.push({ before, after, ref });
  }
  return updates;
}
