import type { TaskSettings } from '../../src/config.js';
import type { Principal } from '../../src/domain/principal.js';
import { createServices } from '../../src/domain/services.js';
import type { Services } from '../../src/domain/services.js';
import { S3ObjectStore } from '../../src/storage/objects/S3ObjectStore.js';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import { builtInSettingsChecks } from '../../src/worker/protocols/settingsChecks.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { trackStoppable } from './leftovers.js';
import { createTestDatabase } from './postgres.js';
import { startS3rver } from './s3rver.js';

export const defaultTestSettings: TaskSettings = {
  computeServiceExpirySeconds: 30,
  claimFailureLimit: 100,
  claimFailureWindowSeconds: 600,
  uploadUrlSeconds: 600,
  downloadUrlSeconds: 600,
  multipartPartBytes: 5 * 1024 * 1024,
  maxResultFileBytes: 1024 ** 4,
  uploadPartUrlsPerAnswer: 100,
};

export interface DomainHarness {
  services: Services;
  /** The bootstrap administrator. */
  admin: Principal;
  state: StateStore;
  objects: S3ObjectStore;
  user(name: string, scopes?: string[]): Promise<Principal>;
  compute(name: string, scopes?: string[]): Promise<Principal>;
  /** The same domain over the same stores with other settings (a second replica, a stricter policy). */
  withSettings(settings: Partial<TaskSettings>, random?: () => number): Services;
  close(): Promise<void>;
}

/** The domain services on real PostgreSQL (a database of its own) and a real S3 server (s3rver). */
export async function startDomain(settings: Partial<TaskSettings> = {}, random?: () => number): Promise<DomainHarness> {
  const database = await createTestDatabase();
  const s3 = await startS3rver();
  const state = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 20 });
  const objects = new S3ObjectStore({
    endPoint: s3.endPoint,
    port: s3.port,
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    bucket: s3.bucket,
  });
  await objects.ensureReady();
  const build = (overrides: Partial<TaskSettings>, rnd?: () => number) =>
    createServices({
      state: state.access,
      objects,
      settings: { ...defaultTestSettings, ...settings, ...overrides },
      protocolSettings: builtInSettingsChecks,
      ...(rnd === undefined ? {} : { random: rnd }),
    });
  const services = build({}, random);
  const admin = await services.identities.bootstrapAdmin();
  if (admin === null) throw new Error('a fresh test database already had an administrator');
  const adminPrincipal = await services.identities.authenticate(admin.token);
  if (adminPrincipal === null) throw new Error('the bootstrap administrator cannot authenticate');

  const principal = async (kind: 'user' | 'compute', name: string, scopes: string[]) => {
    const created = await services.identities.create(adminPrincipal, { kind, name, scopes });
    const found = await services.identities.authenticate(created.token);
    if (found === null) throw new Error(`identity ${name} cannot authenticate`);
    return found;
  };
  return {
    services,
    admin: adminPrincipal,
    state,
    objects,
    user: (name, scopes = ['acme-c1-p1']) => principal('user', name, scopes),
    compute: (name, scopes = ['acme-*-*']) => principal('compute', name, scopes),
    withSettings: build,
    close: trackStoppable('domain harness (its database, state store and s3rver)', async () => {
      await state.close();
      await s3.close();
      await database.drop();
    }),
  };
}
