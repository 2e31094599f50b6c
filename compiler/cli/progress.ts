/**
 * Progress of long planning on stderr: on a terminal after half a second (one line,
 * rewritten in place), otherwise after 3 s (one line per report). Nothing for short plans.
 */
import type { PlanProgress } from '../../runtime/schedule/plan.ts';

/** A progress callback for `planSchedule`, its start delay, and `done()` to finish the line. */
export function planProgress(what: string): { report: PlanProgress; afterMs: number; done: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  let shown = false;
  return {
    afterMs: tty ? 500 : 3000,
    report: (f) => {
      shown = true;
      const text = `${what}: ${(f * 100).toFixed(0)}% of query blocks planned`;
      process.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
    },
    done: () => {
      if (shown && tty) process.stderr.write('\r\x1b[K');
    },
  };
}
