import { randomUUID } from "node:crypto";
import examples from "@octokit/webhooks-examples";
import nock from "nock";
import type { Probot } from "probot";
import { beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../src/config/clock.js";
import { createFleetConfigCache } from "../../src/github/fleet-config-cache.js";
import { fleetApp } from "../../src/handlers/index.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { issuesPayload } from "../helpers/payloads.js";
import { testProbot } from "../helpers/probot.js";
import { useTestDatabase } from "../support/db.js";

const REPO = "/repos/Codertocat/Hello-World";
const CONFIG_PATH = "/contents/.github%2Ffleet.yml";
const TTL_MS = 60_000;

const database = useTestDatabase({ truncate: ["events", "tasks", "repo_states"] });
let probot: Probot;
/** The cache's time, moved by hand. */
let now: number;

strictNock();

beforeEach(async () => {
  now = 1_000_000;
  const clock: Clock = { now: () => now, scale: (ms) => ms, sleep: async () => {} };
  probot = testProbot();
  const configCache = createFleetConfigCache({ clock, ttlMs: TTL_MS });
  await probot.load(fleetApp({ db: database.db, configCache }));
  nock(API)
    .post("/app/installations/4242/access_tokens")
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: {} });
});

/** One read of the repo's fleet.yml from GitHub (a trigger label that is not the default). */
function fleetConfigRead() {
  return nock(API)
    .get(`${REPO}${CONFIG_PATH}`)
    .reply(200, "trigger: { label: fleet-go }\n", { "content-type": "text/plain; charset=utf-8" });
}

/** A label the repository's fleet.yml does not trigger on: it costs the config read and no more. */
async function ignoredLabel(number: number) {
  await probot.receive({
    id: randomUUID(),
    name: "issues",
    payload: issuesPayload("labeled", { label: "agent-ready", number }),
  } as Parameters<Probot["receive"]>[0]);
}

type PushExample = Record<string, unknown> & {
  ref: string;
  after: string;
  commits: Array<Record<string, unknown>>;
  repository: Record<string, unknown>;
};

const PUSH_EXAMPLE = (examples as unknown as { name: string; examples: PushExample[] }[]).find(
  (e) => e.name === "push",
)?.examples[0] as PushExample;
/** The commit the push example ends at: the health check reads the pushed file there. */
const PUSHED_SHA = PUSH_EXAMPLE.after;

/** A real push payload to Codertocat/Hello-World, changing `files` on `branch`. */
async function push(branch: string, files: string[], repo = "Codertocat/Hello-World") {
  const payload = structuredClone(PUSH_EXAMPLE);
  const [owner = "", name = ""] = repo.split("/");
  payload.ref = `refs/heads/${branch}`;
  payload.repository = {
    ...payload.repository,
    name,
    full_name: repo,
    owner: { ...(payload.repository.owner as object), login: owner, name: owner },
    default_branch: "master",
  };
  payload.installation = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uNDI0Mg==" };
  payload.forced = false;
  payload.commits = [{ ...payload.commits[0], added: [], removed: [], modified: files }];
  await probot.receive({ id: randomUUID(), name: "push", payload } as Parameters<
    Probot["receive"]
  >[0]);
}

describe("the fleet.yml cache", () => {
  it("reads a repository's fleet.yml once for many events", async () => {
    fleetConfigRead();
    await ignoredLabel(1);
    await ignoredLabel(2);
    await ignoredLabel(3);
    // strictNock fails the test on a second read: none was expected.
  });

  it("reads it again after a push to the default branch that changes it", async () => {
    fleetConfigRead();
    await ignoredLabel(1);
    // The push itself checks the new file at its commit for the configuration health.
    nock(API)
      .get(`${REPO}${CONFIG_PATH}`)
      .query({ ref: PUSHED_SHA })
      .reply(200, "trigger: { label: fleet-go }\n", { "content-type": "text/plain" });
    await push("master", [".github/fleet.yml"]);
    const reread = fleetConfigRead();
    await ignoredLabel(2);
    expect(reread.isDone()).toBe(true);
  });

  it("keeps it across pushes that cannot have changed it", async () => {
    fleetConfigRead();
    await ignoredLabel(1);
    await push("master", ["README.md"]);
    await push("feature", [".github/fleet.yml"]);
    await ignoredLabel(2);
  });

  it("forgets it when the owner's .github repository changes its fleet.yml", async () => {
    fleetConfigRead();
    await ignoredLabel(1);
    nock(API)
      .get(`/repos/Codertocat/.github${CONFIG_PATH}`)
      .query({ ref: PUSHED_SHA })
      .reply(200, "agent: { timeout: 1h }\n", { "content-type": "text/plain" });
    await push("master", [".github/fleet.yml"], "Codertocat/.github");
    const reread = fleetConfigRead();
    await ignoredLabel(2);
    expect(reread.isDone()).toBe(true);
  });

  it("reads it again once the TTL has passed", async () => {
    fleetConfigRead();
    await ignoredLabel(1);
    now += TTL_MS - 1;
    await ignoredLabel(2);
    now += 2;
    const reread = fleetConfigRead();
    await ignoredLabel(3);
    expect(reread.isDone()).toBe(true);
  });

  it("does not keep a failed read: the next event tries again", async () => {
    nock(API).get(`${REPO}${CONFIG_PATH}`).reply(404, { message: "Not Found" });
    nock(API).get(`/repos/Codertocat/.github${CONFIG_PATH}`).reply(403, { message: "Forbidden" });
    await expect(ignoredLabel(1)).rejects.toThrow();
    const reread = fleetConfigRead();
    await ignoredLabel(2);
    expect(reread.isDone()).toBe(true);
  });
});
