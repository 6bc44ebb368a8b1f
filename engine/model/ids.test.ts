import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestFingerprint } from './fingerprint.js';
import { base32Lower } from './hashing.js';
import * as ids from './ids.js';

const secret = new TextEncoder().encode('test-secret');

describe('deterministic ids (fixed test vectors)', () => {
  it('derives run ids from tenant, workspace and run key under the tenant secret', () => {
    expect(ids.runIdFor(secret, 'acme', 'prod', 'sched:etl:daily:1736935200')).toBe(
      'run_obazivgpsrgmw3chvfwdn2krhe',
    );
    expect(
      ids.runIdFor(new TextEncoder().encode('other-secret'), 'acme', 'prod', 'sched:etl:daily:1736935200'),
    ).toBe('run_ndhqcj27epalof3h4qhjf64w5y');
    expect(ids.runIdFor(secret, 'acme', 'staging', 'sched:etl:daily:1736935200')).toBe(
      'run_ek3fohspb4idp7km6nmeda7r4i',
    );
  });

  it('matches an independent HMAC-SHA256 + RFC 4648 base32 computation', () => {
    const mac = createHmac('sha256', secret).update('acme:prod:sched:etl:daily:1736935200').digest();
    expect(base32Lower(mac.subarray(0, 16)).slice(0, 26)).toBe('obazivgpsrgmw3chvfwdn2krhe');
    // RFC 4648 §10 test vector, lowercased and unpadded.
    expect(base32Lower(new TextEncoder().encode('foobar'))).toBe('mzxw6ytboi');
  });

  it('derives the same run ids with the secret and scope fixed', () => {
    const derive = ids.runIdDeriver(secret, 'acme', 'prod');
    expect(derive('sched:etl:daily:1736935200')).toBe('run_obazivgpsrgmw3chvfwdn2krhe');
    for (const runKey of ['a', 'backfill:bf_x:chunk:12', 'sensor:é:😀', 'k'.repeat(500)]) {
      expect(derive(runKey)).toBe(ids.runIdFor(secret, 'acme', 'prod', runKey));
    }
    expect(() => ids.runIdDeriver(new Uint8Array(), 'acme', 'prod')).toThrow(/secret/);
  });

  it('refuses an empty tenant secret', () => {
    expect(() => ids.runIdFor(new Uint8Array(), 'acme', 'prod', 'k')).toThrow(/secret/);
  });

  it('derives tick, run-key, evaluation, chunk, dispatch, attempt and timer ids from their inputs', () => {
    const at = Date.UTC(2025, 0, 15, 10, 0, 0);
    expect(ids.instigatorId('etl', 'daily')).toBe('etl:daily');
    expect(ids.scheduleTickId('etl:daily', at)).toBe('etl:daily:1736935200');
    expect(ids.scheduleRunKey('etl:daily', at)).toBe('sched:etl:daily:1736935200');
    expect(ids.manualTickId('etl:daily', 'req1')).toBe('etl:daily:manual:req1');
    expect(ids.manualScheduleRunKey('etl:daily', 'req1')).toBe('sched:etl:daily:manual:req1');
    expect(ids.pollEvalId('etl:files', at)).toBe('etl:files:poll:1736935200');
    expect(ids.pushEvalId('etl:events', 'm-1')).toBe('etl:events:msg:m-1');
    expect(ids.backfillIdFor('acme', 'prod', 'req-1')).toBe('bf_g2357ohmiiwjecus');
    expect(ids.backfillChunkId('bf_x', 3)).toBe('bf_x:3');
    expect(ids.backfillChunkRunKey('bf_x', 3)).toBe('backfill:bf_x:chunk:3');
    const dispatchId = ids.dispatchIdFor('run_abc', 'raw/orders[2026-01-01]', 1);
    expect(dispatchId).toBe('dispatch:run_abc:raw/orders[2026-01-01]:1');
    expect(ids.attemptIdFor(dispatchId)).toBe('att_bc586939a4ba134f95d59914');
    expect(ids.timerIdFor('schedule_tick', 'etl:daily', at)).toBe('timer:schedule_tick:etl:daily:1736935200');
    expect(ids.timerIdFor('task_retry', 'run_abc/t', at, 2)).toBe('timer:task_retry:run_abc/t:2:1736935200');
  });

  it('names queue tasks with a hashed, queue-safe id', () => {
    expect(ids.queueTaskName('d', 'dispatch:run1:extract:1')).toBe('d_cxtoltqhbncw6nevn7hy53kqn6');
    expect(ids.queueTaskName('t', 'timer:schedule_tick:etl:daily:1736935200')).toBe(
      't_zaiqi22qp3ebr7gt7hjocbn7jq',
    );
  });

  it('names tasks after their asset and partitions', () => {
    expect(ids.taskKeyFor('raw/orders', undefined)).toBe('raw/orders');
    expect(ids.taskKeyFor('raw/orders', ['2026-01-01'])).toBe('raw/orders[2026-01-01]');
    expect(ids.taskKeyFor('raw/orders', ['2026-01-01', '2026-01-02', '2026-01-03'])).toBe(
      'raw/orders[2026-01-01..2026-01-03]',
    );
  });
});

describe('request fingerprint', () => {
  it('is a fixed function of the sorted, de-duplicated assets and partitions', () => {
    expect(
      requestFingerprint({ assetSelection: ['b', 'a'], partitionKeys: ['2026-01-02', '2026-01-01'] }),
    ).toBe('0ea6d9e55aafccf1583334ea8e66c57d8b7dfbe64d676dedcb7cbc634198464f');
    expect(requestFingerprint({ assetSelection: ['a', 'b'] })).toBe(
      'f144b1848144c0f823bbc7baa1f6a24475d49117d704c3639ff9db2c4d1c976a',
    );
  });

  it('does not depend on order or duplicates, but does on content', () => {
    const base = requestFingerprint({ assetSelection: ['a', 'b'], partitionKeys: ['p1', 'p2'] });
    expect(requestFingerprint({ assetSelection: ['b', 'a', 'a'], partitionKeys: ['p2', 'p1'] })).toBe(base);
    expect(requestFingerprint({ assetSelection: ['a', 'b'], partitionKeys: ['p1'] })).not.toBe(base);
    expect(
      requestFingerprint({ assetSelection: ['a', 'b'], partitionKeys: ['p1', 'p2'], singleRun: true }),
    ).not.toBe(base);
    expect(requestFingerprint({ assetSelection: ['a', 'b'], partitionKeys: [] })).toBe(
      requestFingerprint({ assetSelection: ['a', 'b'] }),
    );
  });
});
