import type { Logger as N8nLogger } from 'n8n-workflow';

export interface DiContainer {
	get<T>(type: abstract new (...args: never[]) => T): T;
	set<T>(type: abstract new (...args: never[]) => T, instance: T): void;
	has(type: abstract new (...args: never[]) => unknown): boolean;
}

export declare const Container: DiContainer;
export declare const Logger: abstract new (...args: never[]) => N8nLogger;
export declare function useLegacyExpressionEngine(): 'legacy' | 'vm' | 'quickjs';
