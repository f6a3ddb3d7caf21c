/**
 * A store that fails on purpose: wraps a real store, records every collection call it passes on,
 * and makes one chosen call throw at once (`throw`), reject (`reject`) or never settle (`hang`).
 * For fault injection at each await of a code path.
 */
import type { Collection, Doc, Store } from '../../src/core/store/types.js';

export type FaultMode = 'throw' | 'reject' | 'hang';

export interface Fault {
  /** Index of the call (in `calls` order, counted from when the fault was armed) that fails. */
  call: number;
  mode: FaultMode;
}

export class FaultyStore implements Store {
  readonly kind;
  /** `collection.method` of every call since `arm` (or since the start). */
  calls: string[] = [];
  private fault: Fault | undefined;

  constructor(private readonly inner: Store) {
    this.kind = inner.kind;
  }

  /** Starts counting calls again; the `fault.call`-th call from now fails once. */
  arm(fault?: Fault): void {
    this.calls = [];
    this.fault = fault;
  }

  collection<T extends Doc = Doc>(name: string): Collection<T> {
    const real = this.inner.collection<T>(name);
    return new Proxy(real, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const index = this.calls.length;
          this.calls.push(`${name}.${String(prop)}`);
          const f = this.fault;
          if (f && f.call === index) {
            this.fault = undefined;
            const err = new Error(`injected ${f.mode} at ${name}.${String(prop)}`);
            if (f.mode === 'throw') throw err;
            if (f.mode === 'reject') return Promise.reject(err);
            return new Promise(() => undefined);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
