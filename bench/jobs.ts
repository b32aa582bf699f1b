// The job bodies the benchmarks register.

/** The web job of the throughput figures: a service group of 2 docker tasks (as a README example). */
export function webJob(id: string, meta = 'platform'): string {
  return JSON.stringify({
    Job: {
      ID: id,
      Datacenters: ['dc1'],
      TaskGroups: [
        {
          Name: 'web',
          Count: 2,
          Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] }, Resources: { CPU: 200, MemoryMB: 128 } }],
        },
      ],
      Meta: { team: meta },
    },
  });
}

/** A small service job of `count` allocs, sized so thousands fit on the big nodes of `BIG_NODES`. */
export function smallJob(id: string, count = 1): string {
  return JSON.stringify({
    Job: {
      ID: id,
      TaskGroups: [{ Name: 'app', Count: count, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 10, MemoryMB: 10 } }] }],
    },
  });
}

/** Node flags for clusters that must hold 100,000 small allocs: capacity is never the limit. */
export const bigNodes = (n: number): string[] => ['--nodes', String(n), '--node-cpu', '1000000', '--node-memory', '1000000'];
