import { sleep } from 'n8n-workflow';

/**
 * Paces the requests of one node run: at most `concurrency` at once, and after a 429 every
 * request waits, instead of each hammering the rate limit on its own. Built on promises and
 * n8n's `sleep` (timers are not allowed in nodes).
 */
export class RequestLimiter {
	private free: number;

	private readonly waiting: Array<() => void> = [];

	private pausedUntil = 0;

	constructor(concurrency: number) {
		this.free = concurrency;
	}

	/** Waits for a free slot; every acquire is followed by exactly one release. */
	async acquire(): Promise<void> {
		if (this.free > 0) {
			this.free--;
			return;
		}
		await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.free++;
	}

	/** After a 429: no request of this run starts for `ms`. */
	pause(ms: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
	}

	/** Waits out a pause, before each attempt. */
	async whenUnpaused(): Promise<void> {
		for (let left = this.pausedUntil - Date.now(); left > 0; left = this.pausedUntil - Date.now()) {
			await sleep(left);
		}
	}
}
