import { createHash } from 'node:crypto';
import type { ApiClient } from '../../src/client/ApiClient.js';
import type { ManualClock } from '../support/manualClock.js';
import { createIdentity } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * The world every access-control case runs against, built once per test file through the public API
 * as real clients would: two tenants (acme and other), a worker with a live claim, a claim made stale
 * by a real expiry and reclaim, a second compute identity with a claim of its own, and tokens that
 * must not get in (none, unknown, revoked, expired, of a disabled identity).
 */

export const scope = 'acme-c1-p1';
export const otherScope = 'other-c1-p1';
export const protocol = 'acl';

/** Server settings the world needs: nothing expires on its own while a file runs (expiry is staged). */
export const worldEnv = { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3600' };

export const dag = {
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'sim', name: 'Simulate', dependencies: ['setup'] },
  ],
};

/** Identities that may authenticate. alice and mallory are users in two scopes; hpc and rogue are compute in acme. */
export type Caller = 'admin' | 'alice' | 'mallory' | 'hpc' | 'rogue';
/** Requests that must never authenticate. */
export type Intruder = 'anonymous' | 'unknownToken' | 'revokedToken' | 'expiredToken' | 'disabledIdentity';
export const intruders: readonly Intruder[] = ['anonymous', 'unknownToken', 'revokedToken', 'expiredToken', 'disabledIdentity'];

export interface World {
  /** The bearer token of each caller; null sends no Authorization header at all. */
  tokens: Record<Caller | Intruder, string | null>;
  identityIds: Record<Caller, string>;
  /** alice's network in acme-c1-p1, and mallory's in other-c1-p1. */
  network: { key: string; transformationKey: string; chemicalSystemKey: string };
  malloryNetwork: { key: string; transformationKey: string; chemicalSystemKey: string };
  tasks: {
    /** WAITING, on no hub: the target of the users' task mutations. */
    idle: string;
    /** RUNNING under hpc's live claim. */
    live: string;
    /** RUNNING again under a reclaim after hpc's first service expired. */
    stale: string;
    /** RUNNING under rogue's claim. */
    rogue: string;
    /** mallory's, WAITING on her hub. */
    mallory: string;
  };
  services: { live: string; gone: string; spare: string; rogue: string };
  /** Compute managers of hpc: one to report for, one to deregister. */
  managers: { live: string; spare: string };
  claims: { live: string; stale: string; reclaimed: string; rogue: string };
  /** Uploads announced (and their bytes PUT) under the live and the stale claim. */
  uploads: { live: string; stale: string };
  /** An import upload alice opened in acme-c1-p1, its bytes PUT, not committed. */
  importUpload: string;
  /** An input upload alice opened in acme-c1-p1, its bytes PUT, not committed. */
  inputUpload: string;
  /** alice's second token, for revokeToken; a throwaway identity, for disableIdentity. */
  spareTokenId: string;
  victimId: string;
}

