/** Keeps secrets out of logs: passwords in service URLs and tokens in request URLs. */

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Replaces the value of every `token` query parameter in a request path. */
export function redactQueryToken(path: string): string {
  return path.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
