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

/** What a fake API call does: input and the client's region in, the answer out (or a throw). */
export type Handler = (input: Record<string, unknown>, region: string) => unknown;
