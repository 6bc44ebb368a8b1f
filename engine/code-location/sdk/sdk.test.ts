import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import { CodeLocationDefinitions } from '../code-location.js';
import { defineAsset, defineDefinitions, defineSchedule, defineSensor, isDefinitions } from './index.js';

const noop = async () => {};
const orders = defineAsset({ key: 'sales/orders', materialize: noop });

function invalidMessage(define: () => unknown): string {
  try {
    define();
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput)) return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_INPUT error');
}

describe('defineAsset', () => {
  it('rejects an invalid key, naming the asset and the problem', () => {
    expect(invalidMessage(() => defineAsset({ key: 'bad key', materialize: noop }))).toMatch(
      /^asset bad key is invalid: key: must be slash-separated name segments/,
    );
  });

  it('rejects an invalid partitions definition when it is defined', () => {
    const message = invalidMessage(() =>
      defineAsset({
        key: 'orders',
        partitions: { kind: 'time', cadence: 'daily', start: '2026-13-01' },
        materialize: noop,
      }),
    );
    expect(message).toMatch(/^asset orders: partitions: start '2026-13-01' is not a local date/);
  });

  it('rejects a missing materialize function and a dependency on itself', () => {
    expect(invalidMessage(() => defineAsset({ key: 'a' } as never))).toBe(
      'asset a: materialize must be a function',
    );
    expect(invalidMessage(() => defineAsset({ key: 'a', dependsOn: ['a'], materialize: noop }))).toBe(
      'asset a depends on itself',
    );
  });

  it('accepts dependencies given as definitions or keys', () => {
    const upstream = defineAsset({ key: 'raw/orders', materialize: noop });
    const asset = defineAsset({ key: 'orders', dependsOn: [upstream, 'raw/customers'], materialize: noop });
    expect(asset.spec.dependsOn).toEqual(['raw/orders', 'raw/customers']);
  });
});

describe('defineSchedule and defineSensor', () => {
  it('reject a malformed cron expression and an unknown time zone', () => {
    expect(
      invalidMessage(() => defineSchedule({ name: 'nightly', cronSchedule: '0 25 * * *', assets: ['a'] })),
    ).toMatch(/^schedule nightly: /);
    expect(
      invalidMessage(() =>
        defineSchedule({
          name: 'nightly',
          cronSchedule: '0 2 * * *',
          executionTimezone: 'Mars/Base',
          assets: ['a'],
        }),
      ),
    ).toMatch(/^schedule nightly: .*Mars\/Base/);
  });

  it('reject a schedule without assets and a sensor without its function', () => {
    expect(
      invalidMessage(() => defineSchedule({ name: 's', cronSchedule: '0 2 * * *', assets: [] })),
    ).toMatch(/^schedule s is invalid: assetSelection/);
    expect(invalidMessage(() => defineSensor({ name: 'files', kind: 'poll', assets: [] } as never))).toBe(
      'sensor files: evaluate must be a function',
    );
    expect(invalidMessage(() => defineSensor({ name: 'files', kind: 'other', assets: [] } as never))).toMatch(
      /kind must be 'poll'/,
    );
  });
});

