// Nomad's DesiredDescription texts for the allocs a scheduler pass stops (scheduler/reconcile_util.go).
export const DesiredText = {
  notNeeded: 'alloc not needed due to job update',
  updating: 'alloc is being updated due to job update',
  rescheduled: 'alloc was rescheduled because it failed',
  lost: 'alloc is lost since its node is down',
  migrating: 'alloc is being migrated',
  nodeTainted: 'alloc not needed as node is tainted',
} as const;
