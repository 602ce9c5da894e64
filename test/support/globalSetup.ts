import pg from 'pg';

/** Fails the run at once, with the fix, when the PostgreSQL the tests need is not answering. */
export default async function requirePostgres(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `the tests need PostgreSQL at ${url} (set TEST_DATABASE_URL to use another): ${(error as Error).message}\n` +
        'on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