export const bytesOf = (text: string) => {
  const bytes = Buffer.from(text);
  return { bytes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
};

export const okUnit = (unitKey: string) => {
  const now = new Date().toISOString();
  return { unitKey, ok: true, outputs: { unitKey }, startedAt: now, endedAt: now };
};

const networkInput = (name: string) => ({
  name,
  chemicalSystems: [
    { name: 'benzene', components: { smiles: 'c1ccccc1' } },
    { name: 'toluene', components: { smiles: 'Cc1ccccc1' } },
  ],
  transformations: [{ name: 'benzene->toluene', stateA: 'benzene', stateB: 'toluene', protocol, settings: { windows: 2 } }],
});

/** `clock`: the server's, when the test moves it by hand; eve's token then expires by moving it, not by waiting. */
export async function buildWorld(server: TestApp, clock?: ManualClock): Promise<World> {
  // First, so its 2 s run out while the rest is built.
  const expiring = await createIdentity(server.admin, { kind: 'USER', name: 'eve', scopes: [scope], tokenExpiresInSeconds: 2 });
  const expiresAt = (clock?.now() ?? Date.now()) + 2000;
  await server.client(expiring.token).request('{ viewer { id } }');

  const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] });
  const mallory = await createIdentity(server.admin, { kind: 'USER', name: 'mallory', scopes: [otherScope] });
  const hpc = await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] });
  const rogue = await createIdentity(server.admin, { kind: 'COMPUTE', name: 'rogue', scopes: ['acme-*-*'] });
  const dora = await createIdentity(server.admin, { kind: 'USER', name: 'dora', scopes: [scope] });
  const victim = await createIdentity(server.admin, { kind: 'USER', name: 'victim', scopes: [scope] });
  await server.admin.request('mutation ($id: ID!) { disableIdentity(id: $id) { id } }', { id: dora.id });
  const { issueToken: revoked } = await server.admin.request<{ issueToken: { token: string; info: { id: string } } }>(
    'mutation ($id: ID!) { issueToken(identityId: $id, label: "revoked") { token info { id } } }',
    { id: alice.id },
  );
  await server.admin.request('mutation ($id: ID!) { revokeToken(tokenId: $id) { id } }', { id: revoked.info.id });
  const { issueToken: spare } = await server
    .client(alice.token)
    .request<{ issueToken: { info: { id: string } } }>(
      'mutation ($id: ID!) { issueToken(identityId: $id, label: "spare") { info { id } } }',
      { id: alice.id },
    );
  const { viewer: admin } = await server.admin.request<{ viewer: { id: string } }>('{ viewer { id } }');

  const asAlice = server.client(alice.token);
  const asMallory = server.client(mallory.token);
  const asHpc = server.client(hpc.token);
  const asRogue = server.client(rogue.token);
  const network = await createNetworkAs(asAlice, scope, 'acme network');
  const malloryNetwork = await createNetworkAs(asMallory, otherScope, 'other network');
  await asAlice.request('mutation ($n: ID!) { addRestartPattern(networkKey: $n, pattern: "OOM", maxRetries: 1) { id } }', {
    n: network.key,
  });

  const register = async (as: ApiClient, name: string) =>
    (
      await as.request<{ registerComputeService: { id: string } }>('mutation ($n: String!) { registerComputeService(name: $n) { id } }', {
        n: name,
      })
    ).registerComputeService.id;
  const services = {
    gone: await register(asHpc, 'hpc-0'),
    live: await register(asHpc, 'hpc-1'),
    spare: await register(asHpc, 'hpc-2'),
    rogue: await register(asRogue, 'rogue-0'),
  };
  const registerManager = async (name: string) =>
    (
      await asHpc.request<{ registerComputeManager: { id: string } }>(
        'mutation ($n: String!) { registerComputeManager(name: $n, backend: "slurm") { id } }',
        { n: name },
      )
    ).registerComputeManager.id;
  const managers = { live: await registerManager('hpc-manager-1'), spare: await registerManager('hpc-manager-2') };
  const createTask = async (options: { withDag: boolean; action: boolean }, as = asAlice, on = network) => {
    const { createTasks } = await as.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $dag: JSON) { createTasks(transformationKey: $t, dag: $dag) { id } }',
      { t: on.transformationKey, dag: options.withDag ? dag : null },
    );
    const id = createTasks[0]!.id;
    if (options.action)
      await as.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: on.key, ids: [id] });
    return id;
  };
  const claimOne = async (as: ApiClient, serviceId: string, expectedTaskId: string) => {
    const { claimTasks } = await as.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, protocols: $p) { token task { id } } }',
      { s: serviceId, p: [protocol] },
    );
    if (claimTasks.length !== 1 || claimTasks[0]!.task.id !== expectedTaskId) {
      throw new Error(`expected to claim task ${expectedTaskId}, got ${JSON.stringify(claimTasks)}`);
    }
    return claimTasks[0]!.token;
  };
  const upload = async (as: ApiClient, claimToken: string, path: string) => {
    const file = bytesOf(`bytes of ${path}\n`);
    const { createResultFileUpload: ticket } = await as.request<{ createResultFileUpload: { uploadId: string; url: string } }>(
      'mutation ($c: String!, $p: String!, $size: SafeInt!, $sha: String!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: $p, size: $size, sha256: $sha) { uploadId url } }',
      { c: claimToken, p: path, size: file.size, sha: file.sha256 },
    );
    const put = await fetch(ticket.url, { method: 'PUT', body: file.bytes });
    if (!put.ok) throw new Error(`PUT to the upload URL answered ${put.status}`);
    return ticket.uploadId;
  };

  // The stale claim: hpc-0 claims, uploads, then falls silent past the expiry and hpc-1 reclaims.
  const staleTask = await createTask({ withDag: true, action: true });
  const staleClaim = await claimOne(asHpc, services.gone, staleTask);
  const staleUpload = await upload(asHpc, staleClaim, 'out/stale.txt');
  // Silence is simulated by moving hpc-0's last heartbeat back past the expiry; the expiry itself and
  // the requeue are the real ones, run by the next claim.
  await server.app.state.db.computeService.update({
    where: { id: services.gone },
    data: { lastHeartbeatAt: new Date(Date.now() - 2 * 3_600_000) },
  });
  const reclaimed = await claimOne(asHpc, services.live, staleTask);

  const liveTask = await createTask({ withDag: false, action: true });
  const liveClaim = await claimOne(asHpc, services.live, liveTask);
  await asHpc.request('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', {
    c: liveClaim,
    dag,
  });
  const liveUpload = await upload(asHpc, liveClaim, 'out/live.txt');

  const importBytes = bytesOf('bytes for an import\n');
  const { createImportUpload: importTicket } = await asAlice.request<{ createImportUpload: { uploadId: string; url: string } }>(
    'mutation ($s: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $s, size: $size, sha256: $sha) { uploadId url } }',
    { s: scope, size: importBytes.size, sha: importBytes.sha256 },
  );
  const importPut = await fetch(importTicket.url, { method: 'PUT', body: importBytes.bytes });
  if (!importPut.ok) throw new Error(`PUT to the import upload URL answered ${importPut.status}`);

  const inputBytes = bytesOf('bytes of an input object\n');
  const { createInputUpload: inputAnswer } = await asAlice.request<{ createInputUpload: { upload: { uploadId: string; url: string } } }>(
    'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { upload { uploadId url } } }',
    { i: { scope, size: inputBytes.size, sha256: inputBytes.sha256 } },
  );
  const inputPut = await fetch(inputAnswer.upload.url, { method: 'PUT', body: inputBytes.bytes });
  if (!inputPut.ok) throw new Error(`PUT to the input upload URL answered ${inputPut.status}`);

  const rogueTask = await createTask({ withDag: true, action: true });
  const rogueClaim = await claimOne(asRogue, services.rogue, rogueTask);
  const idleTask = await createTask({ withDag: false, action: false });
  const malloryTask = await createTask({ withDag: false, action: true }, asMallory, malloryNetwork);

  const wait = expiresAt + 250 - (clock?.now() ?? Date.now());
  if (clock !== undefined) clock.advance(Math.max(0, wait));
  else if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return {
    tokens: {
      admin: server.adminToken,
      alice: alice.token,
      mallory: mallory.token,
      hpc: hpc.token,
      rogue: rogue.token,
      anonymous: null,
      unknownToken: 'dkt_' + 'A'.repeat(43),
      revokedToken: revoked.token,
      expiredToken: expiring.token,
      disabledIdentity: dora.token,
    },
    identityIds: { admin: admin.id, alice: alice.id, mallory: mallory.id, hpc: hpc.id, rogue: rogue.id },
    network,
    malloryNetwork,
    tasks: { idle: idleTask, live: liveTask, stale: staleTask, rogue: rogueTask, mallory: malloryTask },
    services,
    managers,
    claims: { live: liveClaim, stale: staleClaim, reclaimed, rogue: rogueClaim },
    uploads: { live: liveUpload, stale: staleUpload },
    importUpload: importTicket.uploadId,
    inputUpload: inputAnswer.upload.uploadId,
    spareTokenId: spare.info.id,
    victimId: victim.id,
  };
}

async function createNetworkAs(as: ApiClient, inScope: string, name: string) {
  const { createNetwork } = await as.request<{
    createNetwork: {
      network: { scopedKey: string; transformations: Array<{ scopedKey: string }>; chemicalSystems: Array<{ scopedKey: string }> };
    };
  }>(
    'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { network { scopedKey transformations { scopedKey } chemicalSystems { scopedKey } } } }',
    { s: inScope, input: networkInput(name) },
  );
  return {
    key: createNetwork.network.scopedKey,
    transformationKey: createNetwork.network.transformations[0]!.scopedKey,
    chemicalSystemKey: createNetwork.network.chemicalSystems[0]!.scopedKey,
  };
}
