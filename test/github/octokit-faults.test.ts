import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fleetGitHubClient, RATE_LIMIT_RETRIES } from "../../src/github/octokit-class.js";
import { appKeyPair } from "../../src/sim/app-keys.js";
import { type ApiFaultKind, type Emulator, startEmulator } from "../../src/sim/emulator/index.js";

/**
 * The app's own Octokit class against the emulator injecting faults: what GitHub fails once is
 * retried and succeeds; what keeps failing ends in an error thrown to the caller.
 */

const APP_ID = 31;
const ISSUE_ROUTE = "GET /repos/{owner}/{repo}/issues/{issue_number}";
const TOKEN_ROUTE = "POST /app/installations/{installation_id}/access_tokens";
const keys = appKeyPair();

let root: string;
let emulator: Emulator;
let installationId: number;
const logLines: string[] = [];

function appProbot(timeoutMs = 500): Probot {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  return new Probot({
    appId: APP_ID,
    privateKey: keys.privateKey,
    baseUrl: emulator.url,
    log: pino({ level: "warn" }, sink),
    // As the simulator runs the app: no write pacing, a short deadline on each answer.
    ...fleetGitHubClient({ pacing: false, timeoutMs }),
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "octokit-faults-"));
  emulator = await startEmulator({
    gitRoot: join(root, "remotes"),
    webhookSecret: randomBytes(16).toString("hex"),
    appId: APP_ID,
    appPublicKey: keys.publicKey,
    log: pino({ level: "silent" }),
  });
  const repo = await emulator.createRepo({ slug: "acme/api", files: { "README.md": "# api\n" } });
  installationId = repo.installationId;
  await emulator.createIssue({ repo: "acme/api", number: 1, title: "One", by: "alice" });
  // The emulator loads GitHub's description and compiles each route's schemas on first use
  // (seconds): not within any test's deadline.
  await getIssue(await appProbot(60_000).auth(installationId));
});

afterAll(async () => {
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.setFaults(null);
  logLines.length = 0;
});

const onlyApi = (kind: ApiFaultKind) => ({ seed: 1, api: { rate: 1, kinds: [kind] } });
const calls = (route: string) => emulator.stats().byRoute[route] ?? 0;
const getIssue = (octokit: Awaited<ReturnType<Probot["auth"]>>) =>
  octokit.request(ISSUE_ROUTE, { owner: "acme", repo: "api", issue_number: 1 });

/** Fails every request from now until the first failure is served, then lets them through. */
async function failOnce(kind: ApiFaultKind): Promise<void> {
  const before = emulator.faultStats().api[kind];
  emulator.setFaults(onlyApi(kind));
  const deadline = Date.now() + 10_000;
  while (emulator.faultStats().api[kind] === before) {
    if (Date.now() > deadline) throw new Error(`no ${kind} was served`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  emulator.setFaults(null);
}

describe("the app's Octokit class under GitHub faults", () => {
  it.each(["500", "502", "429", "secondary-rate-limit", "timeout"] as const)(
    "retries a request answered %s and succeeds",
    async (kind) => {
      const octokit = await appProbot().auth(installationId);
      await getIssue(octokit); // the installation token, fetched before the fault
      const before = calls(ISSUE_ROUTE);
      const call = getIssue(octokit);
      await failOnce(kind);
      const { data } = await call;
      expect(data.number).toBe(1);
      expect(calls(ISSUE_ROUTE) - before).toBe(2);
    },
  );

  it("retries a failed installation-token request with the call that needed it", async () => {
    const octokit = await appProbot().auth(installationId);
    const tokens = calls(TOKEN_ROUTE);
    const call = getIssue(octokit);
    await failOnce("502");
    const { data } = await call;
    expect(data.number).toBe(1);
    expect(calls(TOKEN_ROUTE) - tokens).toBe(2);
  });

  it("gives up on a rate limit that does not lift, with an error the caller gets and a log", async () => {
    const octokit = await appProbot().auth(installationId);
    await getIssue(octokit);
    const before = emulator.faultStats().api["secondary-rate-limit"];
    emulator.setFaults(onlyApi("secondary-rate-limit"));
    const error = await getIssue(octokit).then(
      () => null,
      (e: unknown) => e as { status?: number; message?: string },
    );
    emulator.setFaults(null);
    expect(error?.status).toBe(403);
    expect(error?.message).toMatch(/secondary rate limit/);
    expect(emulator.faultStats().api["secondary-rate-limit"] - before).toBe(1 + RATE_LIMIT_RETRIES);
    const log = logLines.join("");
    expect(log).toMatch(
      new RegExp(`secondary rate limit on GET \\S+: retry 1 of ${RATE_LIMIT_RETRIES} in 1 s`),
    );
    expect(log).toMatch(/secondary rate limit on GET \S+: giving up after 3 retries/);
  });
});
