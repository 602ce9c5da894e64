import type { IdentityKind } from '../principal.js';
import type { ScopePattern } from '../scope.js';
import type { LoggedRevocation, Revoked } from './RevocationFeed.js';

export interface IdentityRecord {
  id: string;
  kind: IdentityKind;
  name: string;
  isAdmin: boolean;
  createdAt: Date;
  disabledAt: Date | null;
}

/** A token as its owner and administrators see it: never its hash. */
export interface TokenRecord {
  id: string;
  identityId: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A token with everything a request needs to know of its holder: what every request reads first. */
export interface TokenHolder {
  tokenId: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  identityId: string;
  kind: IdentityKind;
  name: string;
  isAdmin: boolean;
  disabledAt: Date | null;
  /** In org, campaign, project order. */
  scopes: ScopePattern[];
}

/** A token about to be stored: only its hash ever is. */
export interface NewToken {
  tokenHash: string;
  label: string | null;
  expiresAt: Date | null;
}

/** Identities, their scope patterns and tokens (stored as SHA-256 only), and the revocation log. */
export interface IdentityRepository {
  /**
   * The holders of tokens by hash, in the order asked (`undefined` for a hash that names no token), in
   * one statement: every request runs it, batched (see IdentityService).
   */
  findTokenHolders(tokenHashes: readonly string[]): Promise<Array<TokenHolder | undefined>>;
  /** Notes when a token was last used (bookkeeping, not security). */
  noteTokenUsed(tokenId: string, at: Date): Promise<void>;
  /** Whether any administrator exists, disabled or not. */
  hasAdmin(): Promise<boolean>;
  /** Stores an identity with its scope patterns and first token; CONFLICT when one of its kind has the name. */
  createIdentity(identity: {
    kind: IdentityKind;
    name: string;
    isAdmin: boolean;
    scopes: readonly ScopePattern[];
    token: NewToken;
  }): Promise<IdentityRecord>;
  findIdentity(id: string): Promise<IdentityRecord | null>;
  /** Every identity, users first, then by name. */
  listIdentities(): Promise<IdentityRecord[]>;
  /** Marks the identity disabled at `at`; NOT_FOUND when there is none. */
  disableIdentity(id: string, at: Date): Promise<IdentityRecord>;
  addToken(identityId: string, token: NewToken): Promise<TokenRecord>;
  findToken(id: string): Promise<TokenRecord | null>;
  /** Marks the token revoked at `at`; NOT_FOUND when there is none. */
  revokeToken(id: string, at: Date): Promise<TokenRecord>;
  /** The scope patterns of many identities, each identity's in org, campaign, project order. */
  scopePatternsOf(identityIds: readonly string[]): Promise<Array<{ identityId: string; pattern: ScopePattern }>>;
  /** The tokens of many identities, oldest first. */
  tokensOf(identityIds: readonly string[]): Promise<TokenRecord[]>;
  /**
   * Appends to the revocation log and wakes every replica's reader at commit. Call it inside a
   * transaction, as its last statement: the log is ordered by commit (see sql/revocations.ts).
   */
  logRevocation(revoked: Revoked): Promise<void>;
  /** Revocations logged after `afterId`, in log (commit) order. */
  revocationsAfter(afterId: bigint): Promise<LoggedRevocation[]>;
  /** The newest revocation's id, 0 when there is none: where a replica starting now begins to read. */
  latestRevocationId(): Promise<bigint>;
}
