import { ConfigError, loadClientSettings, loadConfig } from '../../src/config.js';

describe('configuration from the environment', () => {
  test('no settings at all means the embedded default: PGlite and local objects in ./.dagkeeper', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      dataDir: '/srv/app/.dagkeeper',
      state: { kind: 'pglite', dataDir: '/srv/app/.dagkeeper/pglite' },
      objects: { kind: 'local', root: '/srv/app/.dagkeeper/objects' },
      publicUrl: undefined,
      migrateOnStart: true,
      tokenReuseMs: 1_000,
    });
  });

  test('DATABASE_URL and S3 settings switch to PostgreSQL and S3/MinIO', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u@db:5432/dk',
      S3_ENDPOINT: 'https://minio.example:9000',
      S3_ACCESS_KEY: 'ak',
      S3_SECRET_KEY: 'sk',
      S3_BUCKET: 'results',
    });
    expect(config.state).toEqual({ kind: 'postgres', url: 'postgresql://u@db:5432/dk' });
    expect(config.objects).toEqual({
      kind: 's3',
      endPoint: 'minio.example',
      port: 9000,
      useSSL: true,
      accessKey: 'ak',
      secretKey: 'sk',
      bucket: 'results',
      region: 'us-east-1',
      publicEndpoint: undefined,
    });
  });

  test('every bad setting is reported at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        S3_ENDPOINT: 'http://minio:9000',
        LOG_LEVEL: 'loud',
        DAGKEEPER_MIGRATE_ON_START: 'maybe',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'LOG_LEVEL', 'DAGKEEPER_MIGRATE_ON_START']) {
      expect(problems).toContain(name);
    }
  });

  test('the CLI finds the server and the local admin token from the environment', () => {
    expect(loadClientSettings({}, '/home/u')).toEqual({
      url: 'http://127.0.0.1:4000',
      token: undefined,
      adminTokenPath: '/home/u/.dagkeeper/admin-token',
    });
    expect(loadClientSettings({ DAGKEEPER_URL: 'https://dk.example/', DAGKEEPER_TOKEN: 'dkt_x', DAGKEEPER_DATA: '/d' }, '/home/u')).toEqual(
      {
        url: 'https://dk.example',
        token: 'dkt_x',
        adminTokenPath: '/d/admin-token',
      },
    );
  });
});
