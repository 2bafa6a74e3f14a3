/** Where GitHub looks for CODEOWNERS, in its order: the first file found is the one that counts. */
export const CODEOWNERS_PATHS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] as const;

const WILDCARD = /[*?[]/;

/**
 * Turns one CODEOWNERS pattern (gitignore-like) into picomatch globs:
 * - a leading `/`, or a `/` inside the pattern, anchors it at the repository root;
 * - a pattern without such a slash matches at any depth;
 * - a trailing `/` matches a directory, i.e. everything under it;
 * - a last segment without wildcards may name a file or a directory, so both are matched;
 * - `docs/*` matches direct children only, as GitHub documents it.
 */
export function codeownersPatternToGlobs(pattern: string): string[] {
  let body = pattern.startsWith("\\#") ? pattern.slice(1) : pattern;
  if (body === "*" || body === "/*" || body === "**" || body === "/**") return ["**"];
  const directory = body.endsWith("/");
  body = body.replace(/\/+$/, "");
  const anchored = body.startsWith("/") || body.includes("/");
  body = body.replace(/^\/+/, "");
  if (!body) return [];
  const base = anchored || body.startsWith("**/") ? body : `**/${body}`;
  if (directory) return [`${base}/**`];
  const last = body.split("/").pop() ?? "";
  if (last === "**") return [base];
  return WILDCARD.test(last) ? [base] : [base, `${base}/**`];
}

/**
 * The paths a CODEOWNERS file assigns to an owner, as picomatch globs. A line without owners
 * (which un-assigns a path in GitHub's last-match-wins reading) is left out, so a path is
 * never treated as less protected than the file meant.
 */
export function codeownersGlobs(text: string): string[] {
  const globs: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const tokens = line.split(/\s+/);
    const pattern = tokens[0];
    if (!pattern || pattern.startsWith("!")) continue;
    const owners = tokens.slice(1);
    const commentAt = owners.findIndex((t) => t.startsWith("#"));
    const named = commentAt === -1 ? owners : owners.slice(0, commentAt);
    if (named.length === 0) continue;
    for (const glob of codeownersPatternToGlobs(pattern)) {
      if (!globs.includes(glob)) globs.push(glob);
    }
  }
  return globs;
}
