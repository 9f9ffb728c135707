import { describe, expect, it } from 'vitest';
import { decimalPlaces, isCurrency, minorUnits, priceRefusal } from '../../src/domain/money.ts';

describe('money: ISO 4217 currencies and exact prices', () => {
  it('knows the currency codes in use and their minor units (ISO, not display habits)', () => {
    for (const code of ['USD', 'EUR', 'JPY', 'KWD', 'IQD', 'CHF']) expect(isCurrency(code), code).toBe(true);
    for (const code of ['usd', 'XYZ', 'US', 'USDT', '']) expect(isCurrency(code), code).toBe(false);
    expect([minorUnits('USD'), minorUnits('EUR'), minorUnits('HUF')]).toEqual([2, 2, 2]);
    expect([minorUnits('JPY'), minorUnits('KRW'), minorUnits('CLP')]).toEqual([0, 0, 0]);
    expect([minorUnits('KWD'), minorUnits('IQD'), minorUnits('TND')]).toEqual([3, 3, 3]);
    expect(minorUnits('CLF')).toBe(4);
  });

  it('counts the decimals of a number as JSON writes it', () => {
    expect([0, 120, 1.5, 19.99, 0.001, 1e-7, 1.25e-5, 1e21].map(decimalPlaces)).toEqual([0, 0, 1, 2, 3, 7, 7, 0]);
    expect(decimalPlaces(0.1 + 0.2)).toBe(17);
  });

  it('refuses a price with more decimals than its currency allows, and an unknown currency', () => {
    expect(priceRefusal(19.99, 'USD')).toBeNull();
    expect(priceRefusal(1500, 'JPY')).toBeNull();
    expect(priceRefusal(1.234, 'KWD')).toBeNull();
    const tooFine = priceRefusal(0.001, 'USD');
    expect(tooFine?.code).toBe('MONEY.INVALID');
    expect(tooFine?.details).toEqual({
      errors: [{ location: 'body', pointer: '/price', message: 'has more decimals than USD allows (2)' }],
    });
    expect(priceRefusal(1500.5, 'JPY')?.code).toBe('MONEY.INVALID');
    expect(priceRefusal(1.2345, 'KWD')?.code).toBe('MONEY.INVALID');
    expect(priceRefusal(10, 'XYZ')?.details).toMatchObject({ errors: [{ pointer: '/currency' }] });
  });
});
