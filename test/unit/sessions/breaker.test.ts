import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisBreaker } from '../../../src/redis/breaker.js';

/** A stand-in Redis for the breaker's two questions (does it answer? who is it?), driven by the test. */
function fakeRedis() {
  const state = { reachable: true, runId: 'r1', repairs: 0, failRepair: false };
  return {
    state,
    probe: async () => {
      if (!state.reachable) throw new Error('ECONNREFUSED');
      return [`node=${state.runId}`];
    },
    repair: async () => {
      if (state.failRepair) throw new Error('flush failed');
      state.repairs++;
    },
  };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}

describe('RedisBreaker', () => {
  test('starts down, closes after the first good probe without a repair', async () => {
    const r = fakeRedis();
    const b = new RedisBreaker({ probe: r.probe, repair: r.repair, retryMs: 10, checkMs: 20 });
    assert.equal(b.up, false);
    assert.deepEqual(await b.run(async () => 1), { ok: false });
    assert.equal(await b.whenUp(1000), true);
    assert.deepEqual(await b.run(async () => 1), { ok: true, value: 1 });
    assert.equal(r.state.repairs, 0);
    b.close();
  });

  test('a failure opens it at once; without lost deletes it closes again without a repair', async () => {
    const r = fakeRedis();
    const b = new RedisBreaker({ probe: r.probe, repair: r.repair, retryMs: 10, checkMs: 1000 });
    await b.whenUp(1000);
    r.state.reachable = false;
    assert.deepEqual(await b.run(async () => Promise.reject(new Error('ECONNRESET'))), { ok: false });
    assert.equal(b.up, false);
    let called = false;
    await b.run(async () => {
      called = true;
    });
    assert.equal(called, false, 'skipped, not attempted, while open');
    r.state.reachable = true;
    await until(() => b.up);
    assert.equal(r.state.repairs, 0);
    b.close();
  });

  test('a delete skipped while open is redone before Redis is trusted again', async () => {
    const r = fakeRedis();
    const b = new RedisBreaker({ probe: r.probe, repair: r.repair, retryMs: 10, checkMs: 1000 });
    await b.whenUp(1000);
    r.state.reachable = false;
    b.trip('test');
    let deletes = 0;
    let failNext = true;
    await b.runDelete(async () => {
      if (failNext) {
        failNext = false;
        throw new Error('still failing');
      }
      deletes++;
    });
    assert.equal(deletes, 0, 'skipped while open');
    assert.equal(b.pendingDeletes, 1);
    r.state.reachable = true;
    await until(() => b.up);
    assert.equal(deletes, 1, 'redone exactly once, after a failed first replay');
    assert.equal(b.clean, true);
    assert.equal(r.state.repairs, 0, 'a replayed journal needs no flush');
    b.close();
  });

  test('a delete that failed (maybe applied, maybe not) is redone; the breaker stays open until it is', async () => {
    const r = fakeRedis();
    const b = new RedisBreaker({ probe: r.probe, repair: r.repair, retryMs: 10, checkMs: 1000 });
    await b.whenUp(1000);
    let calls = 0;
    await b.runDelete(async () => {
      calls++;
      if (calls === 1) throw new Error('Command timed out');
    });
    assert.equal(b.up, false);
    await until(() => b.up);
    assert.equal(calls, 2);
    b.close();
  });

  test('too many lost deletes fall back to one full repair; a failed repair is retried', async () => {
    const r = fakeRedis();
    const b = new RedisBreaker({ probe: r.probe, repair: r.repair, retryMs: 10, checkMs: 1000, journalLimit: 3 });
    await b.whenUp(1000);
    r.state.reachable = false;
    b.trip('test');
    let redone = 0;
    for (let i = 0; i < 5; i++) await b.runDelete(async () => void redone++);
    assert.equal(b.clean, false);
    r.state.failRepair = true;
    r.state.reachable = true;
    await sleep(60);
    assert.equal(b.up, false, 'not trusted while the repair fails');
    r.state.failRepair = false;
    await until(() => b.up);
    assert.equal(r.state.repairs, 1);
    assert.equal(redone, 0, 'the flush replaces the journal');
    b.close();
  });

  test('a restarted node (new run_id) is noticed by the health probe and repaired', async () => {
    const r = fakeRedis();
    const b = new RedisBreaker({ probe: r.probe, repair: r.repair, retryMs: 10, checkMs: 20 });
    await b.whenUp(1000);
    r.state.runId = 'r2';
    await until(() => r.state.repairs === 1);
    await until(() => b.up);
    assert.equal(b.stats.trips, 1);
    b.close();
  });
});
