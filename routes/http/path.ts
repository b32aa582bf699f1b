// The percent-decoded path of a request, as Go's r.URL.Path gives it to Nomad's handlers; a bad
// escape is Go's 400 "invalid URL escape".
import { HttpError } from './errors.js';

export function decodePath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const raw = q < 0 ? rawUrl : rawUrl.slice(0, q);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid URL escape');
  }
}
