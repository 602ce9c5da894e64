import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { offloadNetwork } from '../src/client/inputUploads.js';
import { writeSubmittedNetwork } from '../src/client/networkDocument.js';
import type { ApiClient } from '../src/client/ApiClient.js';
import { canonicalJson, writeCanonicalJson } from '../src/domain/contentKey.js';
import type { NetworkInput } from '../src/domain/networks/networkInput.js';
import type { ObjectStore } from '../src/domain/objects/ObjectStore.js';
import { LocalObjectStore } from '../src/storage/objects/LocalObjectStore.js';
import { S3ObjectStore } from '../src/storage/objects/S3ObjectStore.js';
import { pdbLikeAtoms, pdbLikeProtein } from '../test/support/pdbLikeComponent.js';
import { startS3rver } from '../test/support/s3rver.js';
import type { S3TestServer } from '../test/support/s3rver.js';
import type { Benchmark, BenchContext, BenchResult, Check, Row, Verdict } from './support/benchmark.js';
import { fmtBytes, fmtMiBps, fmtSeconds } from './support/benchmark.js';
import { openCpuMeter } from './support/cpu.js';
import { startBenchServer, startEmbeddedBenchServer } from './support/server.js';
import type { EmbeddedBenchServer } from './support/server.js';
import { timed } from './support/stats.js';

/**
 * 11. Inputs of any size (issue 18): a 200-transformation network whose chemical systems all share one
 * 10 MB protein, and a network whose one transformation has 200 MB of settings, sent the way
 * `dagkeeper network create` sends them (src/client/inputUploads.ts) and read back the way `network get`
 * does (src/client/networkDocument.ts), against a `dagkeeper server` process.
 */

const protocol = 'bench-inputs';
const createTargetMs = 10_000;
const rssTargetBytes = 100 * 1024 * 1024;

type Store = 'embedded' | 'postgres-s3';

interface StoreRun {
  store: Store;
  shared: { ms: number; rssGrowthBytes: number; objectsStored: number; serverCpuMs: number; proteinBytes: number; requestBytes: number };
  big: {
    createMs: number;
    getMs: number;
    settingsBytes: number;
    serverCpuMs: number;
    clientCpuMs: number;
    intact: boolean;
    sha256: string;
    rssGrowthBytes: number;
  };
}

/** A ring of ligands, each linked to its next two, every system holding the same protein object. */
function sharedProteinNetwork(transformations: number, proteinBytes: number): NetworkInput {
  const protein = pdbLikeProtein(proteinBytes, 7);
  const ligands = Math.max(3, Math.ceil(transformations / 2));
  const ligandName = (i: number) => `ligand-${String(i % ligands).padStart(4, '0')}`;
  return {
    name: 'shared protein',
    chemicalSystems: Array.from({ length: ligands }, (_, i) => ({
      name: ligandName(i),
      components: { protein, ligand: { smiles: `c1ccc(cc1)C${'C'.repeat(i % 7)}N${i}`, charge: 0 }, solvent: { ionicStrengthM: 0.15 } },
    })),
    transformations: Array.from({ length: transformations }, (_, i) => {
      const from = Math.floor(i / 2);
      return {
        name: `t${i}`,
        stateA: ligandName(from),
        stateB: ligandName(from + 1 + (i % 2)),
        protocol,
        settings: { lambdaWindows: 11, temperatureK: 298.15 },
      };
    }),
  };
}

function bigSettingsNetwork(settingsBytes: number): NetworkInput {
  return {
    name: 'big settings',
    chemicalSystems: [
      { name: 'A', components: { ligand: { smiles: 'CCO' } } },
      { name: 'B', components: { ligand: { smiles: 'CCN' } } },
    ],
    transformations: [
      { name: 'A->B', stateA: 'A', stateB: 'B', protocol, settings: { restraints: pdbLikeAtoms(settingsBytes, 11), windows: 24 } },
    ],
  };
}

function sha256OfValue(value: unknown): { sha256: string; size: number } {
  const hash = createHash('sha256');
  let size = 0;
  writeCanonicalJson(value, (text) => {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(bytes);
    size += bytes.length;
  });
  return { sha256: hash.digest('hex'), size };
}

/** Runs `work` while sampling the server's resident memory every 50 ms; answers the growth over the start. */
async function rssGrowth<T>(server: EmbeddedBenchServer, work: () => Promise<T>): Promise<{ value: T; growthBytes: number }> {
  const before = (await server.memory()).rssBytes;
  let peak = before;
  const timer = setInterval(() => {
    server.memory().then(
      (m) => (peak = Math.max(peak, m.rssBytes)),
      () => undefined,
    );
  }, 50);
  try {
    const value = await work();
    peak = Math.max(peak, (await server.memory()).rssBytes);
    return { value, growthBytes: peak - before };
  } finally {
    clearInterval(timer);
  }
}

