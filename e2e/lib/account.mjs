// The StepFun account every queue-mode case runs against (e2e/scale.mjs): the stand-in
// enforcing the lowest international tier, a fresh account for each case, what the tier
// allows for a whole burst, and what the stand-in saw (requests sent, 429s, peak in flight,
// when and from which worker the 429s came).
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';

import { secs } from './report.mjs';

/** StepFun's lowest international tier: 5 in flight, 100 started in any 60 s, 429 beyond, no Retry-After. */
export const TIER = Object.freeze({ maxInFlight: 5, requestsPerWindow: 100, windowMs: 60_000 });

/** The scale test's targets (timing never fails it): wall time at most 1.25× the account's bound, refusals at most 10 % of requests. */
export const TARGETS = Object.freeze({ boundRatio: 1.25, refusedShare: 0.1 });

export const load = () =>
	loadavg()
		.map((l) => l.toFixed(1))
		.join(' ');

/**
 * A new account for the next case: a new API key on the stand-in and in the credential (so
 * neither the stand-in's window nor any worker's pace remembers the case before), the
 * stand-in's recordings cleared, its answer time set and the tier's limits in force from now.
 * `n8n` is the started instance holding the credential (main, or the single process).
 */
export async function freshAccount({ standIn, n8n, cred, delayMs }) {
	const apiKey = `sk-scale-${randomBytes(12).toString('hex')}`;
	await n8n.rest('PATCH', `/rest/credentials/${cred.id}`, {
		name: cred.name,
		type: cred.type,
		data: { ...cred.data, apiKey },
	});
	standIn.reset();
	standIn.apiKey = apiKey;
	standIn.setDelay(delayMs);
	standIn.limits = TIER;
}

/**
 * The shortest time the tier allows for requests holding the account this long each (ms, in
 * the order they came): each starts as soon as one of the 5 slots is free and the start 100
 * before it has left the 60 s window.
 */
export function accountBound(holdsMs, tier = TIER) {
	const slots = Array.from({ length: tier.maxInFlight }, () => 0);
	const starts = [];
	let end = 0;
	for (const hold of holdsMs) {
		const slot = slots.indexOf(Math.min(...slots));
		let start = slots[slot];
		if (starts.length >= tier.requestsPerWindow)
			start = Math.max(start, starts[starts.length - tier.requestsPerWindow] + tier.windowMs);
		starts.push(start);
		slots[slot] = start + hold;
		end = Math.max(end, slots[slot]);
	}
	return end;
}

/**
 * What the stand-in saw during one case of `images` images: requests sent, 429s (in flight /
 * window), peak in flight (admitted, and attempted including refused ones), and the wall time
 * against the account's bound for the whole case, computed from the stand-in's own answer
 * times: every request it answered (scripted 503s included) holds a slot as long as it did,
 * and an image it never answered counts with the mean answer time.
 */
export function accountFigures(standIn, { label, startedAt, wallMs, images, delivered }) {
	const requests = standIn.requests.filter((r) => r.path.startsWith('/v1/'));
	const answered = requests.filter(
		(r) => !r.rateLimited && r.answeredAt !== undefined && r.status !== 0,
	);
	const holds = answered.map((r) => r.answeredAt - r.receivedAt);
	const normal = answered.filter((r) => !r.faulted).length;
	const answerMs = holds.length ? holds.reduce((a, b) => a + b, 0) / holds.length : standIn.delayMs;
	holds.push(...Array.from({ length: Math.max(0, images - normal) }, () => answerMs));
	const boundMs = accountBound(holds);
	const stats = standIn.limitStats;
	return {
		label,
		// When the stand-in got its first request and sent its last answer, from the case's start.
		firstMs: Math.min(...requests.map((r) => r.receivedAt)) - startedAt,
		lastMs: Math.max(...answered.map((r) => r.answeredAt)) - startedAt,
		wallMs,
		boundMs,
		ratio: wallMs / boundMs,
		answerMs,
		needed: holds.length,
		sent: requests.length,
		refused: stats.rejected,
		refusedInFlight: stats.rejectedInFlight,
		refusedWindow: stats.rejectedWindow,
		peakInFlight: stats.peakInFlight,
		peakAttempted: standIn.maxInFlight,
		delivered,
		images,
		load: load(),
	};
}

/** Whether each target is met. Delivery is asserted by the scenarios; this only reports. */
export function verdicts(f) {
	return {
		delivered: f.delivered === f.images,
		time: f.ratio <= TARGETS.boundRatio,
		refusals: f.sent === 0 || f.refused / f.sent <= TARGETS.refusedShare,
	};
}

const mark = (ok) => (ok ? 'meets' : 'MISSES');

