/** The embedded store (the default, under OPSBOT_DATA_DIR) is SQLite: see ./sqlite/. */
export { SqliteStore as EmbeddedStore } from './sqlite/store.js';
