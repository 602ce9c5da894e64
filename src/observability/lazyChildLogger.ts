import type { Bindings } from 'pino';
import type { Logger } from './logger.js';

const levels = new Set<string>(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const noop = (): void => undefined;

/**
 * `parent.child(bindings())`, made only when something logs through it at an enabled level (or uses
 * it any other way). Every request gets a child logger, and most never write a line at the levels a
 * server runs at: making a pino child (its bindings serialized, its redaction set up) cost about a
 * twentieth of the server's CPU per claim. Until then the parent answers isLevelEnabled and a disabled
 * level is a no-op, as the child's would be.
 */
export function lazyChildLogger(parent: Logger, bindings: () => Bindings): Logger {
  let child: Logger | undefined;
  const isLevelEnabled = (level: string): boolean => parent.isLevelEnabled(level);
  return new Proxy(parent, {
    get(_target, property) {
      if (child === undefined) {
        if (property === 'isLevelEnabled') return isLevelEnabled;
        if (typeof property === 'string' && levels.has(property) && !parent.isLevelEnabled(property)) return noop;
        child = parent.child(bindings());
      }
      const value: unknown = Reflect.get(child, property, child);
      return typeof value === 'function' ? value.bind(child) : value;
    },
    set(_target, property, value) {
      child ??= parent.child(bindings());
      return Reflect.set(child, property, value, child);
    },
  });
}
