import { forEachReference, mapReferences } from '../../domain/inputs/inputReferences.js';
import type { InputReference } from '../../domain/inputs/inputReferences.js';
import type { InputCache } from './InputCache.js';

/** An input object as the worker's task view lists it (Transformation.inputObjects, ProtocolUnit.inputObjects). */
export interface InputObjectView {
  sha256: string;
  size: number;
  encoding: 'IDENTITY' | 'GZIP';
  keys: string[];
  downloadUrl: string;
}

/** A reference names no object the task view lists: every worker would miss it, so what needs it fails. */
export class MissingInputObject extends Error {
  override name = 'MissingInputObject';
}

/**
 * The input objects of one task on this worker: gives values (settings, components, unit inputs) with
 * every reference's `path` added, the cached file, downloading only the objects those values refer to.
 */
export class TaskInputs {
  private readonly bySha = new Map<string, InputObjectView>();
  private readonly byKey = new Map<string, InputObjectView>();
  private listedAt = Date.now();

  /**
   * `freshUrl`: a download URL for an object now; used instead of the listed one once that is older
   * than `urlReuseMs`, as a unit may start hours after the task was claimed and URLs expire.
   */
  constructor(
    private readonly cache: InputCache,
    private readonly freshUrl: (sha256: string) => Promise<string>,
    private readonly urlReuseMs = 30_000,
  ) {}

  /** Adds (or refreshes) objects the task view lists. */
  add(objects: Iterable<InputObjectView>): void {
    for (const object of objects) {
      this.bySha.set(object.sha256, object);
      for (const key of object.keys) this.byKey.set(key, object);
    }
    this.listedAt = Date.now();
  }

  /** A copy of `value` in which every reference carries `path`; throws MissingInputObject naming what is not listed. */
  async withPaths(value: unknown): Promise<unknown> {
    const needed = new Map<string, InputObjectView>();
    const missing: string[] = [];
    forEachReference(
      value,
      (reference) => {
        const object = this.find(reference);
        if (object === undefined) missing.push(describe(reference));
        else needed.set(object.sha256, object);
      },
      ['path'],
    );
    if (missing.length > 0)
      throw new MissingInputObject(`no input object ${[...new Set(missing)].slice(0, 20).join(', ')} in the task's scope`);
    const paths = new Map<string, string>();
    for (const object of needed.values()) {
      const listedAt = this.listedAt;
      paths.set(
        object.sha256,
        await this.cache.pathOf({
          sha256: object.sha256,
          size: object.size,
          encoding: object.encoding,
          url: async () => (Date.now() - listedAt <= this.urlReuseMs ? object.downloadUrl : this.freshUrl(object.sha256)),
        }),
      );
    }
    return mapReferences(value, (reference, original) => ({
      ...withoutPath(original),
      path: paths.get((this.find(reference) as InputObjectView).sha256),
    }));
  }

  private find(reference: InputReference): InputObjectView | undefined {
    return 'sha256' in reference ? this.bySha.get(reference.sha256) : this.byKey.get(reference.key);
  }
}

/** `value` with the `path` of every reference taken out: paths are this host's, never sent to the server. */
export function withoutPaths(value: unknown): unknown {
  return mapReferences(value, (_reference, original) => withoutPath(original));
}

function withoutPath(reference: Record<string, unknown>): Record<string, unknown> {
  const { path: _path, ...rest } = reference;
  return rest;
}

function describe(reference: InputReference): string {
  return 'sha256' in reference ? reference.sha256 : `with key "${reference.key}"`;
}
