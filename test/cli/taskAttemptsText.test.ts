import { attemptsSummary, runningOn } from '../../src/cli/commands/taskAttemptsText.js';
import type { AttemptView } from '../../src/cli/commands/taskAttemptsText.js';

const attempt = (overrides: Partial<AttemptView>): AttemptView => ({
  attempt: 1,
  computeServiceName: 'node-7',
  host: 'rack3',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:10:00.000Z',
  ending: 'EXPIRED',
  runningUnit: null,
  unitKeys: [],
  ...overrides,
});

describe('tasks status shows attempts in two columns', () => {
  test('the attempts column counts them and says how each ended, oldest first', () => {
    expect(attemptsSummary([])).toBe('0');
    expect(
      attemptsSummary([
        attempt({ ending: 'EXPIRED' }),
        attempt({ attempt: 3, ending: 'FAILED' }),
        attempt({ attempt: 5, endedAt: null, ending: null }),
      ]),
    ).toBe('3: expired, failed, running');
  });

  test('the running-on column names the open attempt’s service, host and running unit', () => {
    expect(runningOn([attempt({})])).toBe('');
    expect(runningOn([attempt({}), attempt({ attempt: 3, endedAt: null, ending: null, runningUnit: 'sim-2' })])).toBe(
      'node-7@rack3 (unit sim-2)',
    );
    expect(runningOn([attempt({ endedAt: null, ending: null, host: null })])).toBe('node-7');
  });
});
