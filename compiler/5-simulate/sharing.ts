/**
 * Work items that share a multiprocessor ([Note: Shared multiprocessors]).
 *
 * [Note: Shared multiprocessors] `listSchedule` runs every item at one rate: that of an item
 * whose multiprocessor is full (`itemsPerSm` items). An item with its multiprocessor to
 * itself runs faster (its memory latency is hidden less, but nothing else competes for the
 * issue slots), which matters in the tail of a call whose rows differ in length: a Longformer
 * or BigBird global row outlasts the rest and runs alone. `sharedSchedule` is the list
 * schedule while items wait (every multiprocessor is full then), and from the last start an
 * event simulation in which the `n` items of a multiprocessor each run at
 * `min(aloneSpeed, itemsPerSm / n)` times the full rate. With `aloneSpeed` 1 it is
 * `listSchedule`.
 */

/**
 * The list schedule of `costs` (in start order) over `slots` slots: each item goes to the slot
 * that frees first. Returns each busy slot's end and id (in heap order) and the time the last
 * item started (0 when every item started at once).
 */
export function slotEnds(costs: readonly number[], slots: number): { end: Float64Array; slot: Int32Array; lastStart: number } {
  const size = Math.min(slots, costs.length);
  const end = new Float64Array(size), slot = new Int32Array(size);
  for (let j = 0; j < size; j++) {
    end[j] = costs[j];
    slot[j] = j;
  }
  // A min-heap of slot ends.
  const down = (j: number) => {
    for (;;) {
      const l = 2 * j + 1, r = l + 1;
      let m = j;
      if (l < size && end[l] < end[m]) m = l;
      if (r < size && end[r] < end[m]) m = r;
      if (m === j) return;
      [end[j], end[m]] = [end[m], end[j]];
      [slot[j], slot[m]] = [slot[m], slot[j]];
      j = m;
    }
  };
  for (let j = (size >> 1) - 1; j >= 0; j--) down(j);
  let lastStart = 0;
  for (let i = size; i < costs.length; i++) {
    lastStart = end[0];
    end[0] += costs[i];
    down(0);
  }
  return { end, slot, lastStart };
}

/**
 * Makespan of `costs` (in start order, each at the full multiprocessor's rate) on `sms`
 * multiprocessors of `perSm` items each, items alone or in twos running up to `aloneSpeed`
 * times faster.
 */
export function sharedSchedule(costs: readonly number[], sms: number, perSm: number, aloneSpeed: number): number {
  if (costs.length === 0) return 0;
  // The list schedule until the last item starts (slot j sits on multiprocessor j % sms).
  const { end, slot, lastStart: t0 } = slotEnds(costs, sms * perSm);
  // From the last start: what each multiprocessor still runs.
  const work: number[][] = Array.from({ length: sms }, () => []);
  for (let j = 0; j < end.length; j++) if (end[j] > t0) work[slot[j] % sms].push(end[j] - t0);
  const speed = (k: number) => Math.min(aloneSpeed, perSm / k);
  let t = t0;
  for (;;) {
    let dt = Infinity;
    for (const w of work) if (w.length) for (const x of w) dt = Math.min(dt, x / speed(w.length));
    if (dt === Infinity) return t;
    t += dt;
    for (let s = 0; s < sms; s++) {
      const w = work[s];
      if (!w.length) continue;
      const done = dt * speed(w.length);
      work[s] = w.map((x) => x - done).filter((x) => x > 1e-9 * t);
    }
  }
}
