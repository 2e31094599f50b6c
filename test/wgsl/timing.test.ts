/** The benchmarks' reading of a stream of timestamped calls (runtime/webgpu/timing.ts, [Note: GPU clock]). */
import { describe, expect, it } from 'vitest';
import { streamTimes } from '../../runtime/webgpu/timing.ts';

describe('streamTimes', () => {
  it('takes the time from the call before where a start timestamp was written early', () => {
    // Three 2 ms calls back to back; the 2nd and 3rd passes' starts were written while the one before still ran.
    expect(streamTimes([[0, 2], [0.5, 4], [1, 6]])).toEqual([2, 2, 2]);
  });
  it('takes the pass span where the CPU left a gap before a call', () => {
    // The 2nd call started 5 ms after the 1st ended: its span (2 ms), not the 7 ms since.
    expect(streamTimes([[0, 2], [7, 9], [9, 11]])).toEqual([2, 2, 2]);
  });
});
