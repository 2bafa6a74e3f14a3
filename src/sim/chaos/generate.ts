import { Random } from "../prng.js";
import { type Scenario, scenarioSchema } from "../scenario.js";

/** How big a drawn night is. Times are simulated ms. */
export interface ChaosSize {
  repos: readonly [number, number];
  issues: readonly [number, number];
  /** Issues are labeled within this span from the start. */
  spanMs: number;
  runnerKills: readonly [number, number];
  serverKills: readonly [number, number];
  postgresRestarts: readonly [number, number];
  storms: readonly [number, number];
  /** Chance of a repo whose one merge breaks the default branch (reverted, repo paused). */
  fragileRepo: number;
  /** Chance that a killed runner stays away past its lease, so another takes its work over. */
  longRunnerOutage: number;
}

/** `npm run chaos`: a busy night, every kind of fault at least once. */
export const FULL_SIZE: ChaosSize = {
  repos: [2, 3],
  issues: [10, 20],
  spanMs: 12 * 60_000,
  runnerKills: [1, 2],
  serverKills: [1, 2],
  postgresRestarts: [1, 2],
  storms: [1, 3],
  fragileRepo: 0.5,
  longRunnerOutage: 0.4,
};

/** The CI suite: every kind of fault still, over fewer issues and a shorter night. */
export const SHORT_SIZE: ChaosSize = {
  repos: [2, 2],
  issues: [5, 7],
  spanMs: 4 * 60_000,
  runnerKills: [1, 1],
  serverKills: [1, 1],
  postgresRestarts: [1, 1],
  storms: [1, 1],
  fragileRepo: 0.3,
  longRunnerOutage: 0.3,
};

/** What a seed injects, for the per-run line. */
export interface PlannedFaults {
  runnerKills: number;
  serverKills: number;
  postgresRestarts: number;
  storms: number;
  apiFaultRate: number;
  webhookDrop: number;
  webhookDelay: number;
}

export interface ChaosPlan {
  seed: number;
  /** The scenario as a YAML-able object: `fleet simulate` can replay it as written. */
  source: Record<string, unknown>;
  scenario: Scenario;
  faults: PlannedFaults;
}

/** Every duration drawn is simulated time: at speed 60 a simulated minute lasts a real second. */
const SPEED = 60;
/**
 * A lease of 15 real seconds at speed 60: a runner restarted within it (down for at most a
 * minute, plus a few real seconds to start on a loaded machine) adopts its agents.
 */
const LEASE_MS = 15 * 60_000;
const SECOND = 1_000;
const MINUTE = 60_000;

const WRITERS = ["alice", "bob", "carol"] as const;
const NON_WRITER = "tina";
const COLLABORATORS = { alice: "write", bob: "maintain", carol: "admin", [NON_WRITER]: "triage" };
const REPO_NAMES = ["api", "web", "jobs", "docs"] as const;
const TITLES = [
  "Fix the flaky login test",
  "Add pagination to the users endpoint",
  "Rename the config loader",
  "Handle timeouts in the HTTP client",
  "Cache the session lookup",
  "Validate email addresses on signup",
  "Make the cleanup job idempotent",
  "Document the deploy script",
] as const;

/**
 * What an issue's agent does, attempt after attempt. Every story ends by itself: an agent that
 * hangs or ignores SIGTERM does it once, then the retry succeeds.
 */
const STORIES = {
  succeed: 30,
  slow: 6,
  noop: 8,
  fail: 5,
  "fail-then-succeed": 5,
  "crash-then-succeed": 10,
  "always-crash": 4,
  "stall-then-succeed": 8,
  "timeout-then-succeed": 2,
  "ignore-sigterm-then-succeed": 2,
  "red-ci-then-fixed": 6,
} as const;
type Story = keyof typeof STORIES;

const FLEET_CONFIG = (dashboard: boolean) =>
  [
    "agent: { stallTimeout: 4m, timeout: 10m, killGrace: 10s, maxAttempts: 4, maxConcurrent: 3 }",
    "retry: { initial: 20s, max: 1m }",
    "policy: { postMerge: { timeout: 10m } }",
    `dashboard: ${dashboard}`,
    "",
  ].join("\n");