describe('defineDefinitions', () => {
  it('rejects an asset key defined twice', () => {
    expect(
      invalidMessage(() =>
        defineDefinitions({
          codeLocation: 'sales',
          assets: [orders, defineAsset({ key: 'sales/orders', materialize: noop })],
        }),
      ),
    ).toBe('asset sales/orders is defined twice');
  });

  it('rejects a dependency nobody defines, unless it is declared external', () => {
    const report = defineAsset({ key: 'sales/report', dependsOn: ['finance/fx'], materialize: noop });
    expect(invalidMessage(() => defineDefinitions({ codeLocation: 'sales', assets: [report] }))).toBe(
      'asset sales/report depends on finance/fx, which is not defined here',
    );
    expect(
      defineDefinitions({ codeLocation: 'sales', assets: [report], externalAssets: ['finance/fx'] }).assets,
    ).toHaveLength(1);
  });

  it('rejects dependency cycles, naming the cycle', () => {
    const a = defineAsset({ key: 'a', dependsOn: ['b'], materialize: noop });
    const b = defineAsset({ key: 'b', dependsOn: ['a'], materialize: noop });
    expect(invalidMessage(() => defineDefinitions({ codeLocation: 'x', assets: [a, b] }))).toBe(
      'assets depend on each other in a cycle: a → b → a',
    );
  });

  it('rejects a schedule selecting an undefined asset and a sensor targeting one', () => {
    const schedule = defineSchedule({
      name: 'nightly',
      cronSchedule: '0 2 * * *',
      assets: ['sales/refunds'],
    });
    expect(
      invalidMessage(() =>
        defineDefinitions({ codeLocation: 'sales', assets: [orders], schedules: [schedule] }),
      ),
    ).toBe('schedule nightly selects sales/refunds, which is not defined here');
    const sensor = defineSensor({ name: 'files', kind: 'poll', assets: ['nope'], evaluate: () => ({}) });
    expect(
      invalidMessage(() => defineDefinitions({ codeLocation: 'sales', assets: [orders], sensors: [sensor] })),
    ).toBe('sensor files targets nope, which is not defined here');
  });

  it('rejects duplicate sensor names and things not made by the SDK', () => {
    const sensor = defineSensor({ name: 'files', kind: 'push', assets: [orders], onMessage: () => ({}) });
    expect(
      invalidMessage(() =>
        defineDefinitions({ codeLocation: 'sales', assets: [orders], sensors: [sensor, sensor] }),
      ),
    ).toBe('sensor files is defined twice');
    expect(
      invalidMessage(() => defineDefinitions({ codeLocation: 'sales', assets: [{ key: 'x' } as never] })),
    ).toBe('assets[0] is not an asset made with defineAsset()');
  });

  it('describes the location as the port reports it, with the schemas’ defaults', () => {
    const definitions = defineDefinitions({
      codeLocation: 'sales',
      assets: [orders],
      schedules: [defineSchedule({ name: 'nightly', cronSchedule: '0 2 * * *', assets: [orders] })],
      sensors: [defineSensor({ name: 'files', kind: 'poll', assets: [orders], evaluate: () => ({}) })],
    });
    expect(isDefinitions(definitions)).toBe(true);
    expect(CodeLocationDefinitions.parse(definitions.spec)).toEqual(definitions.spec);
    expect(definitions.spec.schedules[0]).toMatchObject({
      executionTimezone: 'UTC',
      defaultStatus: 'RUNNING',
    });
    expect(definitions.spec.sensors[0]).toMatchObject({ kind: 'poll', targetAssets: ['sales/orders'] });
    expect(definitions.asset('sales/orders')).toBe(orders);
    expect(definitions.sensor('files')?.kind).toBe('poll');
  });
});

describe('the default code version', () => {
  const location = (materialize: () => Promise<void>, description?: string) =>
    defineDefinitions({
      codeLocation: 'sales',
      assets: [defineAsset({ key: 'sales/orders', ...(description ? { description } : {}), materialize })],
    }).codeVersion;

  it('is stable for the same definitions and code', () => {
    expect(location(async () => {})).toBe(location(async () => {}));
    expect(location(async () => {})).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes when the source of a materialize function changes', () => {
    const before = location(async () => {
      await Promise.resolve('copy orders');
    });
    const after = location(async () => {
      await Promise.resolve('copy orders and refunds');
    });
    expect(after).not.toBe(before);
  });

  it('changes when a definition changes, and an explicit version wins', () => {
    expect(location(noop, 'v2 of the orders table')).not.toBe(location(noop));
    expect(
      defineDefinitions({ codeLocation: 'sales', codeVersion: 'git-abc123', assets: [orders] }).codeVersion,
    ).toBe('git-abc123');
  });
});
