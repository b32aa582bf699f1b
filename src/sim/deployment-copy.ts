// Copies of deployments and their group states, spelled field by field. The records reach the
// simulator on many hidden classes (built by the scheduler, stamped by the store, parsed back from a
// data dir), so a spread of them goes megamorphic and V8 clones through its runtime at several times
// the cost of a key walk plus a spelled copy (state/records.ts copies the store's records this way).
// A record of any other shape (an older data dir's, a field added elsewhere) takes the spread, so the
// copy is always the same record, key order included.
import type { Obj } from '../../state/types.js';

/** Whether `o`'s enumerable keys are exactly `fields`, in that order. */
function hasFields(o: Obj, fields: readonly string[]): boolean {
  let i = 0;
  for (const k in o) {
    if (k !== fields[i]) return false;
    i++;
  }
  return i === fields.length;
}

// The order new-records.ts builds them in, which the store's stampDeployment keeps.
const DEPLOYMENT_FIELDS: readonly string[] = ['ID', 'Namespace', 'JobID', 'JobVersion', 'JobModifyIndex', 'JobSpecModifyIndex', 'JobCreateIndex', 'IsMultiregion', 'TaskGroups', 'Status', 'StatusDescription', 'EvalPriority', 'CreateIndex', 'ModifyIndex', 'CreateTime', 'ModifyTime'];
const GROUP_STATE_FIELDS: readonly string[] = ['AutoRevert', 'AutoPromote', 'ProgressDeadline', 'RequireProgressBy', 'Promoted', 'PlacedCanaries', 'DesiredCanaries', 'DesiredTotal', 'PlacedAllocs', 'HealthyAllocs', 'UnhealthyAllocs'];

/** `{ ...d, TaskGroups: groups }`. */
export function deploymentWithGroups(d: Obj, groups: Obj): Obj {
  if (!hasFields(d, DEPLOYMENT_FIELDS)) return { ...d, TaskGroups: groups };
  return {
    ID: d.ID,
    Namespace: d.Namespace,
    JobID: d.JobID,
    JobVersion: d.JobVersion,
    JobModifyIndex: d.JobModifyIndex,
    JobSpecModifyIndex: d.JobSpecModifyIndex,
    JobCreateIndex: d.JobCreateIndex,
    IsMultiregion: d.IsMultiregion,
    TaskGroups: groups,
    Status: d.Status,
    StatusDescription: d.StatusDescription,
    EvalPriority: d.EvalPriority,
    CreateIndex: d.CreateIndex,
    ModifyIndex: d.ModifyIndex,
    CreateTime: d.CreateTime,
    ModifyTime: d.ModifyTime,
  };
}

/** `{ ...s }`: a deployment's group state, to be changed by the caller. */
export function copyGroupState(s: Obj): Obj {
  if (!hasFields(s, GROUP_STATE_FIELDS)) return { ...s };
  return {
    AutoRevert: s.AutoRevert,
    AutoPromote: s.AutoPromote,
    ProgressDeadline: s.ProgressDeadline,
    RequireProgressBy: s.RequireProgressBy,
    Promoted: s.Promoted,
    PlacedCanaries: s.PlacedCanaries,
    DesiredCanaries: s.DesiredCanaries,
    DesiredTotal: s.DesiredTotal,
    PlacedAllocs: s.PlacedAllocs,
    HealthyAllocs: s.HealthyAllocs,
    UnhealthyAllocs: s.UnhealthyAllocs,
  };
}

/**
 * `{ ...groups, [name]: state }` where `name` is already one of `groups`' keys (a deployment's
 * groups keep their order when one is replaced); a group new to them goes last, as in the spread.
 */
export function groupsWith(groups: Obj, name: string, state: Obj): Obj {
  const out: Obj = {};
  for (const k in groups) {
    if (!Object.hasOwn(groups, k)) continue;
    // An assignment to this key would set the copy's prototype: the spread defines it as a field.
    if (k === '__proto__') return { ...groups, [name]: state };
    out[k] = k === name ? state : groups[k];
  }
  if (!Object.hasOwn(out, name)) return { ...groups, [name]: state };
  return out;
}
