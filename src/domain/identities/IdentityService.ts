import type { Logger } from '../../observability/logger.js';
import { systemClock } from '../Clock.js';
import type { Clock } from '../Clock.js';
import { Coalescer } from '../Coalescer.js';
import { ReuseWindow } from '../ReuseWindow.js';
import { groupByKey } from '../groupByKey.js';
import { checkId } from '../ids.js';
import { badInput, conflict, notFound } from '../errors.js';
import { requireAdmin } from '../principal.js';
import type { IdentityKind, Principal } from '../principal.js';
import { formatScope, parseScopePattern } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { checkLength, textLimits } from '../textLimits.js';
import type { IdentityRecord, TokenHolder, TokenRecord } from './IdentityRepository.js';
import { RevocationFeed } from './RevocationFeed.js';
import { generateToken, hashToken, looksLikeToken } from './tokens.js';

export type { IdentityRecord, TokenRecord } from './IdentityRepository.js';

export interface NewIdentity {
  kind: IdentityKind;
  name: string;
  scopes: string[];
  tokenExpiresInSeconds?: number | undefined;
}

/** At most textLimits.identityName characters. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;
// lastUsedAt is bookkeeping, not security: one write a minute per token is plenty.
const lastUsedResolutionMs = 60_000;

export interface IdentityServiceOptions {
  /** Where token expiry and the reuse period read the time; the system clock unless given (tests move their own). */
  clock?: Clock;
  /**
   * How long a token lookup is reused by the token's next requests (0: every request reads the
   * database). Every revocation and disabling clears the reuse: at once on the replica that made it,
   * on the others when its notice arrives (within `revocationPollMs`), never later than this period.
   */
  tokenReuseMs?: number;
  /** How often the revocation log is read when no notification came (default 1000). */
  revocationPollMs?: number;
  log?: Logger | undefined;
}

/** How many times a lookup is repeated when revocations keep landing while it runs. */
const maxLookupRetries = 5;

/** Identities (users and compute services) and their bearer tokens. */
export class IdentityService {
  /** Requests arriving together look their tokens up in one statement. */
  private readonly tokenHolders = new Coalescer<null, string, TokenHolder | undefined>(
    (_lane, hashes) => this.state.identities.findTokenHolders(hashes),
    { size: () => 1, maxPerBatch: 100 },
  );
  /** Recent lookups of known tokens by hash: a worker's stream of requests reads its token once a period. */
  private readonly recentLookups: ReuseWindow<TokenHolder>;
  /** Moves on every revocation and disabling, so a lookup that was in flight across one is not kept. */
  private lookupGeneration = 0;
  private readonly clock: Clock;
  /** Every revocation and disabling, this replica's and the others' (open WebSockets listen to it). */
  readonly revocations: RevocationFeed;

  constructor(
    private readonly state: StateAccess,
    options: IdentityServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.recentLookups = new ReuseWindow(options.tokenReuseMs ?? 0);
    this.revocations = new RevocationFeed(
      { latestId: () => state.identities.latestRevocationId(), readAfter: (afterId) => state.identities.revocationsAfter(afterId) },
      { pollMs: options.revocationPollMs ?? 1000, log: options.log },
    );
    this.revocations.onRevoked(() => this.forgetLookups());
  }

  /**
   * The principal a bearer token stands for, or null if the token is unknown, revoked or expired. A
   * lookup that a revocation overtook is made again: its answer may predate the revocation, and a
   * WebSocket opened with it would otherwise miss the revocation's notice.
   */
  async authenticate(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null;
    const hash = hashToken(token);
    for (let attempt = 0; ; attempt += 1) {
      const generation = this.lookupGeneration;
      const principal = await this.lookUp(hash);
      if (principal === null || generation === this.lookupGeneration || attempt === maxLookupRetries) return principal;
    }
  }

