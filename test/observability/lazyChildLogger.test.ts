import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.js';
import { lazyChildLogger } from '../../src/observability/lazyChildLogger.js';

/** A logger at `level` writing its lines into `lines`, parsed. */
function collectingLogger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}

describe('a child logger made when something logs', () => {
  test('a line at an enabled level carries the bindings, nested children both sets, redaction included', () => {
    const { log, lines } = collectingLogger('info');
    const request = lazyChildLogger(log, () => ({ requestId: 'r-1' }));
    const identity = lazyChildLogger(request, () => ({ identityId: 'i-1' }));
    identity.info({ token: 'dkt_secret' }, 'hello');
    request.warn('bare');
    expect(lines).toEqual([
      expect.objectContaining({ requestId: 'r-1', identityId: 'i-1', token: '[redacted]', msg: 'hello', level: 30, service: 'dagkeeper' }),
      expect.objectContaining({ requestId: 'r-1', msg: 'bare', level: 40 }),
    ]);
    expect(lines[1]).not.toHaveProperty('identityId');
  });

  test('disabled levels and level checks make no child; the first enabled line makes one, once', () => {
    const { log, lines } = collectingLogger('warn');
    const child = jest.spyOn(log, 'child');
    const bindings = jest.fn(() => ({ requestId: 'r-2' }));
    const request = lazyChildLogger(log, bindings);
    request.info('not written');
    request.debug('not written');
    expect(request.isLevelEnabled('info')).toBe(false);
    expect(request.isLevelEnabled('warn')).toBe(true);
    expect(child).not.toHaveBeenCalled();
    expect(bindings).not.toHaveBeenCalled();
    request.warn('one');
    request.error('two');
    expect(child).toHaveBeenCalledTimes(1);
    expect(bindings).toHaveBeenCalledTimes(1);
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
      ['one', 'r-2'],
      ['two', 'r-2'],
    ]);
  });

  test('anything else reaches the child: its bindings, a level set on it alone', () => {
    const { log, lines } = collectingLogger('warn');
    const request = lazyChildLogger(log, () => ({ requestId: 'r-3' }));
    expect(request.bindings()).toEqual({ service: 'dagkeeper', requestId: 'r-3' });
    request.level = 'debug';
    request.debug('now written');
    log.debug('still not written');
    expect(lines.map((line) => line.msg)).toEqual(['now written']);
  });
});
