import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetwork } from '../networks/networkSetup.js';
import { runCli } from '../support/serverProcess.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

describe('dagkeeper network state and network list --state', () => {
  let server: TestApp;
  let cwd: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { cwd, env });

  beforeAll(async () => {
    server = await startTestApp('pglite');
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-network-state-'));
    const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] });
    env = { DAGKEEPER_URL: server.app.url, DAGKEEPER_TOKEN: alice.token };
  });
  afterAll(async () => {
    await server?.close();
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  });

  test('shows and sets a state; list shows ACTIVE networks unless --state asks for others', async () => {
    const alice = server.client(env.DAGKEEPER_TOKEN!);
    const kept = await createNetwork(alice, 'acme-c1-p1', 'kept', [{ name: 't' }]);
    const retired = await createNetwork(alice, 'acme-c1-p1', 'retired', [{ name: 't' }]);

    expect((await cli('network', 'state', retired.key)).stdout.trim()).toBe(`${retired.key}  ACTIVE`);
    const set = await cli('network', 'state', retired.key, 'deleted');
    expect(set).toMatchObject({ code: 0, stdout: `${retired.key}  DELETED\n` });

    const listed = async (...args: string[]) =>
      (JSON.parse((await cli('network', 'list', '--json', ...args)).stdout) as Array<{ scopedKey: string; state: string }>).map((n) => [
        n.scopedKey,
        n.state,
      ]);
    expect(await listed()).toEqual([[kept.key, 'ACTIVE']]);
    expect(await listed('--state', 'DELETED')).toEqual([[retired.key, 'DELETED']]);
    expect(await listed('--state', 'all', '--name', 'ret')).toEqual([[retired.key, 'DELETED']]);
    expect(await listed('--state', 'active,deleted')).toEqual([
      [kept.key, 'ACTIVE'],
      [retired.key, 'DELETED'],
    ]);

    const bad = await cli('network', 'state', retired.key, 'ARCHIVED');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('"ARCHIVED" is not a network state');
    expect((await cli('network', 'state', retired.key)).stdout.trim()).toBe(`${retired.key}  DELETED`);
  });
});
