/**
 * Where the tests find PostgreSQL and Redis. Defaults are the local services; set
 * TEST_PG_URL (a server URL without database), TEST_DATABASE_NAME and TEST_REDIS_URL to move them.
 */
export const TEST_PG_SERVER = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_DATABASE_NAME = process.env.TEST_DATABASE_NAME ?? 'flashsale_test';
export const TEST_DATABASE_URL = `${TEST_PG_SERVER}/${TEST_DATABASE_NAME}`;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/5';
