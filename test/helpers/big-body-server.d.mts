export interface BigBodyRequest {
	path: string;
	/** Lower-cased header names, as Node's http server gives them. */
	headers: Record<string, string | string[] | undefined>;
	/** Bytes the answer would have had (the `bytes` query parameter). */
	total: number;
	/** Bytes handed to the socket before the client went away (or all of them). */
	bytesSent: number;
	/** Whether the whole body was sent. */
	completed: boolean;
	/** Whether the client closed the connection before the body was complete. */
	closedEarly: boolean;
}

export interface BigBodyServer {
	/** `http://127.0.0.1:<port>`; paths `/with-length/<name>?bytes=N` and `/chunked/<name>?bytes=N`. */
	url: string;
	requests: BigBodyRequest[];
	close(): Promise<void>;
}

/** Streams a PNG signature followed by zeros, generated on the fly (nothing is held in memory). */
export declare function startBigBodyServer(): Promise<BigBodyServer>;
