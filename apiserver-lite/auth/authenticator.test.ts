import { describe, expect, it } from 'vitest';
import { authenticate, type TokenLookup } from './authenticator.js';
import type { UserInfo } from './user-info.js';

const alice: UserInfo = { name: 'alice', groups: ['system:authenticated'] };
const tokens: TokenLookup = { lookup: (t) => (t === 'good-token' ? alice : undefined) };

describe('authenticate', () => {
  it.each([
    { name: 'a Bearer token', header: 'Bearer good-token', want: alice },
    { name: 'a lower-case scheme', header: 'bearer good-token', want: alice },
    { name: 'extra blanks around the token', header: '  Bearer   good-token  ', want: alice },
    { name: 'no header', header: undefined, want: undefined },
    { name: 'an empty header', header: '', want: undefined },
    { name: 'a scheme without a token', header: 'Bearer', want: undefined },
    { name: 'a scheme with a blank token', header: 'Bearer   ', want: undefined },
    { name: 'an unknown token', header: 'Bearer bad-token', want: undefined },
    { name: 'Basic credentials', header: `Basic ${Buffer.from('alice:good-token').toString('base64')}`, want: undefined },
    { name: 'the bare token without a scheme', header: 'good-token', want: undefined },
    { name: 'two tokens', header: 'Bearer good-token good-token', want: undefined },
    { name: 'a token glued to the scheme', header: 'Bearergood-token', want: undefined },
  ])('$name', ({ header, want }) => {
    expect(authenticate(header, tokens)).toEqual(want);
  });
});
