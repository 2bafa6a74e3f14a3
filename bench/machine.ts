/**
 * The machine a benchmark ran on, printed first by every bench script: figures mean little
 * without it. The load average is there because a busy host skews every figure after it.
 */
import { arch, cpus, freemem, loadavg, platform, release, totalmem } from "node:os";
import pg from "pg";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  loadAverage: [number, number, number];
  node: string;
  postgres: string | null;
  platform: string;
  date: string;
}

const gb = (bytes: number) => +(bytes / 1024 ** 3).toFixed(1);

/** PostgreSQL's version line when a URL is given (SELECT version()). */
export async function describeMachine(databaseUrl?: string): Promise<Machine> {
  const cores = cpus();
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cpu: cores[0]?.model.trim() ?? "unknown",
    cores: cores.length,
    memoryGb: gb(totalmem()),
    freeMemoryGb: gb(freemem()),
    loadAverage: [+one.toFixed(2), +five.toFixed(2), +fifteen.toFixed(2)],
    node: process.version,
    postgres: databaseUrl ? await postgresVersion(databaseUrl) : null,
    platform: `${platform()} ${release()} ${arch()}`,
    date: new Date().toISOString(),
  };
}

export function formatMachine(machine: Machine): string {
  return [
    `machine   ${machine.cores} x ${machine.cpu}, ${machine.memoryGb} GB RAM (${machine.freeMemoryGb} GB free)`,
    `load avg  ${machine.loadAverage.join(" / ")} (1 / 5 / 15 min)`,
    `node      ${machine.node} on ${machine.platform}`,
    ...(machine.postgres ? [`postgres  ${machine.postgres}`] : []),
    `date      ${machine.date}`,
  ].join("\n");
}

/** Prints the machine block followed by a blank line. */
export async function printMachine(databaseUrl?: string): Promise<Machine> {
  const machine = await describeMachine(databaseUrl);
  console.log(`${formatMachine(machine)}\n`);
  return machine;
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>("select version()");
    return rows[0]?.version ?? "unknown";
  } finally {
    await client.end();
  }
}
