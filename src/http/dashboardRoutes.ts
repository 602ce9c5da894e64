import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from './requestListener.js';

// Two levels up from src/http (or dist/http) is the package root, where dashboard/ lives.
const dashboardDir = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/** The browser build of graphql-ws, from the installed package (its `exports` hide the file, so walk from the entry). */
function graphqlWsBrowserBundle(): string {
  const entry = createRequire(import.meta.url).resolve('graphql-ws');
  return join(dirname(entry), '..', 'umd', 'graphql-ws.min.js');
}

// Scripts and styles only from this origin, and nothing inline: text from the API cannot run as code.
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

interface Asset {
  path: string;
  file: string;
  contentType: string;
}

/**
 * The dashboard: static files read once at start-up and served as they are. It is public (it holds no
 * data); everything it shows comes through the API under the token the user types in.
 */
export async function dashboardRoutes(): Promise<Record<string, Route>> {
  // Every script and stylesheet in dashboard/: app.js imports the page's other modules by name.
  const contentTypes: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
  const files = (await readdir(dashboardDir)).filter((name) => extname(name) in contentTypes).sort();
  const assets: Asset[] = [
    { path: '/', file: join(dashboardDir, 'index.html'), contentType: 'text/html; charset=utf-8' },
    ...files.map((name) => ({ path: `/dashboard/${name}`, file: join(dashboardDir, name), contentType: contentTypes[extname(name)]! })),
    { path: '/dashboard/graphql-ws.js', file: graphqlWsBrowserBundle(), contentType: 'text/javascript; charset=utf-8' },
  ];
  const routes: Record<string, Route> = {};
  for (const asset of assets) {
    const body = await readFile(asset.file);
    routes[asset.path] = async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': asset.contentType, 'content-length': body.length, ...securityHeaders });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
  }
  return routes;
}
