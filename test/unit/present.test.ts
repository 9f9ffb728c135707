import { describe, expect, it } from 'vitest';
import { present } from '../../src/domain/present.ts';

describe('present', () => {
  it('returns a present value, falsy ones included', () => {
    expect(present(0, 'a count')).toBe(0);
    expect(present('', 'a name')).toBe('');
    expect(present(false, 'a flag')).toBe(false);
  });

  it('names what was missing when a guarantee is broken', () => {
    expect(() => present(undefined, 'row of the insert')).toThrow('row of the insert is missing');
    expect(() => present(null, 'stock of product 7')).toThrow('stock of product 7 is missing');
  });
});
