import { badInput } from '../../domain/errors.js';

/**
 * The deepest nesting of arrays and objects a JSON argument may have. Byte size is already bounded by
 * the request-body limit, but a megabyte of `[` is a million levels, which every recursive walk after
 * this one (serializing, hashing, storing) would have to survive. Deep enough for what is sent
 * legitimately: a ProtocolDAG's unit inputs may nest 64 levels, three below the DAG's own top.
 */
export const MAX_JSON_INPUT_DEPTH = 100;

/** Returns the value once it is known to nest at most MAX_JSON_INPUT_DEPTH levels; walks without recursion. */
export function checkJsonInputDepth(value: unknown): unknown {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > MAX_JSON_INPUT_DEPTH) {
      throw badInput(`a JSON argument may nest arrays and objects at most ${MAX_JSON_INPUT_DEPTH} levels deep`, {
        limit: 'jsonDepth',
        max: MAX_JSON_INPUT_DEPTH,
      });
    }
    const children: unknown[] = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) pending.push({ value: child, depth: next.depth + 1 });
  }
  return value;
}
