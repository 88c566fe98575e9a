/** A back-off wait that can be cut short: on shutdown, or when what failed is back. */
export class WakeableDelay {
  private waiting: { timer: NodeJS.Timeout; done: () => void } | undefined;

  wait(ms: number): Promise<void> {
    this.wake();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.waiting?.done === done) this.waiting = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting = { timer, done };
    });
  }

  /** Ends the current wait now (no-op when none). */
  wake(): void {
    this.waiting?.done();
  }
}
