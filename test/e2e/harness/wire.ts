/**
 * One HTTP exchange as the e2e harness sees it: what a real SDK client sent to the loopback
 * endpoint, and what goes back on the wire. The harness proxy in front of moto and the
 * in-memory services it serves itself (SES v2) speak this.
 */
export interface WireRequest {
  method: string;
  /** Path and query string, exactly as received (`/v2/email/identities/example.com?x=1`). */
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
  /** The region of the request's SigV4 credential scope (`us-east-1`). */
  region: string;
  /** The access key id the request was signed with, when it was signed. */
  accessKeyId?: string | undefined;
}

export interface WireResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer | string;
}
