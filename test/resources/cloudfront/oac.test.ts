import {
  CloudFrontClient,
  CreateOriginAccessControlCommand,
  DeleteOriginAccessControlCommand,
  GetOriginAccessControlCommand,
  ListOriginAccessControlsCommand,
  UpdateOriginAccessControlCommand,
} from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmError } from '../../../src/errors.js';
import { oacConfig, oacStep } from '../../../src/resources/cloudfront/oac.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const cf = mockClient(CloudFrontClient);
const NAME = 'healthmetrics-dev-uploads-oac';

function givenOacs(...pages: Array<Array<{ Id: string; Name: string; SigningBehavior?: string }>>) {
  const list = cf.on(ListOriginAccessControlsCommand);
  pages.forEach((items, i) => {
    const last = i === pages.length - 1;
    list.resolvesOnce({
      OriginAccessControlList: {
        Marker: '',
        MaxItems: 100,
        Quantity: items.length,
        IsTruncated: !last,
        ...(last ? {} : { NextMarker: `page-${i + 1}` }),
        Items: items.map((item) => ({ ...oacConfig(givenConfig()), Description: '', ...item })) as never,
      },
    });
  });
}

describe('origin access control step', () => {
  beforeEach(() => cf.reset());

  it('creates the OAC of docs/resources.md when none has its name, saying so first', async () => {
    givenOacs([{ Id: 'EOTHER', Name: 'someone-elses-oac' }]);
    cf.on(CreateOriginAccessControlCommand).resolves({
      OriginAccessControl: { Id: 'ENEW', OriginAccessControlConfig: oacConfig(givenConfig()) },
      ETag: 'E1',
    });
    const ctx = givenStepContext();
    // WHEN
    const { result } = await converge(oacStep, ctx);
    // THEN
    expect(result).toEqual({ type: 'created', outputs: { id: 'ENEW', name: NAME } });
    expect(cf).toHaveReceivedCommandWith(CreateOriginAccessControlCommand, {
      OriginAccessControlConfig: expect.objectContaining({
        Name: NAME,
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    });
    expect(ctx.intents).toEqual([{ create: NAME }]);
  });

  it('finds an existing OAC by name on a later page and leaves it alone', async () => {
    givenOacs([{ Id: 'EOTHER', Name: 'other' }], [{ Id: 'EOURS', Name: NAME }]);
    // WHEN
    const { result } = await converge(oacStep, givenStepContext());
    // THEN
    expect(result).toEqual({ type: 'unchanged', outputs: { id: 'EOURS', name: NAME } });
    expect(cf.commandCalls(ListOriginAccessControlsCommand)[1]?.args[0].input).toMatchObject({ Marker: 'page-1' });
    expect(cf).not.toHaveReceivedCommand(CreateOriginAccessControlCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateOriginAccessControlCommand);
  });

  it('reads the recorded OAC by id, and looks by name when it is gone', async () => {
    cf.on(GetOriginAccessControlCommand).rejects(awsError('cloudfront', 'NoSuchOriginAccessControl'));
    givenOacs([{ Id: 'EOURS', Name: NAME }]);
    const ctx = givenStepContext({
      recorded: { status: 'created', owned: true, outputs: { id: 'EGONE', name: NAME }, updatedAt: '' },
    });
    // WHEN
    const observed = await oacStep.read(ctx);
    // THEN
    expect(cf).toHaveReceivedCommandWith(GetOriginAccessControlCommand, { Id: 'EGONE' });
    expect(observed?.id).toBe('EOURS');
  });

  it('puts a changed signing behaviour back with the ETag it read', async () => {
    cf.on(GetOriginAccessControlCommand).resolves({
      OriginAccessControl: {
        Id: 'EOURS',
        OriginAccessControlConfig: { ...oacConfig(givenConfig()), SigningBehavior: 'no-override' },
      },
      ETag: 'E7',
    });
    cf.on(UpdateOriginAccessControlCommand).resolves({});
    const ctx = givenStepContext({
      recorded: { status: 'created', owned: true, outputs: { id: 'EOURS', name: NAME }, updatedAt: '' },
    });
    // WHEN
    const { changes, result } = await converge(oacStep, ctx);
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['SigningBehavior', 'no-override', 'always']]);
    expect(result.type).toBe('updated');
    expect(cf).toHaveReceivedCommandWith(UpdateOriginAccessControlCommand, {
      Id: 'EOURS',
      IfMatch: 'E7',
      OriginAccessControlConfig: expect.objectContaining({ SigningBehavior: 'always', Name: NAME }),
    });
  });

  it('reads again and retries once when the ETag went stale', async () => {
    cf.on(GetOriginAccessControlCommand)
      .resolvesOnce({
        OriginAccessControl: {
          Id: 'EOURS',
          OriginAccessControlConfig: {
            ...oacConfig(givenConfig()),
            SigningProtocol: 'sigv4',
            SigningBehavior: 'never',
          },
        },
        ETag: 'E1',
      })
      .resolves({
        OriginAccessControl: {
          Id: 'EOURS',
          OriginAccessControlConfig: { ...oacConfig(givenConfig()), SigningBehavior: 'never' },
        },
        ETag: 'E2',
      });
    cf.on(UpdateOriginAccessControlCommand).rejectsOnce(awsError('cloudfront', 'PreconditionFailed')).resolves({});
    const ctx = givenStepContext({
      recorded: { status: 'created', owned: true, outputs: { id: 'EOURS', name: NAME }, updatedAt: '' },
    });
    // WHEN
    await converge(oacStep, ctx);
    // THEN
    expect(cf.commandCalls(UpdateOriginAccessControlCommand).map((c) => c.args[0].input.IfMatch)).toEqual(['E1', 'E2']);
  });

  it('adopts the OAC that appeared between the check and the create', async () => {
    givenOacs([], [{ Id: 'ERACE', Name: NAME }]);
    cf.on(CreateOriginAccessControlCommand).rejects(awsError('cloudfront', 'OriginAccessControlAlreadyExists'));
    // WHEN
    const { result } = await converge(oacStep, givenStepContext());
    // THEN
    expect(result).toEqual({ type: 'unchanged', outputs: { id: 'ERACE', name: NAME } });
  });

  it('refuses to delete an OAC a distribution still uses, and says what to do', async () => {
    cf.on(GetOriginAccessControlCommand).resolves({
      OriginAccessControl: { Id: 'EOURS', OriginAccessControlConfig: oacConfig(givenConfig()) },
      ETag: 'E3',
    });
    cf.on(DeleteOriginAccessControlCommand).rejects(awsError('cloudfront', 'OriginAccessControlInUse'));
    // WHEN
    const error = await oacStep.destroy(givenStepContext(), { id: 'EOURS', name: NAME }).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(HmError);
    expect((error as HmError).code).toBe('OAC_IN_USE');
    expect(cf).toHaveReceivedCommandWith(DeleteOriginAccessControlCommand, { Id: 'EOURS', IfMatch: 'E3' });
  });
});
