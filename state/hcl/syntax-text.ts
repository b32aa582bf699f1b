// The text of HCL strings and templates: `~` strip markers, quoted-string escapes, heredoc escapes.
import type { TemplatePart } from './ast.js';

export function trimFirst(parts: TemplatePart[]): void {
  const p = parts[0];
  if (p?.kind === 'lit') p.text = p.text.replace(/^\s+/, '');
}
export function trimLast(parts: TemplatePart[]): void {
  const p = parts[parts.length - 1];
  if (p?.kind === 'lit') p.text = p.text.replace(/\s+$/, '');
}

/** `~` strip markers remove the whitespace next to an interpolation or directive. */
export function applyStrip(parts: TemplatePart[]): TemplatePart[] {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.kind === 'lit') continue;
    const prev = parts[i - 1];
    const next = parts[i + 1];
    if (p.stripLeft && prev?.kind === 'lit') prev.text = prev.text.replace(/\s+$/, '');
    if (p.stripRight && next?.kind === 'lit') next.text = next.text.replace(/^\s+/, '');
  }
  return parts.filter((p) => p.kind !== 'lit' || p.text !== '');
}

/** Escapes of a quoted string: `\n \r \t \" \\ \uNNNN \UNNNNNNNN`, plus `$${` and `%%{`. */
export function unescapeQuoted(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[i + 1]!;
      i++;
      switch (n) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'u': out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 5), 16)); i += 4; break;
        case 'U': out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 9), 16)); i += 8; break;
        default: out += '\\' + n;
      }
      continue;
    }
    if ((c === '$' || c === '%') && raw[i + 1] === c && raw[i + 2] === '{') {
      out += c + '{';
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

/** Heredoc text: only the `$${` and `%%{` escapes apply. */
export function unescapeTemplate(raw: string): string {
  return raw.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}
