// An answer decided in the HTTP layer (Nomad's CodedError): status plus plain-text body.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const invalidMethod = (): HttpError => new HttpError(405, 'Invalid method');
