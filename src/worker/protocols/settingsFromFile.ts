import { readFileSync } from 'node:fs';
import { asReference } from '../../domain/inputs/inputReferences.js';

/**
 * Settings too big to travel inline are an input object (docs/inputs.md): the worker hands them over as
 * a reference with the cached file's `path`, holding the settings' JSON. The built-in protocols read them
 * from there when they run on a worker (never in the server's check at createNetwork, which skips
 * settings given by reference); anything else is returned as it came, for their parsers to judge.
 */
export function settingsFromFile(settings: unknown): unknown {
  const reference = asReference(settings, ['path']);
  const path = reference === null ? undefined : (settings as { path?: unknown }).path;
  if (typeof path !== 'string') return settings;
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}
