import { IdentityService } from '../../src/domain/identities/IdentityService.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';
import { ManualClock } from '../support/manualClock.js';

/**
 * Token expiry as the server's clock reads it. The replica under test reads a clock the test moves by
 * hand, so "just before" and "just after" are exact and a busy machine cannot blur them.
 */
describe('token expiry, read from the server’s clock', () => {
  let h: DomainHarness;
  let clock: ManualClock;
  let here: IdentityService;
  beforeAll(async () => {
    h = await startDomain();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    clock = new ManualClock();
    here = new IdentityService(h.state.access, { clock });
  });

  test('an issued token expires the given number of seconds after it was issued: accepted until the millisecond before, refused from then on', async () => {
    const who = await h.user('expiry-issued');
    const { token, record } = await here.issueToken(h.admin, who.identityId, { expiresInSeconds: 60 });
    expect(record.expiresAt?.getTime()).toBe(clock.now() + 60_000);
    clock.advance(59_999);
    expect((await here.authenticate(token))?.identityId).toBe(who.identityId);
    clock.advance(1);
    expect(await here.authenticate(token)).toBeNull();
  });

  test('an identity created with tokenExpiresInSeconds gets a first token that stops working when that time has passed', async () => {
    const { identity, token } = await here.create(h.admin, {
      kind: 'compute',
      name: 'expiry-created',
      scopes: ['acme-*-*'],
      tokenExpiresInSeconds: 1,
    });
    expect((await here.authenticate(token))?.identityId).toBe(identity.id);
    clock.advance(999);
    expect(await here.authenticate(token)).not.toBeNull();
    clock.advance(1);
    expect(await here.authenticate(token)).toBeNull();
  });

  test('a token issued for oneself never outlives the issuing token, however much later it is issued', async () => {
    const { identity, token } = await here.create(h.admin, {
      kind: 'user',
      name: 'expiry-self',
      scopes: ['acme-c1-p1'],
      tokenExpiresInSeconds: 600,
    });
    const limit = clock.now() + 600_000;
    clock.advance(300_000);
    const self = await here.authenticate(token);
    if (self === null) throw new Error('the token should still work halfway through its life');
    const longer = await here.issueToken(self, identity.id, { expiresInSeconds: 86_400 });
    expect(longer.record.expiresAt?.getTime()).toBe(limit);
    const shorter = await here.issueToken(self, identity.id, { expiresInSeconds: 60 });
    expect(shorter.record.expiresAt?.getTime()).toBe(clock.now() + 60_000);
    clock.advance(300_000);
    expect(await here.authenticate(longer.token)).toBeNull();
  });

  test('a token’s last use is written when first used, then at most once a minute', async () => {
    const who = await h.user('expiry-last-used');
    const { token, record } = await here.issueToken(h.admin, who.identityId, { label: 'bookkeeping' });
    const lastUsed = async () =>
      (await here.tokensOf([who.identityId]))
        .get(who.identityId)
        ?.find((t) => t.id === record.id)
        ?.lastUsedAt?.getTime();
    expect(await lastUsed()).toBeUndefined();
    const first = clock.now();
    await here.authenticate(token);
    expect(await lastUsed()).toBe(first);
    clock.advance(60_000);
    await here.authenticate(token);
    expect(await lastUsed()).toBe(first);
    clock.advance(1);
    await here.authenticate(token);
    expect(await lastUsed()).toBe(clock.now());
  });
});
