/**
 * CloudFront steps against CloudFront's wire format (restXml, API 2020-05-31): documents with
 * every field CloudFront returns, the version in the `ETag` header, `<ErrorResponse>` errors.
 */
import { describe, expect, it } from 'vitest';
import type { HmError } from '../../src/errors.js';
import { bucketOutputs } from '../../src/resources/s3/bucket.js';
import { distributionStep } from '../../src/resources/cloudfront/distribution.js';
import { distributionComment } from '../../src/resources/cloudfront/distribution-config.js';
import { oacConfig, oacStep } from '../../src/resources/cloudfront/oac.js';
import type { ResourceRecord } from '../../src/state/schema.js';
import { resourceTags } from '../../src/resources/tags.js';
import { converge, givenConfig, givenStepContext } from '../support/context.js';
import { empty, givenWireAws, restXmlError, xml } from '../support/wire-aws.js';

const wire = givenWireAws();

const config = givenConfig();
const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const ID = 'E2EXAMPLE12345';
const ARN = `arn:aws:cloudfront::123456789012:distribution/${ID}`;
const OAC_ID = 'E1OACEXAMPLE01';
const bucket = bucketOutputs(config.bucketName, 'us-east-1');
const recordOf = (id: string): ResourceRecord => ({
  status: 'created',
  owned: true,
  outputs: { id },
  updatedAt: '2026-11-01T00:00:00.000Z',
});
const givenContext = (options: { recorded?: ResourceRecord } = {}) =>
  givenStepContext({
    aws: wire.aws(),
    outputs: { bucket, oac: { id: OAC_ID, name: 'healthmetrics-dev-uploads-oac' } },
    ...options,
  });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as HmError,
  );

// ── CloudFront's answers ──────────────────────────────────────────────────────────────────

const methods = (names: string[]) =>
  `<Quantity>${names.length}</Quantity><Items>${names.map((m) => `<Method>${m}</Method>`).join('')}</Items>`;

/** A cache behaviour as CloudFront returns it (its own order of methods, every legacy field). */
function behaviourXml(options: { path?: string; methods: string[]; ttl: [number, number, number] }): string {
  const [min, def, max] = options.ttl;
  return `${options.path !== undefined ? `<PathPattern>${options.path}</PathPattern>` : ''}<TargetOriginId>S3-${bucket.name}</TargetOriginId>
      <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
      <TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>
      <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
      <AllowedMethods>${methods(options.methods)}<CachedMethods>${methods(['HEAD', 'GET'])}</CachedMethods></AllowedMethods>
      <SmoothStreaming>false</SmoothStreaming>
      <Compress>true</Compress>
      <LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>
      <FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>
      <FieldLevelEncryptionId></FieldLevelEncryptionId>
      <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies><Headers><Quantity>0</Quantity></Headers><QueryStringCacheKeys><Quantity>0</Quantity></QueryStringCacheKeys></ForwardedValues>
      <MinTTL>${min}</MinTTL><DefaultTTL>${def}</DefaultTTL><MaxTTL>${max}</MaxTTL>`;
}

/** The DistributionConfig hm-infra creates, as CloudFront returns it: every field, defaults filled in. */
function configXml(options: { priceClass?: string } = {}): string {
  return `<CallerReference>hm-infra-healthmetrics-dev-mh0x1a2b</CallerReference>
    <Aliases><Quantity>0</Quantity></Aliases>
    <DefaultRootObject></DefaultRootObject>
    <Origins><Quantity>1</Quantity><Items><Origin>
      <Id>S3-${bucket.name}</Id>
      <DomainName>${bucket.regionalDomainName}</DomainName>
      <OriginPath></OriginPath>
      <CustomHeaders><Quantity>0</Quantity></CustomHeaders>
      <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity><OriginReadTimeout>30</OriginReadTimeout></S3OriginConfig>
      <ConnectionAttempts>3</ConnectionAttempts>
      <ConnectionTimeout>10</ConnectionTimeout>
      <OriginShield><Enabled>false</Enabled></OriginShield>
      <OriginAccessControlId>${OAC_ID}</OriginAccessControlId>
    </Origin></Items></Origins>
    <OriginGroups><Quantity>0</Quantity></OriginGroups>
    <DefaultCacheBehavior>${behaviourXml({ methods: ['HEAD', 'GET', 'OPTIONS'], ttl: [0, 86400, 31536000] })}</DefaultCacheBehavior>
    <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior>${behaviourXml({ path: 'avatars/*', methods: ['HEAD', 'GET'], ttl: [86400, 604800, 31536000] })}</CacheBehavior></Items></CacheBehaviors>
    <CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>
    <Comment>${distributionComment(config)}</Comment>
    <Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging>
    <PriceClass>${options.priceClass ?? 'PriceClass_100'}</PriceClass>
    <Enabled>true</Enabled>
    <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><SSLSupportMethod>vip</SSLSupportMethod><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion><CertificateSource>cloudfront</CertificateSource></ViewerCertificate>
    <Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>
    <WebACLId></WebACLId>
    <HttpVersion>http2</HttpVersion>
    <IsIPV6Enabled>true</IsIPV6Enabled>
    <ContinuousDeploymentPolicyId></ContinuousDeploymentPolicyId>
    <Staging>false</Staging>`;
}

