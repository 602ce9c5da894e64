import { badInput } from './errors.js';
import { formatScope, parseScope } from './scope.js';
import type { Scope } from './scope.js';
import { echo } from './textLimits.js';

/** `Kind-<hash>-org-campaign-project`: a content key together with the scope it lives in. */
export interface ScopedKey {
  key: string;
  scope: Scope;
}

const keyPattern = /^[A-Za-z]+-[0-9a-f]{32}$/;

export const formatScopedKey = (key: string, scope: Scope): string => `${key}-${formatScope(scope)}`;

export function parseScopedKey(text: string, expectedKind?: string): ScopedKey {
  const parts = text.split('-');
  const key = parts.slice(0, 2).join('-');
  if (parts.length !== 5 || !keyPattern.test(key) || (expectedKind !== undefined && parts[0] !== expectedKind)) {
    const kind = expectedKind ?? 'Kind';
    throw badInput(`"${echo(text)}" is not a scoped key: expected ${kind}-<32 hex digits>-org-campaign-project`, { scopedKey: echo(text) });
  }
  return { key, scope: parseScope(parts.slice(2).join('-')) };
}
