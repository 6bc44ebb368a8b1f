import { describe, expect, it } from 'vitest';
import { setSensorCursor, startSensor } from '../commands/sensors.js';
import { pollTimer } from '../controllers/sensors.js';
import { ErrorCode } from '../errors.js';
import type { PayloadOf } from '../model/catalog.js';
import { draft } from '../model/catalog.js';
import { createMemoryObjectStore } from '../storage/memory-object-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { CodeLocationDouble } from '../testing/code-location-double.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { sensorDefinition } from '../testing/payloads.js';
import type { AutomationLimits } from './limits.js';
import { createSensorPollDomain, handlePushMessage, replayQuarantined } from './sensors.js';

const SECOND = 1000;
const T0 = Date.UTC(2026, 0, 1);

interface Setup {
  sensor?: Partial<PayloadOf<'sensor.definition-upserted.v1'>>;
  limits?: Partial<AutomationLimits>;
  store?: ObjectStore;
}

/** A workspace with one asset and one sensor of the double's, its first poll timer already run. */
async function setup(double: CodeLocationDouble, options: Setup = {}) {
  const h = await AutomationHarness.create({
    codeLocations: [double],
    domains: () => [createSensorPollDomain()],
    reactors: (workspace) => [createFastExecutor(workspace.projections)],
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  const now = h.clock.now();
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'raw/orders', codeLocation: 'etl', dependsOn: [], requestId: 'd' },
      now,
    ),
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'clean', codeLocation: 'etl', dependsOn: [], requestId: 'd' },
      now,
    ),
    draft('sensor.definition-upserted.v1', sensorDefinition(options.sensor), now),
  ]);
  await h.automation.antiEntropy();
  await h.settle();
  return h;
}

function evaluations(h: AutomationHarness, sensorId = 'etl:files') {
  return [...h.tables.sensorEvals.values()]
    .filter((row) => row.sensorId === sensorId)
    .sort((a, b) => (a.rowVersion < b.rowVersion ? -1 : 1));
}

async function ledgerSeq(h: AutomationHarness): Promise<number> {
  return (await h.workspace.ledger.discoverHead()).seq;
}

/** A poll sensor whose cursor counts its evaluations and that asks for one run per evaluation. */
function countingSensor(double: CodeLocationDouble): CodeLocationDouble {
  return double.pollSensor('files', ({ cursor }) => {
    const next = Number(cursor ?? 0) + 1;
    return { runRequests: [{ runKey: `file-${next}` }], cursor: String(next) };
  });
}

