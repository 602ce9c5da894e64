import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOf } from '../support/http.js';
import { runCli, startServerProcess } from '../support/serverProcess.js';

const viewerQuery = JSON.stringify({ query: '{ viewer { name kind scopes } }' });

async function graphql(
  url: string,
  token?: string,
): Promise<{ status: number; body: { data?: { viewer: Record<string, unknown> }; errors?: Array<{ extensions: { code: string } }> } }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: viewerQuery,
  });
  return { status: response.status, body: await jsonOf(response) };
}

describe('dagkeeper server on its embedded default (real processes)', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-embedded-'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  // Two server starts (the first creating the PGlite store), four CLI processes and two drains: seconds
  // on a quiet machine, minutes on a loaded one. startServerProcess has its own start deadline, and a
  // server left running by a failure is stopped after the file (test/support/leftovers.ts).
  test('starts with no configuration, creates an admin, serves the CLI, drains on SIGTERM and keeps its data across restarts', async () => {
    const first = await startServerProcess(cwd);
    let token: string;
    try {
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      expect(first.logs().find((l) => l.msg === 'dagkeeper listening')).toMatchObject({ state: 'pglite', objects: 'local' });

      const adminTokenPath = join(cwd, '.dagkeeper', 'admin-token');
      expect((await stat(adminTokenPath)).mode & 0o777).toBe(0o600);
      expect(first.logs().some((l) => l.path === adminTokenPath && String(l.msg).includes('administrator'))).toBe(true);

      const added = await runCli(['identity', 'add', '--kind', 'user', '--name', 'alice', '--scope', 'acme-c1-p1'], {
        cwd,
        env: { DAGKEEPER_URL: first.url },
      });
      expect(added.stderr).toContain('created user identity alice');
      expect(added.code).toBe(0);
      token = added.stdout.trim();
      expect(token).toMatch(/^dkt_[A-Za-z0-9_-]{43}$/);

      const withToken = await graphql(first.url, token);
      expect(withToken.body.data?.viewer).toEqual({ name: 'alice', kind: 'USER', scopes: ['acme-c1-p1'] });
      const withoutToken = await graphql(first.url);
      expect(withoutToken.status).toBe(401);
      expect(withoutToken.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');

      const refused = await runCli(['identity', 'add', '--kind', 'user', '--name', 'bob', '--scope', 'acme-c1-p1', '--token', token], {
        cwd,
        env: { DAGKEEPER_URL: first.url },
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('error [FORBIDDEN]');
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    expect(first.logs().map((l) => l.msg)).toContain('stopped');

    const adminToken = await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8');
    const second = await startServerProcess(cwd);
    try {
      expect(second.logs().some((l) => String(l.msg).includes('administrator'))).toBe(false);
      expect(await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).toBe(adminToken);
      expect((await graphql(second.url, token)).body.data?.viewer.name).toBe('alice');
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  }, 300_000);

  test('a bad setting stops start-up with a message naming it', async () => {
    const failed = startServerProcess(cwd, { PORT: 'eighty' });
    await expect(failed).rejects.toThrow(/PORT must be an integer/);
  });
});
