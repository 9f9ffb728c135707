import { DomainError, ErrorCode } from './errors.ts';

/** The currency of products created without one when `CURRENCY` is not set. */
export const DEFAULT_CURRENCY = 'USD';

/** The highest price a product may have, in any currency. */
export const MAX_PRICE = 9_999_999_999.99;

// ISO 4217 minor units of the currencies that do not use two decimals (the list's exceptions).
// Intl knows which codes exist, but its digits follow CLDR's display habits (IQD 0, HUF 0), not ISO.
const MINOR_UNITS: Record<string, number> = {
  ...Object.fromEntries(
    ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map(
      (c) => [c, 0],
    ),
  ),
  ...Object.fromEntries(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
};

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** Whether `code` is an ISO 4217 currency code in use. */
export const isCurrency = (code: string): boolean => KNOWN_CURRENCIES.has(code);

/** How many decimals an amount in `currency` has (its ISO 4217 minor unit). */
export const minorUnits = (currency: string): number => MINOR_UNITS[currency] ?? 2;

/** The decimals of a number as written in JSON: 0.001 has 3, 1e-7 has 7, 120 has 0. */
export function decimalPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = String(value).toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** A refusal of an unknown currency or of a price it cannot express exactly; never rounded. */
export function priceRefusal(price: number, currency: string, field = '/price'): DomainError | null {
  if (!isCurrency(currency)) {
    return new DomainError(ErrorCode.InvalidMoney, `${currency} is not an ISO 4217 currency code.`, {
      errors: [{ location: 'body', pointer: '/currency', message: 'is not an ISO 4217 currency code' }],
    });
  }
  const allowed = minorUnits(currency);
  if (decimalPlaces(price) > allowed) {
    const message = `has more decimals than ${currency} allows (${allowed})`;
    return new DomainError(ErrorCode.InvalidMoney, `${price} ${message}.`, {
      errors: [{ location: 'body', pointer: field, message }],
    });
  }
  return null;
}
