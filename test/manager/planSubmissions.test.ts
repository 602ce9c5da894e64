import { planSubmissions } from '../../src/manager/planSubmissions.js';

describe('how many worker jobs a compute manager submits', () => {
  const plan = (claimable: number, pending: number, running: number, maxJobs = 4, tasksPerJob = 10) =>
    planSubmissions({ claimable, pending, running, maxJobs, tasksPerJob });

  test('nothing claimable: nothing submitted, whatever room there is', () => {
    expect(plan(0, 0, 0)).toBe(0);
    expect(plan(0, 0, 0, 100, 1)).toBe(0);
  });

  test('one job per tasksPerJob claimable tasks, rounded up', () => {
    expect(plan(1, 0, 0)).toBe(1);
    expect(plan(10, 0, 0)).toBe(1);
    expect(plan(11, 0, 0)).toBe(2);
    expect(plan(30, 0, 0, 4, 10)).toBe(3);
  });

  test('jobs waiting to start already take their share of the claimable tasks', () => {
    expect(plan(30, 2, 0)).toBe(1);
    expect(plan(10, 1, 0)).toBe(0);
    expect(plan(30, 3, 0)).toBe(0);
  });

  test('never more than maxJobs jobs at once, running ones included', () => {
    expect(plan(1000, 0, 0, 2)).toBe(2);
    expect(plan(1000, 0, 1, 2)).toBe(1);
    expect(plan(1000, 1, 1, 2)).toBe(0);
    expect(plan(1000, 0, 5, 2)).toBe(0);
  });

  test('running jobs are busy with claimed tasks: work still waiting gets a job while there is room', () => {
    expect(plan(1, 0, 1, 2)).toBe(1);
  });
});
