// host.MakeHostData for the machine nomad-mock runs on: uname, IPv4 interface addresses as
// go-sockaddr describes them, resolv.conf, hosts, the environment (secrets redacted) and the root
// file system's usage.
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

/** Nomad's DefaultEnvDenyList; any name containing TOKEN or SECRET is redacted too. */
const REDACT = new Set(['CONSUL_TOKEN', 'CONSUL_HTTP_TOKEN', 'VAULT_TOKEN', 'NOMAD_LICENSE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS']);
/** Stricter than Nomad, as a mock should never hand out its host's credentials. */
const ALSO_REDACT = /PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|AUTH/;

async function slurp(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return `open ${path}: no such file or directory`;
  }
}

function environment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    const up = k.toUpperCase();
    env[k] = REDACT.has(k) || up.includes('TOKEN') || up.includes('SECRET') || ALSO_REDACT.test(up) ? '<redacted>' : (v ?? '');
  }
  return env;
}

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** go-sockaddr's attributes of one IPv4 interface address. */
function ipv4Attrs(address: string, cidr: string): Record<string, string> {
  const bits = Number(cidr.split('/')[1] ?? 32);
  const ip = toInt(address);
  const size = 2 ** (32 - bits);
  const network = Math.floor(ip / size) * size;
  const broadcast = network + size - 1;
  return {
    DialPacket: '"udp4" ""',
    DialStream: '"tcp4" ""',
    ListenPacket: '"udp4" ""',
    ListenStream: '"tcp4" ""',
    address,
    binary: ip.toString(2).padStart(32, '0'),
    broadcast: toIp(broadcast),
    first_usable: toIp(bits >= 31 ? network : network + 1),
    hex: ip.toString(16).padStart(8, '0'),
    host: `${address}`,
    last_usable: toIp(bits >= 31 ? broadcast : broadcast - 1),
    mask_bits: String(bits),
    netmask: toIp(bits === 0 ? 0 : (2 ** 32 - 2 ** (32 - bits))),
    network: toIp(network),
    octets: address.split('.').join(' '),
    port: '0',
    size: String(size),
    string: `${address}/${bits}`,
    type: 'IPv4',
    uint32: String(ip),
  };
}

export async function hostData(): Promise<Record<string, unknown>> {
  const network: Record<string, string>[] = [];
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && a.cidr) network.push(ipv4Attrs(a.address, a.cidr));
  }
  const disk: Record<string, { DiskMB: number; UsedMB: number }> = {};
  try {
    const s = await statfs('/');
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    disk['/'] = { DiskMB: Math.floor(total / 1048576), UsedMB: Math.floor((total - free) / 1048576) };
  } catch {
    // Nomad skips paths it cannot stat.
  }
  return {
    OS: `${os.machine()} ${os.hostname()} ${os.release()} ${os.type()} ${os.version()}`,
    Network: network,
    ResolvConf: await slurp('/etc/resolv.conf'),
    Hosts: await slurp('/etc/hosts'),
    Environment: environment(),
    Disk: disk,
  };
}