async function countInputObjects(store: ObjectStore, scope: string): Promise<number> {
  let count = 0;
  for await (const object of store.list(`inputs/${scope}/`)) if (!object.key.includes('/uploads/')) count += 1;
  return count;
}

async function createNetwork(user: ApiClient, scope: string, network: NetworkInput): Promise<{ key: string; requestBytes: number }> {
  const { network: small } = await offloadNetwork(user, scope, network);
  const { createNetwork: created } = await user.request<{ createNetwork: { network: { scopedKey: string } } }>(
    'mutation ($scope: String!, $input: NetworkInput!) { createNetwork(scope: $scope, input: $input) { network { scopedKey } } }',
    { scope, input: small },
  );
  return { key: created.network.scopedKey, requestBytes: JSON.stringify(small).length };
}

async function runOnStore(ctx: BenchContext, store: Store): Promise<StoreRun> {
  const { inputTransformations, inputProteinBytes, inputSettingsBytes } = ctx.scale;
  let s3: S3TestServer | undefined;
  let server: EmbeddedBenchServer | undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'dagkeeper-bench-inputs-'));
  try {
    if (store === 'postgres-s3') s3 = await startS3rver('dagkeeper-bench');
    const s3Env =
      s3 === undefined
        ? undefined
        : {
            S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
            S3_ACCESS_KEY: s3.accessKey,
            S3_SECRET_KEY: s3.secretKey,
            S3_BUCKET: s3.bucket,
          };
    server = s3Env === undefined ? await startEmbeddedBenchServer() : await startBenchServer({ env: s3Env });
    const objects: ObjectStore =
      s3 === undefined
        ? new LocalObjectStore({ root: join(server.dataDir, 'objects'), publicBaseUrl: server.url, signingSecret: server.signingSecret })
        : new S3ObjectStore({
            endPoint: s3.endPoint,
            port: s3.port,
            useSSL: false,
            accessKey: s3.accessKey,
            secretKey: s3.secretKey,
            bucket: s3.bucket,
          });
    const { client: user } = await server.identity('USER', 'bench-user', ['bench-inputs-*']);
    const meter = await openCpuMeter({ pid: server.pid, databases: [] });
    try {
      ctx.log(`${store}: warm-up (a small network with one 1 MB component)`);
      await createNetwork(user, 'bench-inputs-warmup', sharedProteinNetwork(4, 1024 * 1024));

      ctx.log(`${store}: ${inputTransformations} transformations sharing one ${fmtBytes(inputProteinBytes)} protein`);
      const network = sharedProteinNetwork(inputTransformations, inputProteinBytes);
      const proteinBytes = sha256OfValue(network.chemicalSystems[0]!.components).size;
      const sharedCpu = await meter.mark();
      const shared = await rssGrowth(server, () => timed(() => createNetwork(user, 'bench-inputs-shared', network)));
      const sharedCpuMs = (await meter.since(sharedCpu)).processMs;
      const objectsStored = await countInputObjects(objects, 'bench-inputs-shared');
      ctx.log(
        `${store}: created in ${fmtSeconds(shared.value.ms)}, ${objectsStored} input object(s) stored, server RSS +${fmtBytes(shared.growthBytes)}`,
      );

      ctx.log(`${store}: ${fmtBytes(inputSettingsBytes)} of settings, create then get`);
      const big = bigSettingsNetwork(inputSettingsBytes);
      const expected = sha256OfValue(big.transformations[0]!.settings);
      const bigCpu = await meter.mark();
      const created = await rssGrowth(server, () => timed(() => createNetwork(user, 'bench-inputs-big', big)));
      const output = join(scratch, 'network.json');
      const fetched = await timed(async () => {
        const out = createWriteStream(output);
        await writeSubmittedNetwork(user, created.value.value.key, out);
        out.end();
        await finished(out);
      });
      const bigCpuUse = await meter.since(bigCpu);
      const back = JSON.parse(await readFile(output, 'utf8')) as NetworkInput;
      const got = sha256OfValue(back.transformations[0]!.settings);
      const intact = got.sha256 === expected.sha256 && canonicalJson(back.chemicalSystems) === canonicalJson(big.chemicalSystems);
      ctx.log(`${store}: created in ${fmtSeconds(created.value.ms)}, got in ${fmtSeconds(fetched.ms)}, SHA-256 intact: ${intact}`);
      return {
        store,
        shared: {
          ms: shared.value.ms,
          rssGrowthBytes: shared.growthBytes,
          objectsStored,
          serverCpuMs: sharedCpuMs,
          proteinBytes,
          requestBytes: shared.value.value.requestBytes,
        },
        big: {
          createMs: created.value.ms,
          getMs: fetched.ms,
          settingsBytes: expected.size,
          serverCpuMs: bigCpuUse.processMs,
          clientCpuMs: bigCpuUse.clientMs,
          intact,
          sha256: got.sha256,
          rssGrowthBytes: created.growthBytes,
        },
      };
    } finally {
      await meter.close();
    }
  } finally {
    await server?.stop();
    await s3?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

export const bigInputs: Benchmark = {
  id: 11,
  name: 'inputs',
  title: 'Inputs of any size: a shared 10 MB protein, 200 MB of settings',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const runs: StoreRun[] = [];
    for (const store of ctx.scale.inputStores as Store[]) runs.push(await runOnStore(ctx, store));
    const rows: Row[] = [];
    const verdicts: Verdict[] = [];
    const checks: Check[] = [];
    for (const run of runs) {
      const { shared, big } = run;
      rows.push(
        {
          metric: `${run.store}: create, ${ctx.scale.inputTransformations} transformations sharing a ${fmtBytes(shared.proteinBytes)} protein`,
          dagkeeper: fmtSeconds(shared.ms),
          anchor: `target < ${fmtSeconds(createTargetMs)}`,
          ratio: `${(shared.ms / createTargetMs).toFixed(2)}× of the target`,
        },
        {
          metric: `${run.store}: server CPU during that create`,
          dagkeeper: `${Math.round(shared.serverCpuMs).toLocaleString('en-US')} ms`,
          anchor: 'no target',
          ratio: '',
        },
        {
          metric: `${run.store}: server RSS growth during that create`,
          dagkeeper: fmtBytes(shared.rssGrowthBytes),
          anchor: `target < ${fmtBytes(rssTargetBytes)}`,
          ratio: `${(shared.rssGrowthBytes / rssTargetBytes).toFixed(2)}× of the target`,
        },
        {
          metric: `${run.store}: ${fmtBytes(big.settingsBytes)} settings, create`,
          dagkeeper: fmtSeconds(big.createMs),
          anchor: 'no target',
          ratio: fmtMiBps(big.settingsBytes, big.createMs),
        },
        {
          metric: `${run.store}: the same, network get`,
          dagkeeper: fmtSeconds(big.getMs),
          anchor: 'no target',
          ratio: fmtMiBps(big.settingsBytes, big.getMs),
        },
        {
          metric: `${run.store}: server CPU, create + get of those settings`,
          dagkeeper: `${Math.round(big.serverCpuMs).toLocaleString('en-US')} ms`,
          anchor: `client CPU ${Math.round(big.clientCpuMs).toLocaleString('en-US')} ms (sizing, hashing and gzip on create; download and writing on get)`,
          ratio: '',
        },
      );
      verdicts.push(
        { target: `${run.store}: create < 10 s`, pass: shared.ms < createTargetMs, detail: fmtSeconds(shared.ms) },
        {
          target: `${run.store}: server RSS growth < 100 MB`,
          pass: shared.rssGrowthBytes < rssTargetBytes,
          detail: fmtBytes(shared.rssGrowthBytes),
        },
      );
      checks.push(
        {
          name: `${run.store}: the protein is stored once`,
          ok: shared.objectsStored === 1,
          detail: `${shared.objectsStored} object(s) under inputs/bench-inputs-shared/`,
        },
        { name: `${run.store}: the settings come back with their SHA-256`, ok: big.intact, detail: big.sha256 },
      );
    }
    const small = ctx.scale.inputProteinBytes < 10 * 1024 * 1024 || ctx.scale.inputSettingsBytes < 200 * 1024 * 1024;
    return {
      anchor: "the issue's targets (no other system runs here)",
      howMeasured: [
        `A \`dagkeeper server\` process per store: the embedded default (PGlite and local objects in its data folder, as \`npm start\` runs it)${
          ctx.scale.inputStores.includes('postgres-s3') ? ', then PostgreSQL with s3rver (an S3-protocol server in its own process)' : ''
        }. The client is this process, using the modules \`dagkeeper network create\` and \`network get\` use.`,
        `Shared protein: ${ctx.scale.inputTransformations} transformations between ${Math.ceil(ctx.scale.inputTransformations / 2)} ligands, every chemical system holding the same protein object: ` +
          'PDB-like atom records as JSON (test/support/pdbLikeComponent.ts; it compresses about 7.5× with gzip, as real structure text does). Timed: hashing the values on the client, checking and uploading the protein (gzip), createNetwork. ' +
          "Server RSS is sampled from /proc every 50 ms during it; growth is the highest sample over the one before. Objects stored are counted under the scope's `inputs/` prefix of the object store. A warm-up network with a 1 MB protein first.",
        `Big settings: one transformation whose settings hold ${fmtBytes(ctx.scale.inputSettingsBytes)} of atom records; create (as above), then \`network get\` into a file, which is parsed and the settings' canonical JSON hashed and compared with the original's. Server CPU is utime+stime of the server's process group from /proc over create and get.`,
      ],
      rows,
      verdicts,
      checks,
      raw: runs,
      notes: [
        ...(small ? ['Reduced sizes (BENCH_SCALE=small or overrides): the targets are for a 10 MB protein and 200 MB of settings.'] : []),
        'Measured on the development machine (2 cores) while other work ran on it.',
      ],
    };
  },
};
