import { DomainError, ErrorCode } from '../errors.js';
import { formatScope } from '../scope.js';
import type { Scope } from '../scope.js';
import type { InputObjectRepository, ReferenceSet } from './InputObjectRepository.js';
import { KEY_FIELD, SHA256_FIELD } from './inputReferences.js';

/** A refusal names at most this many missing references (and says how many there are). */
export const maxMissingNamed = 20;

/**
 * Refuses (INPUT_NOT_FOUND) references that name nothing in the scope, with one lookup however many
 * there are. Only the submission's own scope is searched: whether another scope holds the content is
 * never told.
 */
export async function requireInputs(inputs: InputObjectRepository, scope: Scope, references: ReferenceSet): Promise<void> {
  if (references.sha256s.length === 0 && references.keys.length === 0) return;
  const found = await inputs.find(scope, references);
  const sha256s = new Set(found.map((o) => o.sha256));
  const keys = new Set(found.flatMap((o) => o.keys));
  const missing = [
    ...references.sha256s.filter((sha256) => !sha256s.has(sha256)).map((sha256) => ({ [SHA256_FIELD]: sha256 })),
    ...references.keys.filter((key) => !keys.has(key)).map((key) => ({ [KEY_FIELD]: key })),
  ];
  if (missing.length === 0) return;
  throw new DomainError(
    ErrorCode.INPUT_NOT_FOUND,
    `${missing.length === 1 ? 'a reference names no input object' : `${missing.length} references name no input object`} of scope ${formatScope(scope)}: upload ${missing.length === 1 ? 'it' : 'them'} first (createInputUpload)`,
    { missing: missing.slice(0, maxMissingNamed), missingCount: missing.length },
  );
}
