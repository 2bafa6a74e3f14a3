import nock from "nock";
import { describe, expect, it } from "vitest";
import { deliveryGitHub } from "../../src/github/octokit-github.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { testProbot } from "../helpers/probot.js";

strictNock();

/** The runner's GitHub client for one repository, as the runner builds it. */
async function delivery(installationId: number, repoFullName: string) {
  const probot = testProbot();
  // the installation client's own unscoped token, fetched only if it makes a request
  nock(API)
    .post(
      `/app/installations/${installationId}/access_tokens`,
      (body: { repositories?: unknown }) => !body?.repositories,
    )
    .optionally()
    .reply(201, { token: "ghs_installationWide", expires_at: "2099-01-01T00:00:00Z" });
  const [app, installation] = await Promise.all([probot.auth(), probot.auth(installationId)]);
  return deliveryGitHub(app, installation, installationId, repoFullName);
}

describe("the runner's push token", () => {
  it.each([
    [7, "acme/api", "api"],
    [12, "other-org/site.github.io", "site.github.io"],
  ])(
    "installation %i asks for %s only, with contents and pull requests write",
    async (installationId, repoFullName, name) => {
      const gh = await delivery(installationId, repoFullName);
      const bodies: unknown[] = [];
      nock(API)
        .post(`/app/installations/${installationId}/access_tokens`, (body: unknown) => {
          bodies.push(body);
          return true;
        })
        .reply(201, { token: "ghs_scopedToOneRepo", expires_at: "2099-01-01T00:00:00Z" });
      expect(await gh.createPushToken()).toBe("ghs_scopedToOneRepo");
      // exactly this body: one repository by name, two permissions, nothing else
      expect(bodies).toEqual([
        { repositories: [name], permissions: { contents: "write", pull_requests: "write" } },
      ]);
    },
  );

  it("is fetched with the app's own JWT, not with an installation token", async () => {
    const gh = await delivery(7, "acme/api");
    // a request with any other authorization matches nothing and fails the test
    nock(API)
      .matchHeader("authorization", /^bearer [\w-]+\.[\w-]+\.[\w-]+$/i)
      .post("/app/installations/7/access_tokens", (body: { repositories?: unknown }) =>
        Array.isArray(body?.repositories),
      )
      .reply(201, { token: "ghs_scopedToOneRepo", expires_at: "2099-01-01T00:00:00Z" });
    expect(await gh.createPushToken()).toBe("ghs_scopedToOneRepo");
  });
});
