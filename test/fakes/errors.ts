/** An SDK-shaped service error: `name` is the AWS error code. */
export class FakeAwsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId: string };
  constructor(name: string, status: number, message = name) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId: 'fake-request' };
  }
}

export const awsError = (name: string, status: number, message?: string) => new FakeAwsError(name, status, message);

/** Who signed a call: the access key id of the client's credentials (resolved for STS only). */
export interface Caller {
  accessKeyId?: string | undefined;
}

/** What a fake API call does: input, the client's region and the caller in, the answer out (or a throw). */
export type Handler = (input: Record<string, unknown>, region: string, caller: Caller) => unknown;
