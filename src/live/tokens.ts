/**
 * Player tokens: `<base64url(user_id)>.<128 random bits>`. Only a SHA-256 of the token is
 * stored; checks compare digests in constant time. The user id inside is not a secret
 * (it is in every `players[]`); it tells the server which stored digest to compare with.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function issueToken(userId: string): { token: string; hash: string } {
  const token = `${Buffer.from(userId, 'utf8').toString('base64url')}.${randomBytes(16).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

/** The user id a token claims to be for, or null when it is not shaped like one of ours. */
export function tokenUser(token: string): string | null {
  if (token.length > 400) return null;
  const m = /^([A-Za-z0-9_-]{1,360})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const userId = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const length = [...userId].length; // code points, as the API's maxLength counts them
  return length >= 1 && length <= 64 ? userId : null;
}

/** Constant-time comparison of a presented secret against a stored SHA-256 hex digest. */
export function digestMatches(presented: string, storedHexDigest: string | null): boolean {
  if (!storedHexDigest || !/^[0-9a-f]{64}$/i.test(storedHexDigest)) return false;
  const a = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, Buffer.from(storedHexDigest, 'hex'));
}
