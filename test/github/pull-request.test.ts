import nock from "nock";
import { describe, expect, it } from "vitest";
import { deliveryGitHub } from "../../src/github/octokit-github.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { testProbot } from "../helpers/probot.js";

strictNock();

async function client() {
  const probot = testProbot();
  // The installation client's own token (unscoped), fetched on its first request.
  nock(API)
    .post(
      "/app/installations/7/access_tokens",
      (body: { repositories?: unknown }) => !body?.repositories,
    )
    .optionally()
    .reply(201, { token: "ghs_inst", expires_at: "2099-01-01T00:00:00Z" });
  const [app, installation] = await Promise.all([probot.auth(), probot.auth(7)]);
  return deliveryGitHub(app, installation, 7, "acme/api");
}

const pr = { title: "Fix it", body: "Closes #4", head: "fleet/4-fix-it", base: "main" };

describe("opening the pull request", () => {
  it("returns the new PR", async () => {
    const gh = await client();
    nock(API)
      .post(
        "/repos/acme/api/pulls",
        (body: typeof pr) => body.head === pr.head && body.base === "main",
      )
      .reply(201, { number: 12, html_url: "https://github.example/acme/api/pull/12" });
    expect(await gh.createPullRequest(pr)).toEqual({
      number: 12,
      url: "https://github.example/acme/api/pull/12",
    });
  });

  it("carries on with the open PR an earlier attempt made for the same branch", async () => {
    const gh = await client();
    nock(API)
      .post("/repos/acme/api/pulls")
      .reply(422, {
        message: "Validation Failed",
        errors: [{ message: "A pull request already exists" }],
      });
    nock(API)
      .get("/repos/acme/api/pulls")
      .query({ head: "acme:fleet/4-fix-it", base: "main", state: "open" })
      .reply(200, [{ number: 9, html_url: "https://github.example/acme/api/pull/9" }]);
    expect(await gh.createPullRequest(pr)).toEqual({
      number: 9,
      url: "https://github.example/acme/api/pull/9",
    });
  });

  it("still fails on a 422 that no open PR explains", async () => {
    const gh = await client();
    nock(API).post("/repos/acme/api/pulls").reply(422, { message: "Validation Failed" });
    nock(API).get("/repos/acme/api/pulls").query(true).reply(200, []);
    await expect(gh.createPullRequest(pr)).rejects.toMatchObject({ status: 422 });
  });

  it("asks for a push token scoped to the one repository, with contents and PR write only", async () => {
    const gh = await client();
    let requested: unknown;
    nock(API)
      .post("/app/installations/7/access_tokens", (body: unknown) => {
        requested = body;
        return true;
      })
      .reply(201, { token: "ghs_scoped", expires_at: "2099-01-01T00:00:00Z" });
    expect(await gh.createPushToken()).toBe("ghs_scoped");
    expect(requested).toEqual({
      repositories: ["api"],
      permissions: { contents: "write", pull_requests: "write" },
    });
  });
});
