import { describe, expect, it } from 'vitest';
import { resolverAddress } from '../../src/checks/dns-resolver.js';

describe('verify-dns --resolver', () => {
  it.each(['1.1.1.1', '127.0.0.1:5353', '2606:4700:4700::1111', '[2606:4700:4700::1111]:53', '[::1]'])(
    'takes %s, a form node:dns takes',
    (text) => {
      expect(resolverAddress(text)).toBe(text);
    },
  );

  it.each(['ns1.example.com', '1.1.1', '127.0.0.1:0', '127.0.0.1:70000', '[1.1.1.1]:53', '::1:53:x', '127.0.0.1:'])(
    'refuses %s',
    (text) => {
      expect(resolverAddress(text)).toBeUndefined();
    },
  );
});
