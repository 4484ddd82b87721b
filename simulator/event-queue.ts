/** A simulated-time event: runs once when the simulated clock reaches `at`. */
export interface SimEvent {
  at: number;
  seq: number;
  label: string;
  run: (at: number) => void;
  cancelled: boolean;
}

/** Min-heap of events ordered by (at, seq): equal times run in scheduling order. */
export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, label: string, run: (at: number) => void): SimEvent {
    const event: SimEvent = { at, seq: this.seq++, label, run, cancelled: false };
    this.heap.push(event);
    this.up(this.heap.length - 1);
    return event;
  }

  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest event if it is due at or before `now`. */
  popDue(now: number): SimEvent | undefined {
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.heap.pop() as SimEvent;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.heap = [];
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as SimEvent, h[p] as SimEvent)) break;
      [h[i], h[p]] = [h[p] as SimEvent, h[i] as SimEvent];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as SimEvent, h[m] as SimEvent)) m = l;
      if (r < h.length && this.less(h[r] as SimEvent, h[m] as SimEvent)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as SimEvent, h[i] as SimEvent];
      i = m;
    }
  }
}
