// What an operation is, and the plain data that passes between it, the runner and the output.
// Types only: the operation list (operations.ts) says which operations there are.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ImageInfo, ImageType } from '../shared/image';
import type { Declaration } from './parameters';
import type { ApiResponse, FilePart, PlainRequest, RequestSettings } from '../transport/types';

export type ResourceName = 'image' | 'account';

// ---------------------------------------------------------------------------------------------
// Declared fields and options, by where their values go
// ---------------------------------------------------------------------------------------------

/** The declared fields (descriptions/fields.ts); an operation reads only those it shows. */
export interface FieldValues {
	model: string;
	prompt: string;
	size: string;
}

/** What "On Content Filtered" may say. */
export type ContentFilterAction = 'error' | 'outputItem' | 'skip';

/** How a result becomes an output item. */
export interface OutputSettings {
	binaryField: string;
	fileName: string;
	includeInputFields: boolean;
	keepInputBinary: boolean;
	onContentFiltered: ContentFilterAction;
	includeReasoning: boolean;
}

/** What Analyze builds its messages from; `detail` only when the user added it. */
export interface AnalysisSettings {
	systemMessage: string;
	detail?: 'low' | 'high';
	jsonOutput: boolean;
}

/** How many images one item asks for, and the seed of the first (when the user set one). */
export interface ImageSettings {
	numberOfImages: number;
	seed?: number;
}

/** One value for the whole run, read from the first item; absent where the operation has none. */
export interface RunSettings {
	concurrency?: number;
	requestsPerMinute?: number;
}

/**
 * An item's checked options, by destination. `body` holds API fields under StepFun's names,
 * only for options the user added (plus those always sent). Each group holds the options its
 * operation shows; an operation reads only its own.
 */
export interface ItemOptions {
	body: IDataObject;
	request: RequestSettings;
	images: ImageSettings;
	analysis: AnalysisSettings;
	output: OutputSettings;
}

interface Groups extends Omit<ItemOptions, 'body'> {
	item: FieldValues;
	run: RunSettings;
}

/** Where a declared value goes: an API field under StepFun's name, or a typed setting. */
export type Destination =
	| `body.${string}`
	| { [G in keyof Groups]: `${G}.${keyof Groups[G] & string}` }[keyof Groups];

export type OptionDeclaration = Declaration<Destination>;

/** Which models the Model field's "From List" puts first, how it labels them, and the one always offered. */
export interface ModelKind {
	label: string;
	matches: RegExp;
	always: string;
}

// ---------------------------------------------------------------------------------------------
// Input images
// ---------------------------------------------------------------------------------------------

/**
 * Where an input image comes from: plain data, read and checked before anything is sent. A
 * binary field is what the user gave: a field name, a path into the item (n8n 2.x combined
 * binary mode, e.g. `_files.photo`), or a file object from an expression (`{{ $binary.data }}`).
 */
export type InputSource =
	| {
			kind: 'binary';
			field: string | IDataObject;
			/** The field as the operation's UI names it, e.g. "Input Binary Fields" for Analyze. */
			fieldLabel: string;
			/** This file in errors, when the field's value does not say it, e.g. a path found. */
			label?: string;
	  }
	| {
			kind: 'url';
			url: string;
			/** The field as the operation's UI names it: "Image URL" (Edit), "Image URLs" (Analyze). */
			fieldLabel: string;
	  }
	| { kind: 'base64'; data: string; mimeType?: string };

/** What an operation takes as input image. */
export interface ImageAcceptance {
	types: readonly ImageType[];
	/** Whether an animation (GIF, WebP, APNG) is taken; StepFun reads one still image. */
	animated: boolean;
	/** Neither width nor height may exceed it. */
	maxSide: number;
	/**
	 * How many images one request takes, and how many bytes all of them together, counted as
	 * sent: base64 text in data URLs, a third larger than the files. StepFun does not say which
	 * of the two its limit counts, so the larger one is checked.
	 */
	maxImages: number;
	maxTotalBytes?: number;
	/** The accepted formats in a sentence, e.g. "PNG, JPEG or WebP". */
	formats: string;
	/** Why another format is refused, e.g. "StepFun edits PNG, JPEG and WebP images." */
	refusal: string;
}

/** A checked input image, ready to upload: type and extension follow the bytes. */
export interface InputImage extends FilePart {
	info: ImageInfo;
	/** The file name as the user's file had it, for the output. */
	originalFileName?: string;
}

// ---------------------------------------------------------------------------------------------
// An operation
// ---------------------------------------------------------------------------------------------

/** What the output says about a request, from the operation (not read back from the request). */
export interface OutputFacts {
	model?: string;
	prompt?: string;
	/** The seed the request was sent with: the item's seed + the request's number. */
	seed?: number;
}

/** One item with its parameters checked, as plain data: what an operation's `prepare` returns. */
export interface PreparedItem {
	options: ItemOptions;
	/** The request, without the input images (they are read just before sending). */
	request: PlainRequest;
	/** How many requests the item makes (one image each). */
	requestCount: number;
	/** Input images to read just before the item's requests, and what the operation accepts. */
	inputs?: { sources: InputSource[]; accept: ImageAcceptance };
	facts: OutputFacts;
}

/** One request as sent, with StepFun's answer. */
export interface Answer {
	operation: string;
	request: PlainRequest;
	response: ApiResponse;
	/** Which of the item's requests this was, from 0. */
	requestIndex: number;
	/** The item's input images, as read and sent. */
	inputs: InputImage[];
	/** The operation's facts for this request (its seed counted on from the item's). */
	facts: OutputFacts;
	/** The API root the request went to (which region answered). */
	baseUrl: string;
}

/** What an operation shows and reads of one item: its declared fields and its options. */
export interface ItemValues {
	fields: FieldValues;
	options: ItemOptions;
}

/**
 * Everything about one operation, in its own file; the operation list (operations.ts) holds
 * them, and the node, the runner and the output derive the rest.
 */
export interface Operation {
	name: string;
	resource: ResourceName;
	/** Its entry in the Operation list: what it is called, the action n8n names it by, a line of help. */
	choice: { name: string; action: string; description: string };
	/** What the canvas shows under the node's name, e.g. "Generate Image". */
	subtitle: string;
	/** Its fields in the order shown: declared ones (Model, Prompt, Size) and its own. */
	fields: ReadonlyArray<OptionDeclaration | INodeProperties>;
	/** The shared options its Options collection shows (descriptions/options.ts). */
	options: readonly OptionDeclaration[];
	/** Which models the Model field's "From List" puts first. */
	models?: ModelKind;
	/**
	 * Builds one item's request from its checked values; reads and checks its own fields
	 * (no I/O), so every item is checked before any is sent.
	 */
	prepare: (ctx: IExecuteFunctions, itemIndex: number, values: ItemValues) => PreparedItem;
	/** The request with the item's input images in it. */
	withInputs?: (prepared: PreparedItem, images: InputImage[]) => PlainRequest;
	/**
	 * What an answer becomes: image files (output.ts), said with `verb` in an agent's
	 * summary, or one output item whose JSON the operation reads from the answer.
	 */
	output:
		| { kind: 'images'; verb: string }
		| {
				kind: 'json';
				read: (
					ctx: IExecuteFunctions,
					itemIndex: number,
					prepared: PreparedItem,
					answer: Answer,
				) => IDataObject;
		  };
}
