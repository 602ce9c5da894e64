import { assertObjectKey, InvalidObjectKeyError } from './objectKeyRules.js';

/**
 * Where each blob lives in the object store. Everything a task produces sits under its scope and task,
 * so a task's objects can be listed, copied or removed by one prefix. Unit results and files are laid
 * out by unit key and attempt, never by the ProtocolDAGResult that later gathers them: results are
 * shipped as units complete, before any DAG result exists, and a resumed task reuses them.
 *
 *   {scope}/tasks/{taskId}/dag.json
 *   {scope}/tasks/{taskId}/units/{unitKey}/{attempt}/result.json
 *   {scope}/tasks/{taskId}/units/{unitKey}/{attempt}/log.txt
 *   {scope}/tasks/{taskId}/files/{unitKey}/{uploadId}/{path}
 *   {scope}/tasks/{taskId}/uploads/{unitKey}/{uploadId}/{path}
 *   {scope}/tasks/{taskId}/dag-results/{dagResultId}.json
 *   {scope}/imports/{importUploadId}/put
 *   {scope}/imports/{importUploadId}/data
 *   inputs/{scope}/{sha256}
 *   inputs/{scope}/uploads/{inputUploadId}/put | data | gz
 *
 * A committed ResultFile lives under `files/`, where no upload URL can write: a file sent in one PUT
 * goes to its upload's key under `uploads/` and is moved to `files/` when committed; a file sent in
 * parts is assembled at its `files/` key, which its part URLs name only together with a multipart
 * upload that completing ends.
 */

/**
 * An import upload (network import) holds bytes for a task not made yet: its single PUT writes `put`,
 * its commit moves them to `data` (a multipart upload is assembled there), and importTask moves them
 * under the task it makes.
 */
export function importUploadKey(scope: string, importUploadId: string): string {
  return `${importUploadPrefix(scope, importUploadId)}data`;
}

export function importStagingKey(scope: string, importUploadId: string): string {
  return `${importUploadPrefix(scope, importUploadId)}put`;
}

/** The import upload id in a key made by `importUploadKey` or `importStagingKey`; undefined for any other key. */
export function importUploadIdInKey(key: string): string | undefined {
  const [, imports, uploadId, name, ...rest] = key.split('/');
  const shaped = imports === 'imports' && uploadId !== undefined && (name === 'data' || name === 'put') && rest.length === 0;
  return shaped && IDENTIFIER.test(uploadId) ? uploadId : undefined;
}

function importUploadPrefix(scope: string, importUploadId: string): string {
  return `${checkScope(scope)}/imports/${checkIdentifier('import upload id', importUploadId)}/`;
}

/**
 * An input object (docs/inputs.md) lives at a key named for its scope and its content's SHA-256, apart
 * from every task: many networks and DAGs refer to it, and no scope's key can name another's object.
 */
export function inputObjectKey(scope: string, sha256: string): string {
  if (!SHA256.test(sha256)) throw new InvalidObjectKeyError(sha256, 'an input object is named by 64 lower-case hex digits');
  return `inputs/${checkScope(scope)}/${sha256}`;
}

/**
 * An input upload's bytes until its commit: a single PUT writes `put`, the commit moves them to `data`
 * (a multipart upload is assembled there) and may write their compressed form to `gz`; the verified
 * bytes then move to the object's `inputObjectKey`.
 */
export function inputUploadKeys(scope: string, inputUploadId: string): { put: string; data: string; gz: string } {
  const prefix = `inputs/${checkScope(scope)}/uploads/${checkIdentifier('input upload id', inputUploadId)}/`;
  return { put: `${prefix}put`, data: `${prefix}data`, gz: `${prefix}gz` };
}

/** The input upload id in a key made by `inputUploadKeys`; undefined for any other key. */
export function inputUploadIdInKey(key: string): string | undefined {
  const [inputs, scope, uploads, uploadId, name, ...rest] = key.split('/');
  const shaped =
    inputs === 'inputs' &&
    scope !== undefined &&
    SCOPE.test(scope) &&
    uploads === 'uploads' &&
    uploadId !== undefined &&
    (name === 'put' || name === 'data' || name === 'gz') &&
    rest.length === 0;
  return shaped && IDENTIFIER.test(uploadId) ? uploadId : undefined;
}

