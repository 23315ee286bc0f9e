export interface RecordedRequest {
	method: string;
	/** Path and query string, e.g. `/v1/images?x=1`. */
	url: string;
	/** Lower-cased header names, as Node's http server gives them. */
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
}

export interface LoopbackAnswer {
	status?: number;
	headers?: Record<string, string>;
	/** An object is sent as JSON; a string or Buffer as is. */
	body?: unknown;
}

export interface LoopbackServer {
	/** `http://127.0.0.1:<port>` */
	url: string;
	requests: RecordedRequest[];
	close(): Promise<void>;
}

export declare function startLoopbackServer(
	respond?: (
		request: RecordedRequest,
	) => LoopbackAnswer | undefined | Promise<LoopbackAnswer | undefined>,
): Promise<LoopbackServer>;

/** Starts `server` on a free port of 127.0.0.1 and gives its base URL. */
export declare function listenOnLoopback(server: import("node:http").Server): Promise<string>;