/** The figures of one case in two lines, with the targets. */
export function describeAccount(f) {
	const v = verdicts(f);
	const pct = f.sent ? ((100 * f.refused) / f.sent).toFixed(1) : '0.0';
	return [
		`account (${TIER.maxInFlight} in flight, ${TIER.requestsPerWindow} per ${TIER.windowMs / 1000} s): wall ${secs(f.wallMs)} against the bound ${secs(f.boundMs)} for ${f.needed} requests answered in ${Math.round(f.answerMs)} ms = ${f.ratio.toFixed(2)}× (target ≤ ${TARGETS.boundRatio}×: ${mark(v.time)})`,
		`the stand-in's first request came after ${secs(f.firstMs)}, its last answer went after ${secs(f.lastMs)}: ${secs(f.lastMs - f.firstMs)} = ${((f.lastMs - f.firstMs) / f.boundMs).toFixed(2)}× the bound (the rest of the wall time is n8n's)`,
		`images delivered ${f.delivered} of ${f.images} (${mark(v.delivered)}); requests sent ${f.sent}, 429s ${f.refused} = ${pct} % (${f.refusedInFlight} in flight, ${f.refusedWindow} window; target ≤ ${100 * TARGETS.refusedShare} %: ${mark(v.refusals)}); peak in flight ${f.peakInFlight} admitted, ${f.peakAttempted} attempted; load average ${f.load}`,
	].join('\n');
}

/**
 * Who sent what when, and which requests the account refused: the case in steps from
 * `startedAt` (performance.now() of its start; 5 s steps, 10 s for a case over 40 s), for
 * each source (`sourceOf(request)`, e.g. "worker 1") the requests it sent and the 429s it got,
 * by what was full at each refusal (the stand-in's requests in flight, or its 60 s window);
 * a step where nobody sent shows as such. Empty when nothing was refused.
 */
export function refusalPattern(standIn, startedAt, sourceOf) {
	const requests = standIn.requests.filter((r) => r.path.startsWith('/v1/'));
	if (!requests.some((r) => r.rateLimited)) return '';
	const admitted = requests.filter((r) => !r.rateLimited);
	const span = Math.max(...requests.map((r) => r.receivedAt)) - startedAt;
	const stepMs = span > 40_000 ? 10_000 : 5_000;
	const steps = new Map();
	for (const r of requests) {
		const i = Math.floor((r.receivedAt - startedAt) / stepMs);
		const step = steps.get(i) ?? new Map();
		steps.set(i, step);
		const who = sourceOf(r);
		const s = step.get(who) ?? { sent: 0, inFlight: 0, window: 0 };
		step.set(who, s);
		s.sent++;
		if (!r.rateLimited) continue;
		const t = r.receivedAt;
		const flying = admitted.filter(
			(a) => a.receivedAt < t && (a.answeredAt === undefined || a.answeredAt > t),
		).length;
		if (flying >= TIER.maxInFlight) s.inFlight++;
		else s.window++;
	}
	const sources = [...new Set(requests.map(sourceOf))].sort();
	const last = Math.max(...steps.keys());
	const lines = Array.from({ length: last + 1 }, (_, i) => [i, steps.get(i) ?? new Map()]).map(
		([i, step]) => {
			const from = `${(i * stepMs) / 1000}–${((i + 1) * stepMs) / 1000} s`.padStart(10);
			const cells = sources.map((who) => {
				const s = step.get(who) ?? { sent: 0, inFlight: 0, window: 0 };
				const refused = s.inFlight + s.window;
				return `${who} ${String(s.sent).padStart(2)} sent${refused ? `, ${refused} refused (${[s.inFlight ? `${s.inFlight} in flight` : '', s.window ? `${s.window} window` : ''].filter(Boolean).join(', ')})` : ''}`;
			});
			return `  ${from}: ${cells.join(' | ')}`;
		},
	);
	return `requests over time and their 429s (what was full at the stand-in when each came):\n${lines.join('\n')}`;
}

/** The closing table: one row per case. */
export function accountTable(rows) {
	const head = `  ${'case'.padEnd(46)} ${'wall'.padStart(7)} ${'bound'.padStart(7)}  ratio  images     sent  429s        peak  load`;
	const lines = rows.map((f) => {
		const v = verdicts(f);
		const pct = f.sent ? ((100 * f.refused) / f.sent).toFixed(1) : '0.0';
		return `  ${f.label.padEnd(46)} ${secs(f.wallMs).padStart(7)} ${secs(f.boundMs).padStart(7)}  ${f.ratio.toFixed(2).padStart(4)}×${v.time ? ' ' : '!'} ${`${f.delivered}/${f.images}`.padStart(7)}${v.delivered ? ' ' : '!'} ${String(f.sent).padStart(5)}  ${`${f.refused} (${pct} %)`.padStart(10)}${v.refusals ? ' ' : '!'} ${`${f.peakInFlight}/${f.peakAttempted}`.padStart(5)}  ${f.load}`;
	});
	return [head, ...lines].join('\n');
}
