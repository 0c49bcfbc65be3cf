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

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** Replaces the value of every `token` query parameter (however its name is encoded) in a request path. */
export function redactQueryToken(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const hash = path.indexOf('#', q);
  const query = path.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return decodedName(name) === 'token' ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${path.slice(0, q + 1)}${redacted}${hash < 0 ? '' : path.slice(hash)}`;
}
