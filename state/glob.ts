// ryanuber/go-glob, which Nomad uses for namespace ACL rules and job datacenters: `*` matches any
// run of characters (in linear time, no regular expression); nothing else is special.
export function globMatch(pattern: string, s: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === s;
  if (!s.startsWith(parts[0]!)) return false;
  let pos = parts[0]!.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const idx = s.indexOf(parts[i]!, pos);
    if (idx < 0) return false;
    pos = idx + parts[i]!.length;
  }
  const last = parts[parts.length - 1]!;
  return s.length - pos >= last.length && s.endsWith(last);
}
