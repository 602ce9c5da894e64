import { createHash } from 'node:crypto';
import { canonicalJson } from '../contentKey.js';
import type { ObjectStore } from '../objects/ObjectStore.js';

/**
 * Where a result's text (a unit result document, its log, a ProtocolDAGResult document) is kept. Most
 * are a few hundred bytes: those stay in the state store, in the row that records them, so the row's
 * commit makes them durable too and a reader gets them with the row; an object-store write costs a
 * file or an HTTP request of its own (about 1 ms of CPU for the local store's create, fsync and rename).
 * Bigger ones, and any with a NUL character, go to the object store under their key.
 */
export const inlineTextMaxBytes = 64 * 1024;

/** Exactly one of the two is set. */
export interface PlacedText {
  objectKey: string | null;
  inline: string | null;
}

export async function placeText(
  objects: ObjectStore,
  key: string,
  text: string,
  options: { sha256?: string; contentType: string },
): Promise<PlacedText & { size: number }> {
  const size = Buffer.byteLength(text);
  // PostgreSQL text cannot hold NUL: such a text (a log of binary output) is kept whole in the object store.
  if (size <= inlineTextMaxBytes && !text.includes('\u0000')) return { objectKey: null, inline: text, size };
  const stored = await objects.put(key, text, options);
  return { objectKey: key, inline: null, size: stored.size };
}

export async function readPlacedText(objects: ObjectStore, placed: PlacedText): Promise<string> {
  if (placed.inline !== null) return placed.inline;
  if (placed.objectKey === null) throw new Error('a placed text has neither its text nor an object key');
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(placed.objectKey)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readPlacedJson(objects: ObjectStore, placed: PlacedText): Promise<unknown> {
  return JSON.parse(await readPlacedText(objects, placed)) as unknown;
}

/** A JSON document as results record it: its canonical text and that text's SHA-256. */
export function documentText(document: unknown): { text: string; sha256: string } {
  const text = canonicalJson(document);
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Places a result's JSON document; the answer is the row's fields that say where it is and what it is. */
export async function placeDocument(
  objects: ObjectStore,
  key: string,
  { text, sha256 }: { text: string; sha256: string },
): Promise<{ objectKey: string | null; document: string | null; sha256: string; size: number }> {
  const placed = await placeText(objects, key, text, { sha256, contentType: 'application/json' });
  return { objectKey: placed.objectKey, document: placed.inline, sha256, size: placed.size };
}
