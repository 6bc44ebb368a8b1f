import { describe, expect, it } from 'vitest';
import { createSensorPollDomain } from '../automation/sensors.js';
import { ErrorCode } from '../errors.js';
import { draft, type PayloadOf } from '../model/catalog.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { CodeLocationDouble } from '../testing/code-location-double.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { sensorDefinition } from '../testing/payloads.js';
import {
  deleteSensor,
  resetSensor,
  resetSensorCursor,
  sensorDryRun,
  setSensorCursor,
  startSensor,
  stopSensor,
  upsertSensor,
} from './sensors.js';

const SECOND = 1000;
const T0 = Date.UTC(2026, 0, 1);
const files = { codeLocation: 'etl', name: 'files' };

/** Asks for one run per file it has not seen; the cursor is the number of files seen. */
function fileSensor(double: CodeLocationDouble, landed: () => number): CodeLocationDouble {
  return double.pollSensor('files', ({ cursor }) => {
    const seen = Number(cursor ?? 0);
    const total = landed();
    const runRequests = Array.from({ length: total - seen }, (_, i) => ({ runKey: `file-${seen + i + 1}` }));
    return { runRequests, cursor: String(total) };
  });
}

async function setup(
  double: CodeLocationDouble,
  sensor: Partial<PayloadOf<'sensor.definition-upserted.v1'>> | null = {},
) {
  const h = await AutomationHarness.create({
    codeLocations: [double],
    domains: () => [createSensorPollDomain()],
    reactors: (workspace) => [createFastExecutor(workspace.projections)],
  });
  const now = h.clock.now();
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'raw/orders', codeLocation: 'etl', dependsOn: [], requestId: 'd' },
      now,
    ),
    ...(sensor === null ? [] : [draft('sensor.definition-upserted.v1', sensorDefinition(sensor), now)]),
  ]);
  await h.automation.antiEntropy();
  await h.settle();
  return h;
}

function evaluationsOf(h: AutomationHarness) {
  return [...h.tables.sensorEvals.values()].sort((a, b) => (a.rowVersion < b.rowVersion ? -1 : 1));
}

async function ledgerSeq(h: AutomationHarness): Promise<number> {
  return (await h.workspace.ledger.discoverHead()).seq;
}

async function expectRejected(
  h: AutomationHarness,
  call: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
) {
  const before = await ledgerSeq(h);
  await expect(call).rejects.toMatchObject({
    name: 'ServoError',
    code,
    ...(message ? { message: expect.stringMatching(message) } : {}),
  });
  expect(await ledgerSeq(h)).toBe(before);
}

describe('start, stop and reset', () => {
  it('a stopped sensor makes no evaluations, and starting it polls once from now without replaying the stopped period', async () => {
    const double = fileSensor(new CodeLocationDouble('etl'), () => 1);
    const h = await setup(double);
    expect(await stopSensor(h.automation, files, 'ops')).toMatchObject({
      status: 'STOPPED',
      statusSource: 'operator',
    });
    await h.advance(5 * 60 * SECOND);
    expect(double.callCount('files')).toBe(1);
    const started = await startSensor(h.automation, files, 'ops');
    expect(started.status).toBe('RUNNING');
    await h.settle();
    expect(double.callCount('files')).toBe(2);
    expect(evaluationsOf(h)[1]?.dueAt).toBe(T0 + 5 * 60 * SECOND);
    await h.advance(30 * SECOND);
    expect(double.callCount('files')).toBe(3);
  });

  it('starting a sensor the operator already started appends nothing', async () => {
    const h = await setup(fileSensor(new CodeLocationDouble('etl'), () => 0));
    await startSensor(h.automation, files, 'ops');
    const before = await ledgerSeq(h);
    await startSensor(h.automation, files, 'ops');
    expect(await ledgerSeq(h)).toBe(before);
  });

  it("reset returns the sensor to its definition's default status", async () => {
    const double = fileSensor(new CodeLocationDouble('etl'), () => 0);
    const h = await setup(double, { defaultStatus: 'STOPPED' });
    expect(double.callCount('files')).toBe(0);
    await startSensor(h.automation, files, 'ops');
    await h.settle();
    expect(double.callCount('files')).toBe(1);
    expect(await resetSensor(h.automation, files, 'ops')).toMatchObject({
      status: 'STOPPED',
      statusSource: 'default',
    });
    await h.advance(60 * SECOND);
    expect(double.callCount('files')).toBe(1);
  });

  it('fails with NOT_FOUND for an unknown sensor and INVALID_INPUT for a bad selector, appending nothing', async () => {
    const h = await setup(fileSensor(new CodeLocationDouble('etl'), () => 0));
    await expectRejected(
      h,
      startSensor(h.automation, { codeLocation: 'etl', name: 'nope' }, 'ops'),
      ErrorCode.NotFound,
    );
    await expectRejected(
      h,
      stopSensor(h.automation, { codeLocation: 'etl', name: 'a:b' }, 'ops'),
      ErrorCode.InvalidInput,
    );
    await expectRejected(h, stopSensor(h.automation, files, ''), ErrorCode.InvalidInput);
  });
});