/** `org-campaign-project`: three parts of letters, digits and underscores (`-` separates them). */
const SCOPE = /^[A-Za-z0-9_]+-[A-Za-z0-9_]+-[A-Za-z0-9_]+$/;
/** Task ids, unit keys and result ids: a safe file name that cannot be `.` or `..`. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const MAX_FILE_SEGMENT_BYTES = 255;
const SHA256 = /^[0-9a-f]{64}$/;

export function taskPrefix(scope: string, taskId: string): string {
  return `${checkScope(scope)}/tasks/${checkIdentifier('task id', taskId)}/`;
}

export function taskDagKey(scope: string, taskId: string): string {
  return `${taskPrefix(scope, taskId)}dag.json`;
}

export function unitResultKey(scope: string, taskId: string, unitKey: string, attempt: number): string {
  return `${unitAttemptPrefix(scope, taskId, unitKey, attempt)}result.json`;
}

export function unitLogKey(scope: string, taskId: string, unitKey: string, attempt: number): string {
  return `${unitAttemptPrefix(scope, taskId, unitKey, attempt)}log.txt`;
}

/**
 * `path` is the file's path relative to the unit's output directory, as the worker reported it. Each
 * upload has a key of its own: its URLs can write nowhere else, so no later or stale upload of the same
 * path can touch bytes already committed, and a refused upload's clean-up removes only its own object.
 */
export function resultFileKey(scope: string, taskId: string, unitKey: string, uploadId: string, path: string): string {
  return uploadScopedKey('files', scope, taskId, unitKey, uploadId, path);
}

/** Where the single PUT of an upload writes, until its commit moves the bytes to `resultFileKey`. */
export function resultFileUploadKey(scope: string, taskId: string, unitKey: string, uploadId: string, path: string): string {
  return uploadScopedKey('uploads', scope, taskId, unitKey, uploadId, path);
}

/** The upload id in a key made by `resultFileKey` or `resultFileUploadKey`; undefined for any other key. */
export function uploadIdInKey(key: string): string | undefined {
  const [, tasks, , area, , uploadId] = key.split('/', 6);
  const shaped = tasks === 'tasks' && (area === 'files' || area === 'uploads') && uploadId !== undefined;
  return shaped && IDENTIFIER.test(uploadId) ? uploadId : undefined;
}

function uploadScopedKey(
  area: 'files' | 'uploads',
  scope: string,
  taskId: string,
  unitKey: string,
  uploadId: string,
  path: string,
): string {
  const key = `${taskPrefix(scope, taskId)}${area}/${checkIdentifier('unit key', unitKey)}/${checkIdentifier('upload id', uploadId)}/${checkRelativePath(path)}`;
  assertObjectKey(key);
  return key;
}

export function dagResultKey(scope: string, taskId: string, dagResultId: string): string {
  return `${taskPrefix(scope, taskId)}dag-results/${checkIdentifier('DAG result id', dagResultId)}.json`;
}

function unitAttemptPrefix(scope: string, taskId: string, unitKey: string, attempt: number): string {
  if (!(Number.isSafeInteger(attempt) && attempt >= 0)) {
    throw new InvalidObjectKeyError(String(attempt), 'an attempt is a non-negative integer');
  }
  return `${taskPrefix(scope, taskId)}units/${checkIdentifier('unit key', unitKey)}/${attempt}/`;
}

function checkScope(scope: string): string {
  if (!SCOPE.test(scope)) {
    throw new InvalidObjectKeyError(scope, 'a scope is org-campaign-project, each part letters, digits or _');
  }
  return scope;
}

function checkIdentifier(what: string, value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new InvalidObjectKeyError(value, `a ${what} is 1-200 letters, digits, ., _ or -, starting with a letter or digit`);
  }
  return value;
}

/**
 * A ResultFile path must already be in normal form: we refuse rather than normalize, so two spellings
 * of one path (`a//b`, `./a/b`) can never name two different objects.
 */
function checkRelativePath(path: string): string {
  for (const segment of assertObjectKey(path)) {
    if (Buffer.byteLength(segment, 'utf8') > MAX_FILE_SEGMENT_BYTES) {
      throw new InvalidObjectKeyError(path, `each path segment is limited to ${MAX_FILE_SEGMENT_BYTES} bytes`);
    }
  }
  return path;
}