/** GetDistribution / UpdateDistribution: the distribution, its version in the ETag header. */
const distribution = (etag: string, options: { priceClass?: string; status?: string } = {}) =>
  xml(
    `<Distribution xmlns="${NS}">
  <Id>${ID}</Id>
  <ARN>${ARN}</ARN>
  <Status>${options.status ?? 'Deployed'}</Status>
  <LastModifiedTime>2026-11-01T10:12:31.407Z</LastModifiedTime>
  <InProgressInvalidationBatches>0</InProgressInvalidationBatches>
  <DomainName>d111111abcdef8.cloudfront.net</DomainName>
  <ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>
  <ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>
  <DistributionConfig>${configXml(options)}</DistributionConfig>
</Distribution>`,
    { headers: { etag } },
  );
const distributionConfig = (etag: string, options: { priceClass?: string } = {}) =>
  xml(`<DistributionConfig xmlns="${NS}">${configXml(options)}</DistributionConfig>`, { headers: { etag } });
const tagsOf = (tags: Array<{ Key: string; Value: string }>) =>
  xml(
    `<Tags xmlns="${NS}"><Items>${tags.map((t) => `<Tag><Key>${t.Key}</Key><Value>${t.Value}</Value></Tag>`).join('')}</Items></Tags>`,
  );
const OUR_TAGS = resourceTags(config, 'Uploads CDN');
const distributionList = (summaries: string[]) =>
  xml(
    `<DistributionList xmlns="${NS}"><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>${summaries.length}</Quantity>${summaries.length ? `<Items>${summaries.join('')}</Items>` : ''}</DistributionList>`,
  );
const ourSummary = `<DistributionSummary><Id>${ID}</Id><ARN>${ARN}</ARN><ETag>E3ETAGLIST0001</ETag><Status>Deployed</Status><LastModifiedTime>2026-11-01T10:12:31.407Z</LastModifiedTime><DomainName>d111111abcdef8.cloudfront.net</DomainName><Aliases><Quantity>0</Quantity></Aliases><Origins><Quantity>1</Quantity><Items><Origin><Id>S3-${bucket.name}</Id><DomainName>${bucket.regionalDomainName}</DomainName><OriginPath></OriginPath><CustomHeaders><Quantity>0</Quantity></CustomHeaders><S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig><OriginAccessControlId>${OAC_ID}</OriginAccessControlId></Origin></Items></Origins><Comment>${distributionComment(config)}</Comment><PriceClass>PriceClass_100</PriceClass><Enabled>true</Enabled><Staging>false</Staging></DistributionSummary>`;

const oacXml = (id: string) => {
  const c = oacConfig(config);
  return `<Id>${id}</Id><OriginAccessControlConfig><Name>${c.Name}</Name><Description>${c.Description}</Description><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>`;
};
const oacList = (items: string[]) =>
  xml(
    `<OriginAccessControlList xmlns="${NS}"><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>${items.length}</Quantity>${items.length ? `<Items>${items.join('')}</Items>` : ''}</OriginAccessControlList>`,
  );
const ourOacSummary = (id: string) => {
  const c = oacConfig(config);
  return `<OriginAccessControlSummary><Id>${id}</Id><Description>${c.Description}</Description><Name>${c.Name}</Name><SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior><OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlSummary>`;
};

