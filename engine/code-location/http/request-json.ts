/** What one JSON request over HTTP came to; never thrown, so callers decide what is retryable. */
export type JsonExchange =
  | { kind: 'response'; status: number; body: unknown; headers: Headers }
  /** The request's own deadline passed. */
  | { kind: 'timeout'; timeoutMs: number }
  /** The caller's signal aborted. */
  | { kind: 'aborted'; reason: unknown }
  /** Connection refused, reset, DNS failure, … */
  | { kind: 'network'; error: unknown };

export interface JsonRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Serialized as JSON when present. */
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * Sends one request with a JSON body and reads a JSON answer (a body that is not JSON comes back
 * as its text). The deadline covers reading the body too.
 */
export async function requestJson(request: JsonRequest): Promise<JsonExchange> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal === undefined ? deadline : AbortSignal.any([request.signal, deadline]);
  try {
    const response = await (request.fetch ?? fetch)(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page, say): keep the text for the error message.
    }
    return { kind: 'response', status: response.status, body, headers: response.headers };
  } catch (error) {
    if (request.signal?.aborted) return { kind: 'aborted', reason: request.signal.reason };
    if (deadline.aborted) return { kind: 'timeout', timeoutMs: request.timeoutMs };
    return { kind: 'network', error };
  }
}

/** `a.b/c` + `/tasks/x` without doubling or losing the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

export function networkMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
