// The compact JSON of a register's reply, spelled out: the reply has one shape, and JSON.stringify
// walks it as any object (a property lookup and a type dispatch per field) on every register. Only
// where the text is certainly the one JSON.stringify (and goJson) writes: strings of printable ASCII
// other than `"` and `\` (nothing to escape), safe integers, a boolean.
import type { WriteReply } from '../../state/jobs/ops.js';

function plain(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

const int = (n: unknown): n is number => Number.isSafeInteger(n);

/**
 * The compact JSON of a reply made by state/jobs/ops.ts writeReply (in its field order, the one
 * JSON.stringify follows), or undefined when a value needs JSON.stringify's care.
 */
export function writeReplyJson(r: WriteReply): string | undefined {
  if (!plain(r.EvalID) || !plain(r.Warnings) || !plain(r.NextToken)) return undefined;
  if (!int(r.EvalCreateIndex) || !int(r.JobModifyIndex) || !int(r.Index) || !int(r.LastContact) || typeof r.KnownLeader !== 'boolean') return undefined;
  return `{"EvalID":"${r.EvalID}","EvalCreateIndex":${r.EvalCreateIndex},"JobModifyIndex":${r.JobModifyIndex},"Warnings":"${r.Warnings}","Index":${r.Index},"LastContact":${r.LastContact},"KnownLeader":${r.KnownLeader},"NextToken":"${r.NextToken}"}`;
}
