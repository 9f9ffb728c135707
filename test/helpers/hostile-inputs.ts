import fc from 'fast-check';

/** Strings aimed at SQL, Lua, template, path and markup interpreters, and at JavaScript objects. */
export const INJECTIONS = [
  `' OR '1'='1`,
  `1; DROP TABLE products; --`,
  `1' ; update products set available = 1000000 --`,
  `$1`,
  `') returning *; --`,
  `"; redis.call('FLUSHALL') --`,
  `]] redis.call('SET', KEYS[1], 999999) --[[`,
  `\nFLUSHALL\r\n`,
  `*1\r\n$8\r\nFLUSHALL\r\n`,
  `{{7*7}}`,
  '${7*7}',
  `../../../../etc/passwd`,
  `%00`,
  `\u0000`,
  `<script>alert(1)</script>`,
  `__proto__`,
  `constructor`,
  `prototype`,
  `NaN`,
  `Infinity`,
  `-0`,
  `1e400`,
  `0x10`,
  ` 1`,
  `١٢٣`,
  `\ud800`,
  `😀`.repeat(50),
  `ｐｒｏｄｕｃｔ`,
  `null`,
  `true`,
  `[]`,
  `{}`,
];

/** Numbers no id or quantity accepts: zero, negatives, fractions, past 2^53, past what JSON can hold. */
export const BAD_NUMBERS = [
  0,
  -1,
  -0.5,
  0.5,
  1.5,
  -(2 ** 31),
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  1e21,
  1e308,
  -1e308,
  1_000_001,
];

/** Raw JSON number texts JSON.parse turns into surprising values. */
export const BAD_NUMBER_TEXTS = ['1e400', '-1e400', '1E-400', '9007199254740993', '1.5e0', '-0', '0.0', '1e-7'];

const jsonish = fc.jsonValue({ maxDepth: 3 });

/** Any value that is not a positive integer: wrong types, unicode, injections, bad numbers. */
export const notAPositiveInteger: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.constantFrom(...BAD_NUMBERS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ max: 0 }),
  fc.double({ noInteger: true }),
  fc.constantFrom(null, true, false, [], {}, [1], { value: 1 }),
  jsonish.filter((v) => typeof v !== 'number'),
);

/** Any value that is not a string naming an existing thing. */
export const notAnIdString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.uuid(), // well-formed, but names nothing
  fc.constantFrom('', 'x'.repeat(65), 'x'.repeat(10_000)),
  fc.constantFrom(...BAD_NUMBERS),
  fc.constantFrom(null, true, [], {}),
  jsonish,
);

/** Path segments no route can take as an id: never a plain number, often not even printable. */
export const badPathSegment: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(...INJECTIONS, '0', '-1', '1.5', '9007199254740993', '1e400', 'x'.repeat(64), 'x'.repeat(199)),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
  )
  .filter((s) => s.length > 0 && !(s.trim() !== '' && Number.isInteger(Number(s)) && Number(s) > 0));

/** Arbitrary JSON documents, top-level anything: arrays, scalars, objects with odd keys. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.oneof(fc.constantFrom('product_id', 'quantity', 'hold_id', 'order_id', 'payment_status', 'idempotency_key'), fc.string()),
    jsonish,
  ),
);

/** Percent-encodes every UTF-8 byte, so even a lone surrogate (sent as U+FFFD) makes a valid URL. */
export const encodeSegment = (s: string): string =>
  Array.from(Buffer.from(s, 'utf8'), (b) =>
    /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
  ).join('');
