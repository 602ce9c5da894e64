import { createHash } from 'node:crypto';
import { badInput } from './errors.js';

/**
 * Content-hash keys: two values with the same JSON content get the same key whatever order their object
 * keys were written in, so a resubmitted ProtocolDAG (or any other content-addressed value) is recognised.
 * Only strict JSON is hashed: a value JSON.stringify would silently change (NaN → null, a Map → {}) would
 * make two different inputs collide, so it is refused instead.
 */

/**
 * Far deeper than any JSON we store (DAG inputs stop at 64 levels), and far from the engine's stack limit,
 * so a maliciously deep value is refused instead of crashing the recursion.
 */
const MAX_DEPTH = 512;
/** The kind is the key's prefix; `-` separates it from the hash, so the kind cannot contain one. */
const KIND = /^[A-Za-z][A-Za-z0-9_]*$/;
const HASH_HEX_CHARS = 32;

/** `${kind}-${first 32 hex characters of the SHA-256 of canonicalJson(value)}`. */
export function contentKey(kind: string, value: unknown): string {
  if (!KIND.test(kind)) {
    throw new RangeError(`content key kind ${JSON.stringify(kind)} must be letters, digits or _, starting with a letter`);
  }
  const digest = createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
  return `${kind}-${digest.slice(0, HASH_HEX_CHARS)}`;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, like Array.prototype.sort) at every level and no
 * whitespace. Object properties whose value is undefined are omitted, as JSON.stringify does; everything
 * else that is not JSON (functions, symbols, bigints, NaN, ±Infinity, undefined in an array, class
 * instances such as Date or Map, cycles) is refused with BAD_USER_INPUT.
 */
export function canonicalJson(value: unknown): string {
  const walk: Walk = { parts: [], path: [], ancestors: new Set() };
  writeValue(value, walk);
  return walk.parts.join('');
}

/** Pieces of text gathered before a streaming walk hands them on as one string. */
const STREAM_PARTS = 16_384;

/**
 * canonicalJson's text handed to `write` in pieces as the walk goes: a value of hundreds of MB (an
 * input object's content) is hashed or encoded without its whole text, or the many small strings it
 * is made of, ever being held at once. Concatenated, the pieces are exactly canonicalJson(value).
 */
export function writeCanonicalJson(value: unknown, write: (text: string) => void): void {
  const walk: Walk = { parts: [], path: [], ancestors: new Set(), flush: write };
  writeValue(value, walk);
  if (walk.parts.length > 0) write(walk.parts.join(''));
}

interface Walk {
  parts: string[];
  /** Set by writeCanonicalJson: takes the parts gathered so far whenever there are STREAM_PARTS of them. */
  flush?: (text: string) => void;
  /** Where the walk is, kept as segments so a readable location is only built when something is refused. */
  path: Array<string | number>;
  /** The containers enclosing the current value: meeting one again is a cycle, while shared references are fine. */
  ancestors: Set<object>;
}

function writeValue(value: unknown, walk: Walk): void {
  switch (typeof value) {
    case 'string':
      walk.parts.push(JSON.stringify(value));
      return;
    case 'boolean':
      walk.parts.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw refuse(walk, `${value} is not a JSON number`);
      walk.parts.push(JSON.stringify(value));
      return;
    case 'object':
      if (value === null) walk.parts.push('null');
      else writeContainer(value, walk);
      return;
    default:
      throw refuse(walk, `${value === undefined ? 'undefined' : `a ${typeof value}`} is not a JSON value`);
  }
}

function writeContainer(value: object, walk: Walk): void {
  if (walk.ancestors.has(value)) throw refuse(walk, 'the value contains itself (a cycle)');
  if (walk.ancestors.size >= MAX_DEPTH) throw refuse(walk, `the value is nested deeper than ${MAX_DEPTH} levels`);
  walk.ancestors.add(value);
  if (Array.isArray(value)) writeArray(value, walk);
  else if (isPlainObject(value)) writeObject(value, walk);
  else throw refuse(walk, `a ${value.constructor?.name ?? 'non-plain object'} is not a JSON object`);
  walk.ancestors.delete(value);
}

function writeArray(items: readonly unknown[], walk: Walk): void {
  walk.parts.push('[');
  // An index loop, not for-of over entries: holes must reach writeValue as undefined and be refused.
  for (let index = 0; index < items.length; index += 1) {
    if (index > 0) walk.parts.push(',');
    walk.path.push(index);
    writeValue(items[index], walk);
    walk.path.pop();
    if (walk.flush !== undefined && walk.parts.length >= STREAM_PARTS) flushParts(walk, walk.flush);
  }
  walk.parts.push(']');
}

function writeObject(object: Readonly<Record<string, unknown>>, walk: Walk): void {
  walk.parts.push('{');
  let first = true;
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (member === undefined) continue;
    if (!first) walk.parts.push(',');
    first = false;
    walk.parts.push(JSON.stringify(key), ':');
    walk.path.push(key);
    writeValue(member, walk);
    walk.path.pop();
    if (walk.flush !== undefined && walk.parts.length >= STREAM_PARTS) flushParts(walk, walk.flush);
  }
  walk.parts.push('}');
}

function flushParts(walk: Walk, write: (text: string) => void): void {
  write(walk.parts.join(''));
  walk.parts = [];
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function refuse(walk: Walk, reason: string) {
  const at = formatPath(walk.path);
  return badInput(`not JSON at ${at}: ${reason}`, { path: at });
}

/** `$.units[2].inputs["odd key"]`: the JSONPath-like form most JSON tools print. */
function formatPath(path: ReadonlyArray<string | number>): string {
  const segments = path.map((segment) => {
    if (typeof segment === 'number') return `[${segment}]`;
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  });
  return `$${segments.join('')}`;
}
