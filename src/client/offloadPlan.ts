import { SHA256_FIELD } from '../domain/inputs/inputReferences.js';
import type { NetworkInput } from '../domain/networks/networkInput.js';
import { ApiError } from './ApiClient.js';
import type { RequestSizeLimits } from './requestSizeLimits.js';

/**
 * Which values of a network travel as input objects (docs/inputs.md), decided before anything is sent:
 * every value over the threshold (64 KiB); then, in any components object whose JSON is still over the
 * server's cap on one value, its values largest first until it fits; then values anywhere, largest first,
 * until the createNetwork request fits the server's request cap less REQUEST_MARGIN_BYTES. A network too
 * big even with every value offloaded (too many systems or transformations for one request) is refused
 * here, before a byte is uploaded.
 *
 * Sizes are exact without writing the network out once per choice: a value's place in the JSON holds
 * either the value or a reference, and a reference `{":input:":"<64 hex>"}` has one length, so the request
 * is its skeleton (every candidate a reference, written once) plus what each value kept inline adds.
 */

/** One place a value may leave for a reference. */
export interface Candidate {
  value: unknown;
  /** Puts the reference there (or the value back). */
  replace(replacement: unknown): void;
  /** The components object the place is in, whose JSON the server caps; none for settings or whole components. */
  group?: object;
}

export interface PlannedValue {
  size: number;
  places: Candidate[];
}

/** Room left in a request for its query text, variables other than the network, and the JSON around them. */
export const REQUEST_MARGIN_BYTES = 8 * 1024;

const placeholder = { [SHA256_FIELD]: '0'.repeat(64) };
const referenceBytes = Buffer.byteLength(JSON.stringify(placeholder), 'utf8');
// The engine's serialiser: canonical JSON differs from it only in the order of object keys, so lengths agree.
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

const countOf = (list: unknown) => (Array.isArray(list) ? list.length : 0);

export interface OffloadCaps extends RequestSizeLimits {
  thresholdBytes: number;
}

/** The values to offload (each object once, however many places share it), in the order chosen. */
export function planOffload(network: NetworkInput, candidates: Candidate[], caps: OffloadCaps): Map<unknown, PlannedValue> {
  const values = new Map<unknown, PlannedValue>();
  for (const candidate of candidates) {
    const known = values.get(candidate.value);
    if (known !== undefined) known.places.push(candidate);
    else values.set(candidate.value, { size: jsonBytes(candidate.value), places: [candidate] });
  }

  for (const candidate of candidates) candidate.replace(placeholder);
  let requestBytes = jsonBytes(network);
  const groupBytes = new Map<object, number>();
  for (const { group } of candidates) if (group !== undefined && !groupBytes.has(group)) groupBytes.set(group, jsonBytes(group));
  for (const candidate of candidates) candidate.replace(candidate.value);
  for (const candidate of candidates) {
    const added = values.get(candidate.value)!.size - referenceBytes;
    requestBytes += added;
    if (candidate.group !== undefined) groupBytes.set(candidate.group, groupBytes.get(candidate.group)! + added);
  }

  const chosen = new Map<unknown, PlannedValue>();
  const choose = (value: unknown) => {
    const planned = values.get(value)!;
    chosen.set(value, planned);
    for (const place of planned.places) {
      requestBytes -= planned.size - referenceBytes;
      if (place.group !== undefined) groupBytes.set(place.group, groupBytes.get(place.group)! - (planned.size - referenceBytes));
    }
  };
  for (const [value, { size }] of values) if (size > caps.thresholdBytes) choose(value);

  // Largest first; a value no longer than a reference saves nothing.
  const bySize = [...values].filter(([, { size }]) => size > referenceBytes).sort(([, a], [, b]) => b.size - a.size);
  for (const [group] of groupBytes) {
    for (const [value, { places }] of bySize) {
      if (groupBytes.get(group)! <= caps.maxJsonValueBytes) break;
      if (!chosen.has(value) && places.some((place) => place.group === group)) choose(value);
    }
  }
  const budget = caps.maxRequestBytes - REQUEST_MARGIN_BYTES;
  for (const [value] of bySize) {
    if (requestBytes <= budget) break;
    if (!chosen.has(value)) choose(value);
  }
  if (requestBytes > budget) {
    throw new ApiError(
      'PAYLOAD_TOO_LARGE',
      `network "${String(network.name)}" (${countOf(network.chemicalSystems)} chemical systems, ${countOf(network.transformations)} transformations) ` +
        `takes ${requestBytes} bytes of JSON even with every component and settings stored as an input object, over the ` +
        `server's request cap of ${caps.maxRequestBytes} bytes (less ${REQUEST_MARGIN_BYTES} for the rest of the request): ` +
        'split it into several networks, or raise DAGKEEPER_MAX_REQUEST_BYTES on the server (nothing was sent or created)',
      { requestBytes, maxRequestBytes: caps.maxRequestBytes },
    );
  }
  return chosen;
}
