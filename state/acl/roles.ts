// ACL roles (ACL.UpsertRoles / DeleteRolesByID / ListRoles / GetRoleBy*, nomad/structs/acl.go
// ACLRole): named sets of policies that tokens link to.
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';
import { aclTables } from './tables.js';
import { hashOf, identityTables, roleByName, ROLE_TABLE } from './identity-tables.js';

const VALID_ROLE_NAME = /^[a-zA-Z0-9-]{1,128}$/;
const MAX_DESCRIPTION = 256;

export interface RoleInput {
  ID: string;
  Name: string;
  Description: string;
  Policies: { Name: string }[];
}

export function roleStub(r: Obj): Obj {
  return { ID: r.ID, Name: r.Name, Description: r.Description, Policies: r.Policies, Hash: r.Hash, CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex };
}

/** ACL.UpsertRoles for one role: validation, then the existence checks, then the write. */
export function upsertRole(store: Store, input: RoleInput): { role: Obj; index: number } {
  const errors: string[] = [];
  if (!VALID_ROLE_NAME.test(input.Name)) errors.push(`invalid name '${input.Name}'`);
  if (input.Description.length > MAX_DESCRIPTION) errors.push(`description longer than ${MAX_DESCRIPTION}`);
  if (input.Policies.length < 1) errors.push('at least one policy should be specified');
  if (errors.length > 0) throw new RpcError(`role 0 invalid: ${formatMultiError(errors)}`, 400);
  const t = identityTables(store);
  let existing: Obj | undefined;
  if (input.ID === '') {
    if (roleByName(store, input.Name)) throw new RpcError(`role with name ${input.Name} already exists`, 400);
  } else {
    existing = t.roles.get(input.ID);
    if (!existing) throw new RpcError(`cannot find role ${input.ID}`, 400);
  }
  const policies = aclTables(store).policies;
  const links: Obj[] = [];
  for (const p of input.Policies) {
    if (!policies.has(p.Name)) throw new RpcError(`cannot find policy ${p.Name}`, 400);
    if (!links.some((l) => l.Name === p.Name)) links.push({ Name: p.Name });
  }
  // The state store's own check: renaming onto another role's name fails the Raft apply.
  const clash = roleByName(store, input.Name);
  if (existing && clash && clash.ID !== existing.ID) throw new RpcError(`ACL role with name ${input.Name} already exists`, 500);
  return store.write((tx) => {
    const role: Obj = {
      ID: existing ? existing.ID : store.newId(),
      Name: input.Name,
      Description: input.Description,
      Policies: links,
      Hash: hashOf(input.Name, input.Description, links.map((l) => l.Name)),
      CreateIndex: existing ? existing.CreateIndex : tx.index,
      ModifyIndex: tx.index,
    };
    t.roles.set(role.ID, role);
    t.indexes[ROLE_TABLE] = tx.index;
    tx.touch(ROLE_TABLE);
    tx.emit('ACLRole', role.ID, '', [role.Name], { ACLRole: role }, 'ACLRoleUpserted');
    return { role, index: tx.index };
  });
}

/** ACL.DeleteRolesByID for one ID; the state store refuses an unknown one. */
export function deleteRole(store: Store, id: string): { index: number } {
  const t = identityTables(store);
  const role = t.roles.get(id);
  if (!role) throw new RpcError('ACL role not found', 500);
  return store.write((tx) => {
    t.roles.delete(id);
    t.indexes[ROLE_TABLE] = tx.index;
    tx.touch(ROLE_TABLE);
    tx.emit('ACLRole', role.ID, '', [role.Name], { ACLRole: role }, 'ACLRoleDeleted');
    return { index: tx.index };
  });
}

/** Roles by ID (memdb's id index order), an ID prefix narrowing them; `only` limits to those IDs. */
export function listRoles(store: Store, prefix: string, only: Set<string> | null): Obj[] {
  return [...identityTables(store).roles.values()]
    .filter((r) => String(r.ID).startsWith(prefix) && (!only || only.has(r.ID)))
    .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))
    .map(roleStub);
}
