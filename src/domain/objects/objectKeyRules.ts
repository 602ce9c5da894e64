/**
 * What every object key must be, whichever store holds it: a relative path that cannot escape the
 * local backend's directory and that S3 stores as written. Part of the ObjectStore contract, so a key
 * the domain lays out (objectKeys.ts) is valid in every backend.
 */

/** A key or prefix that could escape the store's root, or that S3 would not store as written. */
export class InvalidObjectKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidObjectKeyError';
  }
}

/** S3's limit, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** C0 controls (NUL included), DEL and C1 controls: never meaningful in a key, and dangerous in a path. */
const CONTROL_CHARACTER = /\p{Cc}/u;
/** Returns the key's `/`-separated segments once the key is known to be a safe relative path. */
export function assertObjectKey(key: string): string[] {
  if (key.length === 0) throw new InvalidObjectKeyError(key, 'the key is empty');
  assertKeyCharacters(key);
  const segments = key.split('/');
  assertWholeSegments(key, segments);
  return segments;
}

/**
 * A list prefix may stop anywhere inside a segment (`a/b/c` lists `a/b/cat` too), so only the
 * complete segments before its last `/` are checked; the empty prefix lists everything.
 */
export function assertListPrefix(prefix: string): void {
  assertKeyCharacters(prefix);
  assertWholeSegments(prefix, prefix.split('/').slice(0, -1));
}

function assertKeyCharacters(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidObjectKeyError(key, `keys are limited to ${MAX_KEY_BYTES} UTF-8 bytes`);
  }
  if (CONTROL_CHARACTER.test(key)) {
    throw new InvalidObjectKeyError(key, 'control characters (including NUL) are not allowed');
  }
  if (key.includes('\\')) throw new InvalidObjectKeyError(key, 'backslashes are not allowed');
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, 'keys are relative and cannot start with /');
}

function assertWholeSegments(key: string, segments: string[]): void {
  for (const segment of segments) {
    if (segment === '') throw new InvalidObjectKeyError(key, 'empty path segments (// or a trailing /) are not allowed');
    if (segment === '.' || segment === '..') {
      throw new InvalidObjectKeyError(key, '. and .. segments are not allowed');
    }
  }
}