/** Draws one night from a seed: the same seed draws the same scenario, everywhere. */
export function generateChaos(seed: number, size: ChaosSize = FULL_SIZE): ChaosPlan {
  const rng = new Random(seed);
  const seconds = (ms: number) => `${Math.round(ms / SECOND)}s`;
  const between = (min: number, max: number) => rng.int(min / SECOND, max / SECOND) * SECOND;

  // The faults first: what users do on GitHub is then kept out of PostgreSQL's outages.
  const { events, faults, clear } = drawFaultEvents(rng, size);
  const at = (ms: number) => seconds(clear(ms));

  const repoCount = rng.int(...size.repos);
  const repos = REPO_NAMES.slice(0, repoCount).map((name) => ({
    slug: `chaos/${name}`,
    files: { "README.md": `# ${name}\n` },
    fleetConfig: FLEET_CONFIG(rng.chance(0.5)),
    collaborators: { ...COLLABORATORS },
  }));

  const issues: Array<Record<string, unknown>> = [];
  const labeled: Array<{ repo: string; number: number; at: number }> = [];
  const issueCount = rng.int(...size.issues);
  for (let i = 0; i < issueCount; i++) {
    const repo = rng.pick(repos).slug;
    const number = issues.filter((x) => x.repo === repo).length + 1;
    const labelAt = between(0, size.spanMs);
    const story = rng.weighted(STORIES);
    const refused = rng.chance(0.08);
    // One label each: GitHub sends no `labeled` for a label already there, so a second one
    // delayed past the first task's end would be a new request, not a duplicate.
    const labels: Array<Record<string, unknown>> = [
      { name: "agent-ready", by: refused ? NON_WRITER : rng.pick(WRITERS), at: at(labelAt) },
    ];
    const issue: Record<string, unknown> = {
      repo,
      number,
      title: `${rng.pick(TITLES)} (${repo}#${number})`,
      labels,
      agent: agentSteps(rng, story, `notes/${repo.split("/")[1]}-${number}.txt`),
      ci: {
        pr: story === "red-ci-then-fixed" ? ["failure", "success"] : "success",
        postMerge: "success",
        duration: seconds(between(10 * SECOND, MINUTE)),
      },
    };
    // A writer changes their mind while the work may be under way.
    const withdrawAt = at(labelAt + between(10 * SECOND, 3 * MINUTE));
    const withdrawal = refused ? "none" : rng.weighted({ none: 82, unlabel: 9, close: 9 });
    if (withdrawal === "unlabel")
      labels.push({ remove: "agent-ready", by: labels[0]?.by, at: withdrawAt });
    if (withdrawal === "close") issue.close = { by: rng.pick(WRITERS), at: withdrawAt };
    issues.push(issue);
    if (!refused) labeled.push({ repo, number, at: labelAt });
  }
  addComments(rng, issues, labeled, clear);

  if (rng.chance(size.fragileRepo)) {
    // One merge that turns the default branch red: reverted, and the repo paused till a resume.
    repos.push({
      slug: "chaos/fragile",
      files: { "README.md": "# fragile\n" },
      fleetConfig: FLEET_CONFIG(false),
      collaborators: { ...COLLABORATORS },
    });
    issues.push({
      repo: "chaos/fragile",
      number: 1,
      title: "Change the deploy script",
      labels: [{ name: "agent-ready", by: rng.pick(WRITERS), at: at(between(0, size.spanMs)) }],
      agent: {
        behavior: "succeed",
        duration: seconds(between(20 * SECOND, MINUTE)),
        edit: { "deploy.sh": "exit 1\n" },
      },
      ci: { pr: "success", postMerge: "failure", duration: "20s" },
    });
  }

  const apiFaultRate = Number((0.02 + rng.float() * 0.06).toFixed(3));
  const webhookDrop = Number((0.02 + rng.float() * 0.06).toFixed(3));
  const webhookDelay = Number((0.05 + rng.float() * 0.15).toFixed(3));
  const source: Record<string, unknown> = {
    version: 3,
    name: `chaos-${seed}`,
    speed: SPEED,
    runner: { leaseTtl: seconds(LEASE_MS), concurrency: 4 },
    repos,
    issues,
    events,
    faults: {
      seed,
      api: {
        rate: apiFaultRate,
        kinds: ["500", "502", "secondary-rate-limit", "429", "timeout"],
      },
      webhooks: {
        drop: webhookDrop,
        delay: webhookDelay,
        maxDelay: seconds(between(20 * SECOND, MINUTE)),
      },
    },
  };
  return {
    seed,
    source,
    scenario: parseGenerated(source, seed),
    faults: { ...faults, apiFaultRate, webhookDrop, webhookDelay },
  };
}

function agentSteps(rng: Random, story: Story, file: string): Array<Record<string, unknown>> {
  const duration = () => `${rng.int(20, 180)}s`;
  const edit = (attempt: number) => ({ [file]: `${file}, attempt ${attempt}\n` });
  const succeed = (attempt: number) => ({
    behavior: "succeed",
    duration: duration(),
    edit: edit(attempt),
  });
  switch (story) {
    case "succeed":
      return [succeed(1)];
    case "slow":
      return [{ behavior: "slow", duration: `${rng.int(4, 7)}m`, edit: edit(1) }];
    case "noop":
      return [{ behavior: "noop", duration: duration() }];
    case "fail":
      return [{ behavior: "fail", duration: duration() }];
    case "fail-then-succeed":
      return [{ behavior: "fail", duration: duration() }, succeed(2)];
    case "crash-then-succeed":
      return [{ behavior: "crash", duration: duration() }, succeed(2)];
    case "always-crash":
      return [{ behavior: "crash", duration: duration() }];
    case "stall-then-succeed":
      return [{ behavior: "hang" }, succeed(2)];
    case "timeout-then-succeed":
      return [{ behavior: "busy" }, succeed(2)];
    case "ignore-sigterm-then-succeed":
      return [{ behavior: "ignore-sigterm" }, succeed(2)];
    case "red-ci-then-fixed":
      // The second attempt is the fix the red check asks for.
      return [succeed(1), succeed(2)];
  }
}

