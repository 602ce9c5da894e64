import type { Principal } from '../../src/domain/principal.js';
import { createServices } from '../../src/domain/services.js';
import type { Services } from '../../src/domain/services.js';
import { builtInSettingsChecks } from '../../src/worker/protocols/settingsChecks.js';
import { defaultTestSettings, startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';
import { createNetwork, diamondDag } from '../support/fixtures.js';
import { ManualClock } from '../support/manualClock.js';
import { codeOf } from '../support/refusals.js';

/**
 * A server paused longer than the expiry (SIGSTOP, a frozen VM) must not expire the services whose
 * heartbeats waited in its sockets meanwhile: silence is counted over the replica's awake time only.
 * Real PostgreSQL; the replica's clock is moved by hand, its ticks driven by the test.
 */

const expirySeconds = 20;
const tickMs = 250;

describe('a server paused past the expiry (real PostgreSQL, a clock moved by hand)', () => {
  let h: DomainHarness;
  let clock: ManualClock;
  let services: Services;
  let stopWatching: () => void;
  let user: Principal;
  let worker: Principal;

  beforeAll(async () => {
    h = await startDomain();
    clock = new ManualClock();
    services = createServices({
      state: h.state.access,
      objects: h.objects,
      settings: { ...defaultTestSettings, computeServiceExpirySeconds: expirySeconds },
      protocolSettings: builtInSettingsChecks,
      clock,
    });
    stopWatching = services.compute.awake.start().stop;
    user = await h.user('alice');
    worker = await h.compute('worker');
  });
  afterAll(async () => {
    stopWatching?.();
    await h?.close();
  });

  /** The replica runs for `ms`: its clock advances tick by tick, looked at on each (as its timer does). */
  const run = (ms: number) => {
    for (let left = ms; left > 0; left -= tickMs) {
      clock.advance(Math.min(tickMs, left));
      services.compute.awake.look();
    }
  };

  test('a healthy service heartbeating every 5 s is not expired by a 30 s pause, its queued heartbeat and claim are accepted, its task kept', async () => {
    const { network, transformations } = await createNetwork(services, user, { name: 'paused' });
    const [task] = await services.tasks.create(user, transformations[0]!.scopedKey, 1, { dag: diamondDag });
    await services.tasks.action(user, network.scopedKey, [task!.id]);
    const healthy = await services.compute.register(worker, 'healthy');
    const dead = await services.compute.register(worker, 'dead');
    const [claim] = await services.claims.claim(worker, healthy.id, 1, ['demo']);
    expect(claim?.taskId).toBe(task!.id);
    await services.compute.heartbeat(worker, dead.id);
    for (let beat = 0; beat < 3; beat += 1) {
      run(5_000);
      await services.compute.heartbeat(worker, healthy.id);
    }

    // SIGSTOP for 30 s. On SIGCONT the expiry sweep runs before the queued heartbeat is read.
    clock.advance(30_000);
    expect(await services.compute.expireSilent()).toEqual({ serviceIds: [], taskIds: [] });
    // A queued claim is a check-in too: it is answered (nothing left to claim), not COMPUTE_SERVICE_GONE.
    await expect(services.claims.claim(worker, healthy.id, 1, ['demo'])).resolves.toEqual([]);
    await expect(services.compute.heartbeat(worker, healthy.id)).resolves.toMatchObject({ expiredAt: null });
    expect((await services.tasks.get(user, task!.id)).status).toBe('RUNNING');

    // Silence counts again from the resume: the dead service, silent for a whole expiry period of
    // awake time, is expired; the healthy one, still heartbeating, is not.
    for (let beat = 0; beat < 5; beat += 1) {
      run(5_000);
      await services.compute.heartbeat(worker, healthy.id);
    }
    expect(await services.compute.expireSilent()).toEqual({ serviceIds: [dead.id], taskIds: [] });
    expect(await codeOf(services.compute.heartbeat(worker, dead.id))).toBe('COMPUTE_SERVICE_GONE');
    expect((await services.tasks.get(user, task!.id)).status).toBe('RUNNING');
  });
});
