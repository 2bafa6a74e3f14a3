import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { describe, expect, it } from "vitest";
import { fleetOctokitClass } from "../../src/github/octokit-class.js";
import { routeTemplate } from "../../src/metrics/github-requests.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { TEST_PRIVATE_KEY } from "../helpers/keys.js";
import { moved, readRegistry } from "./support/scrape.js";

strictNock();

const REQUESTS = "fleet_github_requests_total";
const TOKEN_ROUTE = "POST /app/installations/{installation_id}/access_tokens";
const PULL_ROUTE = "GET /repos/{owner}/{repo}/pulls/{pull_number}";

/** An installation client of the app's own Octokit class, as the runner and the server get it. */
async function installationOctokit(throttle: boolean) {
  nock(API)
    .post("/app/installations/7/access_tokens")
    .reply(201, { token: "ghs_inst", expires_at: "2099-01-01T00:00:00Z" });
  const probot = new Probot({
    appId: 1,
    privateKey: TEST_PRIVATE_KEY,
    log: pino({ level: "silent" }),
    Octokit: fleetOctokitClass({ pacing: throttle }),
  });
  const octokit = await probot.auth(7);
  // The installation token is fetched lazily, by the first call that needs it.
  return octokit;
}

describe("GitHub API calls through the app's Octokit class", () => {
  it.each([true, false])(
    "are counted by endpoint template and status (throttle %s)",
    async (throttle) => {
      const octokit = await installationOctokit(throttle);
      nock(API).get("/repos/acme/api/pulls/12").reply(200, { number: 12 });
      nock(API).get("/repos/acme/api/pulls/13").reply(200, { number: 13 });
      nock(API).get("/repos/acme/api/pulls/404").reply(404, { message: "Not Found" });
      const before = await readRegistry();

      await octokit.rest.pulls.get({ owner: "acme", repo: "api", pull_number: 12 });
      await octokit.request(PULL_ROUTE, { owner: "acme", repo: "api", pull_number: 13 });
      await expect(
        octokit.rest.pulls.get({ owner: "acme", repo: "api", pull_number: 404 }),
      ).rejects.toMatchObject({ status: 404 });

      const after = await readRegistry();
      expect(moved(before, after, REQUESTS, { route: PULL_ROUTE, status: "200" })).toBe(2);
      expect(moved(before, after, REQUESTS, { route: PULL_ROUTE, status: "404" })).toBe(1);
      expect(moved(before, after, REQUESTS, { route: TOKEN_ROUTE, status: "201" })).toBe(1);
      // No label names a concrete repository or number.
      expect(after.text).not.toMatch(/fleet_github_requests_total\{[^}]*acme/);
      expect(after.text).not.toMatch(/fleet_github_requests_total\{[^}]*pulls\/1[23]/);
    },
  );

  it("counts a server error that is not retried under its status", async () => {
    const octokit = await installationOctokit(false);
    nock(API).post("/repos/acme/api/issues/5/comments").reply(502, { message: "Bad Gateway" });
    const route = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments";
    const before = await readRegistry();
    await expect(
      octokit.request(route, {
        owner: "acme",
        repo: "api",
        issue_number: 5,
        body: "hi",
        request: { retries: 0 },
      }),
    ).rejects.toMatchObject({ status: 502 });
    const after = await readRegistry();
    expect(moved(before, after, REQUESTS, { route, status: "502" })).toBe(1);
  });

  // paginate() expands the template before the request hook sees it, and follows Link headers.
  it("labels every page of a paginated call by a template, not by its concrete URL", async () => {
    const octokit = await installationOctokit(false);
    nock(API)
      .get("/repos/acme/api/pulls/12/files")
      .query({ per_page: "1" })
      .reply(200, [{ filename: "a.ts" }], {
        link: `<${API}/repositories/99/pulls/12/files?per_page=1&page=2>; rel="next"`,
      });
    nock(API)
      .get("/repositories/99/pulls/12/files")
      .query({ per_page: "1", page: "2" })
      .reply(200, [{ filename: "b.ts" }]);
    const before = await readRegistry();
    const files = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
      owner: "acme",
      repo: "api",
      pull_number: 12,
      per_page: 1,
    });
    expect(files.map((f) => f.filename)).toEqual(["a.ts", "b.ts"]);
    const after = await readRegistry();
    const first = "GET /repos/{owner}/{repo}/pulls/{number}/files";
    const next = "GET /repositories/{repository_id}/pulls/{number}/files";
    expect(moved(before, after, REQUESTS, { route: first, status: "200" })).toBe(1);
    expect(moved(before, after, REQUESTS, { route: next, status: "200" })).toBe(1);
  });
});

describe("routeTemplate", () => {
  it.each([
    ["/repos/{owner}/{repo}/pulls/{pull_number}", "/repos/{owner}/{repo}/pulls/{pull_number}"],
    ["/repos/{owner}/{repo}/issues?state=open", "/repos/{owner}/{repo}/issues"],
    ["/graphql", "/graphql"],
    [
      "https://api.github.com/repos/acme/api/pulls/7/reviews?page=3",
      "/repos/{owner}/{repo}/pulls/{number}/reviews",
    ],
    [
      "https://ghe.example/api/v3/repos/acme/api/commits/0123456789abcdef0123456789abcdef01234567/check-runs?page=2",
      "/repos/{owner}/{repo}/commits/{sha}/check-runs",
    ],
    ["/repos/acme/api/issues/5", "/repos/{owner}/{repo}/issues/{number}"],
  ])("turns %s into %s", (url, template) => {
    expect(routeTemplate(url)).toBe(template);
  });
});
