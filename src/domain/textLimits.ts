import { badInput } from './errors.js';

/**
 * Every string a client sends is bounded where the domain first receives it, before it is parsed,
 * stored or repeated in a message: free text (names, labels, patterns) by a length of its own, and
 * shaped values (ids, scopes, keys, tokens, digests) by their shape. docs/bad-input.md lists the limits.
 */
export const textLimits = {
  identityName: 128,
  /** Scope patterns one identity holds. */
  identityScopes: 100,
  tokenLabel: 200,
  computeServiceName: 200,
  /** The host a compute service says it runs on (a DNS name is at most 253). */
  host: 255,
  /** Network, chemical system and transformation names (networkInput.ts). */
  name: 200,
  /** A unit key naming a unit of the task's DAG (whose keys are at most this long: protocolDag.ts). */
  unitKey: 200,
} as const;

/** Refuses `value` when it is longer than `maxLength` characters, naming the field and the limit. */
export function checkLength(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw badInput(`${field} is at most ${maxLength} characters; this one has ${value.length}`, { field, maxLength, length: value.length });
  }
  return value;
}

/** Refuses a text kept as database text that holds NUL, which PostgreSQL text cannot store. */
export function checkNoNul(field: string, value: string | null | undefined): void {
  if (value?.includes('\u0000') === true) throw badInput(`${field} contains a NUL character`, { field });
}

/** At most this much of a refused value is repeated in the refusal. */
const echoedChars = 64;

/** The start of a refused value, to name it in a message without repeating all of it. */
export const echo = (text: string): string =>
  text.length <= echoedChars ? text : `${text.slice(0, echoedChars)}… (${text.length} characters)`;
