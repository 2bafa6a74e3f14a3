import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = (file: string) => fileURLToPath(new URL(`../${file}`, import.meta.url));

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

async function compose(): Promise<Record<string, Service>> {
  const text = await readFile(root("docker-compose.yml"), "utf8");
  return (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
}

describe("docker-compose.yml", () => {
  it("runs PostgreSQL with a health check and a volume", async () => {
    const { postgres } = await compose();
    expect(postgres?.image).toMatch(/^postgres:\d+/);
    expect(postgres?.healthcheck?.test.join(" ")).toContain("pg_isready");
    expect(postgres?.volumes?.[0]).toMatch(/:\/var\/lib\/postgresql\/data$/);
  });

  it("runs one server and two runners from the Dockerfile, each runner with its own id and data", async () => {
    const services = await compose();
    const fleet = Object.entries(services).filter(([name]) => name !== "postgres");
    expect(fleet.map(([, s]) => s.command?.[0]).sort()).toEqual(["runner", "runner", "server"]);
    for (const [name, service] of fleet) {
      expect(service.build, name).toBe(".");
      expect(service.env_file, name).toBe(".env");
      expect(service.environment?.DATABASE_URL, name).toMatch(/@postgres:5432\//);
      expect(service.depends_on?.postgres?.condition, name).toBe("service_healthy");
    }
    const runners = fleet.filter(([, s]) => s.command?.[0] === "runner").map(([, s]) => s);
    const ids = runners.map((r) => r.environment?.FLEET_RUNNER_ID);
    expect(new Set(ids).size).toBe(2);
    const dataVolumes = runners.map((r) => r.volumes?.find((v) => v.endsWith(":/data")));
    expect(dataVolumes.every(Boolean)).toBe(true);
    expect(new Set(dataVolumes).size).toBe(2);
  });
});

describe("Dockerfile", () => {
  it("copies into the build stage every file `npm run build` reads", async () => {
    const dockerfile = await readFile(root("Dockerfile"), "utf8");
    const build = dockerfile.split(/^FROM /m)[1] ?? "";
    const pkg = JSON.parse(await readFile(root("package.json"), "utf8")) as {
      scripts: { build: string };
    };
    const paths = pkg.scripts.build.match(/(?:[\w.-]+\/)+[\w.-]+|[\w.-]+\.json/g) ?? [];
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      const top = path.split("/")[0] ?? path;
      expect(build, `the build stage needs ${top}`).toMatch(
        new RegExp(`^COPY .*\\b${top.replace(".", "\\.")}\\b`, "m"),
      );
    }
  });

  it("runs as an unprivileged user with a health check on /healthz", async () => {
    const dockerfile = await readFile(root("Dockerfile"), "utf8");
    const runtime = dockerfile.split(/^FROM /m).at(-1) ?? "";
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
    for (const needed of ["migrations", "app.yml", "bin"]) expect(runtime).toContain(needed);
  });
});
