import type { ApiClient } from '../../../client/ApiClient.js';
import { ApiError } from '../../../client/ApiClient.js';
import { collectReferences, KEY_FIELD, SHA256_FIELD } from '../../../domain/inputs/inputReferences.js';
import { inputEntryName } from './archiveFormat.js';
import type { ArchiveInputEntry } from './archiveFormat.js';
import type { ArchiveSink } from './archiveSink.js';
import { downloadIntoArchive } from './downloadIntoArchive.js';

interface InputObjectView {
  sha256: string;
  size: number;
  keys: string[];
}

/** Lookups per request, each an aliased root field: within the server's default limit of 20. */
const lookupsPerRequest = 15;

/**
 * The input objects an export carries (docs/archive.md): every object the values handed to `add` refer
 * to, by SHA-256 or by client key, resolved in the network's scope, its content downloaded (decoded,
 * SHA-256 checked) into `inputs/<sha256>` once however many values refer to it.
 */
export class ArchiveInputs {
  readonly #entries = new Map<string, ArchiveInputEntry>();
  /** References already resolved: `sha256:…` or `key:…`. */
  readonly #resolved = new Set<string>();

  constructor(
    private readonly api: ApiClient,
    private readonly scope: string,
    private readonly sink: ArchiveSink,
  ) {}

  /** Puts every object `values` refer to into the archive; `where` names them in errors. */
  async add(values: unknown[], where: string): Promise<void> {
    const { sha256s, keys } = collectReferences(values);
    const lookups = [
      ...sha256s.filter((sha256) => !this.#resolved.has(`sha256:${sha256}`)).map((sha256) => ({ sha256 })),
      ...keys.filter((key) => !this.#resolved.has(`key:${key}`)).map((key) => ({ key })),
    ];
    for (let start = 0; start < lookups.length; start += lookupsPerRequest) {
      const batch = lookups.slice(start, start + lookupsPerRequest);
      const found = await this.#lookUp(batch);
      const missing = batch.filter((_, i) => found[i] === null);
      if (missing.length > 0) {
        throw new ApiError(
          'INPUT_NOT_FOUND',
          `${where} refers to input objects that scope ${this.scope} no longer holds; the archive would not be whole`,
          { missing: missing.map((r) => ('sha256' in r ? { [SHA256_FIELD]: r.sha256 } : { [KEY_FIELD]: r.key })) },
        );
      }
      for (const [i, reference] of batch.entries()) {
        this.#resolved.add('sha256' in reference ? `sha256:${reference.sha256}` : `key:${reference.key}`);
        await this.#include(found[i]!);
      }
    }
  }

  /** The objects carried so far, in the order they were met. */
  entries(): ArchiveInputEntry[] {
    return [...this.#entries.values()];
  }

  async #include(object: InputObjectView): Promise<void> {
    if (this.#entries.has(object.sha256)) return;
    await downloadIntoArchive(
      this.sink,
      inputEntryName(object.sha256),
      { label: `input object ${object.sha256}`, size: object.size, sha256: object.sha256 },
      () => this.#downloadSource(object.sha256),
    );
    this.#entries.set(object.sha256, { sha256: object.sha256, size: object.size, keys: object.keys });
    this.#resolved.add(`sha256:${object.sha256}`);
    for (const key of object.keys) this.#resolved.add(`key:${key}`);
  }

  async #lookUp(batch: ReadonlyArray<{ sha256: string } | { key: string }>): Promise<Array<InputObjectView | null>> {
    const fields = batch.map((reference, i) =>
      'sha256' in reference
        ? `o${i}: inputObject(scope: $scope, sha256: $v${i}) { ...f }`
        : `o${i}: inputObjectByKey(scope: $scope, key: $v${i}) { ...f }`,
    );
    const params = batch.map((_, i) => `$v${i}: String!`).join(', ');
    const data = await this.api.request<Record<string, InputObjectView | null>>(
      `query ($scope: String!, ${params}) { ${fields.join(' ')} } fragment f on InputObject { sha256 size keys }`,
      Object.fromEntries([['scope', this.scope], ...batch.map((r, i) => [`v${i}`, 'sha256' in r ? r.sha256 : r.key])]),
    );
    return batch.map((_, i) => data[`o${i}`] ?? null);
  }

  async #downloadSource(sha256: string): Promise<{ url: string; gunzip: boolean }> {
    const { inputObject } = await this.api.request<{ inputObject: { encoding: 'IDENTITY' | 'GZIP'; downloadUrl: string } | null }>(
      'query ($scope: String!, $sha: String!) { inputObject(scope: $scope, sha256: $sha) { encoding downloadUrl } }',
      { scope: this.scope, sha: sha256 },
    );
    if (inputObject === null) throw new ApiError('INPUT_NOT_FOUND', `scope ${this.scope} no longer holds input object ${sha256}`);
    return { url: inputObject.downloadUrl, gunzip: inputObject.encoding === 'GZIP' };
  }
}
