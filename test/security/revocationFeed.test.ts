import { IdentityService } from '../../src/domain/identities/IdentityService.js';
import type { Revoked } from '../../src/domain/identities/RevocationFeed.js';
import type { Principal } from '../../src/domain/principal.js';
import type { Services } from '../../src/domain/services.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

/**
 * Two replicas on one PostgreSQL: `elsewhere` (the harness's services) revokes and disables; `here`
 * is another replica over the same database that hears of it only through the revocation log: no
 * notification is wired to it, so what it learns, it learns by reading the log (its poll, or the
 * event hub's check before delivering).
 */
describe('the revocation log: what other replicas learn, and when', () => {
  let h: DomainHarness;
  let transformationKey: string;
  const started: Services[] = [];
  beforeAll(async () => {
    h = await startDomain();
    const author = await h.user('author');
    const { network } = await h.services.networks.create(author, 'acme-c1-p1', {
      name: 'net',
      chemicalSystems: [
        { name: 'a', components: {} },
        { name: 'b', components: {} },
      ],
      transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'p', settings: {} }],
    });
    transformationKey = (await h.services.networks.transformations(network.id))[0]!.scopedKey;
  });
  afterAll(async () => {
    for (const services of started) {
      await services.identities.revocations.stop();
      await services.eventHub.stop();
    }
    await h.close();
  });

  /** Another replica's domain over the same database (started parts are stopped after the file). */
  function anotherReplica(): Services {
    const services = h.withSettings({});
    started.push(services);
    return services;
  }

  async function tokenOf(who: Principal): Promise<{ token: string; tokenId: string }> {
    const { token, record } = await h.services.identities.issueToken(h.admin, who.identityId, { label: 'feed' });
    return { token, tokenId: record.id };
  }

  async function untilAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const until = (condition: () => boolean, what: string, timeoutMs?: number) => untilAsync(async () => condition(), what, timeoutMs);

  test('a replica that gets no notification learns of another replica’s revocation and disabling at its next poll', async () => {
    const here = anotherReplica();
    const heard: Revoked[] = [];
    here.identities.revocations.onRevoked((revoked) => heard.push(revoked));
    await here.identities.revocations.start();
    const carol = await h.user('carol');
    const dave = await h.user('dave');
    const { tokenId } = await tokenOf(carol);

    await h.services.identities.revokeToken(h.admin, tokenId);
    await h.services.identities.disable(h.admin, dave.identityId);
    // The poll runs every second: well within the deadline, which only a busy machine approaches.
    await until(() => heard.length >= 2, 'both revocations');
    expect(heard).toEqual([
      { tokenId, identityId: carol.identityId },
      { tokenId: null, identityId: dave.identityId },
    ]);
  });

  test('a replica reusing token lookups refuses a token revoked elsewhere as soon as the revocation reaches it, not a reuse period later', async () => {
    const here = new IdentityService(h.state.access, { tokenReuseMs: 600_000, revocationPollMs: 60_000 });
    const erin = await h.user('erin');
    const { token, tokenId } = await tokenOf(erin);
    await here.revocations.start();
    try {
      expect((await here.authenticate(token))?.identityId).toBe(erin.identityId);
      await h.services.identities.revokeToken(h.admin, tokenId);
      // Reused: the lookup is ten minutes old at most, and nothing has told this replica yet.
      expect(await here.authenticate(token)).not.toBeNull();
      // What a notification does (and, without one, the poll): read the log.
      await here.revocations.catchUp();
      expect(await here.authenticate(token)).toBeNull();
    } finally {
      await here.revocations.stop();
    }
  });

  test('a token lookup that a revocation overtakes is made again, so what it answers is never older than the revocation', async () => {
    const here = new IdentityService(h.state.access, { revocationPollMs: 60_000 });
    const grace = await h.user('grace');
    const { token, tokenId } = await tokenOf(grace);
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => {
      commit = resolve;
    });
    // Elsewhere, a revocation is under way: the token's row is locked by its uncommitted transaction.
    let locked = false;
    const revoking = h.state.db.$transaction(
      async (tx) => {
        await tx.identityToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
        locked = true;
        await committed;
      },
      { timeout: 30_000 },
    );
    await until(() => locked, 'the revoking transaction to hold the row');
    // Here, a lookup reads the token as it was (not revoked), then waits on the row to note its first use.
    const answer = here.authenticate(token);
    await untilAsync(
      async () =>
        (
          await h.state.db.$queryRaw<Array<{ waiting: number }>>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%lastUsedAt%'`
        )[0]!.waiting > 0,
      'the lookup to wait on the locked row',
    );
    // The revocation's notice arrives while the lookup is in flight, then the revocation commits.
    here.revocations.announce({ tokenId, identityId: grace.identityId });
    commit();
    await revoking;
    expect(await answer).toBeNull();
  });

  test('an event committed after a revocation is handed out only after the revocation reached the replica’s listeners', async () => {
    const here = anotherReplica();
    const frank = await h.user('frank');
    const { tokenId } = await tokenOf(frank);
    const order: string[] = [];
    here.identities.revocations.onRevoked((revoked) => {
      if (revoked.tokenId === tokenId) order.push('revocation');
    });
    await here.eventHub.start();
    const events = await here.eventHub.subscribe({
      accepts: () => {
        order.push('event');
        return true;
      },
    });

    await h.services.identities.revokeToken(h.admin, tokenId);
    await h.services.tasks.create(h.admin, transformationKey, 1);
    // The event's notification reaches this replica before the revocation's (the worst case): its
    // revocation feed is not even polling, so only the hub's check before delivery can learn of it.
    here.eventHub.wake();
    await here.eventHub.settle();
    expect(order).toEqual(['revocation', 'event']);
    await events.return?.();
  });
});