  private async lookUp(hash: string): Promise<Principal | null> {
    // A worker's stream of requests finds its token here: read at once, not through another async call.
    const row = this.recentLookups.get(hash, this.clock.now()) ?? (await this.tokenHolder(hash));
    const now = this.now();
    if (row === undefined || row.revokedAt !== null || row.disabledAt !== null) return null;
    if (row.expiresAt !== null && row.expiresAt <= now) return null;
    if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() > lastUsedResolutionMs) {
      await this.state.identities.noteTokenUsed(row.tokenId, now);
      row.lastUsedAt = now;
    }
    return {
      identityId: row.identityId,
      tokenId: row.tokenId,
      tokenExpiresAt: row.expiresAt,
      kind: row.kind,
      name: row.name,
      isAdmin: row.isAdmin,
      scopes: row.scopes,
    };
  }

  /**
   * The token's row from the store, kept for reuse while recent (lookUp reads the reuse first); unknown
   * tokens are never kept (they may be issued any moment).
   */
  private async tokenHolder(hash: string): Promise<TokenHolder | undefined> {
    const at = this.clock.now();
    const generation = this.lookupGeneration;
    const holder = await this.tokenHolders.submit('tokens', null, hash);
    if (holder === undefined || generation !== this.lookupGeneration) this.recentLookups.delete(hash);
    else this.recentLookups.set(hash, holder, at);
    return holder;
  }

  private forgetLookups(): void {
    this.lookupGeneration += 1;
    this.recentLookups.clear();
  }

  async create(actor: Principal, input: NewIdentity): Promise<{ identity: IdentityRecord; token: string }> {
    requireAdmin(actor);
    return this.createUnchecked(input, false);
  }

  /** On a store without any administrator, creates one and returns its token; otherwise null. */
  async bootstrapAdmin(): Promise<{ identity: IdentityRecord; token: string } | null> {
    if (await this.state.identities.hasAdmin()) return null;
    return this.createUnchecked({ kind: 'user', name: 'admin', scopes: ['*-*-*'] }, true);
  }

  async issueToken(
    actor: Principal,
    identityId: string,
    options: { label?: string | undefined; expiresInSeconds?: number | undefined } = {},
  ): Promise<{ token: string; record: TokenRecord }> {
    const id = checkId('identity', identityId);
    if (actor.identityId !== id) requireAdmin(actor);
    if (options.label !== undefined) checkLength('label', options.label, textLimits.tokenLabel);
    const identity = await this.state.identities.findIdentity(id);
    if (identity === null) throw notFound(`identity ${id}`);
    if (identity.disabledAt !== null) throw conflict(`identity ${identity.name} is disabled`);
    const expiresAt = await this.selfIssuedExpiry(actor, id, this.expiry(options.expiresInSeconds));
    const token = generateToken();
    const record = await this.state.identities.addToken(id, { tokenHash: hashToken(token), label: options.label ?? null, expiresAt });
    return { token, record };
  }

  /**
   * Revokes a token at once; an identity may revoke its own tokens, an administrator anyone's. Every
   * replica hears of it (the revocation log) and closes the token's open WebSockets.
   */
  async revokeToken(actor: Principal, tokenId: string): Promise<TokenRecord> {
    const id = checkId('token', tokenId);
    const row = await this.state.identities.findToken(id);
    if (row === null) throw notFound(`token ${id}`);
    if (row.identityId !== actor.identityId) requireAdmin(actor);
    if (row.revokedAt !== null) return row;
    const revoked = { tokenId: row.id, identityId: row.identityId };
    const updated = await this.state.transaction(async (tx) => {
      const changed = await tx.identities.revokeToken(id, this.now());
      await tx.identities.logRevocation(revoked);
      return changed;
    });
    this.revocations.announce(revoked);
    return updated;
  }

  async disable(actor: Principal, identityId: string): Promise<IdentityRecord> {
    requireAdmin(actor);
    const id = checkId('identity', identityId);
    if (id === actor.identityId) throw badInput('an administrator cannot disable itself');
    const disabled = await this.state.transaction(async (tx) => {
      const changed = await tx.identities.disableIdentity(id, this.now());
      await tx.identities.logRevocation({ tokenId: null, identityId: id });
      return changed;
    });
    this.revocations.announce({ tokenId: null, identityId: id });
    return disabled;
  }

  async get(actor: Principal, identityId: string): Promise<IdentityRecord | null> {
    const id = checkId('identity', identityId);
    if (id !== actor.identityId) requireAdmin(actor);
    return this.state.identities.findIdentity(id);
  }

  async list(actor: Principal): Promise<IdentityRecord[]> {
    requireAdmin(actor);
    return this.state.identities.listIdentities();
  }

  /** Scope patterns of many identities in one query (for DataLoader). */
  async scopesOf(identityIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.state.identities.scopePatternsOf(identityIds);
    return groupByKey(
      identityIds,
      rows,
      (row) => row.identityId,
      (row) => formatScope(row.pattern),
    );
  }

  /** Tokens of many identities in one query (for DataLoader). */
  async tokensOf(identityIds: readonly string[]): Promise<Map<string, TokenRecord[]>> {
    const rows = await this.state.identities.tokensOf(identityIds);
    return groupByKey(
      identityIds,
      rows,
      (row) => row.identityId,
      (row) => row,
    );
  }

  private async createUnchecked(input: NewIdentity, isAdmin: boolean) {
    checkLength('name', input.name, textLimits.identityName);
    if (!namePattern.test(input.name)) {
      throw badInput(`"${input.name}" is not a valid identity name: letters, digits and _ . @ -, at most ${textLimits.identityName}`);
    }
    if (input.scopes.length === 0) throw badInput('an identity needs at least one scope');
    if (input.scopes.length > textLimits.identityScopes) {
      throw badInput(`an identity holds at most ${textLimits.identityScopes} scope patterns; this one has ${input.scopes.length}`, {
        field: 'scopes',
        maxItems: textLimits.identityScopes,
      });
    }
    const scopes = [...new Map(input.scopes.map((s) => [s, parseScopePattern(s)])).values()];
    const token = generateToken();
    const identity = await this.state.identities.createIdentity({
      kind: input.kind,
      name: input.name,
      isAdmin,
      scopes,
      token: { tokenHash: hashToken(token), label: 'initial', expiresAt: this.expiry(input.tokenExpiresInSeconds) },
    });
    return { identity, token };
  }

  /**
   * A token an identity issues for itself never outlives the token it was issued with: otherwise a
   * short-lived token could mint a permanent one and expiry would mean nothing.
   */
  private async selfIssuedExpiry(actor: Principal, identityId: string, requested: Date | null): Promise<Date | null> {
    if (identityId !== actor.identityId) return requested;
    const issuing = await this.state.identities.findToken(actor.tokenId);
    const limit = issuing?.expiresAt ?? null;
    if (limit === null) return requested;
    return requested === null || requested > limit ? limit : requested;
  }

  private expiry(expiresInSeconds: number | undefined): Date | null {
    if (expiresInSeconds === undefined) return null;
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0) {
      throw badInput('expiresInSeconds must be a positive whole number');
    }
    return new Date(this.clock.now() + expiresInSeconds * 1000);
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}
