import type { Clock } from '../Clock.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import type { Principal } from '../principal.js';
import { requireScope } from '../principal.js';
import type { UploadTicket } from '../results/ResultFileUploads.js';
import type { ListedPart } from '../results/uploadParts.js';
import { formatScope, parseScope } from '../scope.js';
import type { Scope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { badInput } from '../errors.js';
import type { ContentEncoding, InputObjectRecord, ReferenceSet } from './InputObjectRepository.js';
import { checkClientKey, collectReferences, isSha256 } from './inputReferences.js';
import { InputUploads } from './InputUploads.js';
import type { InputUploadAnswer, InputUploadSettings } from './InputUploads.js';

export type { InputObjectRecord } from './InputObjectRepository.js';

/** Input objects (docs/inputs.md): their uploads, lookups within a scope the caller may read, and downloads. */
export class InputObjectService {
  readonly uploads: InputUploads;

  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly settings: InputUploadSettings & { downloadUrlSeconds: number },
    clock: Clock,
  ) {
    this.uploads = new InputUploads(state, objects, settings, clock);
  }

  openUpload(
    actor: Principal,
    input: {
      scope: string;
      sha256: string;
      size: number;
      encoding?: ContentEncoding | null;
      encodedSize?: number | null;
      key?: string | null;
    },
  ): Promise<InputUploadAnswer> {
    return this.uploads.open(actor, input);
  }

  continueUpload(actor: Principal, uploadId: string, firstPartNumber: number): Promise<UploadTicket> {
    return this.uploads.continue(actor, uploadId, firstPartNumber);
  }

  commitUpload(actor: Principal, uploadId: string, parts: readonly ListedPart[]): Promise<InputObjectRecord> {
    return this.uploads.commit(actor, uploadId, parts);
  }

  /** The scope's object with this content; null when it holds none. */
  async get(actor: Principal, scopeText: string, sha256: string): Promise<InputObjectRecord | null> {
    const scope = parseScope(scopeText);
    requireScope(actor, scope);
    const lower = sha256.toLowerCase();
    if (!isSha256(lower)) throw badInput('sha256 is 64 hexadecimal digits', { field: 'sha256' });
    const [found] = await this.state.inputs.find(scope, { sha256s: [lower], keys: [] });
    return found ?? null;
  }

  /** The scope's object carrying this client key; null when none does. */
  async byKey(actor: Principal, scopeText: string, key: string): Promise<InputObjectRecord | null> {
    const scope = parseScope(scopeText);
    requireScope(actor, scope);
    const [found] = await this.state.inputs.find(scope, { sha256s: [], keys: [checkClientKey(key)] });
    return found ?? null;
  }

  /**
   * The objects of each scope that these references name, for records the caller may already read (their
   * scope was checked when they were loaded); references naming nothing are left out.
   */
  async referenced(requests: ReadonlyArray<{ scope: Scope; references: ReferenceSet }>): Promise<InputObjectRecord[]> {
    const byScope = new Map<string, { scope: Scope; sha256s: Set<string>; keys: Set<string> }>();
    for (const { scope, references } of requests) {
      const entry = byScope.get(formatScope(scope)) ?? { scope, sha256s: new Set<string>(), keys: new Set<string>() };
      references.sha256s.forEach((sha256) => entry.sha256s.add(sha256));
      references.keys.forEach((key) => entry.keys.add(key));
      byScope.set(formatScope(scope), entry);
    }
    const found = await Promise.all(
      [...byScope.values()].map(({ scope, sha256s, keys }) => this.state.inputs.find(scope, { sha256s: [...sha256s], keys: [...keys] })),
    );
    return found.flat();
  }

  /** A URL to GET the stored bytes from (encoded as the object says), for DAGKEEPER_DOWNLOAD_URL_SECONDS. */
  downloadUrl(object: InputObjectRecord): Promise<string> {
    const name = object.encoding === 'GZIP' ? `${object.sha256}.gz` : object.sha256;
    return this.objects.presignGet(object.objectKey, this.settings.downloadUrlSeconds, { downloadName: name });
  }
}

/**
 * The references inside stored values (components, settings, unit inputs); none for a value whose
 * references cannot be read (stored before references were checked).
 */
export function referencesIn(values: readonly unknown[]): ReferenceSet {
  try {
    return collectReferences(values);
  } catch {
    return { sha256s: [], keys: [] };
  }
}

/** The objects, each once, by SHA-256. */
export function distinctObjects(objects: ReadonlyArray<InputObjectRecord | null>): InputObjectRecord[] {
  const bySha = new Map<string, InputObjectRecord>();
  for (const object of objects) if (object !== null) bySha.set(object.sha256, object);
  return [...bySha.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
}
