export interface PackageJson {
	name?: string;
	version?: string;
	scripts?: Record<string, string>;
	files?: string[];
	n8n?: { nodes?: string[]; credentials?: string[] };
	[key: string]: unknown;
}

export declare const packageRoot: string;
export declare function packageFileExists(relativePath: string): boolean;
export declare function readPackageFile(relativePath: string): string;
export declare function listPackageFiles(relativeDir: string): string[];
export declare function readPackageJson(): PackageJson;
export declare function packedFiles(): string[];
