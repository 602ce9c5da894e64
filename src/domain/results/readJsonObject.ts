import type { ObjectStore } from '../objects/ObjectStore.js';

/** Reads a small JSON object (a DAG, a unit result) from the object store. */
export async function readJsonObject(objects: ObjectStore, key: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of await objects.get(key)) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
