// Checks shared by the endpoints. Each throws a ParamError whose message names the field.
import { ParamError } from './http.mjs';

/** @param {string} s */
export const codePoints = (s) => [...s].length;

/**
 * Required model id; with `accepted` set, only those ids are permitted.
 * @param {unknown} v
 * @param {string[] | null} accepted
 */
export function checkModel(v, accepted) {
	if (v === undefined) throw new ParamError('model is required');
	if (typeof v !== 'string' || v.trim() === '')
		throw new ParamError('model must be a non-empty string');
	if (accepted && !accepted.includes(v))
		throw new ParamError(`model ${v} is not supported or not permitted`);
}

/**
 * @param {unknown} v
 * @param {string} name
 * @param {number} min
 * @param {number} max
 */
export function checkInt(v, name, min, max) {
	if (typeof v !== 'number' || !Number.isInteger(v))
		throw new ParamError(`${name} must be an integer`);
	if (v < min || v > max)
		throw new ParamError(`${name} must be in range [${min}, ${max}] (got ${v})`);
}

/**
 * A finite number within bounds; `openMin` excludes the minimum itself.
 * @param {unknown} v
 * @param {string} name
 * @param {number} min
 * @param {number} max
 * @param {{ openMin?: boolean }} [options]
 */
export function checkNumber(v, name, min, max, { openMin = false } = {}) {
	const range = `${openMin ? '(' : '['}${min}, ${max}]`;
	const inRange = typeof v === 'number' && (openMin ? v > min : v >= min) && v <= max;
	if (typeof v !== 'number' || !Number.isFinite(v) || !inRange)
		throw new ParamError(`${name} must be a number in range ${range} (got ${JSON.stringify(v)})`);
}

/**
 * @param {unknown} v
 * @param {string} name
 * @param {readonly string[]} allowed
 */
export function checkOneOf(v, name, allowed) {
	if (typeof v !== 'string' || !allowed.includes(v))
		throw new ParamError(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
}
