import nock from "nock";
import { describe, expect, it } from "vitest";
import { probotDashboardIssueGitHubFactory } from "../../src/github/dashboard-issue-github.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { testProbot } from "../helpers/probot.js";

strictNock();

const REPO = "/repos/acme/api";

async function client() {
  nock(API)
    .post("/app/installations/7/access_tokens")
    .reply(201, { token: "ghs_inst", expires_at: "2099-01-01T00:00:00Z" });
  return probotDashboardIssueGitHubFactory(testProbot()).forRepo(7, "acme/api");
}

describe("the dashboard issue over the REST API", () => {
  it("creates the issue with its title and body", async () => {
    const gh = await client();
    nock(API)
      .post(`${REPO}/issues`, { title: "agent-fleet dashboard", body: "hello" })
      .reply(201, { number: 31 });
    expect(await gh.createIssue("agent-fleet dashboard", "hello")).toBe(31);
  });

  it("rewrites the body and reopens the issue in one call", async () => {
    const gh = await client();
    nock(API)
      .patch(`${REPO}/issues/31`, { body: "new body", state: "open" })
      .reply(200, { number: 31 });
    expect(await gh.updateIssue(31, "new body")).toBe("updated");
  });

  it("tells a deleted or moved issue apart from other failures", async () => {
    const gh = await client();
    nock(API).patch(`${REPO}/issues/31`).reply(410, { message: "This issue was deleted" });
    expect(await gh.updateIssue(31, "b")).toBe("gone");
    nock(API).patch(`${REPO}/issues/32`).reply(404, { message: "Not Found" });
    expect(await gh.updateIssue(32, "b")).toBe("gone");
    nock(API).patch(`${REPO}/issues/33`).reply(500, { message: "oops" });
    await expect(gh.updateIssue(33, "b")).rejects.toMatchObject({ status: 500 });
  });

  it("closes the issue as not planned", async () => {
    const gh = await client();
    nock(API)
      .patch(`${REPO}/issues/31`, { state: "closed", state_reason: "not_planned" })
      .reply(200, { number: 31 });
    await gh.closeIssue(31);
  });
});
