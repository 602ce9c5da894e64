import type { Config } from '../../config.js';
import { LocalObjectStore } from './LocalObjectStore.js';
import type { ObjectStore } from '../../domain/objects/ObjectStore.js';
import { S3ObjectStore } from './S3ObjectStore.js';

/** The object store the configuration names, ready for use (bucket or directory created). */
export async function openObjectStore(
  settings: Config['objects'],
  local: { publicBaseUrl: string; signingSecret: string },
): Promise<ObjectStore> {
  const store: ObjectStore =
    settings.kind === 'local' ? new LocalObjectStore({ root: settings.root, ...local }) : new S3ObjectStore(settings);
  await store.ensureReady();
  return store;
}
