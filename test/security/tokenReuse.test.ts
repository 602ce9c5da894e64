import { IdentityService } from '../../src/domain/identities/IdentityService.js';
import { generateToken, hashToken } from '../../src/domain/identities/tokens.js';
import type { Principal } from '../../src/domain/principal.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';
import { ManualClock } from '../support/manualClock.js';

/** Two replicas on one database: `here` reuses token lookups under a clock the test moves; `elsewhere` is another server. */
describe('token lookups reused for a moment (DAGKEEPER_TOKEN_REUSE_MS)', () => {
  let h: DomainHarness;
  let clock: ManualClock;
  const reuseMs = 1_000;
  beforeAll(async () => {
    h = await startDomain();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    clock = new ManualClock();
  });
  const replica = (tokenReuseMs: number) => new IdentityService(h.state.access, { tokenReuseMs, clock });

  async function identityWithToken(name: string): Promise<{ who: Principal; token: string; tokenId: string }> {
    const who = await h.user(name, ['acme-c1-p1']);
    const { token, record } = await h.services.identities.issueToken(who, who.identityId, { label: 'reuse' });
    return { who, token, tokenId: record.id };
  }

  test('a token revoked by another replica is refused here once the reuse period has passed', async () => {
    const here = replica(reuseMs);
    const { who, token, tokenId } = await identityWithToken('reuse-elsewhere');
    expect((await here.authenticate(token))?.identityId).toBe(who.identityId);
    await h.services.identities.revokeToken(who, tokenId);

    clock.advance(reuseMs - 1);
    expect((await here.authenticate(token))?.identityId).toBe(who.identityId);
    clock.advance(1);
    expect(await here.authenticate(token)).toBeNull();
    expect(await here.authenticate(token)).toBeNull();
  });

  test('with a reuse period of 0 a revocation by another replica is refused at the very next request', async () => {
    const here = replica(0);
    const { who, token, tokenId } = await identityWithToken('reuse-off');
    expect(await here.authenticate(token)).not.toBeNull();
    await h.services.identities.revokeToken(who, tokenId);
    expect(await here.authenticate(token)).toBeNull();
  });

  test('a replica that revokes a token or disables an identity refuses it at once, reuse or not', async () => {
    const here = replica(60_000);
    const revoked = await identityWithToken('reuse-revoked-here');
    const disabled = await identityWithToken('reuse-disabled-here');
    expect(await here.authenticate(revoked.token)).not.toBeNull();
    expect(await here.authenticate(disabled.token)).not.toBeNull();

    await here.revokeToken(revoked.who, revoked.tokenId);
    expect(await here.authenticate(revoked.token)).toBeNull();
    await here.disable(h.admin, disabled.who.identityId);
    expect(await here.authenticate(disabled.token)).toBeNull();
  });

  test('a reused lookup still honours the token’s expiry to the millisecond', async () => {
    const here = replica(60_000);
    const who = await h.user('reuse-expiring', ['acme-c1-p1']);
    const { token } = await here.issueToken(who, who.identityId, { expiresInSeconds: 60 });
    expect(await here.authenticate(token)).not.toBeNull();
    clock.advance(59_999);
    expect(await here.authenticate(token)).not.toBeNull();
    clock.advance(1);
    expect(await here.authenticate(token)).toBeNull();
  });

  test('an unknown token is looked up every time, so it works the moment it is issued', async () => {
    const here = replica(60_000);
    const who = await h.user('reuse-new', ['acme-c1-p1']);
    const token = generateToken();
    expect(await here.authenticate(token)).toBeNull();
    // Issued by another replica: only the row appears.
    await h.state.db.identityToken.create({ data: { identityId: who.identityId, tokenHash: hashToken(token), label: 'late' } });
    expect((await here.authenticate(token))?.identityId).toBe(who.identityId);
  });

  test('a period that is negative or not a number is refused', () => {
    expect(() => replica(-1)).toThrow(RangeError);
    expect(() => replica(Number.NaN)).toThrow(RangeError);
  });
});