describe('CloudFront distribution', () => {
  it('looks for a recorded distribution CloudFront no longer has (NoSuchDistribution, 404) by tag and comment, and finds it absent', async () => {
    wire.on(
      'cloudfront',
      'GetDistribution',
      restXmlError('cloudfront', 404, 'NoSuchDistribution', 'The specified distribution does not exist.'),
    );
    wire.on('cloudfront', 'ListDistributions', distributionList([]));
    // WHEN
    const observed = await distributionStep.read(givenContext({ recorded: recordOf(ID) }));
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('cloudfront', 'ListDistributions')).toHaveLength(1);
  });

  it('reads the distribution as CloudFront returns it (full DistributionConfig, ETag header) and plans nothing when it is what hm-infra creates', async () => {
    wire.on('cloudfront', 'GetDistribution', distribution('E2QWRUHAPOMQZL'));
    wire.on('cloudfront', 'ListTagsForResource', tagsOf(OUR_TAGS));
    // WHEN
    const { observed, changes, result } = await converge(distributionStep, givenContext({ recorded: recordOf(ID) }));
    // THEN
    expect(observed).toMatchObject({
      id: ID,
      arn: ARN,
      etag: 'E2QWRUHAPOMQZL',
      status: 'Deployed',
      domainName: 'd111111abcdef8.cloudfront.net',
    });
    expect(changes).toEqual([]);
    expect(result).toMatchObject({
      type: 'unchanged',
      outputs: { id: ID, url: 'https://d111111abcdef8.cloudfront.net' },
    });
    expect(wire.sent('cloudfront', 'ListTagsForResource')[0]?.url).toBe(
      `/2020-05-31/tagging?Resource=${encodeURIComponent(ARN)}`,
    );
  });

  it('updates a field changed by hand with the ETag it read in If-Match, keeping the rest of the live configuration', async () => {
    wire.on('cloudfront', 'GetDistribution', distribution('E2QWRUHAPOMQZL', { priceClass: 'PriceClass_All' }));
    wire.on('cloudfront', 'ListTagsForResource', tagsOf(OUR_TAGS));
    wire.on('cloudfront', 'UpdateDistribution', distribution('E3UPDATEDETAG1', { status: 'InProgress' }));
    // WHEN
    const { changes, result } = await converge(distributionStep, givenContext({ recorded: recordOf(ID) }));
    // THEN
    expect(changes).toEqual([
      expect.objectContaining({ field: 'price-class', action: 'update', from: 'PriceClass_All', to: 'PriceClass_100' }),
    ]);
    expect(result).toMatchObject({ type: 'updated', outputs: { status: 'InProgress' } });
    const [update] = wire.sent('cloudfront', 'UpdateDistribution');
    expect(update?.url).toBe(`/2020-05-31/distribution/${ID}/config`);
    expect(update?.headers['if-match']).toBe('E2QWRUHAPOMQZL');
    expect(update?.body).toContain('<PriceClass>PriceClass_100</PriceClass>');
    expect(update?.body).toContain('<OriginShield><Enabled>false</Enabled></OriginShield>');
    expect(update?.body).toContain('<CallerReference>hm-infra-healthmetrics-dev-mh0x1a2b</CallerReference>');
  });

  it('reads the configuration again and retries once with its new ETag when the distribution changed meanwhile (PreconditionFailed, 412)', async () => {
    wire.on('cloudfront', 'GetDistribution', distribution('E2QWRUHAPOMQZL', { priceClass: 'PriceClass_All' }));
    wire.on('cloudfront', 'ListTagsForResource', tagsOf(OUR_TAGS));
    wire.on(
      'cloudfront',
      'UpdateDistribution',
      restXmlError(
        'cloudfront',
        412,
        'PreconditionFailed',
        'The precondition given in one or more of the request-header fields evaluated to false.',
      ),
      distribution('E4RETRIEDETAG1', { status: 'InProgress' }),
    );
    wire.on(
      'cloudfront',
      'GetDistributionConfig',
      distributionConfig('E3SOMEONEELSE1', { priceClass: 'PriceClass_200' }),
    );
    // WHEN
    const { result } = await converge(distributionStep, givenContext({ recorded: recordOf(ID) }));
    // THEN
    expect(result).toMatchObject({ type: 'updated', outputs: { id: ID, status: 'InProgress' } });
    expect(wire.sent('cloudfront', 'UpdateDistribution').map((r) => r.headers['if-match'])).toEqual([
      'E2QWRUHAPOMQZL',
      'E3SOMEONEELSE1',
    ]);
  });

  it('finds the distribution an earlier attempt made (DistributionAlreadyExists, 409) by its tags and uses it', async () => {
    wire.on(
      'cloudfront',
      'CreateDistributionWithTags',
      restXmlError(
        'cloudfront',
        409,
        'DistributionAlreadyExists',
        `The caller reference that you are using to create a distribution is associated with another distribution. Already exists: ${ID}`,
      ),
    );
    wire.on('cloudfront', 'ListDistributions', distributionList([ourSummary]));
    wire.on('cloudfront', 'ListTagsForResource', tagsOf(OUR_TAGS));
    wire.on('cloudfront', 'GetDistribution', distribution('E2QWRUHAPOMQZL'));
    // WHEN
    const result = await distributionStep.apply(givenContext(), undefined, []);
    // THEN
    expect(result).toMatchObject({
      type: 'created',
      outputs: { id: ID, arn: ARN, domainName: 'd111111abcdef8.cloudfront.net' },
    });
    expect(wire.sent('cloudfront', 'CreateDistributionWithTags')[0]?.url).toBe('/2020-05-31/distribution?WithTags=');
  });

  it('counts a distribution already gone (NoSuchDistribution on GetDistribution) as removed', async () => {
    wire.on(
      'cloudfront',
      'GetDistribution',
      restXmlError('cloudfront', 404, 'NoSuchDistribution', 'The specified distribution does not exist.'),
    );
    // WHEN
    const outcome = await distributionStep.destroy(givenContext(), { id: ID } as never);
    // THEN
    expect(outcome).toBeUndefined();
    expect(wire.sent('cloudfront', 'DeleteDistribution')).toEqual([]);
  });
});

