import { beforeEach, expect, it } from 'vitest';
import type { StockMirror } from '../../src/app/ports.ts';

/**
 * What every StockMirror must do, the Redis one and the in-process one alike. `make` returns a
 * fresh, empty mirror for each test.
 */
export function stockMirrorContract(make: () => Promise<StockMirror>): void {
  let mirror: StockMirror;
  beforeEach(async () => {
    mirror = await make();
  });

  it('reads null for a product it has never mirrored', async () => {
    expect(await mirror.read(1)).toBeNull();
  });

  it('creates, changes, keeps an equal value, and answers which it did', async () => {
    expect(await mirror.write({ productId: 1, available: 10, version: 1 })).toBe('created');
    expect(await mirror.read(1)).toBe(10);
    expect(await mirror.write({ productId: 1, available: 9, version: 2 })).toBe('changed');
    expect(await mirror.write({ productId: 1, available: 9, version: 3 })).toBe('unchanged');
    expect(await mirror.read(1)).toBe(9);
    // The same version again is accepted: the reconciler re-copies values it already wrote.
    expect(await mirror.write({ productId: 1, available: 9, version: 3 })).toBe('unchanged');
  });

  it('refuses an older version and keeps the newer value', async () => {
    await mirror.write({ productId: 1, available: 5, version: 7 });
    expect(await mirror.write({ productId: 1, available: 6, version: 6 })).toBe('stale');
    expect(await mirror.read(1)).toBe(5);
  });

  it('keeps products apart', async () => {
    await mirror.write({ productId: 1, available: 5, version: 9 });
    expect(await mirror.write({ productId: 2, available: 3, version: 1 })).toBe('created');
    expect(await mirror.read(1)).toBe(5);
    expect(await mirror.read(2)).toBe(3);
  });

  it('writeMany answers per snapshot, in order, with the same compare-and-set', async () => {
    await mirror.write({ productId: 2, available: 50, version: 10 });
    const results = await mirror.writeMany([
      { productId: 1, available: 4, version: 1 },
      { productId: 2, available: 49, version: 9 },
      { productId: 3, available: 0, version: 2 },
      { productId: 1, available: 4, version: 2 },
      { productId: 1, available: 3, version: 3 },
    ]);
    expect(results).toEqual(['created', 'stale', 'created', 'unchanged', 'changed']);
    expect([await mirror.read(1), await mirror.read(2), await mirror.read(3)]).toEqual([3, 50, 0]);
    expect(await mirror.writeMany([])).toEqual([]);
  });

  it('200 concurrent writes arriving out of order end on the newest version', async () => {
    // available = 1000 - version, as a product selling one unit per version would show.
    const versions = Array.from({ length: 200 }, (_, i) => i + 1);
    for (let i = versions.length - 1; i > 0; i--) {
      const j = (i * 7919 + 13) % (i + 1);
      [versions[i], versions[j]] = [versions[j]!, versions[i]!];
    }
    const results = await Promise.all(
      versions.map((version) => mirror.write({ productId: 1, available: 1000 - version, version })),
    );
    expect(await mirror.read(1)).toBe(800);
    // Exactly one write created the key; the newest version was never refused.
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    expect(results[versions.indexOf(200)]).not.toBe('stale');
  });
}
