import { describe, expect, it } from 'vitest';
import { createSensorPollDomain, handlePushMessage } from '../automation/sensors.js';
import { stopSensor } from '../commands/sensors.js';
import { ErrorCode } from '../errors.js';
import { draft } from '../model/catalog.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { CodeLocationDouble } from '../testing/code-location-double.js';
import { sensorDefinition } from '../testing/payloads.js';
import { findSensor, listSensors, quarantinedMessages, sensorEvaluations } from './sensors.js';

const SECOND = 1000;
const files = { codeLocation: 'etl', name: 'files' };

/** A poll sensor that fails on its 3rd call and skips on even calls, after 6 evaluations. */
async function setup() {
  const double = new CodeLocationDouble('etl')
    .pollSensor('files', (_context, call) => {
      if (call === 3) throw new Error('listing failed');
      return call % 2 === 0
        ? { cursor: `c${call}` }
        : { runRequests: [{ runKey: `f-${call}` }], cursor: `c${call}` };
    })
    .pushSensor('events', () => ({}));
  const h = await AutomationHarness.create({
    codeLocations: [double],
    domains: () => [createSensorPollDomain()],
  });
  const now = h.clock.now();
  await h.automation.append([
    draft('sensor.definition-upserted.v1', sensorDefinition(), now),
    draft(
      'sensor.definition-upserted.v1',
      sensorDefinition({ sensorId: 'etl:events', name: 'events', kind: 'push', defaultStatus: 'STOPPED' }),
      now,
    ),
  ]);
  await h.automation.antiEntropy();
  await h.advance(150 * SECOND);
  return h;
}

describe('sensor queries', () => {
  it('show status, the errored flag, cursor, state version and the last evaluation', async () => {
    const h = await setup();
    expect(findSensor(h.tables, files)).toMatchObject({
      sensorId: 'etl:files',
      kind: 'poll',
      status: 'RUNNING',
      statusSource: 'default',
      errored: false,
      cursor: 'c6',
      stateVersion: 6,
      lastRunKey: 'f-5',
      lastEvaluation: { status: 'SKIPPED', skipReason: 'no new data', cursorAfter: 'c6' },
    });
    expect(findSensor(h.tables, { codeLocation: 'etl', name: 'events' })).toMatchObject({
      status: 'STOPPED',
    });
    expect(findSensor(h.tables, { codeLocation: 'etl', name: 'nope' })).toBeUndefined();
    expect(listSensors(h.tables).map((sensor) => sensor.sensorId)).toEqual(['etl:events', 'etl:files']);
  });

  it('mark a sensor errored while its last evaluation failed', async () => {
    const h = await setup();
    const domain = createSensorPollDomain();
    const double = h.automation.codeLocations.get('etl') as CodeLocationDouble;
    double.fail('files', 'down');
    await h.advance(30 * SECOND);
    await stopSensor(h.automation, files, 'ops');
    expect(findSensor(h.tables, files)).toMatchObject({
      status: 'STOPPED',
      errored: true,
      consecutiveFailures: 1,
      lastEvaluation: { status: 'FAILURE', error: { message: 'down' } },
    });
    expect(domain.desiredTimers(h.automation)).toEqual([]);
  });

  it('page through evaluation history newest first, with a status filter', async () => {
    const h = await setup();
    const first = sensorEvaluations(h.tables, files, { limit: 4 });
    expect(first.items.map((row) => row.cursorAfter)).toEqual(['c6', 'c5', 'c4', 'c2']);
    expect(first.items[2]?.runKeys).toEqual([]);
    expect(first.items[1]).toMatchObject({ runKeys: ['f-5'], scopedRunKeys: ['sensor:etl:files:f-5'] });
    const second = sensorEvaluations(h.tables, files, { limit: 4, cursor: first.nextCursor });
    expect(second.items.map((row) => row.cursorAfter)).toEqual(['c2', 'c1']);
    expect([first.items[3]?.status, second.items[0]?.status]).toEqual(['FAILURE', 'SKIPPED']);
    expect(second.nextCursor).toBeNull();
    const failures = sensorEvaluations(h.tables, files, { status: 'FAILURE' });
    expect(failures.items.map((row) => row.error?.message)).toEqual(['listing failed']);
  });

  it('reject a bad page size or cursor with INVALID_INPUT', async () => {
    const h = await setup();
    expect(() => sensorEvaluations(h.tables, files, { limit: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidInput }),
    );
    expect(() => sensorEvaluations(h.tables, files, { limit: 201 })).toThrow(
      /limit must be an integer from 1 to 200/,
    );
    expect(() => sensorEvaluations(h.tables, files, { cursor: 'not a cursor' })).toThrow(
      /malformed page cursor/,
    );
  });

  it('list quarantined messages newest first, paginated, optionally only those not replayed', async () => {
    const h = await setup();
    for (const id of ['m1', 'm2', 'm3']) {
      await handlePushMessage(h.automation, { sensorName: 'events', body: '{}', messageId: id });
      h.clock.advance(SECOND);
    }
    const page = quarantinedMessages(h.tables, { limit: 2 });
    expect(page.items.map((row) => [row.messageId, row.reason, row.bodyKept])).toEqual([
      ['m3', 'sensor is stopped', true],
      ['m2', 'sensor is stopped', true],
    ]);
    const rest = quarantinedMessages(h.tables, { limit: 2, cursor: page.nextCursor });
    expect(rest.items.map((row) => row.messageId)).toEqual(['m1']);
    expect(quarantinedMessages(h.tables, { pending: true }).items).toHaveLength(3);
  });
});
