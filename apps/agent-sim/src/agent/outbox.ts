/**
 * Messages sent on the current stream and not yet ACKed. `acked_count` counts from the stream's
 * first message, so after a reconnect everything still here is sent again (at-least-once).
 */
export class Outbox<T> {
  private items: T[] = [];
  private ackedOnStream = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  add(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.shift();
      this.dropped++;
    }
  }

  /** The server stored the first `count` messages of this stream. */
  acknowledge(count: number): number {
    const newly = Math.max(0, count - this.ackedOnStream);
    this.items.splice(0, newly);
    this.ackedOnStream = Math.max(this.ackedOnStream, count);
    return newly;
  }

  /** A new stream starts: what is left must be resent on it, counted from zero again. */
  restart(): T[] {
    this.ackedOnStream = 0;
    const pending = this.items;
    this.items = [];
    return pending;
  }

  get size(): number {
    return this.items.length;
  }
}
