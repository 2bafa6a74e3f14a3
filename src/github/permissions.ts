export type RepoRole = "admin" | "maintain" | "write" | "triage" | "read" | "none";

/**
 * GitHub's collaborator-permission answer carries a legacy `permission` (maintain shows as
 * "write", triage as "read") and a precise `role_name`; trust the role name when present.
 */
export function roleFromPermission(answer: { permission?: string; role_name?: string }): RepoRole {
  const role = answer.role_name ?? answer.permission ?? "none";
  switch (role) {
    case "admin":
    case "maintain":
    case "write":
    case "triage":
    case "read":
      return role;
    case "pull":
      return "read";
    case "push":
      return "write";
    default:
      return "none";
  }
}

const WRITERS: ReadonlySet<RepoRole> = new Set(["admin", "maintain", "write"]);

/** Only people who could push to the repo themselves may dispatch an agent that pushes. */
export function canTrigger(role: RepoRole): boolean {
  return WRITERS.has(role);
}

/**
 * A bot account: GitHub marks it with type Bot, and its login ends in `[bot]`. Either is enough,
 * so a payload that names a `[bot]` login with another type is still treated as a bot.
 */
export function isBotActor(sender: { login: string; type?: string }): boolean {
  return sender.type === "Bot" || sender.login.endsWith("[bot]");
}
