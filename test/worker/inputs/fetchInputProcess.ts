// One worker process of a host asking its input cache for an object (run with `node --import tsx`):
// argv[2] is JSON { dir, maxBytes, sha256, size, encoding, url }. Logs JSON lines to stdout, the last
// `{ "msg": "fetched", "path": … }`.
import { createLogger } from '../../../src/observability/logger.js';
import { InputCache } from '../../../src/worker/inputs/InputCache.js';

interface Request {
  dir: string;
  maxBytes: number;
  sha256: string;
  size: number;
  encoding: 'IDENTITY' | 'GZIP';
  url: string;
}

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
const log = createLogger('info', process.stdout);
const cache = new InputCache({ dir: request.dir, maxBytes: request.maxBytes, log });
const path = await cache.pathOf({ sha256: request.sha256, size: request.size, encoding: request.encoding, url: async () => request.url });
log.info({ path }, 'fetched');
