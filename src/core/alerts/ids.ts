/**
 * Short ids for new groups: the shortest candidate of the occurrence (see shortIdCandidates) that
 * no other group holds. The store decides: each candidate is tried by inserting the group under
 * it, and a duplicate key moves on to the next one, so two processes opening groups at once never
 * share an id and never both create one occurrence. A candidate that something else still names
 * (`taken`: the chat messages of a group retention already removed) is passed over, so a group
 * never inherits another's messages.
 */
import { newId } from '../ids.js';
import { isDuplicateKey, type Collection } from '../store/types.js';
import { shortIdCandidates, type AlertGroup } from './group.js';

/**
 * Inserts `g` (its `_id` is replaced) and returns it as stored, or null when another process
 * created this occurrence of the group first (read it again and apply the change to it).
 */
export async function insertNewGroup(groups: Collection<AlertGroup>, g: AlertGroup, taken?: (id: string) => Promise<boolean>): Promise<AlertGroup | null> {
  const candidates = shortIdCandidates(g.groupKey, g.occurrence);
  // The random fallback is drawn only when every short candidate is taken (a system call each).
  for (let i = 0; i <= candidates.length; i++) {
    const id = candidates[i] ?? newId();
    if (taken && i < candidates.length && (await taken(id))) continue;
    try {
      return await groups.insertOne({ ...g, _id: id });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const holder = await groups.findOne({ _id: id });
    if (holder && holder.groupKey === g.groupKey && holder.occurrence === g.occurrence) return null;
  }
  throw new Error(`no free id for group ${g.groupKey} occurrence ${g.occurrence}`);
}
