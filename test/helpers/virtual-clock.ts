/**
 * The one virtual clock of the tests: time moves only when the pace sleeps (free) or when the test
 * moves it (held), so a test of pauses and windows takes no real time and compares no real times.
 * It serves the node's pace (`useVirtualClock`, or `timing` for an AccountLimiter of its own) and
 * the stand-in's account (`limits.clock: () => clock.now`).
 */
import type { LimiterTiming } from '../../nodes/StepFunImage/transport/limiter';
import { REAL_TIME, resetAccountLimiters } from '../../nodes/StepFunImage/transport/limiter';
import { conditionWaiters } from '../stand-in/conditions.mjs';

export interface VirtualClockOptions {
	/** Sleeps wait until the test wakes them (`wakeNext`, `run`, `advance`, `resume`); free: each passes at once. */
	held?: boolean;
	/** How long the pace's minute is (default 60 000, the real one: virtual time costs nothing). */
	minuteMs?: number;
}

export class VirtualClock {
	/** Every sleep asked for, in ms, in order. */
	readonly slept: number[] = [];
	/** The clock as the pace sees it; its `now` also checks the `until`s. */
	readonly timing: LimiterTiming;
	private virtual = 0;
	/** Real time when a held clock resumed. */
	private resumedAt: number | undefined;
	private sleepers: Array<{ at: number; wake: () => void }> = [];
	private readonly held: boolean;
	private readonly conditions = conditionWaiters();

	constructor({ held = false, minuteMs = 60_000 }: VirtualClockOptions = {}) {
		this.held = held;
		this.timing = {
			minuteMs,
			now: () => {
				// After the pace's current step (it reads the clock, then changes its state).
				this.conditions.check();
				return this.now;
			},
			sleep: async (ms, signal) => await this.sleep(ms, signal),
		};
	}

	/** Virtual milliseconds since the clock was made. */
	get now(): number {
		return this.resumedAt === undefined ? this.virtual : this.virtual + REAL_TIME.now() - this.resumedAt;
	}

	async sleep(ms: number, signal?: AbortSignal): Promise<void> {
		this.slept.push(ms);
		if (this.resumedAt !== undefined) return await REAL_TIME.sleep(ms, signal ?? new AbortController().signal);
		if (!this.held) {
			this.virtual += ms;
			return;
		}
		await new Promise<void>((resolve, reject) => {
			const sleeper = { at: this.virtual + ms, wake: resolve };
			this.sleepers.push(sleeper);
			signal?.addEventListener(
				'abort',
				() => {
					this.sleepers = this.sleepers.filter((other) => other !== sleeper);
					reject(signal.reason);
				},
				{ once: true },
			);
		});
	}

	/** When the earliest sleep ends, if one is waiting. */
	get nextWake(): number | undefined {
		return this.sleepers.reduce<number | undefined>((first, { at }) => (first === undefined || at < first ? at : first), undefined);
	}

	/** Moves the clock to the end of the earliest sleep and ends it; false when none is waiting. */
	wakeNext(): boolean {
		const next = this.sleepers.sort((a, b) => a.at - b.at).shift();
		if (!next) return false;
		this.virtual = Math.max(this.virtual, next.at);
		next.wake();
		return true;
	}

	/** Lets every promise that can settle now settle. */
	async settle(): Promise<void> {
		for (let i = 0; i < 50; i++) await Promise.resolve();
	}

	/** Moves time on, sleep by sleep, until `work` is done (work that only waits on this clock). */
	async run<T>(work: Promise<T>): Promise<T> {
		let done = false;
		const result = work.finally(() => {
			done = true;
		});
		result.catch(() => {});
		await this.settle();
		while (!done) {
			if (!this.wakeNext()) throw new Error('nothing left to wake, but the work is not done');
			await this.settle();
		}
		return await result;
	}

	/** Moves time on by `ms`, ending the sleeps due meanwhile. */
	async advance(ms: number): Promise<void> {
		const until = this.virtual + ms;
		await this.settle();
		for (let next = this.nextWake; next !== undefined && next <= until; next = this.nextWake) {
			this.wakeNext();
			await this.settle();
		}
		this.virtual = until;
		await this.settle();
	}

	/**
	 * Held clocks: ends the sleeps waiting now (the clock moves to the end of each), then lets the
	 * pace go on in real time from there (a clock jumping to each sleep's end would also jump
	 * past the Timeout of a request still being answered).
	 */
	resume(): void {
		while (this.wakeNext());
		this.resumedAt = REAL_TIME.now();
	}

	/** Resolves once `condition()` is true: checked now and after each time the pace reads the clock. */
	async until(condition: () => boolean): Promise<void> {
		await this.conditions.when(condition);
	}
}

/**
 * Puts the node's pace on a virtual clock for the rest of the test (useStandIn puts real time back
 * after each test). Free by default: each sleep passes at once and moves the clock on; held, sleeps
 * wait until the test moves the clock, so it can look at the run while the pace waits.
 */
export function useVirtualClock(options: VirtualClockOptions = {}): VirtualClock {
	const clock = new VirtualClock(options);
	resetAccountLimiters(clock.timing);
	return clock;
}
