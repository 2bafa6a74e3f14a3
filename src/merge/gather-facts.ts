import type { PolicyConfig } from "../config/fleet-config.js";
import { canTrigger } from "../github/permissions.js";
import type {
  PullCheck,
  PullFile,
  PullGitHub,
  PullInfo,
  PullReview,
} from "../github/pull-github.js";
import { CODEOWNERS_PATHS, codeownersGlobs } from "../policies/codeowners.js";
import type { PullFacts } from "../policies/merge-decision.js";
import { linguistGenerated } from "../policies/size.js";
import { reviewersOnHead } from "./reviews.js";

export interface GatheredFacts {
  files: PullFile[];
  generated: string[];
  codeowners: string[];
  checks: PullCheck[];
  reviews: PullReview[];
  /** Reviewers on the current head who have write access. */
  writers: Set<string>;
}

/**
 * `.gitattributes` and CODEOWNERS are read from the base branch, not the PR's head: a PR must
 * not be able to mark its own files generated or drop its own paths' owners to pass the policy.
 */
async function readCodeowners(gh: PullGitHub, ref: string): Promise<string[]> {
  for (const path of CODEOWNERS_PATHS) {
    const text = await gh.readFile(path, ref);
    if (text !== null) return codeownersGlobs(text);
  }
  return [];
}

/** Everything the policy looks at for the PR's current head, read through the narrow client. */
export async function gatherPullFacts(
  gh: PullGitHub,
  pull: PullInfo,
  policy: PolicyConfig,
): Promise<GatheredFacts> {
  const [files, gitattributes, codeowners, checks, reviews] = await Promise.all([
    gh.listFiles(pull.number),
    gh.readFile(".gitattributes", pull.baseRef),
    policy.codeownersProtected ? readCodeowners(gh, pull.baseRef) : Promise.resolve([]),
    gh.checksFor(pull.headSha),
    gh.listReviews(pull.number),
  ]);
  const writers = new Set<string>();
  for (const login of reviewersOnHead(reviews, pull.headSha)) {
    if (canTrigger(await gh.roleOf(login))) writers.add(login);
  }
  return {
    files,
    generated: gitattributes === null ? [] : linguistGenerated(gitattributes),
    codeowners,
    checks,
    reviews,
    writers,
  };
}

/** The pure policy's input from the gathered facts and the writers' approvals. */
export function policyFacts(facts: GatheredFacts, approvedBy: readonly string[]): PullFacts {
  return {
    files: facts.files,
    generated: facts.generated,
    codeowners: facts.codeowners,
    checks: facts.checks,
    approvedBy,
    previousFilenames: facts.files.flatMap((f) => (f.previousFilename ? [f.previousFilename] : [])),
  };
}
