import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { warningFor } from '../../src/storage/state/vacuumCheck.js';
import { createTestDatabase, withAdminClient } from '../support/postgres.js';

describe('autovacuum at start-up', () => {
  test('an autovacuum that is off gets a warning naming what to vacuum; one that is on gets none', () => {
    expect(warningFor('on')).toBeNull();
    expect(warningFor('off')).toMatch(/autovacuum is off.*VACUUM \(ANALYZE\) "Task", "TaskAction", "Claim", "TaskEvent"/);
  });

  test('the server on PostgreSQL warns at start exactly when this PostgreSQL runs without autovacuum', async () => {
    const setting = await withAdminClient(
      async (client) => (await client.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0]!.autovacuum,
    );
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'dagkeeper-vacuum-'));
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      ),
    );
    try {
      const config = loadConfig({ PORT: '0', DAGKEEPER_DATA: dataDir, DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
      const app = await startApp(config, { log: createLogger('warn', sink) });
      await app.stop();
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => /autovacuum/.test(l.msg));
      expect(warnings).toHaveLength(setting === 'off' ? 1 : 0);
      if (setting === 'off') expect(warnings[0]!.level).toBe(40);
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