describe('cursors', () => {
  it('set: the next evaluation starts from the cursor the operator set', async () => {
    const double = fileSensor(new CodeLocationDouble('etl'), () => 5);
    const h = await setup(double);
    const view = await setSensorCursor(h.automation, { ...files, cursor: '3' }, 'ops');
    expect(view).toMatchObject({ cursor: '3', stateVersion: 2 });
    await h.advance(30 * SECOND);
    expect(double.calls[1]?.context?.cursor).toBe('3');
  });

  it('CA-54 reset: the next evaluation starts from no cursor and, with the same run keys, starts no run again', async () => {
    let landed = 2;
    const h = await setup(fileSensor(new CodeLocationDouble('etl'), () => landed));
    expect(h.tables.runs.size).toBe(2);
    await resetSensorCursor(h.automation, files, 'ops');
    landed = 3;
    await h.advance(30 * SECOND);
    const last = evaluationsOf(h).at(-1);
    expect(last).toMatchObject({ cursorBefore: null, cursorAfter: '3', status: 'SUCCESS' });
    expect(last?.runKeys).toHaveLength(3);
    expect(h.tables.runs.size).toBe(3);
    expect(h.tables.runKeyConflicts.size).toBe(0);
  });

  it('push sensors have no cursor to set', async () => {
    const double = new CodeLocationDouble('etl').pushSensor('files', () => ({}));
    const h = await setup(double, { kind: 'push' });
    await expectRejected(
      h,
      setSensorCursor(h.automation, { ...files, cursor: 'x' }, 'ops'),
      ErrorCode.IllegalState,
    );
  });
});

