// Errors as Nomad's RPC layer raises them. Most business-rule failures are plain errors (the agent
// answers 500 with the text); a few are coded with an HTTP-ish status (NewErrRPCCoded).
export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number = 500,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export const notFound = (message: string): RpcError => new RpcError(message, 404);
export const badRequest = (message: string): RpcError => new RpcError(message, 400);
