import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GraphiQLOptions } from 'graphql-yoga';
import type { RouteHandler } from './http-server.js';

/**
 * GraphiQL without the internet: yoga's default page loads GraphiQL from a public CDN and stays
 * blank offline, so Servo serves the files of `@graphql-yoga/graphiql` itself, under
 * `{endpoint}/assets/`, and renders a page that points at them.
 */

const require = createRequire(import.meta.url);
const ASSET_DIR = join(dirname(require.resolve('@graphql-yoga/graphiql/package.json')), 'dist');

/** The files the page loads, by the name it asks for. Nothing else under `assets/` is served. */
const ASSETS: Record<string, string> = {
  'yoga-graphiql.umd.js': 'application/javascript; charset=utf-8',
  'graphiql.css': 'text/css; charset=utf-8',
  'monacoeditorwork/editor.worker.bundle.js': 'application/javascript; charset=utf-8',
  'monacoeditorwork/json.worker.bundle.js': 'application/javascript; charset=utf-8',
  'monacoeditorwork/graphql.worker..bundle.js': 'application/javascript; charset=utf-8',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The GraphiQL page, loading its script, styles and editor workers from `{endpoint}/assets/`. */
export function renderOfflineGraphiQL(endpoint: string, options: GraphiQLOptions): string {
  const assets = `${endpoint}/assets`;
  const title = options.title ?? 'Servo GraphiQL';
  // `</` inside the JSON would end the script element early.
  const opts = JSON.stringify({ ...options, endpoint }).replace(/<\//g, '<\\/');
  const workers = JSON.stringify({
    editorWorkerService: `${assets}/monacoeditorwork/editor.worker.bundle.js`,
    json: `${assets}/monacoeditorwork/json.worker.bundle.js`,
    graphql: `${assets}/monacoeditorwork/graphql.worker..bundle.js`,
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${assets}/graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root">Loading ${escapeHtml(title)}…</div>
<script>
const workerSources = ${workers};
const workerUrls = {};
async function loadWorkers() {
  await Promise.all(Object.entries(workerSources).map(async ([label, url]) => {
    const source = await (await fetch(url)).text();
    workerUrls[label] = URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
  }));
}
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => workerUrls[label] };
</script>
<script src="${assets}/yoga-graphiql.umd.js"></script>
<script>
loadWorkers().finally(() => YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), ${opts}));
</script>
</body>
</html>`;
}

/** Serves GraphiQL's files under `{endpoint}/assets/`, cached for a day. */
export function graphiqlAssetRoutes(endpoint: string): RouteHandler {
  const prefix = `${endpoint}/assets/`;
  const cache = new Map<string, Buffer>();
  return async (request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (request.method !== 'GET' || !path.startsWith(prefix)) return false;
    const name = path.slice(prefix.length);
    const type = ASSETS[name];
    if (type === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return true;
    }
    let body = cache.get(name);
    if (body === undefined) {
      body = await readFile(join(ASSET_DIR, name));
      cache.set(name, body);
    }
    response.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': 'public, max-age=86400',
    });
    response.end(body);
    return true;
  };
}