describe('definition CRUD', () => {
  it('creates a sensor for a deployed code location, with defaults, and a running poll sensor starts polling', async () => {
    const double = fileSensor(new CodeLocationDouble('etl'), () => 1);
    const h = await setup(double, null);
    const created = await upsertSensor(
      h.automation,
      { ...files, minimumIntervalSeconds: 60, defaultStatus: 'RUNNING', targetAssets: ['raw/orders'] },
      'ops',
    );
    expect(created).toMatchObject({
      kind: 'poll',
      source: 'api',
      status: 'RUNNING',
      minimumIntervalSeconds: 60,
    });
    await h.settle();
    expect(double.callCount('files')).toBe(1);
    await h.advance(30 * SECOND);
    expect(double.callCount('files')).toBe(1);
    await h.advance(30 * SECOND);
    expect(double.callCount('files')).toBe(2);
  });

  it('defaults a new sensor to STOPPED and keeps unspecified fields on update; an identical upsert appends nothing', async () => {
    const h = await setup(
      fileSensor(new CodeLocationDouble('etl'), () => 0),
      null,
    );
    expect(await upsertSensor(h.automation, { ...files, description: 'new files' }, 'ops')).toMatchObject({
      status: 'STOPPED',
      minimumIntervalSeconds: 30,
      description: 'new files',
    });
    const updated = await upsertSensor(h.automation, { ...files, minimumIntervalSeconds: 45 }, 'ops');
    expect(updated).toMatchObject({ minimumIntervalSeconds: 45, description: 'new files' });
    const before = await ledgerSeq(h);
    await upsertSensor(h.automation, { ...files, minimumIntervalSeconds: 45 }, 'ops');
    expect(await ledgerSeq(h)).toBe(before);
  });

  it('rejects an unknown code location, a too-short interval, unknown assets and unknown fields, appending nothing', async () => {
    const h = await setup(
      fileSensor(new CodeLocationDouble('etl'), () => 0),
      null,
    );
    await expectRejected(
      h,
      upsertSensor(h.automation, { codeLocation: 'ghost', name: 'files' }, 'ops'),
      ErrorCode.NotFound,
      /code location ghost is not known/,
    );
    await expectRejected(
      h,
      upsertSensor(h.automation, { ...files, minimumIntervalSeconds: 10 }, 'ops'),
      ErrorCode.InvalidInput,
      /minimumIntervalSeconds must be from 30 to 604800; got 10/,
    );
    await expectRejected(
      h,
      upsertSensor(h.automation, { ...files, targetAssets: ['ghost'] }, 'ops'),
      ErrorCode.InvalidInput,
      /targets ghost/,
    );
    const withUnknownField = { ...files, cron: '* * * * *' };
    await expectRejected(h, upsertSensor(h.automation, withUnknownField, 'ops'), ErrorCode.InvalidInput);
  });

  it('rejects a sensor the deployed code location does not define', async () => {
    const h = await setup(
      fileSensor(new CodeLocationDouble('etl'), () => 0),
      null,
    );
    const deploy = {
      codeLocation: 'etl',
      codeVersion: 'v1',
      assets: ['raw/orders'],
      schedules: [],
      sensors: ['files'],
      deployedBy: 'ci',
    };
    await h.automation.append([draft('codelocation.deployed.v1', deploy, h.clock.now())]);
    await expectRejected(
      h,
      upsertSensor(h.automation, { codeLocation: 'etl', name: 'other' }, 'ops'),
      ErrorCode.NotFound,
      /does not define a sensor other/,
    );
  });

  it('deletes a sensor: its timer then records nothing and its history stays', async () => {
    const double = fileSensor(new CodeLocationDouble('etl'), () => 1);
    const h = await setup(double);
    expect(await deleteSensor(h.automation, files, 'ops')).toEqual({ sensorId: 'etl:files', deleted: true });
    await h.advance(60 * SECOND);
    expect(double.callCount('files')).toBe(1);
    expect(h.tables.sensorEvals.size).toBe(1);
    await expectRejected(h, deleteSensor(h.automation, files, 'ops'), ErrorCode.NotFound);
  });
});

describe('dry run', () => {
  it('returns the would-be evaluation with fingerprints and whether each run key was requested, appending nothing', async () => {
    let landed = 1;
    const h = await setup(fileSensor(new CodeLocationDouble('etl'), () => landed));
    landed = 2;
    const before = await ledgerSeq(h);
    const dry = await sensorDryRun(h.automation, { ...files, cursor: null });
    expect(await ledgerSeq(h)).toBe(before);
    expect(dry).toMatchObject({ status: 'SUCCESS', cursorBefore: null, cursorAfter: '2', error: null });
    expect(dry.runRequests.map((r) => [r.runKey, r.alreadyRequested, r.conflict])).toEqual([
      ['file-1', true, false],
      ['file-2', false, false],
    ]);
    expect(dry.runRequests[1]).toMatchObject({
      scopedRunKey: 'sensor:etl:files:file-2',
      requestFingerprint: requestFingerprint({ assetSelection: ['raw/orders'] }),
    });
    expect((await sensorDryRun(h.automation, files)).cursorBefore).toBe('1');
  });

  it('reports a failing evaluation as a FAILURE result, and refuses push sensors', async () => {
    const double = fileSensor(new CodeLocationDouble('etl'), () => 0).fail('files', 'no bucket');
    const h = await setup(double);
    expect(await sensorDryRun(h.automation, files)).toMatchObject({
      status: 'FAILURE',
      error: { message: 'no bucket' },
    });
    await h.automation.append([
      draft(
        'sensor.definition-upserted.v1',
        sensorDefinition({ sensorId: 'etl:events', name: 'events', kind: 'push' }),
        h.clock.now(),
      ),
    ]);
    await expectRejected(
      h,
      sensorDryRun(h.automation, { codeLocation: 'etl', name: 'events' }),
      ErrorCode.IllegalState,
    );
  });
});
