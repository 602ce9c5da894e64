import { conflict, DomainError, ErrorCode, notFound } from '../../../domain/errors.js';
import type {
  IdentityRecord,
  IdentityRepository,
  NewToken,
  TokenHolder,
  TokenRecord,
} from '../../../domain/identities/IdentityRepository.js';
import type { LoggedRevocation, Revoked } from '../../../domain/identities/RevocationFeed.js';
import type { IdentityKind } from '../../../domain/principal.js';
import type { ScopePattern } from '../../../domain/scope.js';
import { mapDriverErrors } from '../driverErrors.js';
import { findTokenHolders } from '../sql/identityTokens.js';
import { latestRevocationId, readRevocations, recordRevocation } from '../sql/revocations.js';
import type { StateClient } from './stateClient.js';

type StoredKind = 'USER' | 'COMPUTE';
const toKind = (kind: StoredKind): IdentityKind => (kind === 'USER' ? 'user' : 'compute');
const fromKind = (kind: IdentityKind): StoredKind => (kind === 'user' ? 'USER' : 'COMPUTE');

export class PrismaIdentityRepository implements IdentityRepository {
  constructor(protected readonly db: StateClient) {}

  findTokenHolders(tokenHashes: readonly string[]): Promise<Array<TokenHolder | undefined>> {
    return findTokenHolders(this.db, tokenHashes);
  }

  async noteTokenUsed(tokenId: string, at: Date): Promise<void> {
    await this.db.identityToken.update({ where: { id: tokenId }, data: { lastUsedAt: at } });
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.db.identity.count({ where: { isAdmin: true } })) > 0;
  }

  async createIdentity(identity: {
    kind: IdentityKind;
    name: string;
    isAdmin: boolean;
    scopes: readonly ScopePattern[];
    token: NewToken;
  }): Promise<IdentityRecord> {
    const row = await mapDriverErrors(() =>
      this.db.identity.create({
        data: {
          kind: fromKind(identity.kind),
          name: identity.name,
          isAdmin: identity.isAdmin,
          scopes: { create: [...identity.scopes] },
          tokens: { create: identity.token },
        },
      }),
    ).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === ErrorCode.CONFLICT) {
        throw conflict(`a ${identity.kind} identity named ${identity.name} already exists`);
      }
      throw error;
    });
    return toIdentityRecord(row);
  }

  async findIdentity(id: string): Promise<IdentityRecord | null> {
    const row = await this.db.identity.findUnique({ where: { id } });
    return row === null ? null : toIdentityRecord(row);
  }

  async listIdentities(): Promise<IdentityRecord[]> {
    const rows = await this.db.identity.findMany({ orderBy: [{ kind: 'asc' }, { name: 'asc' }] });
    return rows.map(toIdentityRecord);
  }

  async disableIdentity(id: string, at: Date): Promise<IdentityRecord> {
    const row = await this.mapMissing(`identity ${id}`, () => this.db.identity.update({ where: { id }, data: { disabledAt: at } }));
    return toIdentityRecord(row);
  }

  async addToken(identityId: string, token: NewToken): Promise<TokenRecord> {
    return toTokenRecord(await this.db.identityToken.create({ data: { identityId, ...token } }));
  }

  async findToken(id: string): Promise<TokenRecord | null> {
    const row = await this.db.identityToken.findUnique({ where: { id } });
    return row === null ? null : toTokenRecord(row);
  }

  async revokeToken(id: string, at: Date): Promise<TokenRecord> {
    return toTokenRecord(
      await this.mapMissing(`token ${id}`, () => this.db.identityToken.update({ where: { id }, data: { revokedAt: at } })),
    );
  }

  async scopePatternsOf(identityIds: readonly string[]): Promise<Array<{ identityId: string; pattern: ScopePattern }>> {
    const rows = await this.db.identityScope.findMany({
      where: { identityId: { in: [...identityIds] } },
      orderBy: [{ org: 'asc' }, { campaign: 'asc' }, { project: 'asc' }],
    });
    return rows.map(({ identityId, org, campaign, project }) => ({ identityId, pattern: { org, campaign, project } }));
  }

  async tokensOf(identityIds: readonly string[]): Promise<TokenRecord[]> {
    const rows = await this.db.identityToken.findMany({
      where: { identityId: { in: [...identityIds] } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toTokenRecord);
  }

  logRevocation(revoked: Revoked): Promise<void> {
    return recordRevocation(this.db, revoked);
  }

  revocationsAfter(afterId: bigint): Promise<LoggedRevocation[]> {
    return readRevocations(this.db, afterId);
  }

  latestRevocationId(): Promise<bigint> {
    return latestRevocationId(this.db);
  }

  /** NOT_FOUND naming `what` when the row to change is not there; other driver errors as driverErrors.ts maps them. */
  private mapMissing<T>(what: string, work: () => Promise<T>): Promise<T> {
    return mapDriverErrors(work).catch((error: unknown) => {
      throw error instanceof DomainError && error.code === ErrorCode.NOT_FOUND ? notFound(what) : error;
    });
  }
}

function toIdentityRecord(row: Omit<IdentityRecord, 'kind'> & { kind: StoredKind }): IdentityRecord {
  return { id: row.id, kind: toKind(row.kind), name: row.name, isAdmin: row.isAdmin, createdAt: row.createdAt, disabledAt: row.disabledAt };
}

/** Only the fields a TokenRecord has: the row's hash must never leave storage. */
function toTokenRecord(row: TokenRecord): TokenRecord {
  const { id, identityId, label, createdAt, expiresAt, revokedAt, lastUsedAt } = row;
  return { id, identityId, label, createdAt, expiresAt, revokedAt, lastUsedAt };
}
