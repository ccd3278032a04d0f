import assert from 'node:assert/strict';
import { addCrashFlush, crashFlushes } from '../src';

describe('addCrashFlush()', () => {
  it('lists the flushes in the order added until each is removed', () => {
    const first = () => 'first';
    const second = () => 'second';
    const removeFirst = addCrashFlush(first);
    const removeSecond = addCrashFlush(second);
    try {
      assert.deepEqual(crashFlushes().slice(-2), [first, second]);
      removeFirst();
      assert.ok(!crashFlushes().includes(first));
      assert.ok(crashFlushes().includes(second));
    } finally {
      removeFirst();
      removeSecond();
    }
    assert.ok(!crashFlushes().includes(second));
  });

  it('shares one set with every copy of the package, through a Symbol.for global', () => {
    // What another copy's addCrashFlush() adds: the same global set.
    const registry = globalThis as Record<symbol, Set<() => unknown> | undefined>;
    const other = () => 'from another copy';
    registry[Symbol.for('@ai-teams/tracking-id/crash-flushes')]!.add(other);
    try {
      assert.ok(crashFlushes().includes(other));
    } finally {
      registry[Symbol.for('@ai-teams/tracking-id/crash-flushes')]!.delete(other);
    }
  });
});
