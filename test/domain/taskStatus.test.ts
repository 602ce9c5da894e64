import { refusal } from '../support/refusals.js';
import {
  assertTransition,
  assertUserMaySet,
  canTransition,
  cascadingStatuses,
  isTaskStatus,
  TaskStatuses,
  userSettableStatuses,
} from '../../src/domain/tasks/taskStatus.js';
import type { TaskStatus } from '../../src/domain/tasks/taskStatus.js';

/** The rules written out independently of the implementation: every allowed from → to pair. */
const allowed = new Set([
  'WAITING→WAITING',
  'RUNNING→WAITING',
  'ERROR→WAITING',
  'WAITING→RUNNING',
  'RUNNING→COMPLETE',
  'RUNNING→ERROR',
  'WAITING→INVALID',
  'RUNNING→INVALID',
  'COMPLETE→INVALID',
  'ERROR→INVALID',
  'INVALID→INVALID',
  'WAITING→DELETED',
  'RUNNING→DELETED',
  'COMPLETE→DELETED',
  'ERROR→DELETED',
  'DELETED→DELETED',
]);
const pairs = TaskStatuses.flatMap((from) =>
  TaskStatuses.map((to): [TaskStatus, TaskStatus, boolean] => [from, to, allowed.has(`${from}→${to}`)]),
);

describe('task status transitions', () => {
  test('the table covers all 36 pairs, 16 of them allowed', () => {
    expect(pairs).toHaveLength(36);
    expect(pairs.filter(([, , ok]) => ok)).toHaveLength(16);
  });

  test.each(pairs)('%s → %s is allowed: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
    if (ok) {
      expect(() => assertTransition(from, to, 't1')).not.toThrow();
      return;
    }
    const error = refusal(() => assertTransition(from, to, 't1'));
    expect(error.code).toBe('ILLEGAL_STATUS_TRANSITION');
    expect(error.details).toEqual({ from, to, taskId: 't1' });
    expect(error.message).toBe(`task t1 cannot go from ${from} to ${to}`);
  });

  test('a refusal without a task id still says which change was refused', () => {
    expect(refusal(() => assertTransition('COMPLETE', 'RUNNING')).message).toBe('a task cannot go from COMPLETE to RUNNING');
  });

  test('INVALID and DELETED are final: nothing leaves them except repeating the same status', () => {
    for (const final of ['INVALID', 'DELETED'] as const) {
      expect(TaskStatuses.filter((to) => canTransition(final, to))).toEqual([final]);
    }
  });
});

describe('what users may set', () => {
  test.each(['WAITING', 'INVALID', 'DELETED'] as const)('users may set %s', (status) => {
    expect(() => assertUserMaySet(status)).not.toThrow();
    expect(userSettableStatuses.has(status)).toBe(true);
  });

  test.each(['RUNNING', 'COMPLETE', 'ERROR'] as const)('users may not set %s, which only the work itself reaches', (status) => {
    const error = refusal(() => assertUserMaySet(status));
    expect(error.code).toBe('STATUS_NOT_SETTABLE');
    expect(error.details).toEqual({ status, settable: ['WAITING', 'INVALID', 'DELETED'] });
  });

  test('only INVALID and DELETED cascade to tasks that extend this one', () => {
    expect([...cascadingStatuses].sort()).toEqual(['DELETED', 'INVALID']);
  });

  test('status names are recognised exactly', () => {
    expect(TaskStatuses.every(isTaskStatus)).toBe(true);
    expect(['waiting', 'DONE', ''].some(isTaskStatus)).toBe(false);
  });
});
