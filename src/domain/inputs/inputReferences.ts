import { badInput } from '../errors.js';

/**
 * References to input objects inside components, settings and unit inputs (docs/inputs.md): a JSON
 * object with exactly one field, `":input:"` (content SHA-256) or `":input-key:"` (a client key).
 * Walks are iterative so that deeply nested JSON cannot overflow the stack.
 */

export const SHA256_FIELD = ':input:';
export const KEY_FIELD = ':input-key:';

export type InputReference = { sha256: string } | { key: string };

const sha256Pattern = /^[0-9a-f]{64}$/;
const clientKeyPattern = /^[A-Za-z0-9._:-]{1,200}$/;

export function isSha256(text: unknown): text is string {
  return typeof text === 'string' && sha256Pattern.test(text);
}

export function isClientKey(text: unknown): text is string {
  return typeof text === 'string' && clientKeyPattern.test(text);
}

export function checkClientKey(key: unknown): string {
  if (!isClientKey(key)) {
    throw badInput('an input object key is 1 to 200 characters of letters, digits, ".", "_", ":" and "-"', { field: 'key' });
  }
  return key;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The reference `value` is, null when it holds neither field; throws BAD_USER_INPUT when it holds one but
 * is not exactly a reference. `extraFields` lets through fields a worker adds (the cached file's `path`).
 */
export function asReference(value: unknown, extraFields: readonly string[] = []): InputReference | null {
  if (!isRecord(value)) return null;
  const hasSha = Object.hasOwn(value, SHA256_FIELD);
  const hasKey = Object.hasOwn(value, KEY_FIELD);
  if (!hasSha && !hasKey) return null;
  const fields = Object.keys(value).filter((field) => !extraFields.includes(field));
  if (fields.length !== 1) {
    throw badInput(`an input reference is an object with exactly one field, "${SHA256_FIELD}" or "${KEY_FIELD}"`, {
      fields: fields.slice(0, 5),
    });
  }
  if (hasSha) {
    const sha256 = value[SHA256_FIELD];
    if (!isSha256(sha256)) throw badInput(`"${SHA256_FIELD}" names an input object by 64 lower-case hexadecimal digits`);
    return { sha256 };
  }
  return { key: checkClientKey(value[KEY_FIELD]) };
}

/** Calls `visit` for every reference inside `value` (in document order); malformed ones throw. */
export function forEachReference(value: unknown, visit: (reference: InputReference) => void, extraFields: readonly string[] = []): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (Array.isArray(next)) {
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
    } else if (isRecord(next)) {
      const reference = asReference(next, extraFields);
      if (reference !== null) {
        visit(reference);
        continue;
      }
      const values = Object.values(next);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
}

/** The distinct references inside the values, SHA-256 ones and key ones apart. */
export function collectReferences(values: Iterable<unknown>): { sha256s: string[]; keys: string[] } {
  const sha256s = new Set<string>();
  const keys = new Set<string>();
  for (const value of values) {
    forEachReference(value, (reference) => {
      if ('sha256' in reference) sha256s.add(reference.sha256);
      else keys.add(reference.key);
    });
  }
  return { sha256s: [...sha256s], keys: [...keys] };
}

/**
 * A copy of `value` with every reference replaced by what `replace` gives for it (the worker adds the
 * cached file's path; `network get` puts the content back); `value` itself is left as it was.
 */
export function mapReferences(value: unknown, replace: (reference: InputReference, original: Record<string, unknown>) => unknown): unknown {
  const root: { value: unknown } = { value };
  const stack: Array<{ holder: Record<string, unknown> | unknown[]; at: string | number }> = [
    { holder: root as Record<string, unknown>, at: 'value' },
  ];
  while (stack.length > 0) {
    const { holder, at } = stack.pop()!;
    const current = (holder as Record<string | number, unknown>)[at];
    if (Array.isArray(current)) {
      const copy = current.slice();
      (holder as Record<string | number, unknown>)[at] = copy;
      for (let i = 0; i < copy.length; i++) stack.push({ holder: copy, at: i });
    } else if (isRecord(current)) {
      const reference = asReference(current, ['path']);
      if (reference !== null) {
        (holder as Record<string | number, unknown>)[at] = replace(reference, current);
        continue;
      }
      const copy = { ...current };
      (holder as Record<string | number, unknown>)[at] = copy;
      for (const field of Object.keys(copy)) stack.push({ holder: copy, at: field });
    }
  }
  return root.value;
}
