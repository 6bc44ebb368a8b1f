import { type DocumentNode, type ExecutionArgs, type ExecutionResult, getOperationAST } from 'graphql';
import { type Plugin, processRegularResult } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { projectionMutations } from '../engine/fold/state.js';
import type { ApiContext, ApiWorkspace } from '../resolvers/context.js';

/**
 * Reuses the answer of a query asked again before anything it depends on changed. A web UI polls
 * the same few queries over and over, and the largest of them (the schedules overview: 1,000
 * schedules, 239 KB) costs far more to answer than to send: a reused answer is sent over HTTP as
 * the bytes it was serialised to the first time.
 *
 * An answer is reused only when all of this is still what it was when it was computed:
 * - the operation (the same parsed document, operation name and variables) and the caller (the
 *   same subject, role and workspace: answers never cross principals);
 * - the projections: no row of any table was written, loaded or rolled back since
 *   (`projectionMutations`), and the workspace's change feed announced nothing (the indexes fed
 *   by it, such as the tick history, may change after the rows do);
 * - the timer queue's pending timers (`TimerQueue.pendingVersion`; daemon health reads them);
 * - the time: an answer that read "now" is not reused at all, unless its fields said until when
 *   their values hold (`AnswerDependencies.validUntil`, e.g. daemon health stays healthy until the
 *   first pending timer becomes overdue); one that read something no version covers (stored step
 *   logs, storage health) is never reused (`AnswerDependencies.volatile`).
 * Only queries are reused, only answers without errors or extensions, only while they were
 * computed without anything changing under them. Mutations and subscriptions always run.
 *
 * Entries are kept in a least-recently-used cache bounded by `maxBytes` (estimated from the
 * serialised size); an answer larger than an eighth of it is not kept.
 */
export interface ResponseCacheOptions {
  /** Memory the kept answers may take, estimated. 0 turns reuse off. */
  maxBytes: number;
  /** Counted once per query. */
  stats?: ResponseCacheStats;
}

/** Queries answered by reusing an answer, computed and kept, or computed and not kept. */
export class ResponseCacheStats {
  hits = 0;
  stored = 0;
  notStored = 0;
}

