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
  const ready = inSortedOrder(value, new Set());
  // JSON.stringify writes exactly the walk's text for such a value, natively and without the walk's
  // garbage of small strings: several times faster on a large value.
  if (ready !== notForStringify) return JSON.stringify(ready);
  const walk: Walk = { text: '', path: [], ancestors: new Set() };
  writeValue(value, walk);
  return walk.text;
}

const notForStringify = Symbol('left to the walk');

/**
 * `member` with every object's keys in sorted order (the value itself where they already are, copies
 * of the objects that are not and of the containers holding them), when JSON.stringify would write it
 * exactly as the walk does: strict JSON, no cycle, no deeper than MAX_DEPTH, and no object key an
 * array index would be (those an object lists first, in numeric order, whatever order they were set
 * in, so no copy could hold them sorted). Otherwise notForStringify: the walk writes it, or says why
 * it is refused.
 */
function inSortedOrder(member: unknown, ancestors: Set<object>): unknown {
  switch (typeof member) {
    case 'string':
    case 'boolean':
      return member;
    case 'number':
      return Number.isFinite(member) ? member : notForStringify;
    case 'object': {
      if (member === null) return member;
      if (ancestors.has(member) || ancestors.size >= MAX_DEPTH) return notForStringify;
      ancestors.add(member);
      const ready = Array.isArray(member)
        ? arrayInSortedOrder(member, ancestors)
        : isPlainObject(member)
          ? objectInSortedOrder(member, ancestors)
          : notForStringify;
      ancestors.delete(member);
      return ready;
    }
    default:
      return notForStringify;
  }
}

function arrayInSortedOrder(items: readonly unknown[], ancestors: Set<object>): unknown {
  // JSON.stringify would call an array's own toJSON; the walk writes its items.
  if ((items as { toJSON?: unknown }).toJSON !== undefined) return notForStringify;
  let copy: unknown[] | undefined;
  // An index loop: a hole reads as undefined and leaves the array to the walk, which refuses it.
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    const ready = inSortedOrder(item, ancestors);
    if (ready === notForStringify) return notForStringify;
    if (copy === undefined && ready !== item) copy = items.slice(0, index);
    copy?.push(ready);
  }
  return copy ?? items;
}

function objectInSortedOrder(object: Readonly<Record<string, unknown>>, ancestors: Set<object>): unknown {
  const keys = Object.keys(object);
  let sorted = true;
  for (let index = 0; index < keys.length; index += 1) {
    if (isArrayIndex(keys[index]!)) return notForStringify;
    if (index > 0 && keys[index]! < keys[index - 1]!) sorted = false;
  }
  if (!sorted) keys.sort();
  let copy: Record<string, unknown> | undefined = sorted ? undefined : {};
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    const item = object[key];
    if (item === undefined) continue;
    const ready = inSortedOrder(item, ancestors);
    if (ready === notForStringify) return notForStringify;
    if (copy === undefined && ready !== item) {
      copy = {};
      for (const earlier of keys.slice(0, index)) if (object[earlier] !== undefined) setKey(copy, earlier, object[earlier]);
    }
    if (copy !== undefined) setKey(copy, key, ready);
  }
  return copy ?? object;
}

/** A plain object's "__proto__" is its prototype's setter: define the key, as JSON.parse does. */
function setKey(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** A key an object keeps in numeric order ahead of the others: "0", "7", "4294967294", not "07" or "4294967295". */
function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false;
  return /^(0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4_294_967_295;
}

/** Characters gathered before a streaming walk hands them on as one string. */
const STREAM_CHARS = 64 * 1024;

/**
 * canonicalJson's text handed to `write` in pieces as the walk goes: a value of hundreds of MB (an
 * input object's content) is hashed or encoded without its whole text, or the many small strings it
 * is made of, ever being held at once. Concatenated, the pieces are exactly canonicalJson(value).
 */
export function writeCanonicalJson(value: unknown, write: (text: string) => void): void {
  const walk: Walk = { text: '', path: [], ancestors: new Set(), flush: write };
  writeValue(value, walk);
  if (walk.text.length > 0) write(walk.text);
}

interface Walk {
  text: string;
  /** Set by writeCanonicalJson: takes the text gathered so far whenever it reaches STREAM_CHARS. */
  flush?: (text: string) => void;
  /** Where the walk is, kept as segments so a readable location is only built when something is refused. */
  path: Array<string | number>;
  /** The containers enclosing the current value: meeting one again is a cycle, while shared references are fine. */
  ancestors: Set<object>;
}

function writeValue(value: unknown, walk: Walk): void {
  switch (typeof value) {
    case 'string':
      walk.text += JSON.stringify(value);
      return;
    case 'boolean':
      walk.text += value ? 'true' : 'false';
      return;
    case 'number':
      if (!Number.isFinite(value)) throw refuse(walk, `${value} is not a JSON number`);
      // JSON.stringify writes a finite number as String does (both are the spec's Number::toString).
      walk.text += String(value);
      return;
    case 'object':
      if (value === null) walk.text += 'null';
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
  walk.text += '[';
  // An index loop, not for-of over entries: holes must reach writeValue as undefined and be refused.
  for (let index = 0; index < items.length; index += 1) {
    if (index > 0) walk.text += ',';
    walk.path.push(index);
    writeValue(items[index], walk);
    walk.path.pop();
    if (walk.flush !== undefined && walk.text.length >= STREAM_CHARS) flushText(walk, walk.flush);
  }
  walk.text += ']';
}

function writeObject(object: Readonly<Record<string, unknown>>, walk: Walk): void {
  walk.text += '{';
  let first = true;
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (member === undefined) continue;
    walk.text += (first ? '' : ',') + JSON.stringify(key) + ':';
    first = false;
    walk.path.push(key);
    writeValue(member, walk);
    walk.path.pop();
    if (walk.flush !== undefined && walk.text.length >= STREAM_CHARS) flushText(walk, walk.flush);
  }
  walk.text += '}';
}

function flushText(walk: Walk, write: (text: string) => void): void {
  write(walk.text);
  walk.text = '';
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
