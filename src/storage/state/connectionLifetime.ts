/**
 * How long a PostgreSQL connection serves, by default, before the pool replaces it
 * (OpenStateStoreOptions.connectionLifetimeSeconds). Its own module so that reading the
 * configuration does not load the state store.
 */
export const defaultConnectionLifetimeSeconds = 600;
