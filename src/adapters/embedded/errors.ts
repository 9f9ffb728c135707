/** The embedded PostgreSQL could not be set up; the message says what to change. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}
