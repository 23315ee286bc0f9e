// Pieces of n8n that the tests need but that must come from the copies n8n-core itself loads:
// n8n-core has its own nested @n8n/di, @n8n/backend-common, ... (other versions than the ones
// at the top of node_modules), and a second dependency-injection container would be a
// different, empty one. Kept in .mjs because it needs `node:module`, which the lint rules ban in
// .ts files; its JSDoc types are checked by `npm run typecheck`.
import { createRequire } from 'node:module';

/**
 * The container's API as the tests use it.
 * @typedef {object} DiContainer
 * @property {<T>(type: abstract new (...args: never[]) => T) => T} get
 * @property {<T>(type: abstract new (...args: never[]) => T, instance: T) => void} set
 * @property {(type: abstract new (...args: never[]) => unknown) => boolean} has
 */

const requireHere = createRequire(import.meta.url);
const requireFromCore = createRequire(requireHere.resolve('n8n-core'));

/**
 * The dependency-injection container n8n-core uses (`Container.get(BinaryDataService)`, ...).
 * @type {DiContainer}
 */
export const Container = requireFromCore('@n8n/di').Container;
/**
 * The Logger class n8n-core's node contexts resolve for `this.logger`.
 * @type {abstract new (...args: never[]) => import('n8n-workflow').Logger}
 */
export const Logger = requireFromCore('@n8n/backend-common').Logger;

/** @type {typeof import('n8n-workflow').Expression} */
const Expression = requireFromCore('n8n-workflow/dist/cjs/expression.js').Expression;

/**
 * Keeps n8n's in-process ("legacy") expression evaluator. The `vm` engine needs the native
 * isolated-vm module, which is not built on Node 20; n8n-core never starts an engine itself
 * (only the n8n CLI does, from N8N_EXPRESSION_ENGINE), so this just makes the choice explicit.
 */
/** @returns {'legacy' | 'vm' | 'quickjs'} */
export function useLegacyExpressionEngine() {
	Expression.setExpressionEngine('legacy');
	return Expression.getActiveImplementation();
}
