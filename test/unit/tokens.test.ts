import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestMatches, hashToken, issueToken, tokenUser } from '../../src/live/tokens.js';

const secretPart = (token: string) => token.slice(token.lastIndexOf('.') + 1);

describe('issueToken', () => {
  it('carries at least 128 random bits', () => {
    const { token } = issueToken('alice');
    const secret = Buffer.from(secretPart(token), 'base64url');
    expect(secret.length * 8).toBeGreaterThanOrEqual(128);
    expect(secretPart(token)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('never repeats a secret and spreads its bits', () => {
    const secrets = Array.from({ length: 2000 }, () => secretPart(issueToken('alice').token));
    expect(new Set(secrets).size).toBe(secrets.length);
    // Every bit position of the 128-bit secret is set in roughly half the tokens.
    const ones = new Array<number>(128).fill(0);
    for (const s of secrets) {
      const b = Buffer.from(s, 'base64url');
      for (let bit = 0; bit < 128; bit++) if ((b[bit >> 3]! >> (bit & 7)) & 1) ones[bit]!++;
    }
    for (const n of ones) {
      expect(n).toBeGreaterThan(secrets.length * 0.4);
      expect(n).toBeLessThan(secrets.length * 0.6);
    }
  });

  it('gives two players of the same name different tokens', () => {
    expect(issueToken('bob').token).not.toBe(issueToken('bob').token);
  });

  it('stores only the SHA-256 hex digest of the token', () => {
    const { token, hash } = issueToken('alice');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hash).toBe(hashToken(token));
    expect(hash).not.toContain(secretPart(token));
  });
});

describe('tokenUser', () => {
  it.each([
    ['ascii', 'alice'],
    ['one character', 'a'],
    ['spaces and punctuation', 'Dr. Who? (the 13th) #1'],
    ['accents', 'Zoë Ørsted-Ñúñez'],
    ['CJK', '東京の太郎'],
    ['emoji', '🦊 fox 🎉'],
    ['a dot', 'first.last'],
    ['64 ASCII characters', 'x'.repeat(64)],
    ['64 CJK characters', '東'.repeat(64)],
  ])('round-trips a user id: %s', (_label, userId) => {
    expect(tokenUser(issueToken(userId).token)).toBe(userId);
  });

  it('round-trips a user id of 64 emoji (the API accepts up to 64 characters)', () => {
    const userId = '😀'.repeat(64);
    expect([...userId]).toHaveLength(64);
    expect(tokenUser(issueToken(userId).token)).toBe(userId);
  });

  it('round-trips any user id of 1 to 64 characters (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 64 }), (userId) => {
        expect(tokenUser(issueToken(userId).token)).toBe(userId);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 32 }), (userId) => {
        // Lone surrogates cannot be encoded as UTF-8; the API never accepts them either.
        fc.pre(userId === Buffer.from(userId, 'utf8').toString('utf8'));
        expect(tokenUser(issueToken(userId).token)).toBe(userId);
      }),
    );
  });

  const secret = 'A'.repeat(22);
  const user = Buffer.from('alice').toString('base64url');
  it.each([
    ['empty', ''],
    ['no dot', `${user}${secret}`],
    ['empty user part', `.${secret}`],
    ['empty secret', `${user}.`],
    ['short secret', `${user}.${'A'.repeat(21)}`],
    ['long secret', `${user}.${'A'.repeat(23)}`],
    ['standard base64 characters', `${user}.${'A'.repeat(20)}+/`],
    ['padding', `${user}=.${secret}`],
    ['two dots', `${user}.${user}.${secret}`],
    ['spaces', ` ${user}.${secret}`],
    ['trailing newline', `${user}.${secret}\n`],
    ['user id over 64 characters', `${Buffer.from('x'.repeat(65)).toString('base64url')}.${secret}`],
    ['huge input', `${'A'.repeat(5000)}.${secret}`],
    ['a JWT-looking string', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
  ])('rejects a malformed token: %s', (_label, token) => {
    expect(tokenUser(token)).toBeNull();
  });
});

describe('digestMatches', () => {
  const { token, hash } = issueToken('alice');

  it('is true for the token whose digest is stored', () => {
    expect(digestMatches(token, hash)).toBe(true);
  });

  it('is false for another token, even of the same user', () => {
    expect(digestMatches(issueToken('alice').token, hash)).toBe(false);
    expect(digestMatches(`${token}x`, hash)).toBe(false);
    expect(digestMatches('', hash)).toBe(false);
  });

  it('is false when nothing is stored', () => {
    expect(digestMatches(token, null)).toBe(false);
    expect(digestMatches(token, '')).toBe(false);
  });

  it('is false for a stored value that is not a SHA-256 hex digest', () => {
    expect(digestMatches(token, hash.slice(0, 63))).toBe(false);
    expect(digestMatches(token, `${hash}00`)).toBe(false);
    expect(digestMatches(token, token)).toBe(false);
  });

  it('accepts the digest in either case of hex digits', () => {
    expect(digestMatches(token, hash.toUpperCase())).toBe(true);
  });
});
