import { forbidden } from './errors.js';
import { formatScope, scopeMatches } from './scope.js';
import type { Scope, ScopePattern } from './scope.js';

export type IdentityKind = 'user' | 'compute';

/** Who is making a request, as established from its bearer token. */
export interface Principal {
  identityId: string;
  tokenId: string;
  /** When the token stops working (null: never); an open WebSocket is closed at that moment. */
  tokenExpiresAt?: Date | null;
  kind: IdentityKind;
  name: string;
  isAdmin: boolean;
  scopes: readonly ScopePattern[];
}

export const canAccessScope = (principal: Principal, scope: Scope): boolean =>
  principal.scopes.some((pattern) => scopeMatches(pattern, scope));

export function requireScope(principal: Principal, scope: Scope): void {
  if (!canAccessScope(principal, scope)) {
    throw forbidden(`identity ${principal.name} has no access to scope ${formatScope(scope)}`);
  }
}

export function requireAdmin(principal: Principal): void {
  if (!principal.isAdmin) throw forbidden(`identity ${principal.name} is not an administrator`);
}

export function requireKind(principal: Principal, kind: IdentityKind): void {
  if (principal.kind !== kind) {
    throw forbidden(`this operation is for ${kind} identities; ${principal.name} is a ${principal.kind} identity`);
  }
}