/** `/fleet status` from writers, and a `/fleet cancel` from someone who may not give it. */
function addComments(
  rng: Random,
  issues: Array<Record<string, unknown>>,
  labeled: ReadonlyArray<{ repo: string; number: number; at: number }>,
  clear: (ms: number) => number,
): void {
  const commentOn = (
    target: { repo: string; number: number; at: number },
    body: string,
    by: string,
  ) => {
    const issue = issues.find((i) => i.repo === target.repo && i.number === target.number);
    if (!issue) return;
    const at = `${Math.round(clear(target.at + rng.int(5, 120) * SECOND) / SECOND)}s`;
    issue.comment = [...((issue.comment as unknown[]) ?? []), { body, by, at }];
  };
  if (labeled.length === 0) return;
  for (let n = rng.int(1, 2); n > 0; n--)
    commentOn(rng.pick(labeled), "/fleet status", rng.pick(WRITERS));
  if (rng.chance(0.5)) commentOn(rng.pick(labeled), "/fleet cancel", NON_WRITER);
}

/**
 * The infrastructure faults, in windows that never overlap: a server or a runner started while
 * PostgreSQL is down could not start at all, which is an outage of the simulator, not a fault of
 * the fleet. `clear` moves a time out of PostgreSQL's outages: the simulator waits for GitHub's
 * answer to what a user does, and while the database is down that answer would hold back the
 * restart itself.
 */
function drawFaultEvents(rng: Random, size: ChaosSize) {
  type Kind = "runner" | "server" | "postgres";
  const runnerKills = rng.int(...size.runnerKills);
  const serverKills = rng.int(...size.serverKills);
  const postgresRestarts = rng.int(...size.postgresRestarts);
  const storms = rng.int(...size.storms);
  const kinds: Kind[] = [
    ...Array<Kind>(runnerKills).fill("runner"),
    ...Array<Kind>(serverKills).fill("server"),
    ...Array<Kind>(postgresRestarts).fill("postgres"),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j] as Kind, kinds[i] as Kind];
  }
  const s = (ms: number) => `${Math.round(ms / SECOND)}s`;
  const postgresDown: Array<{ from: number; to: number }> = [];
  const clear = (ms: number) => {
    let t = ms;
    for (const w of postgresDown)
      if (t >= w.from - 3 * SECOND && t <= w.to + 3 * SECOND) t = w.to + 3 * SECOND;
    return t;
  };
  const events: Array<Record<string, unknown>> = [{ "start-runner": "b", at: "0s" }];
  const runners = ["a", "b"];
  let killedRunners = 0;
  const runnerRestarts: Array<{ runner: string; at: number }> = [];
  let t = rng.int(30, 90) * SECOND;
  for (const kind of kinds) {
    if (kind === "runner") {
      const runner = runners[killedRunners++ % runners.length] as string;
      // Back within the lease (its agents are adopted), or long after (another runner takes over).
      const long = rng.chance(size.longRunnerOutage);
      const down = long ? rng.int(17, 20) * MINUTE : rng.int(20, 60) * SECOND;
      events.push({ "kill-runner": runner, at: s(t) });
      runnerRestarts.push({ runner, at: t + down });
      // A runner away for long overlaps what follows.
      t += (long ? rng.int(20, 60) * SECOND : down) + rng.int(20, 90) * SECOND;
    } else if (kind === "server") {
      const down = rng.int(20, 90) * SECOND;
      events.push({ "kill-server": { down: s(down) }, at: s(t) });
      t += down + rng.int(20, 90) * SECOND;
    } else {
      const down = rng.int(5, 40) * SECOND;
      events.push({ "restart-postgres": { down: s(down) }, at: s(t) });
      postgresDown.push({ from: t, to: t + down });
      t += down + rng.int(20, 90) * SECOND;
    }
  }
  // A runner registers in the database as it starts: never while PostgreSQL is down.
  for (const restart of runnerRestarts) {
    events.push({ "start-runner": restart.runner, at: s(clear(restart.at)) });
  }
  const end = Math.max(t, size.spanMs);
  for (let n = 0; n < storms; n++) {
    const at = clear(rng.int(0, end / SECOND) * SECOND);
    events.push({ "redeliver-storm": { count: rng.int(5, 30) }, at: s(at) });
  }
  return { events, clear, faults: { runnerKills, serverKills, postgresRestarts, storms } };
}

function parseGenerated(source: Record<string, unknown>, seed: number): Scenario {
  const parsed = scenarioSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(
      `chaos seed ${seed} drew an invalid scenario (a generator bug):\n${lines.join("\n")}`,
    );
  }
  return parsed.data;
}
