import { describe, expect, it } from "vitest";
import { canTrigger, isBotActor, roleFromPermission } from "../../src/github/permissions.js";

describe("who may trigger an agent", () => {
  it.each([
    [{ permission: "admin", role_name: "admin" }, "admin", true],
    [{ permission: "write", role_name: "maintain" }, "maintain", true],
    [{ permission: "write", role_name: "write" }, "write", true],
    [{ permission: "read", role_name: "triage" }, "triage", false],
    [{ permission: "read", role_name: "read" }, "read", false],
    [{ permission: "none" }, "none", false],
    [{ permission: "push" }, "write", true],
    [{ permission: "pull" }, "read", false],
    [{ permission: "write", role_name: "custom-role" }, "none", false],
    [{}, "none", false],
  ])("%j is %s (trigger: %s)", (answer, role, allowed) => {
    expect(roleFromPermission(answer)).toBe(role);
    expect(canTrigger(roleFromPermission(answer))).toBe(allowed);
  });
});

describe("bots", () => {
  it.each([
    [{ login: "renovate[bot]", type: "Bot" }, true],
    [{ login: "sneaky[bot]", type: "User" }, true],
    [{ login: "agent-fleet", type: "Bot" }, true],
    [{ login: "octocat", type: "User" }, false],
    [{ login: "bot-fan", type: "User" }, false],
  ])("%o is a bot: %s", (sender, expected) => {
    expect(isBotActor(sender)).toBe(expected);
  });
});
