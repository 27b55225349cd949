/**
 * IAM's DeleteUser as AWS refuses it: moto deletes a user that still has access keys (it does
 * check inline and attached policies); AWS answers DeleteConflict (409) until the keys are
 * gone, which is what a teardown's order has to get right.
 */
import { xmlServiceError } from './errors.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import type { WireResponse } from './wire.js';
import { children, find, parseXml } from './xml.js';

const form = (params: Record<string, string>) => new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();

export class IamLayer implements ServiceLayer {
  reset(): void {}

  handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    return x.operation === 'DeleteUser' ? this.deleteUser(x, moto) : moto.forward(x.req);
  }

  /** How many access keys moto holds for the user (0 when it cannot tell). */
  private async accessKeys(x: Exchange, moto: Upstream, userName: string): Promise<number> {
    const res = await moto.call(x, 'iam', 'POST', '/', {
      body: form({ Action: 'ListAccessKeys', UserName: userName }),
    });
    if (res.status !== 200) return 0;
    try {
      return children(find(parseXml(res.body), 'ListAccessKeysResult', 'AccessKeyMetadata'), 'member').length;
    } catch {
      return 0;
    }
  }

  private async deleteUser(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const userName = new URLSearchParams(x.req.body.toString('utf8')).get('UserName') ?? '';
    if ((await this.accessKeys(x, moto, userName)) > 0) {
      return xmlServiceError('iam', 409, 'DeleteConflict', 'Cannot delete entity, must delete access keys first.');
    }
    return moto.forward(x.req);
  }
}