describe('CloudFront origin access control', () => {
  it('looks for a recorded OAC CloudFront no longer has (NoSuchOriginAccessControl, 404) by name, and finds it absent', async () => {
    wire.on(
      'cloudfront',
      'GetOriginAccessControl',
      restXmlError(
        'cloudfront',
        404,
        'NoSuchOriginAccessControl',
        'The specified origin access control does not exist.',
      ),
    );
    wire.on('cloudfront', 'ListOriginAccessControls', oacList([]));
    // WHEN
    const observed = await oacStep.read(givenContext({ recorded: recordOf(OAC_ID) }));
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('cloudfront', 'ListOriginAccessControls')).toHaveLength(1);
  });

  it('reads a recorded OAC with its ETag and plans nothing when it signs as hm-infra wants', async () => {
    wire.on(
      'cloudfront',
      'GetOriginAccessControl',
      xml(`<OriginAccessControl xmlns="${NS}">${oacXml(OAC_ID)}</OriginAccessControl>`, {
        headers: { etag: 'E1OACETAG00001' },
      }),
    );
    const ctx = givenContext({ recorded: recordOf(OAC_ID) });
    // WHEN
    const observed = await oacStep.read(ctx);
    // THEN
    expect(observed).toEqual({ id: OAC_ID, config: oacConfig(config), etag: 'E1OACETAG00001' });
    expect(oacStep.plan(ctx, observed)).toEqual([]);
  });

  it('uses the OAC of our name made meanwhile (OriginAccessControlAlreadyExists, 409), found by listing', async () => {
    wire.on(
      'cloudfront',
      'CreateOriginAccessControl',
      restXmlError(
        'cloudfront',
        409,
        'OriginAccessControlAlreadyExists',
        'An origin access control with the same name already exists.',
      ),
    );
    wire.on('cloudfront', 'ListOriginAccessControls', oacList([ourOacSummary('E1OTHERRUN0001')]));
    // WHEN
    const outcome = await oacStep.apply(givenContext(), undefined, []);
    // THEN
    expect(outcome).toEqual({
      type: 'unchanged',
      outputs: { id: 'E1OTHERRUN0001', name: 'healthmetrics-dev-uploads-oac' },
    });
  });

  it('stops at an OAC a distribution still uses (OriginAccessControlInUse, 409): OAC_IN_USE, after sending its ETag', async () => {
    wire.on(
      'cloudfront',
      'GetOriginAccessControl',
      xml(`<OriginAccessControl xmlns="${NS}">${oacXml(OAC_ID)}</OriginAccessControl>`, {
        headers: { etag: 'E1OACETAG00001' },
      }),
    );
    wire.on(
      'cloudfront',
      'DeleteOriginAccessControl',
      restXmlError(
        'cloudfront',
        409,
        'OriginAccessControlInUse',
        "Cannot delete this origin access control because it's in use by one or more origins.",
      ),
    );
    // WHEN
    const error = await failure(oacStep.destroy(givenContext(), { id: OAC_ID, name: 'healthmetrics-dev-uploads-oac' }));
    // THEN
    expect(error).toMatchObject({ code: 'OAC_IN_USE' });
    expect(wire.sent('cloudfront', 'DeleteOriginAccessControl')[0]?.headers['if-match']).toBe('E1OACETAG00001');
  });

  it('removes the OAC with the ETag it read (DeleteOriginAccessControl answers 204)', async () => {
    wire.on(
      'cloudfront',
      'GetOriginAccessControl',
      xml(`<OriginAccessControl xmlns="${NS}">${oacXml(OAC_ID)}</OriginAccessControl>`, {
        headers: { etag: 'E1OACETAG00001' },
      }),
    );
    wire.on('cloudfront', 'DeleteOriginAccessControl', empty(204));
    // WHEN
    await oacStep.destroy(givenContext(), { id: OAC_ID, name: 'healthmetrics-dev-uploads-oac' });
    // THEN
    expect(
      wire.sent('cloudfront', 'DeleteOriginAccessControl').map((r) => `${r.method} ${r.url} ${r.headers['if-match']}`),
    ).toEqual([`DELETE /2020-05-31/origin-access-control/${OAC_ID} E1OACETAG00001`]);
  });
});
