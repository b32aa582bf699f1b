// Which Nomad nomad-mock claims to be (`--nomad-version`), and the rules that differ between the
// versions it can be (state-semantics §0: 2.0.x is what the reference describes; 1.11.x was
// checked against v1.11.3).

export interface NomadVersion {
  /** As Nomad reports it (agent self, member tags, the `nomad.version` node attribute). */
  version: string;
  major: number;
  minor: number;
  patch: number;
}

/** The release lines nomad-mock can claim, with the release a bare `major.minor` stands for. */
export const NOMAD_LINES: Record<string, string> = { '1.11': '1.11.3', '2.0': '2.0.5' };

/** The version whose rules the reference notes describe. */
export const DEFAULT_NOMAD_VERSION = '2.0.5';

/** The claimed version, or an error text naming the accepted forms. */
export function parseNomadVersion(text: string): NomadVersion | string {
  const full = NOMAD_LINES[text] ?? text;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(full);
  if (!m || NOMAD_LINES[`${Number(m[1])}.${Number(m[2])}`] === undefined) {
    return `unsupported Nomad version ${JSON.stringify(text)} (one of ${Object.keys(NOMAD_LINES).map((l) => `${l}, ${l}.x`).join(', ')})`;
  }
  return { version: full, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export const defaultNomadVersion = (): NomadVersion => parseNomadVersion(DEFAULT_NOMAD_VERSION) as NomadVersion;

/**
 * 2.0's getJobStatus counts a non-terminal deployment as "running" (commit ff40ce9bb7, "Avoid
 * setting jobs as dead while being rescheduled"); 1.11 looks only at allocations and evaluations.
 */
export const deploymentMakesJobRunning = (v: NomadVersion): boolean => v.major >= 2;

/**
 * `WorkloadIdentity.ExtraClaims` (a job identity's `extra_claims`) came with 2.0.3 (hashicorp/nomad
 * #27786, backported to release/2.0.x only): 1.11 and 2.0.0–2.0.2 have no such field.
 */
export const identityHasExtraClaims = (v: NomadVersion): boolean =>
  v.major > 2 || (v.major === 2 && (v.minor > 0 || v.patch >= 3));
