import fc from "fast-check";
import { pino } from "pino";
import { Context, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { ConfigError } from "../../src/config/fleet-config.js";
import { fleetConfigSchema, parseFleetConfig } from "../../src/config/fleet-config.js";
import {
  checkFleetConfigText,
  fleetConfigJsonSchema,
  type LocatedConfigError,
} from "../../src/config/fleet-config-file.js";
import { loadFleetConfig } from "../../src/tasks/fleet-config-loader.js";

/**
 * fast-check prints the seed and path of a failing run; FC_SEED=<seed> FC_PATH=<path> replays
 * exactly that run. Without them each run draws a fresh seed.
 */
function runs(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED;
  const path = process.env.FC_PATH;
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

// The two ways a fleet.yml is read: `fleet config validate` (and doctor, and the config health
// check) take the text; the webhook handlers read it through Probot's `context.config`.

const OWNER = "fuzz-owner";
const REPO = "fuzz-repo";
const FILE_PATH = `/repos/${OWNER}/${REPO}/contents/.github%2Ffleet.yml`;

/** Probot's real config reader over a GitHub that holds `text` and nothing else, in process. */
function readThroughProbot(text: string): () => Promise<unknown> {
  const octokit = new ProbotOctokit({
    retry: { enabled: false },
    throttle: { enabled: false },
    request: {
      fetch: async (url: string) =>
        new URL(url).pathname === FILE_PATH
          ? new Response(text, { headers: { "content-type": "text/plain; charset=utf-8" } })
          : Response.json({ message: "Not Found" }, { status: 404 }),
    },
  });
  const event = {
    id: "fuzz",
    name: "issues",
    payload: { repository: { owner: { login: OWNER }, name: REPO } },
  } as unknown as ConstructorParameters<typeof Context>[0];
  const context = new Context(event, octokit, pino({ level: "silent" }));
  return () => context.config("fleet.yml");
}

/** Each problem names where it is and what is wrong, on one line. */
function expectReadable(errors: readonly (ConfigError | LocatedConfigError)[], text: string) {
  expect(errors.length).toBeGreaterThan(0);
  const lastLine = text.split("\n").length;
  for (const error of errors) {
    expect(error.path.trim(), JSON.stringify(error)).not.toBe("");
    expect(error.message.trim(), JSON.stringify(error)).not.toBe("");
    expect(error.message, JSON.stringify(error)).not.toMatch(/\[object |\n/);
    const line = "line" in error ? error.line : null;
    if (line !== null) {
      expect(Number.isInteger(line), JSON.stringify(error)).toBe(true);
      expect(line).toBeGreaterThanOrEqual(1);
      expect(line).toBeLessThanOrEqual(lastLine);
    }
  }
}

/**
 * The property of every input: neither reader throws; each gives a valid config or readable
 * errors; and a file `fleet config validate` passes is one the app accepts too.
 */
async function checkBothReaders(text: string): Promise<void> {
  const checked = checkFleetConfigText(text);
  if (checked.ok) {
    // doctor reads a checked file with yaml's parse: it must agree.
    expect(parseFleetConfig(parse(text)).ok).toBe(true);
  } else {
    expectReadable(checked.errors, text);
  }

  const loaded = await loadFleetConfig({ readFleetConfig: readThroughProbot(text) });
  if (loaded.ok) {
    expect(fleetConfigSchema.safeParse(loaded.config).success).toBe(true);
  } else {
    expectReadable(loaded.errors, text);
    expect(checked.ok, `validate passed what the app refuses: ${JSON.stringify(loaded)}`).toBe(
      false,
    );
  }
}

const property = (arbitrary: fc.Arbitrary<string>) => fc.asyncProperty(arbitrary, checkBothReaders);

// YAML's own punctuation, so random text often looks like YAML rather than prose.
const YAML_CHARS = [..."abz019 :-_[]{},&*!|>#'\"%@`?.\n\t\\/~"];
const yamlish = fc.string({ unit: fc.constantFrom(...YAML_CHARS), maxLength: 120 });

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const duration = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom("ms", "s", "m", "h"))
    .map(([n, unit]) => `${n}${unit}`),
  fc.integer({ min: 0, max: 86_400_000 }),
);
const positive = (max: number) => fc.integer({ min: 1, max });
const optionalKeys = { requiredKeys: [] as [] };

/** A fleet.yml the schema accepts: any subset of its keys, each with a value of its kind. */
const validConfig = fc.record(
  {
    _extends: fc.constantFrom(".github", "org/base", "org/base:fleet/base.yml"),
    trigger: fc.record(
      {
        label: word,
        allowBots: fc.array(
          word.map((w) => `${w}[bot]`),
          { maxLength: 3 },
        ),
      },
      optionalKeys,
    ),
    agent: fc.record(
      {
        adapter: fc.constantFrom("command", "claude-code", "codex", "aider"),
        command: fc.array(word, { minLength: 1, maxLength: 4 }),
        model: word,
        maxTurns: positive(500),
        env: fc.array(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), { maxLength: 3 }),
        timeout: duration,
        stallTimeout: duration,
        killGrace: duration,
        maxAttempts: fc.integer({ min: 1, max: 20 }),
        maxCostUsd: fc.double({ min: 0.01, max: 100, noNaN: true }),
        maxConcurrent: positive(100),
      },
      optionalKeys,
    ),
    retry: fc.record({ initial: duration, max: duration }, optionalKeys),
    policy: fc.record(
      {
        ignore: fc.array(
          word.map((w) => `**/${w}`),
          { maxLength: 3 },
        ),
        maxLines: positive(100_000),
        maxFiles: positive(1000),
        review: fc.record({ lines: positive(10_000), files: positive(100) }, optionalKeys),
        protectedPaths: fc.array(
          word.map((w) => `${w}/**`),
          { maxLength: 3 },
        ),
        codeownersProtected: fc.boolean(),
        reviewers: fc.array(word, { maxLength: 3 }),
        requiredChecks: fc.oneof(fc.constant("all"), fc.array(word, { maxLength: 3 })),
        autoMerge: fc.boolean(),
        mergeMethod: fc.constantFrom("squash", "merge", "rebase"),
        checksTimeout: duration,
        maxFixAttempts: fc.integer({ min: 0, max: 10 }),
        postMerge: fc.record({ timeout: duration }, optionalKeys),
      },
      optionalKeys,
    ),
    dashboard: fc.boolean(),
    report: fc.record(
      {
        post: fc.tuple(word, word).map(([owner, name]) => `${owner}/${name}`),
        at: fc
          .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
          .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`),
        window: duration,
        fileIssues: fc.boolean(),
      },
      optionalKeys,
    ),
    budget: fc.record({ dailyUsd: fc.double({ min: 0.01, max: 1000, noNaN: true }) }, optionalKeys),
  },
  optionalKeys,
);

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

/** Objects over the schema's real key names, nested as it nests them, holding anything. */
function overRealKeys(node: SchemaNode): fc.Arbitrary<unknown> {
  const anything = fc.anything({ maxDepth: 2, maxKeys: 3 });
  if (!node.properties) return anything;
  const model = Object.fromEntries(
    Object.entries(node.properties).map(([key, child]) => [
      key,
      fc.oneof(overRealKeys(child), anything),
    ]),
  );
  return fc.record(model, optionalKeys);
}

describe("fleet.yml from hostile input: no crash, a valid config or readable errors", () => {
  it("arbitrary text", async () => {
    await fc.assert(property(fc.oneof(fc.string({ maxLength: 200 }), yamlish)), runs(200));
  });

  it("valid documents cut short at any point", async () => {
    const whole = validConfig.map((config) => stringify(config));
    await fc.assert(
      fc.asyncProperty(whole, async (text) => {
        expect(checkFleetConfigText(text)).toEqual({ ok: true });
        const loaded = await loadFleetConfig({ readFleetConfig: readThroughProbot(text) });
        expect(loaded.ok, JSON.stringify(loaded)).toBe(true);
      }),
      runs(50),
    );
    const truncated = fc
      .tuple(whole, fc.nat())
      .map(([text, at]) => text.slice(0, at % (text.length + 1)));
    await fc.assert(property(truncated), runs(150));
  });

  it("random JSON values, written as YAML", async () => {
    await fc.assert(property(fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v))), runs(100));
  });

  it("the real key names with values of the wrong kind", async () => {
    const documents = overRealKeys(fleetConfigJsonSchema() as SchemaNode).map((v) => stringify(v));
    await fc.assert(property(documents), runs(150));
  });
});

describe("inputs that once crashed a reader", () => {
  it.each([
    ["an alias with no anchor", "trigger:\n  label: *nowhere\n", "(file)"],
    ["aliases past yaml's expansion limit", aliasBomb(), "(file)"],
    ["an alias inside its own anchor", "agent: &a\n  env: [*a]\n", null],
    ["an _extends Probot cannot follow", "_extends: not a repo!\n", "_extends"],
    ["an _extends that is not text", "_extends: 5\n", "_extends"],
  ])("%s", async (_, text, path) => {
    await checkBothReaders(text);
    const checked = checkFleetConfigText(text);
    expect(checked.ok).toBe(false);
    if (!checked.ok && path) expect(checked.errors.map((e) => e.path)).toContain(path);
  });

  it("an _extends that leads back to its own file is the app's error, not a crash", async () => {
    const text = `_extends: ${REPO}\n`;
    const loaded = await loadFleetConfig({ readFleetConfig: readThroughProbot(text) });
    expect(loaded).toEqual({
      ok: false,
      errors: [{ path: "_extends", message: "leads back to a file it extends" }],
    });
  });

  it.each([
    ["a blank key", "' ': 0\n", [['" "', 1]]],
    [
      "every unknown key, not the first alone",
      "foo: 1\nagent:\n  bar: 2\n",
      [
        ["foo", 1],
        ["agent.bar", 3],
      ],
    ],
    ["a key with a quote in it", "agent:\n  'time\"out': 1\n", [['agent."time\\"out"', 2]]],
    ["binary data, not a map of its methods", "!!binary aGVsbG8=\n", [["(root)", 1]]],
  ])("%s is named by its own path and line", async (_, text, expected) => {
    await checkBothReaders(text);
    const checked = checkFleetConfigText(text);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors.map((e) => [e.path, e.line])).toEqual(expected);
  });

  it("an alias without an anchor is reported on its line", () => {
    const checked = checkFleetConfigText("agent:\n  adapter: codex\n  model: *m\n");
    expect(checked).toEqual({
      ok: false,
      errors: [
        {
          path: "(file)",
          message: "invalid YAML: Unresolved alias (the anchor must be set before the alias): m",
          line: 3,
        },
      ],
    });
  });
});

/** Ten aliases of ten aliases of ... : a few lines that expand past yaml's alias limit. */
function aliasBomb(): string {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (const [prev, next] of [
    ["a", "b"],
    ["b", "c"],
    ["c", "d"],
  ] as const) {
    levels.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  return `${levels.join("\n")}\n`;
}
