/**
 * People: one human behind several chat identities (`slack:U123`, `discord:user:42`,
 * `console:operator`). RBAC, approvals and on-call speak of the person (`alice`), not of the
 * identity a message happened to come from.
 */
import type { Subject } from './command.js';

export interface Person {
  /** The name on-call and approvals use: the key under `people:`. */
  id: string;
  /** Subject ids of every identity: `slack:U123`, `discord:user:42`, `console:alice`. */
  identities: string[];
  email?: string;
  /** IANA time zone: `Europe/Berlin`. */
  tz?: string;
  roles: string[];
}

/** The `people:` section after parsing: person id → identities (as subject ids) and details. */
export type PeopleConfig = Record<string, { identities: string[]; email?: string | undefined; tz?: string | undefined; roles: string[] }>;

export class People {
  private byId = new Map<string, Person>();
  private byIdentity = new Map<string, Person>();

  constructor(config: PeopleConfig = {}) {
    for (const [id, p] of Object.entries(config)) {
      const person: Person = { id, identities: [...p.identities], roles: [...p.roles], ...(p.email ? { email: p.email } : {}), ...(p.tz ? { tz: p.tz } : {}) };
      this.byId.set(id, person);
      for (const identity of person.identities) {
        // The config schema refuses an identity claimed twice; refuse here too rather than pick one.
        if (this.byIdentity.has(identity)) throw new Error(`identity ${identity} is claimed by both ${this.byIdentity.get(identity)?.id} and ${id}`);
        this.byIdentity.set(identity, person);
      }
    }
  }

  /**
   * Takes over the people of `next` (built and checked first, from a reloaded config): every
   * holder of this instance (RBAC, on-call, notifier) sees the new `people:` at once.
   */
  adopt(next: People): void {
    this.byId = next.byId;
    this.byIdentity = next.byIdentity;
  }

  /** The person an identity (a subject id) belongs to. */
  personOf(subjectId: string): Person | undefined {
    return this.byIdentity.get(subjectId);
  }

  get(id: string): Person | undefined {
    return this.byId.get(id);
  }

  all(): Person[] {
    return [...this.byId.values()];
  }

  /** The subject with its `person` set (or left out when the identity belongs to nobody). */
  resolve(subject: Subject): Subject {
    const person = this.personOf(subject.id);
    const { person: _claimed, ...rest } = subject; // never trust a person an adapter claims
    return person ? { ...rest, person: person.id } : rest;
  }
}
