/**
 * The one wait of the polling loops: the watcher's and the operator client's rounds, the responder's, the
 * log reader's retries, the monitor's rounds.
 */

export interface SleepOptions {
  /** Ends the wait early: the promise resolves as soon as it aborts (at once if it already has). */
  readonly signal?: AbortSignal;
  /** Lets the process exit while only this wait is pending (a retry's back-off, not a service's loop). */
  readonly unref?: boolean;
}

/**
 * Waits `ms` milliseconds, or until `signal` aborts, whichever comes first. It never rejects: a loop that
 * sleeps checks `signal.aborted` itself, so stopping is not an error to catch.
 */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const { signal, unref = false } = options;
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    if (unref) timer.unref?.();
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
