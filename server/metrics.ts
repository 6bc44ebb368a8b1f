import type { IncomingMessage } from 'node:http';
import { type RouteHandler, sendJson } from './http-server.js';

/** One sample: a metric's value for one set of labels. */
export interface MetricSample {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labels: Record<string, string>;
  value: number;
}

/**
 * `GET /metrics`: the process's samples in the Prometheus text format (version 0.0.4), gathered
 * when scraped, for callers `allowed` admits (401 otherwise). Samples of one metric are grouped
 * under one HELP/TYPE header.
 */
export function metricsRoute(
  allowed: (request: IncomingMessage) => Promise<boolean>,
  collect: () => Promise<MetricSample[]>,
): RouteHandler {
  return async (request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') return false;
    if (!(await allowed(request))) {
      sendJson(response, 401, {
        error: {
          code: 'UNAUTHORIZED',
          message: 'metrics need a credential for this workspace or the worker credential',
        },
      });
      return true;
    }
    const text = formatMetrics(await collect());
    response.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
    return true;
  };
}

export function formatMetrics(samples: readonly MetricSample[]): string {
  const byName = new Map<string, MetricSample[]>();
  for (const sample of samples) {
    const group = byName.get(sample.name);
    if (group === undefined) byName.set(sample.name, [sample]);
    else group.push(sample);
  }
  const lines: string[] = [];
  for (const [name, group] of byName) {
    const first = group[0] as MetricSample;
    lines.push(`# HELP ${name} ${first.help}`, `# TYPE ${name} ${first.type}`);
    for (const sample of group) {
      const labels = Object.entries(sample.labels)
        .map(
          ([key, value]) =>
            `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
        )
        .join(',');
      lines.push(
        `${name}${labels === '' ? '' : `{${labels}}`} ${Number.isFinite(sample.value) ? sample.value : 'NaN'}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
