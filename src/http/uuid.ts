const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Hold ids are UUIDs; anything else cannot name a hold, so it is simply not found. */
export const isUuid = (value: string): boolean => UUID.test(value);
