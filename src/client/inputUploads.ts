import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { writeCanonicalJson } from '../domain/contentKey.js';
import { asReference, KEY_FIELD, SHA256_FIELD } from '../domain/inputs/inputReferences.js';
import type { NetworkInput } from '../domain/networks/networkInput.js';
import { sendByTicket, uploadTicketFields } from '../transfers/sendByTicket.js';
import type { UploadTicket } from '../transfers/sendByTicket.js';
import { putStream } from '../transfers/upload.js';
import { ApiError } from './ApiClient.js';
import type { ApiClient } from './ApiClient.js';
import { planOffload } from './offloadPlan.js';
import type { Candidate } from './offloadPlan.js';
import { requestSizeLimits } from './requestSizeLimits.js';
import type { RequestSizeLimits } from './requestSizeLimits.js';

/**
 * Sends a network of any size (docs/inputs.md): every component (each value of a components object, or
 * the whole components when they are not an object) and every settings whose canonical JSON is over
 * OFFLOAD_THRESHOLD_BYTES becomes an input object of the scope, and the network holds its reference
 * `{":input:": sha256}` instead; then more of them, largest first, while a components object or the
 * createNetwork request would be over the server's caps (offloadPlan.ts). An object's content is the
 * value's canonical JSON (UTF-8), so equal values hash equal and are stored once however many systems
 * share them; a value is hashed on the client first and sent only when the scope does not hold it yet.
 *
 * Memory: the network itself is in memory (it was parsed or built there), and the bytes of one large
 * value at a time: each is written as canonical JSON in pieces (never one huge string), hashed, checked
 * against the scope, sent (gzip-compressed when that saves MIN_GZIP_SAVING) if new, and let go before
 * the next. A value shared by many systems (one object) is encoded once.
 */

/** Values larger than this (bytes of canonical JSON) travel as input objects. */
export const OFFLOAD_THRESHOLD_BYTES = 64 * 1024;
/** Content is sent gzip-compressed when that saves at least this fraction of its bytes. */
export const MIN_GZIP_SAVING = 0.1;
/** References looked up per request, each an aliased root field: within the server's default limit of 20. */
const LOOKUPS_PER_REQUEST = 15;

/** Bytes of content to send, then as they go (the CLI's progress bar). */
export interface OffloadProgress {
  start(totalBytes: number): void;
  advance(bytes: number): void;
}

export interface OffloadOptions {
  thresholdBytes?: number;
  /** The server's caps the request must fit; asked of the server (Query.requestSizeLimits) when not given. */
  sizeLimits?: RequestSizeLimits;
  progress?: OffloadProgress;
}

export interface OffloadedObject {
  sha256: string;
  size: number;
  /** False when the scope held it already. */
  sent: boolean;
}

export interface OffloadedNetwork {
  /** The network to submit: large values replaced by references. */
  network: NetworkInput;
  objects: OffloadedObject[];
}

/** The scope's input objects with these SHA-256s, those it holds (one request per LOOKUPS_PER_REQUEST). */
async function heldObjects(api: ApiClient, scope: string, references: { sha256s: string[]; keys: string[] }): Promise<Set<string>> {
  const lookups = [
    ...references.sha256s.map((sha256) => ({ field: 'inputObject', argument: 'sha256', value: sha256 })),
    ...references.keys.map((key) => ({ field: 'inputObjectByKey', argument: 'key', value: key })),
  ];
  const held = new Set<string>();
  for (let start = 0; start < lookups.length; start += LOOKUPS_PER_REQUEST) {
    const batch = lookups.slice(start, start + LOOKUPS_PER_REQUEST);
    const body = batch.map((l, i) => `o${i}: ${l.field}(scope: $scope, ${l.argument}: $v${i}) { sha256 }`).join(' ');
    const params = batch.map((_, i) => `$v${i}: String!`).join(', ');
    const data = await api.request<Record<string, { sha256: string } | null>>(
      `query ($scope: String!, ${params}) { ${body} }`,
      Object.fromEntries([['scope', scope], ...batch.map((l, i) => [`v${i}`, l.value])]),
    );
    batch.forEach((lookup, i) => {
      if (data[`o${i}`] !== null && data[`o${i}`] !== undefined) held.add(lookup.value);
    });
  }
  return held;
}

/**
 * Refuses, before anything is sent, a network whose own references name objects the scope does not
 * hold: the server would refuse it the same way, but only after the large values had been uploaded.
 */
