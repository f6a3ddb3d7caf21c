/**
 * Reads the files of the store opsbot used before SQLite (@seald-io/nedb): one `<collection>.db`
 * per collection, one JSON document per line, appended. A later line for an `_id` replaces an
 * earlier one, `{"$$deleted": true, "_id": …}` removes it, `{"$$indexCreated": {…}}` and
 * `{"$$indexRemoved": "field"}` declare indexes, and dates are `{"$$date": <ms>}`.
 */
export interface NedbIndex {
  fields: string[];
  unique: boolean;
  expireAfterSeconds?: number;
}

export interface NedbCollection {
  docs: Map<string, Record<string, unknown>>;
  indexes: NedbIndex[];
  /** Lines that were not JSON (a write cut short by a crash leaves one at the end). */
  unreadable: number;
}

function revive(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const ms = (value as { $$date?: unknown }).$$date;
    if (keys.length === 1 && typeof ms === 'number') return new Date(ms);
  }
  return value;
}

export function parseNedb(text: string): NedbCollection {
  const docs = new Map<string, Record<string, unknown>>();
  const indexes = new Map<string, NedbIndex>();
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line, revive) as Record<string, unknown>;
    } catch {
      unreadable++;
      continue;
    }
    if (typeof doc !== 'object' || doc === null) { unreadable++; continue; }
    if (doc.$$deleted === true && typeof doc._id === 'string') { docs.delete(doc._id); continue; }
    const created = doc.$$indexCreated as { fieldName?: unknown; unique?: unknown; expireAfterSeconds?: unknown } | undefined;
    if (created && created.fieldName != null) {
      const fields = Array.isArray(created.fieldName) ? created.fieldName.map(String) : String(created.fieldName).split(',');
      indexes.set(fields.join(','), {
        fields,
        unique: created.unique === true,
        ...(typeof created.expireAfterSeconds === 'number' ? { expireAfterSeconds: created.expireAfterSeconds } : {}),
      });
      continue;
    }
    if (typeof doc.$$indexRemoved === 'string') { indexes.delete(doc.$$indexRemoved); continue; }
    if (typeof doc._id === 'string') docs.set(doc._id, doc);
    else unreadable++;
  }
  return { docs, indexes: [...indexes.values()], unreadable };
}
