/**
 * A virtual clock for the node's pace (transport/limiter.ts): time moves only when the pace
 * sleeps, so a test of pauses and windows takes no real time and compares no real times.
 */
import { REAL_TIME, resetAccountLimiters } from '../../nodes/StepFunImage/transport/limiter';

export interface VirtualClock {
	/** Virtual milliseconds since the clock was installed. */
	readonly now: number;
	/** Every sleep the pace asked for, in ms, in order. */
	readonly slept: number[];
	/**
	 * Held clocks: ends the sleeps waiting now (the clock moves to the end of each), then lets the
	 * pace go on in real time from there (a clock jumping to each sleep's end would also jump
	 * past the Timeout of a request still being answered).
	 */
	resume(): void;
	/** Resolves once `condition()` is true: checked now and after each time the pace reads the clock. */
	until(condition: () => boolean): Promise<void>;
}

/**
 * Installs a virtual clock in the pace for the rest of the test (useStandIn puts real time back
 * after each test). Each sleep passes at once and moves the clock on; with `held`, sleeps wait
 * until the test calls `resume()`, so it can look at the run while the pace waits. `minuteMs`:
 * how long the pace's minute is (default 60 000, the real one: virtual time costs nothing).
 */
export function useVirtualClock({ held = false, minuteMs }: { held?: boolean; minuteMs?: number } = {}): VirtualClock {
	let virtual = 0;
	/** Real time when a held clock resumed. */
	let resumedAt: number | undefined;
	const current = () => (resumedAt === undefined ? virtual : virtual + REAL_TIME.now() - resumedAt);
	const slept: number[] = [];
	const sleeping: Array<{ until: number; wake: () => void }> = [];
	const waiters = new Set<{ condition: () => boolean; resolve: () => void; reject: (error: unknown) => void }>();
	let checkQueued = false;

	// After the pace's current step (it reads the clock, then changes its state), not in the middle of it.
	const check = () => {
		if (checkQueued) return;
		checkQueued = true;
		queueMicrotask(() => {
			checkQueued = false;
			for (const waiter of waiters) {
				try {
					if (!waiter.condition()) continue;
					waiters.delete(waiter);
					waiter.resolve();
				} catch (error) {
					waiters.delete(waiter);
					waiter.reject(error);
				}
			}
		});
	};

	resetAccountLimiters({
		...(minuteMs === undefined ? {} : { minuteMs }),
		now: () => {
			check();
			return current();
		},
		sleep: async (ms, signal) => {
			slept.push(ms);
			if (resumedAt !== undefined) return await REAL_TIME.sleep(ms, signal);
			if (!held) {
				virtual += ms;
				return;
			}
			await new Promise<void>((resolve) => {
				const entry = { until: virtual + ms, wake: resolve };
				sleeping.push(entry);
				signal.addEventListener(
					'abort',
					() => {
						const index = sleeping.indexOf(entry);
						if (index >= 0) sleeping.splice(index, 1);
						resolve();
					},
					{ once: true },
				);
			});
		},
	});

	return {
		get now() {
			return current();
		},
		slept,
		resume() {
			for (const entry of sleeping.sort((a, b) => a.until - b.until).splice(0)) {
				virtual = Math.max(virtual, entry.until);
				entry.wake();
			}
			resumedAt = REAL_TIME.now();
		},
		until(condition) {
			return new Promise((resolve, reject) => {
				waiters.add({ condition, resolve, reject });
				check();
			});
		},
	};
}
