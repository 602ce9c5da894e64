import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { mapReferences } from '../domain/inputs/inputReferences.js';
import type { InputReference } from '../domain/inputs/inputReferences.js';
import type { NetworkInput } from '../domain/networks/networkInput.js';
import { downloadVerified } from '../transfers/download.js';
import { ApiError } from './ApiClient.js';
import type { ApiClient } from './ApiClient.js';

/**
 * A network in the shape it was submitted in (`network create`'s file: name, chemical systems with their
 * components, transformations naming their end states), with every input object it refers to put back
 * in place of its reference. Each object is downloaded once, decoded, and checked against its SHA-256
 * before any of it is written; its content (canonical JSON, as `network create` stores it) then goes
 * from disk into the output as it is, so a value of hundreds of MB is never parsed or held in memory.
 */

interface InputObjectView {
  sha256: string;
  size: number;
  encoding: 'IDENTITY' | 'GZIP';
  keys: string[];
  downloadUrl: string;
}

const objectFields = 'sha256 size encoding keys downloadUrl';
const networkQuery = `query ($key: ID!) { network(scopedKey: $key) { name scope
  chemicalSystems { name components inputObjects { ${objectFields} } }
  transformations { name protocol settings stateA { name } stateB { name } inputObjects { ${objectFields} } } } }`;

interface NetworkView {
  name: string;
  scope: string;
  chemicalSystems: Array<{ name: string; components: unknown; inputObjects: InputObjectView[] }>;
  transformations: Array<{
    name: string;
    protocol: string;
    settings: unknown;
    stateA: { name: string };
    stateB: { name: string };
    inputObjects: InputObjectView[];
  }>;
}

/** The network as stored, references and all, with the input objects it refers to. */
export async function fetchSubmittedNetwork(
  api: ApiClient,
  networkKey: string,
): Promise<{ network: NetworkInput; scope: string; objects: Map<string, InputObjectView> }> {
  const { network } = await api.request<{ network: NetworkView | null }>(networkQuery, { key: networkKey });
  if (network === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
  const objects = new Map<string, InputObjectView>();
  for (const holder of [...network.chemicalSystems, ...network.transformations]) {
    for (const object of holder.inputObjects) objects.set(object.sha256, object);
  }
  return {
    scope: network.scope,
    objects,
    network: {
      name: network.name,
      chemicalSystems: network.chemicalSystems.map(({ name, components }) => ({ name, components })),
      transformations: network.transformations.map((t) => ({
        name: t.name,
        stateA: t.stateA.name,
        stateB: t.stateB.name,
        protocol: t.protocol,
        settings: t.settings,
      })),
    },
  };
}

function objectFor(reference: InputReference, objects: Map<string, InputObjectView>): InputObjectView {
  const found =
    'sha256' in reference ? objects.get(reference.sha256) : [...objects.values()].find((object) => object.keys.includes(reference.key));
  if (found === undefined) {
    const named = 'sha256' in reference ? `SHA-256 ${reference.sha256}` : `key ${reference.key}`;
    throw new ApiError('INPUT_NOT_FOUND', `the network refers to input object ${named}, which the server did not list with it`);
  }
  return found;
}

export interface WriteNetworkOptions {
  /** Content bytes downloaded so far, and in all (a progress bar). */
  progress?: { start(totalBytes: number): void; advance(bytes: number): void };
}

/**
 * Writes the network `networkKey` as JSON to `out` (two-space indented; each input object's content as
 * stored, canonical JSON), every reference replaced by its content. Does not end `out`.
 */
export async function writeSubmittedNetwork(
  api: ApiClient,
  networkKey: string,
  out: Writable,
  options: WriteNetworkOptions = {},
): Promise<void> {
  const { network, objects } = await fetchSubmittedNetwork(api, networkKey);
  // Each reference becomes a marker string no user data can hold (a random nonce); the small document
  // is serialised once and each marker's place then takes the object's bytes, straight from disk.
  const nonce = randomBytes(12).toString('hex');
  const marker = (sha256: string) => `\u0000dagkeeper-input-${nonce}:${sha256}`;
  const needed = new Map<string, InputObjectView>();
  const document = mapReferences(network, (reference) => {
    const object = objectFor(reference, objects);
    needed.set(object.sha256, object);
    return marker(object.sha256);
  });
  const text = JSON.stringify(document, null, 2);

  const directory = await mkdtemp(join(tmpdir(), 'dagkeeper-network-get-'));
  try {
    options.progress?.start([...needed.values()].reduce((sum, object) => sum + object.size, 0));
    for (const object of needed.values()) {
      await downloadVerified(
        { name: `input object ${object.sha256}`, url: object.downloadUrl, size: object.size, sha256: object.sha256 },
        join(directory, object.sha256),
        (bytes) => options.progress?.advance(bytes),
        { gunzip: object.encoding === 'GZIP' },
      );
    }
    const markers = new RegExp(`"\\\\u0000dagkeeper-input-${nonce}:([0-9a-f]{64})"`, 'g');
    let from = 0;
    for (const match of text.matchAll(markers)) {
      await write(out, text.slice(from, match.index));
      // Chunk by chunk, not pipeline(…, { end: false }): that leaves its listeners on `out` each time, and
      // a network with a dozen references then warns of a listener leak on stdout.
      for await (const chunk of createReadStream(join(directory, match[1]!))) await write(out, chunk as Buffer);
      from = match.index + match[0].length;
    }
    await write(out, `${text.slice(from)}\n`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function write(out: Writable, text: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (error) => (error === null || error === undefined ? resolve() : reject(error)));
  });
}
