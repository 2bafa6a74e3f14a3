/** The only refs the fleet may push: its own branches. */
export const FLEET_REF_PREFIX = "refs/heads/fleet/";

export class PushRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PushRefusedError";
  }
}

// Options that change nothing about where a push lands. Anything else (--all, --mirror, --tags,
// --repo, --receive-pack, a push option...) is refused rather than understood.
const HARMLESS_OPTIONS = new Set([
  "--no-verify",
  "--quiet",
  "-q",
  "--force",
  "-f",
  "--atomic",
  "--porcelain",
  "--dry-run",
  "-n",
  "--verbose",
  "-v",
  "--progress",
  "--no-progress",
]);

// Only git's own subcommands that move refs on a remote; anything else is not a push.
const OTHER_PUSHERS = new Set(["send-pack", "http-push"]);

/**
 * Every git command the runner runs passes here: a push must name each destination as a full
 * ref under refs/heads/fleet/, never the default branch, or nothing is sent. A bug upstream that
 * hands in another branch ends in a clear error instead of a write to someone else's branch.
 */
export function guardGitCommand(args: readonly string[], opts: { defaultBranch?: string } = {}) {
  const at = subcommandIndex(args);
  if (at === -1) return;
  const command = args[at];
  if (command !== undefined && OTHER_PUSHERS.has(command)) {
    throw new PushRefusedError(`refusing git ${command}: the fleet pushes only with git push`);
  }
  if (command !== "push") return;
  const globals = args.slice(0, at);
  if (!globals.every((arg, i) => (i % 2 === 0 ? arg === "-c" || arg === "-C" : true))) {
    throw new PushRefusedError(
      `refusing git push with global options ${JSON.stringify(globals)}: only -c and -C are allowed`,
    );
  }
  assertFleetPush(args.slice(at + 1), opts);
}

/** Checks the arguments that follow `push`. Throws PushRefusedError; returns the destinations. */
export function assertFleetPush(
  pushArgs: readonly string[],
  opts: { defaultBranch?: string } = {},
): string[] {
  const positional: string[] = [];
  const leased: string[] = [];
  let optionsEnded = false;
  for (const arg of pushArgs) {
    if (optionsEnded || !arg.startsWith("-")) positional.push(arg);
    else if (arg === "--") optionsEnded = true;
    else if (arg.startsWith("--force-with-lease=")) leased.push(leaseRef(arg));
    else if (!HARMLESS_OPTIONS.has(arg)) {
      throw new PushRefusedError(`refusing git push with option ${arg}`);
    }
  }
  const [, ...refspecs] = positional;
  if (refspecs.length === 0) {
    throw new PushRefusedError(
      "refusing git push without an explicit refspec: its destination would come from config",
    );
  }
  const destinations = refspecs.map(destinationOf);
  for (const ref of [...destinations, ...leased]) assertFleetRef(ref, opts.defaultBranch);
  return destinations;
}

/** Throws unless `ref` is a full branch ref under refs/heads/fleet/ and not the default branch. */
export function assertFleetRef(ref: string, defaultBranch?: string): void {
  if (defaultBranch !== undefined && ref === `refs/heads/${defaultBranch}`) {
    throw new PushRefusedError(`refusing to push to ${ref}: it is the default branch`);
  }
  const rest = ref.slice(FLEET_REF_PREFIX.length);
  const wellFormed =
    ref.startsWith(FLEET_REF_PREFIX) &&
    /^[A-Za-z0-9._/-]+$/.test(rest) &&
    !rest.split("/").some((part) => part === "" || part.startsWith(".") || part.endsWith(".lock"));
  if (!wellFormed || rest.includes("..") || rest.endsWith(".")) {
    throw new PushRefusedError(
      `refusing to push to ${JSON.stringify(ref)}: the fleet pushes only to branches under fleet/`,
    );
  }
}

function destinationOf(refspec: string): string {
  const spec = refspec.startsWith("+") ? refspec.slice(1) : refspec;
  const colon = spec.lastIndexOf(":");
  if (spec.startsWith("^") || colon === -1) {
    throw new PushRefusedError(
      `refusing git push ${JSON.stringify(refspec)}: the refspec must name its destination (src:refs/heads/fleet/...)`,
    );
  }
  return spec.slice(colon + 1);
}

/** --force-with-lease=<ref>[:<expect>]: a short name means a branch, as git reads it. */
function leaseRef(arg: string): string {
  const value = arg.slice("--force-with-lease=".length);
  const colon = value.indexOf(":");
  const ref = colon === -1 ? value : value.slice(0, colon);
  return ref.startsWith("refs/") ? ref : `refs/heads/${ref}`;
}

// git's global options that take their value as the next argument.
const GLOBALS_WITH_VALUE = new Set([
  "-c",
  "-C",
  "--git-dir",
  "--work-tree",
  "--namespace",
  "--config-env",
  "--super-prefix",
  "--attr-source",
]);

/** Where git's subcommand sits, after its global options. */
function subcommandIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (GLOBALS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith("-")) return i;
  }
  return -1;
}