async function checkHeldReferences(api: ApiClient, scope: string, values: unknown[]): Promise<void> {
  const references = distinctReferences(values);
  if (references.sha256s.length + references.keys.length === 0) return;
  const held = await heldObjects(api, scope, references);
  const missing = [
    ...references.sha256s.filter((s) => !held.has(s)).map((sha256) => ({ [SHA256_FIELD]: sha256 })),
    ...references.keys.filter((k) => !held.has(k)).map((key) => ({ [KEY_FIELD]: key })),
  ];
  if (missing.length > 0) {
    throw new ApiError(
      'INPUT_NOT_FOUND',
      `the network refers to ${missing.length} input object(s) that scope ${scope} does not hold: upload them first (nothing was sent or created)`,
      { missing: missing.slice(0, 20), missingCount: missing.length },
    );
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The references inside the values, each shared object walked once: a network built by a program holds
 * one protein object in every chemical system, and walking it hundreds of times would cost seconds.
 */
function distinctReferences(values: unknown[]): { sha256s: string[]; keys: string[] } {
  const sha256s = new Set<string>();
  const keys = new Set<string>();
  const seen = new WeakSet<object>();
  const stack: unknown[] = [...values];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    const reference = asReference(next);
    if (reference !== null) {
      if ('sha256' in reference) sha256s.add(reference.sha256);
      else keys.add(reference.key);
    } else {
      for (const item of Array.isArray(next) ? next : Object.values(next)) if (typeof item === 'object') stack.push(item);
    }
  }
  return { sha256s: [...sha256s], keys: [...keys] };
}

const referenceFree = new WeakMap<object, boolean>();

function holdsReference(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let free = referenceFree.get(value);
  if (free === undefined) {
    const { sha256s, keys } = distinctReferences([value]);
    free = sha256s.length + keys.length === 0;
    referenceFree.set(value, free);
  }
  return !free;
}

/** The values that may travel as input objects, each with where its reference goes. */
function candidatesOf(network: NetworkInput): { network: NetworkInput; candidates: Candidate[] } {
  const candidates: Candidate[] = [];
  // A value holding references stays inline: the server checks references only where the network holds them.
  const offloadable = (value: unknown) => value !== undefined && asReference(value) === null && !holdsReference(value);
  // Anything not shaped like a network is passed on untouched, for the server to refuse by name.
  if (!Array.isArray(network.chemicalSystems) || !Array.isArray(network.transformations)) return { network, candidates };
  const chemicalSystems = network.chemicalSystems.map((system) => {
    if (!isPlainObject(system)) return system;
    const copy = { ...system };
    if (isPlainObject(system.components) && asReference(system.components) === null) {
      const components: Record<string, unknown> = { ...system.components };
      copy.components = components;
      for (const [name, value] of Object.entries(components)) {
        if (offloadable(value)) candidates.push({ value, replace: (reference) => (components[name] = reference), group: components });
      }
    } else if (offloadable(system.components)) {
      candidates.push({ value: system.components, replace: (reference) => (copy.components = reference) });
    }
    return copy;
  });
  const transformations = network.transformations.map((transformation) => {
    if (!isPlainObject(transformation)) return transformation;
    const copy = { ...transformation };
    if (offloadable(transformation.settings)) {
      candidates.push({ value: transformation.settings, replace: (reference) => (copy.settings = reference) });
    }
    return copy;
  });
  return { network: { ...network, chemicalSystems, transformations }, candidates };
}

/** A value's content: its canonical JSON as UTF-8, in pieces, with their SHA-256 and size. */
function encode(value: unknown): UploadContent {
  const hash = createHash('sha256');
  const pieces: Buffer[] = [];
  let size = 0;
  writeCanonicalJson(value, (text) => {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(bytes);
    pieces.push(bytes);
    size += bytes.length;
  });
  return { sha256: hash.digest('hex'), size, pieces };
}

async function gzipped(pieces: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces), createGzip(), async (compressed: AsyncIterable<Buffer>) => {
    for await (const chunk of compressed) out.push(chunk);
  });
  return out;
}

const totalLength = (pieces: readonly Buffer[]) => pieces.reduce((sum, piece) => sum + piece.length, 0);

/** The bytes from `offset` to `offset + size` of pieces laid end to end, without copying them. */
function* slice(pieces: readonly Buffer[], offset: number, size: number): Generator<Buffer> {
  let skip = offset;
  let left = size;
  for (const piece of pieces) {
    if (left === 0) return;
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    const part = piece.subarray(skip, skip + left);
    skip = 0;
    left -= part.length;
    yield part;
  }
}

export interface UploadContent {
  sha256: string;
  size: number;
  /** The content, in pieces laid end to end. */
  pieces: Buffer[];
  /** A client key of the caller's own (not used by the CLI, which refers by content). */
  key?: string;
}