describe('poll sensors on the timer domain', () => {
  it('CA-16/52: polls a 30 s sensor 21 times in 10 minutes of skipped time, each from the previous cursor, and its runs succeed', async () => {
    const h = await setup(countingSensor(new CodeLocationDouble('etl')));
    await h.advance(10 * 60 * SECOND);
    const evals = evaluations(h);
    expect(evals).toHaveLength(21);
    expect(evals.map((row) => row.cursorAfter)).toEqual(evals.map((_, i) => String(i + 1)));
    expect(evals.map((row) => row.dueAt)).toEqual(evals.map((_, i) => T0 + i * 30 * SECOND));
    expect(evals.every((row) => row.status === 'SUCCESS' && !row.stale)).toBe(true);
    const runs = [...h.tables.runs.values()];
    expect(runs).toHaveLength(21);
    expect(runs.every((run) => run.status === 'SUCCESS')).toBe(true);
    expect(h.tables.sensorState.get('etl:files')).toMatchObject({ cursor: '21', stateVersion: 21 });
    const key = 'sensor:etl:files:file-7';
    expect(evals[6]?.runIds).toEqual([h.tables.runKeyIndex.get(key)?.runId]);
  });

  it('CA-12: a timer that fires before the minimum interval evaluates nothing and reschedules to the earliest allowed time', async () => {
    const double = countingSensor(new CodeLocationDouble('etl'));
    const h = await setup(double);
    await h.timers.schedule(pollTimer('etl:files', T0 + 10 * SECOND));
    await h.advance(10 * SECOND);
    expect(double.callCount('files')).toBe(1);
    expect(h.tables.timers.get(pollTimer('etl:files', T0 + 10 * SECOND).timerId)?.state).toBe('FIRED');
    expect(h.timers.pending().map((timer) => timer.fireAt)).toEqual([T0 + 30 * SECOND]);
    await h.advance(20 * SECOND);
    expect(double.callCount('files')).toBe(2);
  });

  it('handles a redelivered timer once', async () => {
    const double = countingSensor(new CodeLocationDouble('etl'));
    const h = await setup(double);
    const first = pollTimer('etl:files', T0);
    const before = await ledgerSeq(h);
    await createSensorPollDomain().handle(h.automation, first);
    expect(double.callCount('files')).toBe(1);
    expect(await ledgerSeq(h)).toBe(before);
  });

  it('CA-15/51: an evaluation computed before a cursor reset is recorded as skipped and requests nothing', async () => {
    const double = new CodeLocationDouble('etl');
    let harness: AutomationHarness | undefined;
    double.pollSensor('files', async ({ cursor }, call) => {
      if (call === 2 && harness !== undefined) {
        await setSensorCursor(
          harness.automation,
          { codeLocation: 'etl', name: 'files', cursor: 'reset' },
          'ops',
        );
      }
      return { runRequests: [{ runKey: `k-${call}` }], cursor: `${cursor ?? ''}+${call}` };
    });
    const h = await setup(double);
    harness = h;
    await h.advance(30 * SECOND);
    const stale = evaluations(h)[1];
    expect(stale).toMatchObject({ stale: true, status: 'SKIPPED', cursorBefore: '+1', runIds: [] });
    expect(stale?.skipReason).toMatch(/^stale evaluation/);
    expect(h.tables.sensorState.get('etl:files')).toMatchObject({ cursor: 'reset', stateVersion: 2 });
    expect(h.tables.runKeyIndex.has('sensor:etl:files:k-2')).toBe(false);
    expect(h.tables.runKeyConflicts.size).toBe(0);
    await h.advance(30 * SECOND);
    expect(evaluations(h)[2]).toMatchObject({
      cursorBefore: 'reset',
      cursorAfter: 'reset+3',
      status: 'SUCCESS',
    });
  });

  it('CA-51: of two evaluations computed from the same state version, the later one is stale and requests nothing', async () => {
    const double = new CodeLocationDouble('etl');
    double.pollSensor('files', (_context, call) => ({
      runRequests: [{ runKey: `k-${call}` }],
      cursor: `c${call}`,
    }));
    const h = await setup(double);
    double.delay('files', 20);
    h.clock.set(T0 + 60 * SECOND);
    const domain = createSensorPollDomain();
    await Promise.all([
      domain.handle(h.automation, pollTimer('etl:files', T0 + 30 * SECOND)),
      domain.handle(h.automation, pollTimer('etl:files', T0 + 60 * SECOND)),
    ]);
    const [, a, b] = evaluations(h);
    expect([a?.stale, b?.stale]).toEqual([false, true]);
    expect(h.tables.sensorState.get('etl:files')?.stateVersion).toBe(2);
    const requested = ['k-2', 'k-3'].filter((key) => h.tables.runKeyIndex.has(`sensor:etl:files:${key}`));
    expect(requested).toHaveLength(1);
  });

  it('CA-53: an error keeps the cursor, marks the evaluation failed and backs off by the minimum interval', async () => {
    const double = countingSensor(new CodeLocationDouble('etl'));
    const h = await setup(double);
    double.fail('files', 'bucket unreachable', 1);
    await h.advance(30 * SECOND);
    expect(evaluations(h)[1]).toMatchObject({ status: 'FAILURE', cursorBefore: '1', cursorAfter: '1' });
    expect(h.tables.sensorState.get('etl:files')).toMatchObject({ cursor: '1', consecutiveFailures: 1 });
    await h.advance(10 * SECOND);
    expect(double.callCount('files')).toBe(2);
    await h.advance(21 * SECOND);
    expect(evaluations(h)[2]).toMatchObject({ status: 'SUCCESS', cursorAfter: '2' });
  });

  it('fails a slow evaluation with "timed out after …" and keeps polling', async () => {
    const double = countingSensor(new CodeLocationDouble('etl'));
    const h = await setup(double, { limits: { sensorEvaluationTimeoutMs: 50 } });
    double.delay('files', 2000);
    await h.advance(30 * SECOND);
    const failed = evaluations(h)[1];
    expect(failed?.status).toBe('FAILURE');
    expect(failed?.error?.message).toBe('sensor files evaluation timed out after 50 ms');
    expect(h.timers.pending().map((timer) => timer.fireAt)).toEqual([T0 + 60 * SECOND]);
  });

  it('CA-55: the same run key asked for again with other content is recorded as a conflict; the first request wins', async () => {
    const double = new CodeLocationDouble('etl');
    double.pollSensor('files', (_context, call) => ({
      runRequests: [{ runKey: 'daily-export', assetSelection: call === 1 ? ['raw/orders'] : ['clean'] }],
    }));
    const h = await setup(double);
    await h.advance(30 * SECOND);
    const conflicts = [...h.tables.runKeyConflicts.values()];
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.runKey).toBe('sensor:etl:files:daily-export');
    expect(h.tables.runKeyIndex.get('sensor:etl:files:daily-export')?.assetSelection).toEqual(['raw/orders']);
    expect(h.tables.runs.size).toBe(1);
  });

  it('records nothing and asks for no timer when the sensor is stopped, deleted or a push sensor', async () => {
    const double = countingSensor(new CodeLocationDouble('etl'));
    double.pushSensor('events', () => ({}));
    const h = await setup(double, { sensor: { defaultStatus: 'STOPPED' } });
    expect(h.timers.pending()).toEqual([]);
    await h.automation.append([
      draft(
        'sensor.definition-upserted.v1',
        sensorDefinition({ sensorId: 'etl:events', name: 'events', kind: 'push' }),
        h.clock.now(),
      ),
    ]);
    const before = await ledgerSeq(h);
    const domain = createSensorPollDomain();
    for (const subject of ['etl:files', 'etl:events', 'etl:gone'])
      await domain.handle(h.automation, pollTimer(subject, T0));
    expect(await ledgerSeq(h)).toBe(before);
    expect(double.calls).toEqual([]);
    expect(domain.desiredTimers(h.automation)).toEqual([]);
  });

  it('CA-17: after a restart, anti-entropy recreates the poll timer and polling continues from the folded cursor and interval', async () => {
    const store = createMemoryObjectStore();
    const first = await setup(countingSensor(new CodeLocationDouble('etl')), { store });
    await first.advance(60 * SECOND);
    await first.stop();
    const restarted = await AutomationHarness.create({
      store,
      start: first.clock.now().getTime() + 5 * SECOND,
      codeLocations: [countingSensor(new CodeLocationDouble('etl'))],
      domains: () => [createSensorPollDomain()],
    });
    expect(restarted.timers.pending()).toEqual([]);
    expect(await restarted.automation.antiEntropy()).toBe(1);
    expect(restarted.timers.pending().map((timer) => timer.fireAt)).toEqual([T0 + 90 * SECOND]);
    await restarted.advance(60 * SECOND);
    expect(evaluations(restarted).map((row) => row.cursorAfter)).toEqual(['1', '2', '3', '4', '5']);
  });
});

