import { badInput } from '../errors.js';

/**
 * Pages of tasks the way Relay connections ask for them, over one order (task id, which is time
 * ordered): the `first` after a task, or the `last` before one. The same cursors serve both ways.
 */
export interface PageRequest {
  first?: number | undefined;
  /** A task id: the page starts after it. */
  after?: string | undefined;
  last?: number | undefined;
  /** A task id: the page ends before it. */
  before?: string | undefined;
}

/** What to read: tasks with ids strictly between the bounds, in id order, `limit` of them from the start (or from the end). */
export interface PageWindow {
  after?: string | undefined;
  before?: string | undefined;
  limit: number;
  fromEnd: boolean;
}

export const defaultPageSize = 100;
export const maxPageSize = 1000;

/** The window to read for a page: one task more than asked, which tells whether more lie beyond. */
export function pageWindow(request: PageRequest): { window: PageWindow; size: number } {
  if (request.first !== undefined && request.last !== undefined) {
    throw badInput('give first (paging forward) or last (paging backward), not both');
  }
  const fromEnd = request.last !== undefined;
  const size = checkSize(fromEnd ? 'last' : 'first', request.last ?? request.first ?? defaultPageSize);
  return { window: { after: request.after, before: request.before, limit: size + 1, fromEnd }, size };
}

function checkSize(name: string, size: number): number {
  if (!(Number.isInteger(size) && size >= 0 && size <= maxPageSize)) throw badInput(`${name} is a whole number from 0 to ${maxPageSize}`);
  return size;
}

/**
 * The page out of what the window read (in id order), and whether more tasks lie beyond it in the
 * direction of travel: after it paging forward, before it paging backward.
 */
export function pageOf<T>(rows: readonly T[], size: number, window: PageWindow): { items: T[]; more: boolean } {
  const more = rows.length > size;
  if (!more) return { items: [...rows], more };
  return { items: window.fromEnd ? rows.slice(rows.length - size) : rows.slice(0, size), more };
}
