// JSON text as Nomad's encoders write it. Go's encoding/json and the codec Nomad's HTTP server uses
// both escape U+2028 and U+2029 (valid in JSON, line breaks to JavaScript); JSON.stringify leaves
// them as they are. A string with no character above U+00FF cannot hold either, and V8 answers
// that search without scanning, so the common answer pays nothing.

const SEPARATORS = /[\u2028\u2029]/g;
const escaped = (c: string): string => (c === '\u2028' ? '\\u2028' : '\\u2029');

/** Escapes the two separators in a text made by JSON.stringify (they can only occur inside its strings). */
export function goEscape(text: string): string {
  return text.indexOf('\u2028') === -1 && text.indexOf('\u2029') === -1 ? text : text.replace(SEPARATORS, escaped);
}

/** JSON.stringify with Go's escaping of U+2028 and U+2029. */
export function goJson(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space) as string | undefined;
  // undefined (nothing to write) stays undefined, as JSON.stringify gives it.
  return text === undefined ? (text as unknown as string) : goEscape(text);
}
