// Runtime configuration: embedded defaults, overridden by NOMAD_MOCK_* env vars, overridden by flags.

export interface Config {
  port: number;
  bind: string;
  logLevel: string;
  region: string;
}

export const DEFAULTS: Config = {
  port: 4646,
  bind: '127.0.0.1',
  logLevel: 'warn',
  region: 'global',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const FLAGS: { flag: string; env: string; key: keyof Config; help: string }[] = [
  { flag: '--port', env: 'NOMAD_MOCK_PORT', key: 'port', help: 'TCP port to listen on (0 picks a free one)' },
  { flag: '--bind', env: 'NOMAD_MOCK_BIND', key: 'bind', help: 'address to bind' },
  { flag: '--log-level', env: 'NOMAD_MOCK_LOG_LEVEL', key: 'logLevel', help: `one of ${LOG_LEVELS.join(', ')}` },
  { flag: '--region', env: 'NOMAD_MOCK_REGION', key: 'region', help: "the agent's region" },
];

export class ConfigError extends Error {}

function assign(cfg: Config, key: keyof Config, value: string, source: string): void {
  if (key === 'port') {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65535) throw new ConfigError(`${source}: invalid port ${JSON.stringify(value)}`);
    cfg.port = n;
  } else if (key === 'logLevel') {
    if (!LOG_LEVELS.includes(value)) throw new ConfigError(`${source}: invalid log level ${JSON.stringify(value)}`);
    cfg.logLevel = value;
  } else {
    if (value === '') throw new ConfigError(`${source}: empty value`);
    cfg[key] = value;
  }
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config | 'help' {
  const cfg: Config = { ...DEFAULTS };
  for (const f of FLAGS) {
    const v = env[f.env];
    if (v !== undefined && v !== '') assign(cfg, f.key, v, f.env);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const f = FLAGS.find((x) => x.flag === name);
    if (!f) throw new ConfigError(`unknown flag ${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${name} needs a value`);
    assign(cfg, f.key, value, name);
  }
  return cfg;
}

export function helpText(): string {
  const rows = FLAGS.map((f) => `  ${`${f.flag} <value>`.padEnd(22)} ${f.help} (env ${f.env}, default ${String(DEFAULTS[f.key])})`);
  return ['Usage: nomad-mock [flags]', '', 'A stateful emulator of the Nomad Jobs HTTP API.', '', 'Flags:', ...rows, '  --help                 show this help', ''].join('\n');
}