/** A push sensor `events` (the subject), beside a stopped poll sensor `files`. */
async function pushSetup(double: CodeLocationDouble, options: Setup = {}) {
  double.pollSensor('files', () => ({}));
  const h = await setup(double, {
    ...options,
    sensor: { sensorId: 'etl:events', name: 'events', kind: 'push', ...options.sensor },
  });
  const poll = sensorDefinition({ defaultStatus: 'STOPPED' });
  await h.automation.append([draft('sensor.definition-upserted.v1', poll, h.clock.now())]);
  return h;
}

function eventsSensor(double: CodeLocationDouble): CodeLocationDouble {
  return double.pushSensor('events', (message) => ({
    runRequests: [{ runKey: `msg-${message.messageId}` }],
  }));
}

const pubsub = (messageId: string, data: unknown) =>
  JSON.stringify({
    message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), messageId, attributes: {} },
    subscription: 'projects/p/subscriptions/events',
  });

describe('push sensors', () => {
  it('CA-50: evaluates a message once across redeliveries and requests its run once', async () => {
    const double = eventsSensor(new CodeLocationDouble('etl'));
    const h = await pushSetup(double);
    const message = { codeLocation: 'etl', name: 'events', body: pubsub('m-1', { file: 'a.csv' }) };
    expect(await handlePushMessage(h.automation, message)).toMatchObject({
      outcome: 'evaluated',
      evalId: 'etl:events:msg:m-1',
      status: 'SUCCESS',
      runKeys: ['sensor:etl:events:msg-m-1'],
    });
    expect(await handlePushMessage(h.automation, message)).toEqual({
      outcome: 'duplicate',
      sensorId: 'etl:events',
      evalId: 'etl:events:msg:m-1',
      messageId: 'm-1',
    });
    await h.settle();
    expect(double.callCount('events')).toBe(1);
    expect(h.tables.sensorState.get('etl:events')?.stateVersion).toBe(1);
    expect(h.tables.runs.size).toBe(1);
  });

  it('CA-49: two concurrent deliveries of one message id fold into one evaluation and one run key', async () => {
    const double = eventsSensor(new CodeLocationDouble('etl'));
    const h = await pushSetup(double);
    double.delay('events', 10);
    const message = { sensorName: 'events', body: '{"file":"b.csv"}', messageId: 'm-2' };
    await Promise.all([handlePushMessage(h.automation, message), handlePushMessage(h.automation, message)]);
    expect(evaluations(h, 'etl:events')).toHaveLength(1);
    expect(h.tables.sensorState.get('etl:events')?.stateVersion).toBe(1);
    expect([...h.tables.runKeyIndex.entries()].map(([key]) => key)).toEqual(['sensor:etl:events:msg-m-2']);
  });

  it('records a failing message evaluation as FAILURE without moving the cursor', async () => {
    const double = eventsSensor(new CodeLocationDouble('etl')).fail('events', 'cannot parse');
    const h = await pushSetup(double);
    const result = await handlePushMessage(h.automation, {
      sensorName: 'events',
      body: '{}',
      messageId: 'm-3',
    });
    expect(result).toMatchObject({
      outcome: 'evaluated',
      status: 'FAILURE',
      error: { message: 'cannot parse' },
    });
    expect(h.tables.sensorState.get('etl:events')).toMatchObject({ lastEvalStatus: 'FAILURE', cursor: null });
  });

  it.each([
    ['malformed JSON', { sensorName: 'events', body: '{"file":', messageId: 'm' }, /^malformed JSON/],
    [
      'bad base64',
      {
        sensorName: 'events',
        body: JSON.stringify({ message: { data: '%%', messageId: '1' }, subscription: 's' }),
      },
      /not valid base64/,
    ],
    ['a missing message id', { sensorName: 'events', body: '{"file":"a"}' }, /^missing message id$/],
    [
      'an oversize body',
      { sensorName: 'events', body: 'x'.repeat(300), messageId: 'm' },
      /^payload too large: 300 bytes/,
    ],
    ['an unknown sensor', { sensorName: 'nope', body: '{}', messageId: 'm' }, /^unknown sensor nope$/],
    [
      'a poll sensor',
      { codeLocation: 'etl', name: 'files', body: '{}', messageId: 'm' },
      /is a poll sensor, not a push sensor$/,
    ],
  ])('quarantines %s with its reason instead of failing', async (_name, request, reason) => {
    const h = await pushSetup(eventsSensor(new CodeLocationDouble('etl')), {
      limits: { maxPushPayloadBytes: 256 },
    });
    const result = await handlePushMessage(h.automation, request);
    expect(result.outcome).toBe('quarantined');
    if (result.outcome !== 'quarantined') return;
    expect(result.reason).toMatch(reason);
    const row = h.tables.quarantinedMessages.get(result.quarantineId);
    expect(row?.reason).toBe(result.reason);
    // The body is kept for a replay unless it is beyond the payload limit.
    expect(row?.bodyBase64 === null).toBe(result.reason.startsWith('payload too large'));
    expect(evaluations(h, 'etl:events')).toEqual([]);
  });

  it('records a redelivered bad message in quarantine once', async () => {
    const h = await pushSetup(eventsSensor(new CodeLocationDouble('etl')));
    const request = { sensorName: 'events', body: 'not json', messageId: 'm' };
    const first = await handlePushMessage(h.automation, request);
    const before = await ledgerSeq(h);
    expect(await handlePushMessage(h.automation, request)).toEqual(first);
    expect(await ledgerSeq(h)).toBe(before);
    expect(h.tables.quarantinedMessages.size).toBe(1);
  });

  it('quarantines a message for a stopped sensor and evaluates it when replayed after start', async () => {
    const double = eventsSensor(new CodeLocationDouble('etl'));
    const h = await pushSetup(double, { sensor: { defaultStatus: 'STOPPED' } });
    const result = await handlePushMessage(h.automation, {
      sensorName: 'events',
      body: pubsub('m-9', { a: 1 }),
    });
    expect(result).toMatchObject({ outcome: 'quarantined', reason: 'sensor is stopped', messageId: 'm-9' });
    if (result.outcome !== 'quarantined') return;
    const before = await ledgerSeq(h);
    await expect(replayQuarantined(h.automation, result.quarantineId, 'ops')).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
      message: expect.stringMatching(/still cannot be accepted: sensor is stopped$/),
    });
    expect(await ledgerSeq(h)).toBe(before);
    await startSensor(h.automation, { codeLocation: 'etl', name: 'events' }, 'ops');
    expect(await replayQuarantined(h.automation, result.quarantineId, 'ops')).toMatchObject({
      outcome: 'evaluated',
      evalId: 'etl:events:msg:m-9',
      status: 'SUCCESS',
    });
    expect(h.tables.quarantinedMessages.get(result.quarantineId)).toMatchObject({
      replayedBy: 'ops',
      replayOutcome: 'evaluated as etl:events:msg:m-9: SUCCESS',
    });
    expect(double.calls[0]?.message).toEqual({ messageId: 'm-9', data: { a: 1 }, attributes: {} });
    await expect(replayQuarantined(h.automation, result.quarantineId, 'ops')).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    await expect(replayQuarantined(h.automation, 'q_missing', 'ops')).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
  });

  it('replays a message quarantined for an unknown sensor once that sensor exists', async () => {
    const h = await pushSetup(eventsSensor(new CodeLocationDouble('etl')));
    const result = await handlePushMessage(h.automation, {
      codeLocation: 'etl',
      name: 'late',
      body: '{}',
      messageId: 'm',
    });
    if (result.outcome !== 'quarantined') throw new Error('expected a quarantine');
    expect(h.tables.quarantinedMessages.get(result.quarantineId)?.sensorName).toBe('etl:late');
    await h.automation.append([
      draft(
        'sensor.definition-upserted.v1',
        sensorDefinition({ sensorId: 'etl:late', name: 'late', kind: 'push' }),
        h.clock.now(),
      ),
    ]);
    const double = h.automation.codeLocations.get('etl') as CodeLocationDouble;
    double.pushSensor('late', () => ({ skipReason: 'nothing to do' }));
    expect(await replayQuarantined(h.automation, result.quarantineId, 'ops')).toMatchObject({
      outcome: 'evaluated',
      status: 'SKIPPED',
    });
  });
});
