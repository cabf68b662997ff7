/**
 * "The timeline changed": one promise per change, created only when someone waits, so a change
 * with nobody blocked costs nothing, and N blocked requests cost N continuations (each re-checks its
 * own condition), not N timers or N callbacks per part.
 */
export class ChangeSignal {
  private promise: Promise<void> | null = null;
  private resolve: (() => void) | null = null;
  private scheduled = false;

  /** Resolves at the next `notify()` (or at once after `close()`). */
  next(): Promise<void> {
    if (this.promise === null) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.promise = promise;
      this.resolve = resolve;
    }
    return this.promise;
  }

  /** Wakes every waiter now. */
  notify(): void {
    const resolve = this.resolve;
    this.promise = null;
    this.resolve = null;
    resolve?.();
  }

  /** Wakes every waiter once the current synchronous work (an ingest batch, a catch-up) is done. */
  notifySoon(): void {
    if (this.scheduled || this.resolve === null) return;
    this.scheduled = true;
    queueMicrotask(this.fire);
  }

  private readonly fire = (): void => {
    this.scheduled = false;
    this.notify();
  };
}
