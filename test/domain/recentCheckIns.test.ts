import { RecentCheckIns } from '../../src/domain/claims/RecentCheckIns.js';
import type { ClaimableHub } from '../../src/domain/claims/ClaimRepository.js';
import { HubChoice } from '../../src/domain/claims/pickHub.js';

const hub = (hubId: string): ClaimableHub => ({ hubId, weight: 1, org: 'o', campaign: 'c', project: 'p' });
const hubs = (...ids: string[]): HubChoice => new HubChoice(ids.map(hub), false);

describe('RecentCheckIns', () => {
  test('a check-in is reused by the same identity for the same protocols until the period ends', () => {
    const recent = new RecentCheckIns(1_000);
    recent.remember('svc', 'id-1', '*', hubs('h1'), 10_000);
    expect(recent.hubsFor('svc', 'id-1', '*', 10_999)).toEqual(hubs('h1'));
    expect(recent.hubsFor('svc', 'id-1', '*', 11_000)).toBeUndefined();
  });

  test('another identity, other protocols or another service never reuse it', () => {
    const recent = new RecentCheckIns(1_000);
    recent.remember('svc', 'id-1', '["a"]', hubs('h1'), 0);
    expect(recent.hubsFor('svc', 'id-2', '["a"]', 1)).toBeUndefined();
    expect(recent.hubsFor('svc', 'id-1', '["b"]', 1)).toBeUndefined();
    expect(recent.hubsFor('other', 'id-1', '["a"]', 1)).toBeUndefined();
  });

  test('a forgotten check-in is not reused, and a period of 0 reuses nothing', () => {
    const recent = new RecentCheckIns(1_000);
    recent.remember('svc', 'id-1', '*', hubs(), 0);
    recent.forget('svc');
    expect(recent.hubsFor('svc', 'id-1', '*', 1)).toBeUndefined();
    const off = new RecentCheckIns(0);
    off.remember('svc', 'id-1', '*', hubs(), 0);
    expect(off.hubsFor('svc', 'id-1', '*', 0)).toBeUndefined();
  });

  test('past its limit the oldest service is dropped first', () => {
    const recent = new RecentCheckIns(1_000, 2);
    for (const svc of ['a', 'b', 'c']) recent.remember(svc, 'id', '*', hubs(svc), 0);
    expect(recent.hubsFor('a', 'id', '*', 1)).toBeUndefined();
    expect(recent.hubsFor('b', 'id', '*', 1)).toEqual(hubs('b'));
    expect(recent.hubsFor('c', 'id', '*', 1)).toEqual(hubs('c'));
  });

  test('a negative or endless period is refused', () => {
    expect(() => new RecentCheckIns(-1)).toThrow(RangeError);
    expect(() => new RecentCheckIns(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
