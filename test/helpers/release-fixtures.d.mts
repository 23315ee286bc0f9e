export interface DescribedParameter {
	name: string;
	type: string;
	default: unknown;
	values?: unknown[];
	show?: Record<string, unknown[]>;
}

export declare const RELEASE_0_1_0: {
	node: { name: string; version: number; credentials: Array<{ name: string; required?: boolean }>; parameters: DescribedParameter[] };
	credential: { name: string; fields: DescribedParameter[] };
};

export declare const SAVED_NODES_0_1_0: Array<{
	file: string;
	node: { name: string; typeVersion: number; parameters: Record<string, unknown> };
}>;