interface Entry {
  readonly data: unknown;
  /** `{"data":…}` as UTF-8, exactly what yoga would send. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly version: string;
  readonly validUntilMs: number;
}

/** A kept answer's serialised bytes are about a third of what the entry holds (the data besides). */
const ENTRY_BYTES_PER_BYTE = 3;

const UTF8 = new TextEncoder();

export function responseCachePlugin(options: ResponseCacheOptions): Plugin {
  if (options.maxBytes <= 0) return {};
  const entries = new LRUCache<string, Entry>({
    maxSize: options.maxBytes,
    sizeCalculation: (entry, key) => (entry.bytes.length + key.length) * ENTRY_BYTES_PER_BYTE,
    maxEntrySize: Math.max(1, Math.floor(options.maxBytes / 8)),
  });
  /** Per parsed document: a short id for keys, and per operation name whether it is a query. */
  const documents = new WeakMap<DocumentNode, { id: number; queries: Map<string, boolean> }>();
  let nextDocumentId = 0;
  const feeds = new WeakMap<ApiWorkspace, { announced: number }>();
  /** The results this plugin made from entries, to send their bytes. */
  const reused = new WeakMap<object, Entry>();
  const resultOf = (entry: Entry): ExecutionResult => {
    const result = reusedResult(entry);
    reused.set(result, entry);
    return result;
  };

  const isQuery = (args: ExecutionArgs): { id: number } | undefined => {
    let known = documents.get(args.document);
    if (known === undefined) {
      nextDocumentId += 1;
      known = { id: nextDocumentId, queries: new Map() };
      documents.set(args.document, known);
    }
    const name = args.operationName ?? '';
    let query = known.queries.get(name);
    if (query === undefined) {
      query = getOperationAST(args.document, args.operationName)?.operation === 'query';
      known.queries.set(name, query);
    }
    return query ? known : undefined;
  };

  /** Everything an answer depends on that has a version, as one string. */
  const versionOf = (context: ApiContext): string => {
    const { workspace } = context;
    let feed = feeds.get(workspace);
    if (feed === undefined) {
      const counter = { announced: 0 };
      workspace.subscribe(() => {
        counter.announced += 1;
      });
      feeds.set(workspace, counter);
      feed = counter;
    }
    const timers = workspace.automation.timers.pendingVersion?.() ?? 0;
    return `${projectionMutations()}.${feed.announced}.${timers}`;
  };

  const keyOf = (document: { id: number }, args: ExecutionArgs, context: ApiContext): string => {
    const { principal } = context;
    return [
      document.id,
      args.operationName ?? '',
      principal.kind,
      principal.subject,
      principal.role,
      principal.scope.tenantId,
      principal.scope.workspaceId,
      JSON.stringify(args.variableValues ?? {}),
    ].join('\u0000');
  };

  return {
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as unknown as ApiContext | undefined;
      if (context?.answer === undefined || context.principal === undefined) return;
      const document = isQuery(args);
      if (document === undefined) return;
      const key = keyOf(document, args, context);
      const version = versionOf(context);
      const entry = entries.get(key);
      if (entry !== undefined && entry.version === version && context.answer.nowMs < entry.validUntilMs) {
        if (options.stats !== undefined) options.stats.hits += 1;
        setResultAndStopExecution(resultOf(entry));
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          const answer = result as ExecutionResult;
          if (
            answer === null ||
            typeof answer !== 'object' ||
            Symbol.asyncIterator in answer ||
            answer.errors !== undefined ||
            answer.extensions !== undefined ||
            answer.data == null ||
            context.answer.notReusable !== undefined ||
            versionOf(context) !== version
          ) {
            if (options.stats !== undefined) options.stats.notStored += 1;
            return;
          }
          const kept: Entry = {
            data: answer.data,
            bytes: UTF8.encode(JSON.stringify({ data: answer.data })),
            version,
            validUntilMs: context.answer.validUntilMs,
          };
          entries.set(key, kept);
          if (options.stats !== undefined) {
            if (entries.has(key)) options.stats.stored += 1;
            else options.stats.notStored += 1;
          }
          setResult(resultOf(kept));
        },
      };
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      // Over HTTP, a result of an entry is sent as its bytes, as yoga's own processor would send it.
      const entry = reused.get(result as object);
      if (entry === undefined || resultProcessor !== processRegularResult) return;
      const mediaType = regularMediaType(request);
      if (mediaType === undefined) return;
      setResultProcessor(
        (_result, fetchAPI) =>
          new fetchAPI.Response(entry.bytes, {
            status: 200,
            headers: { 'Content-Type': `${mediaType}; charset=utf-8` },
          }),
        mediaType,
      );
    },
  };
}

const REGULAR_MEDIA_TYPES = ['application/graphql-response+json', 'application/json'];

/**
 * The media type yoga's processor of single results answers `request` with: the one the client
 * prefers of the two it offers (yoga picks the last match going from the least preferred accepted
 * type to the most preferred). Undefined when the client accepts neither.
 */
export function regularMediaType(request: Request): string | undefined {
  const accepted = (request.headers.get('accept') || '*/*').replace(/\s/g, '').toLowerCase().split(',');
  let chosen: string | undefined;
  for (const accept of accepted.reverse()) {
    const [asked, ...parameters] = accept.split(';');
    if (asked === undefined) continue;
    const charset = parameters.find((parameter) => parameter.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8') continue;
    const [askedType, askedSubtype] = asked.split('/');
    for (const offered of REGULAR_MEDIA_TYPES) {
      const [type, subtype] = offered.split('/');
      if ((askedType === '*' || askedType === type) && (askedSubtype === '*' || askedSubtype === subtype))
        chosen = offered;
    }
  }
  return chosen;
}

/**
 * The answer of an entry: its data (for transports that serialise a whole message, graphql-ws)
 * and, for a serialiser that asks the result for its text (`stringify`), the text it was
 * serialised to, unless the result was changed since.
 */
function reusedResult(entry: Entry): ExecutionResult {
  const result = {
    data: entry.data as ExecutionResult['data'],
    stringify: (value: ExecutionResult) =>
      value.data === entry.data && value.errors === undefined && value.extensions === undefined
        ? new TextDecoder().decode(entry.bytes)
        : JSON.stringify(value),
  };
  return result;
}
