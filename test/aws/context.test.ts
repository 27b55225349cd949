import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetBucketVersioningCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AwsContext, DEFAULT_MAX_ATTEMPTS } from '../../src/aws/context.js';
import { toHmError } from '../../src/aws/errors.js';
import { CredentialsProviderError } from '@smithy/core/config';
import { awsError } from '../fakes/account.js';

describe('AwsContext', () => {
  it('builds each client once per run', () => {
    const aws = new AwsContext({ region: 'eu-west-1' });
    expect(aws.s3()).toBe(aws.s3());
    expect(aws.sts()).toBe(aws.sts());
    aws.destroy();
  });

  it('gives every client the same region, endpoint and retry strategy', async () => {
    const aws = new AwsContext({ region: 'eu-west-1', endpointUrl: 'http://localhost:4566' });
    for (const client of [aws.s3(), aws.sts()]) {
      expect(await client.config.region()).toBe('eu-west-1');
      expect(await client.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
      expect(await client.config.retryStrategy()).toMatchObject({ mode: 'standard' });
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('localhost');
      expect(endpoint?.port).toBe(4566);
    }
    aws.destroy();
  });

  it('sends CloudFront calls to us-east-1, where its API lives, whatever the stack region', async () => {
    const aws = new AwsContext({ region: 'eu-west-1', endpointUrl: 'http://localhost:4566' });
    expect(await aws.cloudfront().config.region()).toBe('us-east-1');
    expect((await aws.cloudfront().config.endpoint?.())?.port).toBe(4566);
    aws.destroy();
  });

  it('sends SES calls to the stack region and Route 53 calls to us-east-1', async () => {
    const aws = new AwsContext({ region: 'eu-west-1', endpointUrl: 'http://localhost:4566' });
    expect(await aws.sesv2().config.region()).toBe('eu-west-1');
    expect(await aws.route53().config.region()).toBe('us-east-1');
    expect((await aws.route53().config.endpoint?.())?.port).toBe(4566);
    aws.destroy();
  });

  it('signs with other credentials through as(): same region and endpoint, no profile, presigned uploads without an empty-body checksum', async () => {
    const aws = new AwsContext({ region: 'eu-west-1', profile: 'admin', endpointUrl: 'http://localhost:4566' });
    const app = aws.as({ accessKeyId: 'AKIAAPPUSER', secretAccessKey: 'app-secret' });
    expect(aws.as({ accessKeyId: 'AKIAAPPUSER', secretAccessKey: 'app-secret' })).toBe(app);
    for (const client of [app.s3(), app.sesv2(), app.iam()]) {
      expect((await client.config.credentials()).accessKeyId).toBe('AKIAAPPUSER');
      expect((await client.config.endpoint?.())?.port).toBe(4566);
    }
    expect(await app.s3().config.region()).toBe('eu-west-1');
    expect(await app.s3().config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    // The run's own S3 client keeps the SDK's default.
    expect(await aws.s3().config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    aws.destroy();
  });

  it('uses path-style S3 addressing only when an endpoint is given', () => {
    expect(
      new AwsContext({ region: 'us-east-1', endpointUrl: 'http://localhost:5000' }).s3().config.forcePathStyle,
    ).toBe(true);
    expect(new AwsContext({ region: 'us-east-1' }).s3().config.forcePathStyle).toBe(false);
  });
});

describe('toHmError', () => {
  it.each([
    [
      'no credentials',
      new CredentialsProviderError('Could not load credentials from any providers'),
      'NO_CREDENTIALS',
      'aws sso login',
    ],
    ['STS ExpiredToken', awsError('sts', 'ExpiredToken', 'details'), 'CREDENTIALS_EXPIRED', 'Log in again'],
    [
      'IAM InvalidClientTokenId',
      awsError('iam', 'InvalidClientTokenId', 'details'),
      'CREDENTIALS_INVALID',
      '--profile',
    ],
    ['S3 AccessDenied', awsError('s3', 'AccessDenied', 'details'), 'ACCESS_DENIED', 'permission'],
    ['SES AccessDeniedException', awsError('sesv2', 'AccessDeniedException', 'details'), 'ACCESS_DENIED', 'permission'],
    ['S3 SlowDown', awsError('s3', 'SlowDown', 'details'), 'THROTTLED', 're-run'],
    ['SES TooManyRequestsException', awsError('sesv2', 'TooManyRequestsException', 'details'), 'THROTTLED', 're-run'],
  ])('explains %s and says what to do', (_what, err, code, hint) => {
    const error = toHmError(err, 'create bucket x');
    expect(error.code).toBe(code);
    expect(error.hint).toContain(hint);
  });

  it('says when an emulator does not implement an API', () => {
    const error = toHmError(
      awsError('cloudfront', 'InternalFailure', "API for service 'cloudfront' not yet implemented or pro feature", {
        status: 501,
      }),
      'create the CloudFront distribution',
    );
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.hint).toContain('moto');
    expect(error.hint).toContain('--no-cdn');
    expect(
      toHmError(awsError('s3', 'InternalError', 'not implemented', { status: 501 }), 'create bucket x').hint,
    ).not.toContain('--no-cdn');
  });

  it('suggests --no-email when an emulator lacks an SES call', () => {
    const error = toHmError(
      awsError(
        'sesv2',
        'InternalFailure',
        "API action 'CreateConfigurationSet' for service 'sesv2' not yet implemented",
        { status: 501 },
      ),
      'create SES configuration set hm-dev',
    );
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.hint).toContain('--no-email');
    expect(error.hint).not.toContain('--no-cdn');
  });

  it('names the action and the AWS error code of anything else', () => {
    const error = toHmError(awsError('s3', 'InternalError', 'oops'), 'create bucket x');
    expect(error.message).toBe('could not create bucket x: InternalError: oops');
    expect(error.exitCode).toBe(1);
  });
});

describe('an S3 refusal over plain HTTP', () => {
  const refusing = async () => {
    const server = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId><HostId>H</HostId></Error>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };

  it('names the TLS-only bucket policy and the http:// endpoint as the cause', async () => {
    const { server, url } = await refusing();
    const aws = new AwsContext({ region: 'us-east-1', endpointUrl: url, maxAttempts: 1 });
    try {
      // WHEN
      const err = await aws
        .s3()
        .send(new GetBucketVersioningCommand({ Bucket: 'b' }))
        .catch((e: unknown) => e);
      const error = toHmError(err, 'read the versioning of bucket b');
      // THEN
      expect(error.code).toBe('ACCESS_DENIED_PLAIN_HTTP');
      expect(error.hint).toContain('aws:SecureTransport');
      expect(error.hint).toContain(url);
      // AND a HEAD answer, which has no body and so no error code, is told apart the same way
      const head = await aws
        .s3()
        .send(new HeadBucketCommand({ Bucket: 'b' }))
        .catch((e: unknown) => e);
      expect(toHmError(head, 'check whether bucket b exists').code).toBe('ACCESS_DENIED_PLAIN_HTTP');
    } finally {
      aws.destroy();
      server.close();
    }
  });

  it('is an ordinary refusal when it did not come over plain HTTP', () => {
    expect(toHmError(awsError('s3', 'AccessDenied', 'Access Denied'), 'read bucket b').code).toBe('ACCESS_DENIED');
  });
});
