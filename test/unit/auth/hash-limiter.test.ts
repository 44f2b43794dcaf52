import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { createHashLimiter } from '../../../src/auth/hash-limiter.js';
import { hashPassword } from '../../../src/auth/passwords.js';

/** A task the test finishes by hand, recording when it started. */
function gate(started: string[], name: string) {
  let finish!: (value: string) => void;
  const done = new Promise<string>((resolve) => {
    finish = resolve;
  });
  return {
    task: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(name),
  };
}

/** Lets every already-settled promise callback run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createHashLimiter', () => {
  it('with concurrency 2 and queue 1: two run, one waits, the 4th is refused with unavailable', async () => {
    const limiter = createHashLimiter({ concurrency: 2, queue: 1 });
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => gate(started, n)) as [
      ReturnType<typeof gate>,
      ReturnType<typeof gate>,
      ReturnType<typeof gate>,
      ReturnType<typeof gate>,
    ];
    const pa = limiter.run(a.task);
    const pb = limiter.run(b.task);
    const pc = limiter.run(c.task);
    await tick();
    assert.deepEqual(started, ['a', 'b']);
    assert.deepEqual(limiter.stats(), { running: 2, waiting: 1, rejected: 0 });

    await assert.rejects(limiter.run(d.task), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'unavailable');
      assert.equal(err.status, 503);
      assert.equal(err.options.retryAfter, 1);
      return true;
    });
    assert.deepEqual(started, ['a', 'b'], 'the refused task never ran');
    assert.equal(limiter.stats().rejected, 1);

    // A freed slot goes to the queued task.
    a.finish();
    assert.equal(await pa, 'a');
    await tick();
    assert.deepEqual(started, ['a', 'b', 'c']);
    assert.deepEqual(limiter.stats(), { running: 2, waiting: 0, rejected: 1 });

    b.finish();
    c.finish();
    assert.deepEqual(await Promise.all([pb, pc]), ['b', 'c']);
    assert.deepEqual(limiter.stats(), { running: 0, waiting: 0, rejected: 1 });
  });

  it('runs queued tasks in arrival order, and frees the slot when a task throws', async () => {
    const limiter = createHashLimiter({ concurrency: 1, queue: 3 });
    const order: number[] = [];
    const failing = limiter.run(async () => {
      await tick();
      throw new Error('hash failed');
    });
    const rest = [1, 2, 3].map((n) =>
      limiter.run(async () => {
        order.push(n);
        await tick();
        return n;
      }),
    );
    await assert.rejects(failing, /hash failed/);
    assert.deepEqual(await Promise.all(rest), [1, 2, 3]);
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(limiter.stats(), { running: 0, waiting: 0, rejected: 0 });
  });

  it('with queue 0 refuses as soon as every slot is busy', async () => {
    const limiter = createHashLimiter({ concurrency: 1, queue: 0 });
    const started: string[] = [];
    const a = gate(started, 'a');
    const pa = limiter.run(a.task);
    await assert.rejects(
      limiter.run(async () => 'b'),
      { code: 'unavailable' },
    );
    a.finish();
    await pa;
    assert.equal(await limiter.run(async () => 'c'), 'c');
  });

  it('gates real argon2id hashes: never more than `concurrency` at once', async () => {
    const limiter = createHashLimiter({ concurrency: 2, queue: 2 });
    let peak = 0;
    const jobs = Array.from({ length: 4 }, (_, i) =>
      limiter.run(async () => {
        peak = Math.max(peak, limiter.stats().running);
        return hashPassword(`password number ${i}`);
      }),
    );
    const refused = limiter.run(() => hashPassword('one too many'));
    await assert.rejects(refused, { code: 'unavailable' });
    const hashes = await Promise.all(jobs);
    assert.equal(new Set(hashes).size, 4);
    assert.equal(peak, 2);
  });

  it('rejects nonsense sizes at creation', () => {
    assert.throws(() => createHashLimiter({ concurrency: 0, queue: 1 }), RangeError);
    assert.throws(() => createHashLimiter({ concurrency: 1.5, queue: 1 }), RangeError);
    assert.throws(() => createHashLimiter({ concurrency: 1, queue: -1 }), RangeError);
  });
});
