/**
 * The RBAC hook for pages: a person paged for an alert group may `ack` and `escalate` that group,
 * whatever their roles (a press in a direct message carries no server roles). The presser is the
 * person of `people:` their identity belongs to (the router resolves it); nothing else is granted.
 */
import type { AccessGrant } from '../rbac.js';

/** Permissions being paged grants, on the paged group only. */
export const PAGED_PERMISSIONS: readonly string[] = ['ack', 'escalate'];

export interface PagedFor {
  pagedFor(person: string, groupId: string): Promise<boolean>;
}

export type { AccessGrant };

/** Never widens anything but `ack` / `escalate` of the one group in `args.alert`. */
export function pagedGrant(pages: PagedFor): AccessGrant {
  return async (subject, permission, args) => {
    if (!PAGED_PERMISSIONS.includes(permission) || !subject.person) return undefined;
    const alert = (args as { alert?: unknown } | null)?.alert;
    if (typeof alert !== 'string') return undefined;
    return (await pages.pagedFor(subject.person, alert)) ? `${subject.person} was paged for alert ${alert}` : undefined;
  };
}
