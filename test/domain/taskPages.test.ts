import { pageOf, pageWindow } from '../../src/domain/tasks/taskPages.js';
import { refusal } from '../support/refusals.js';

describe('task pages, forward and backward over one order', () => {
  const rows = ['a', 'b', 'c', 'd'];

  test('forward reads one more than the page from the start; the extra says more follow', () => {
    const { window, size } = pageWindow({ first: 3, after: 'x' });
    expect(window).toEqual({ after: 'x', before: undefined, limit: 4, fromEnd: false });
    expect(pageOf(rows, size, window)).toEqual({ items: ['a', 'b', 'c'], more: true });
    expect(pageOf(rows.slice(0, 3), size, window)).toEqual({ items: ['a', 'b', 'c'], more: false });
  });

  test('backward reads one more than the page from the end, keeps id order, and the extra says more precede', () => {
    const { window, size } = pageWindow({ last: 3, before: 'z' });
    expect(window).toEqual({ after: undefined, before: 'z', limit: 4, fromEnd: true });
    expect(pageOf(rows, size, window)).toEqual({ items: ['b', 'c', 'd'], more: true });
    expect(pageOf(rows.slice(1), size, window)).toEqual({ items: ['b', 'c', 'd'], more: false });
  });

  test('a page of nothing is empty in both directions', () => {
    for (const request of [{ first: 0 }, { last: 0 }]) {
      const { window, size } = pageWindow(request);
      expect(pageOf(rows.slice(0, 1), size, window)).toEqual({ items: [], more: true });
    }
  });

  test('neither first nor last gives the first 100', () => {
    expect(pageWindow({})).toEqual({ window: { after: undefined, before: undefined, limit: 101, fromEnd: false }, size: 100 });
  });

  test('first with last, or a size outside 0..1000 or not whole, is BAD_USER_INPUT', () => {
    for (const request of [{ first: 1, last: 1 }, { first: -1 }, { last: 1001 }, { first: 2.5 }, { last: Number.NaN }]) {
      expect(refusal(() => pageWindow(request)).code).toBe('BAD_USER_INPUT');
    }
  });
});
