import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { HOLD_ENDERS, HOLD_STATUSES, PAYMENT_STATUSES } from '../../src/domain/statuses.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';

/**
 * The status lists are written once in src/domain/statuses.ts and the API's schemas are built from
 * them; the migrations write them again as CHECK constraints. This compares the two, as the
 * database has them after every migration, so a status added on one side only fails here.
 */
const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
afterAll(() => pool.end());

/** The values a CHECK constraint allows for `column` of `table` (`column = ANY (ARRAY['a'::text, …])`). */
async function allowedByCheck(table: string, column: string): Promise<string[]> {
  const { rows } = await pool.query<{ def: string }>(
    `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'c'`,
    [table],
  );
  const lists = rows
    .map((r) => new RegExp(`\\(${column} = ANY \\(ARRAY\\[(.*?)\\]\\)\\)`).exec(r.def)?.[1])
    .filter((list): list is string => list !== undefined);
  expect(lists, `one CHECK constraint listing ${table}.${column}`).toHaveLength(1);
  return [...(lists[0] ?? '').matchAll(/'([^']*)'::text/g)].map((m) => m[1] ?? '');
}

describe('status lists: the domain module and the database constraints agree', () => {
  it.each([
    ['holds', 'status', HOLD_STATUSES],
    ['holds', 'ended_by', HOLD_ENDERS],
    ['orders', 'payment_status', PAYMENT_STATUSES],
  ] as const)('%s.%s', async (table, column, written) => {
    expect([...(await allowedByCheck(table, column))].sort()).toEqual([...written].sort());
  });
});
