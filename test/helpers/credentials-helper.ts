/**
 * The part of n8n's server that n8n-core calls for credentials (its CredentialsHelper), for
 * API-key credentials: one stored credential per type, its type's defaults applied and
 * expressions in its data resolved when a node reads it, and its `authenticate` function applied
 * to every request sent with `httpRequestWithAuthentication`.
 *
 * Left out, because an API-key credential never takes those paths: OAuth (no `extends`, so
 * n8n-core never asks for OAuth tokens), pre-authentication (no expirable property) and the
 * declarative `generic` authenticate (a credential of that kind is refused with a clear error).
 */
import { Credentials, getAdditionalKeys } from 'n8n-core';
import { ICredentialsHelper, NodeHelpers, UnexpectedError, Workflow } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsExpressionResolveValues,
	IExecuteData,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	INodeType,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { createNodeTypes } from './node-types';

/** How a node's `credentials` refer to the one stored credential. */
export const CREDENTIAL_REFERENCE = { id: 'test-credential-id', name: 'Test credential' };

/** The node n8n resolves credential expressions against when no workflow run is at hand. */
const detachedNode: INode = {
	id: 'detached',
	name: '',
	typeVersion: 1,
	type: 'detached',
	position: [0, 0],
	parameters: {},
};

const detachedNodeTypes = createNodeTypes({
	detached: { description: { properties: [] as INodeProperties[] } } as unknown as INodeType,
});

export class ApiKeyCredentialsHelper extends ICredentialsHelper {
	private readonly stored: Record<string, ICredentialDataDecryptedObject> = {};

	private readonly types: Record<string, ICredentialType> = {};

	/** `credentialType` with `data` as its one stored credential; none when no type is given. */
	constructor(credentialType?: ICredentialType, data?: ICredentialDataDecryptedObject) {
		super();
		if (!credentialType) return;
		if (typeof credentialType.authenticate === 'object') {
			throw new UnexpectedError(
				`Credential type "${credentialType.name}" authenticates declaratively; the test harness applies only an authenticate function`,
			);
		}
		if (credentialType.extends?.length) {
			throw new UnexpectedError(
				`Credential type "${credentialType.name}" extends ${credentialType.extends.join(', ')}; the test harness serves API-key credentials only`,
			);
		}
		this.types[credentialType.name] = credentialType;
		if (data) this.stored[credentialType.name] = structuredClone(data);
	}

	private type(name: string): ICredentialType {
		const type = this.types[name];
		if (!type) throw new UnexpectedError(`Unknown credential type "${name}"`);
		return type;
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.type(type).properties;
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.stored[type];
		if (!data) throw new UnexpectedError(`No credentials of type "${type}" were given to the test`);
		if (raw === true) return structuredClone(data);
		return this.applyDefaultsAndResolve(
			additionalData,
			structuredClone(data),
			type,
			mode,
			executeData,
			expressionResolveValues,
		);
	}

	/** As n8n's helper does: the type's defaults filled in, then `={{ ... }}` values resolved. */
	applyDefaultsAndResolve(
		additionalData: IWorkflowExecuteAdditionalData,
		data: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): ICredentialDataDecryptedObject {
		const withDefaults = NodeHelpers.getNodeParameters(
			this.getCredentialsProperties(type),
			data as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		const additionalKeys = getAdditionalKeys(additionalData, mode, null, { isCredential: true });
		if (expressionResolveValues) {
			return expressionResolveValues.workflow.expression.getParameterValue(
				withDefaults as INodeParameters,
				expressionResolveValues.runExecutionData,
				expressionResolveValues.runIndex,
				expressionResolveValues.itemIndex,
				expressionResolveValues.node.name,
				expressionResolveValues.connectionInputData,
				mode,
				additionalKeys,
				executeData,
				false,
				withDefaults,
			) as ICredentialDataDecryptedObject;
		}
		const workflow = new Workflow({
			nodes: [detachedNode],
			connections: {},
			active: false,
			nodeTypes: detachedNodeTypes,
		});
		return workflow.expression.getComplexParameterValue(
			detachedNode,
			withDefaults as INodeParameters,
			mode,
			additionalKeys,
			undefined,
			undefined,
			withDefaults,
		) as ICredentialDataDecryptedObject;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
	): Promise<IHttpRequestOptions> {
		const type = this.type(typeName);
		if (typeof type.authenticate !== 'function') return requestOptions as IHttpRequestOptions;
		return await type.authenticate(credentials, requestOptions as IHttpRequestOptions);
	}

	// n8n-core calls this before every authenticated request, and again after a 401 (then it
	// sends the request once more). n8n's helper returns nothing for a credential type without
	// an expirable property, as here.
	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	// The rest is reached only through OAuth requests, which getParentTypes() rules out.

	async runPreAuthentication(): Promise<undefined> {
		throw new UnexpectedError('runPreAuthentication is only used by OAuth credentials');
	}

	async getCredentials(): Promise<Credentials> {
		throw new UnexpectedError('getCredentials is only used by OAuth credentials');
	}

	async updateCredentials(): Promise<void> {
		throw new UnexpectedError('updateCredentials is only used by OAuth credentials');
	}

	async updateCredentialsOauthTokenData(): Promise<void> {
		throw new UnexpectedError('updateCredentialsOauthTokenData is only used by OAuth credentials');
	}
}
