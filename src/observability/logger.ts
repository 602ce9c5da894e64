import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; request, identity, task and claim ids travel as child-logger bindings. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'dagkeeper' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
