import { ConfigError, loadWorkerSettings } from '../../src/config.js';

describe("the worker's settings from the environment", () => {
  test('the input cache is bounded at 20 GiB unless DAGKEEPER_WORKER_INPUT_CACHE_BYTES says otherwise', () => {
    expect(loadWorkerSettings({})).toEqual({ inputCacheBytes: 20 * 1024 ** 3 });
    expect(loadWorkerSettings({ DAGKEEPER_WORKER_INPUT_CACHE_BYTES: ' 1048576 ' })).toEqual({ inputCacheBytes: 1024 * 1024 });
  });

  test.each(['0', '-5', '1.5', 'lots'])('a bound of "%s" stops the worker with a message naming the setting', (value) => {
    expect(() => loadWorkerSettings({ DAGKEEPER_WORKER_INPUT_CACHE_BYTES: value })).toThrow(ConfigError);
    expect(() => loadWorkerSettings({ DAGKEEPER_WORKER_INPUT_CACHE_BYTES: value })).toThrow(/DAGKEEPER_WORKER_INPUT_CACHE_BYTES/);
  });
});
