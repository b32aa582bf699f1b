// The start-up banner: the effective settings a user would otherwise have to work out from flags,
// env vars and defaults, printed once the server listens (as `nomad agent` prints its configuration).
import type { Config } from './config.js';
import { usePretty } from './log-output.js';

export interface BannerFacts {
  version: string;
  address: string;
  nodes: number;
  isTTY: boolean;
}

export function banner(cfg: Config, facts: BannerFacts): string {
  const clock = cfg.clock === 'manual' ? 'manual (moves only through the control API)' : `scaled, ${cfg.timeScale}× the wall clock`;
  const control = !cfg.control ? 'off' : cfg.controlToken ? `${facts.address}/_mock/ (token required)` : `${facts.address}/_mock/ (open, no token)`;
  const rows: [string, string][] = [
    ['Nomad API', `${cfg.nomadVersion}, region ${cfg.region}`],
    ['Nodes', cfg.simulate ? `${facts.nodes} simulated (${cfg.datacenters}, pool ${cfg.nodePool})` : 'none (--simulate false: a bare store)'],
    ['Clock', `${clock}${cfg.clockStart ? `, from ${cfg.clockStart}` : ''}`],
    ['ACL', cfg.acl ? 'enabled (bootstrap with POST /v1/acl/bootstrap)' : 'disabled'],
    ['Data dir', cfg.dataDir || 'none (state lives in memory)'],
    ['Control API', control],
    ['Web UI', cfg.ui ? `${facts.address}/ui/` : 'off (--ui false)'],
    ['Log', `${cfg.logLevel}, ${usePretty(cfg.logFormat, facts.isTTY) ? 'pretty' : 'json'}`],
  ];
  if (cfg.seed) rows.push(['Seed', cfg.seed]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `nomad-mock listening on ${facts.address} (region ${cfg.region})`,
    `==> nomad-mock ${facts.version} configuration:`,
    ...rows.map(([k, v]) => `  ${k.padStart(width)}: ${v}`),
    '',
  ].join('\n');
}