interface InputObjectAnswer {
  sha256: string;
}

/**
 * Stores content as an input object of `scope` (createInputUpload, the bytes as the ticket says,
 * commitInputUpload); gzip-compressed when that pays. Resolves true when bytes were sent, false when
 * the scope held the content already. `onSent` gets content bytes as they go.
 */
export async function uploadInput(
  api: ApiClient,
  scope: string,
  content: UploadContent,
  onSent: (contentBytes: number) => void = () => undefined,
): Promise<boolean> {
  const compressed = content.size >= OFFLOAD_THRESHOLD_BYTES ? await gzipped(content.pieces) : null;
  const compressedSize = compressed === null ? Number.POSITIVE_INFINITY : totalLength(compressed);
  const useGzip = compressed !== null && compressedSize <= content.size * (1 - MIN_GZIP_SAVING);
  const body = useGzip ? compressed : content.pieces;
  const bodySize = useGzip ? compressedSize : content.size;
  const { createInputUpload: answer } = await api.request<{
    createInputUpload: { object: InputObjectAnswer | null; upload: UploadTicket | null };
  }>(`mutation ($input: InputUploadInput!) { createInputUpload(input: $input) { object { sha256 } upload { ${uploadTicketFields} } } }`, {
    input: {
      scope,
      sha256: content.sha256,
      size: content.size,
      encoding: useGzip ? 'GZIP' : 'IDENTITY',
      ...(useGzip ? { encodedSize: bodySize } : {}),
      ...(content.key === undefined ? {} : { key: content.key }),
    },
  });
  if (answer.object !== null || answer.upload === null) {
    onSent(content.size);
    return false;
  }
  const ticket = answer.upload;
  // Progress counts content bytes: a compressed body advances in proportion.
  const contentPerByte = bodySize === 0 ? 0 : content.size / bodySize;
  let reported = 0;
  const put = (url: string, offset: number, size: number) => {
    let sentHere = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sentHere += chunk.length;
        const due = Math.round((offset + sentHere) * contentPerByte);
        if (due > reported) {
          onSent(due - reported);
          reported = due;
        }
        done(null, chunk);
      },
    });
    return putStream(url, Readable.from(slice(body, offset, size)).pipe(meter), size, `input object ${content.sha256}`);
  };
  const parts = await sendByTicket(ticket, bodySize, put, async (first) => {
    const { continueInputUpload } = await api.request<{ continueInputUpload: UploadTicket }>(
      `mutation ($id: ID!, $first: Int!) { continueInputUpload(uploadId: $id, firstPartNumber: $first) { ${uploadTicketFields} } }`,
      { id: ticket.uploadId, first },
    );
    return continueInputUpload;
  });
  await api.request('mutation ($id: ID!, $parts: [UploadedPartInput!]) { commitInputUpload(uploadId: $id, parts: $parts) { sha256 } }', {
    id: ticket.uploadId,
    parts,
  });
  if (content.size > reported) onSent(content.size - reported);
  return true;
}

/**
 * The network with its large values stored as input objects of `scope` and replaced by references;
 * references it holds already are kept as they are, after checking that the scope holds them.
 */
export async function offloadNetwork(
  api: ApiClient,
  scope: string,
  input: NetworkInput,
  options: OffloadOptions = {},
): Promise<OffloadedNetwork> {
  const limits = options.sizeLimits ?? (await requestSizeLimits(api));
  const { network, candidates } = candidatesOf(input);
  // Sizes first, so a network too big for one request is refused before anything is sent.
  const large = planOffload(network, candidates, { ...limits, thresholdBytes: options.thresholdBytes ?? OFFLOAD_THRESHOLD_BYTES });
  await checkHeldReferences(api, scope, [input.chemicalSystems, input.transformations]);

  const progress = options.progress;
  progress?.start([...large.values()].reduce((sum, value) => sum + value.size, 0));
  const objects = new Map<string, OffloadedObject>();
  for (const [value, { places }] of large) {
    // One value's bytes at a time: encoded, hashed, sent if the scope lacks them, then let go.
    const content = encode(value);
    for (const place of places) place.replace({ [SHA256_FIELD]: content.sha256 });
    if (objects.has(content.sha256)) {
      progress?.advance(content.size);
      continue;
    }
    const held = await heldObjects(api, scope, { sha256s: [content.sha256], keys: [] });
    let sent = false;
    if (held.has(content.sha256)) progress?.advance(content.size);
    else sent = await uploadInput(api, scope, content, (bytes) => progress?.advance(bytes));
    objects.set(content.sha256, { sha256: content.sha256, size: content.size, sent });
  }
  return { network, objects: [...objects.values()] };
}
