// Alloc names (`<job>.<group>[<index>]`): the index the reconciler orders and keeps allocs by.

/** The index in an alloc name ending `[<digits>]` (what /\[(\d+)\]$/ finds), else 0. */
export const nameIndex = (name: string): number => {
  const end = name.length - 1;
  if (end < 2 || name.charCodeAt(end) !== 93 /* ] */) return 0;
  let i = end - 1;
  while (i >= 0) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i--;
  }
  if (i === end - 1 || i < 0 || name.charCodeAt(i) !== 91 /* [ */) return 0;
  return Number(name.slice(i + 1, end));
};
