import nock from "nock";
import { describe, expect, it } from "vitest";
import { probotReportGitHub } from "../../src/github/report-github.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { testProbot } from "../helpers/probot.js";

strictNock();

describe("the report's GitHub over Probot", () => {
  it("finds the target repo's installation once and opens the issue with its labels", async () => {
    nock(API)
      .get("/repos/acme/reports/installation")
      .matchHeader("authorization", /^bearer /i)
      .reply(200, { id: 77, account: { login: "acme" } });
    nock(API)
      .post("/app/installations/77/access_tokens")
      .reply(201, { token: "ghs_report", expires_at: "2099-01-01T00:00:00Z" });
    let sent: unknown;
    nock(API)
      .post("/repos/acme/reports/issues", (body) => {
        sent = body;
        return true;
      })
      .matchHeader("authorization", "token ghs_report")
      .reply(201, { number: 31, html_url: "https://github.example/acme/reports/issues/31" });

    const github = probotReportGitHub(testProbot());
    const number = await github.createIssue(
      "acme/reports",
      "agent-fleet report 2024-05-01",
      "**Window:** …",
      ["fleet:report"],
    );
    expect(number).toBe(31);
    expect(sent).toEqual({
      title: "agent-fleet report 2024-05-01",
      body: "**Window:** …",
      labels: ["fleet:report"],
    });
    // Known now: no second lookup (strict nock fails on any request not set up above).
    expect(await github.installationOf("acme/reports")).toBe(77);
  });

  it("reports a repo the app is not installed on as an error", async () => {
    nock(API).get("/repos/acme/elsewhere/installation").reply(404, { message: "Not Found" });
    const github = probotReportGitHub(testProbot());
    await expect(github.installationOf("acme/elsewhere")).rejects.toMatchObject({ status: 404 });
  });
});
