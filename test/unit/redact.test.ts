import { describe, expect, it } from 'vitest';
import { redactQueryToken, redactUrl } from '../../src/redact.js';

describe('redaction', () => {
  it('hides every token query parameter, however its name is written', () => {
    expect(redactQueryToken('/ws/p?token=secret')).toBe('/ws/p?token=[redacted]');
    expect(redactQueryToken('/ws/p?a=1&%74oken=secret&b=2')).toBe('/ws/p?a=1&%74oken=[redacted]&b=2');
    expect(redactQueryToken('/ws/p?TOKEN=secret#frag')).toBe('/ws/p?TOKEN=[redacted]#frag');
    expect(redactQueryToken('/ws/p?token=a&token=b')).not.toMatch(/=a|=b/);
    expect(redactQueryToken('/ws/p?tokenish=keep')).toBe('/ws/p?tokenish=keep');
    expect(redactQueryToken('/ws/p')).toBe('/ws/p');
    expect(redactQueryToken('/ws/p?%E0%A4%A=1')).toBe('/ws/p?%E0%A4%A=1');
  });
  it('hides a password in a service URL', () => {
    expect(redactUrl('postgres://u:pw@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('not a url')).toBe('(unparseable URL)');
  });
});
