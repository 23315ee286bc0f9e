// Waiting for a state instead of for time: `when(condition)` settles once the condition holds,
// `quiet(changes)` once nothing has changed for a number of event-loop turns. Shared by the
// stand-in, the loopback server and the virtual clock of the tests.

/**
 * Conditions waited for, checked after each `check()`: in a microtask, so after the step that
 * called it is complete (every listener of the event that made the change has run).
 */
export function conditionWaiters() {
	/** @type {Set<{ condition: () => boolean, resolve: () => void, reject: (error: unknown) => void }>} */
	const waiters = new Set();
	let queued = false;
	const check = () => {
		if (queued) return;
		queued = true;
		queueMicrotask(() => {
			queued = false;
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
	return {
		check,
		/**
		 * Resolves once `condition()` is true: checked now and after each `check()`.
		 * @param {() => boolean} condition
		 * @returns {Promise<void>}
		 */
		when(condition) {
			return new Promise((resolve, reject) => {
				waiters.add({ condition, resolve, reject });
				check();
			});
		},
		/** @param {unknown} error */
		rejectAll(error) {
			for (const waiter of waiters) waiter.reject(error);
			waiters.clear();
		},
	};
}

/**
 * Resolves once `changes()` has stayed the same for `turns` event-loop turns in a row (each turn
 * polls for I/O, so a request already on its way arrives meanwhile), or once `stop()` is true.
 * @param {() => number} changes
 * @param {number} turns
 * @param {() => boolean} [stop]
 * @returns {Promise<void>}
 */
export function quiet(changes, turns, stop = () => false) {
	return new Promise((resolve) => {
		let seen = changes();
		let calm = 0;
		const turn = () => {
			calm = changes() === seen ? calm + 1 : 0;
			seen = changes();
			if (calm >= turns || stop()) resolve(undefined);
			else setImmediate(turn);
		};
		setImmediate(turn);
	});
}
