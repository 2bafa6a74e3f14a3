/**
 * Commits and WAL flushes, read from PostgreSQL's statistics around a round: counts, unlike
 * times, do not move with the load of a shared machine, and they explain most of a queue's rate
 * (each flush is a wait on the disk; concurrent commits can share one).
 */
import pg from "pg";

export interface CommitCounters {
  commits: number;
  walSyncs: number;
}

export class PgStats {
  private constructor(private readonly admin: pg.Client) {}

  static async connect(adminUrl: string): Promise<PgStats> {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    return new PgStats(admin);
  }

  /**
   * The database's commits and the cluster's WAL syncs. A backend reports its counters when it
   * exits, so this first waits for the round's connections to the database to be gone.
   */
  async read(databaseUrl: string): Promise<CommitCounters> {
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    const giveUpAt = performance.now() + 10_000;
    while (performance.now() < giveUpAt && (await this.connections(name)) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.admin.query("select pg_stat_clear_snapshot()");
    const { rows } = await this.admin.query<{ commits: string; syncs: string }>(
      `select (select xact_commit from pg_stat_database where datname = $1) as commits,
              (select wal_sync from pg_stat_wal) as syncs`,
      [name],
    );
    return { commits: Number(rows[0]?.commits ?? 0), walSyncs: Number(rows[0]?.syncs ?? 0) };
  }

  close(): Promise<void> {
    return this.admin.end();
  }

  private async connections(name: string): Promise<number> {
    const { rows } = await this.admin.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where datname = $1",
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
