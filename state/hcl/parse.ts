// HCL2 jobspec → Nomad API Job, as jobspec2.ParseWithConfig does for `/v1/jobs/parse`: the file
// holds `variable`/`variables`/`locals` blocks and exactly one `job` block; the request's
// `Variables` are a variables file; `Canonicalize` applies the API struct's defaults afterwards.
import type { Body } from './ast.js';
import { canonicalizeJob } from './canonicalize.js';
import { Decoder } from './decode.js';
import { zeroStruct, type Obj } from './zero.js';
import { FILENAME, HclError, check, diag, rangeString, type Diagnostic } from './diag.js';
import type { EvalContext } from './eval.js';
import { functions } from './functions.js';
import { normalizeJob } from './normalize.js';
import { parseFile } from './syntax.js';
import { loadParser } from './grammar.js';
import { object, type Value } from './value.js';
import { Variables } from './variables.js';

export interface ParseOptions {
  /** HCL variables-file content (`Variables` of the request). */
  variables?: string;
  /** Apply the API struct's Canonicalize (`Canonicalize` of the request). */
  canonicalize?: boolean;
  /** The name diagnostics give the jobspec: Nomad's `/v1/jobs/parse` says `input.hcl`, a job file its path. */
  filename?: string;
}

const TOP_LEVEL: Record<string, number> = { variables: 0, variable: 1, locals: 0, job: 1 };

/** Parses a jobspec; HCL errors throw HclError (its message is Nomad's diagnostics text). */
export async function parseJobspec(src: string, opts: ParseOptions = {}): Promise<Obj> {
  const parser = await loadParser();
  const body = parseFile(parser, src, opts.filename ?? FILENAME);
  let varsBody: Body | null = null;
  if (opts.variables) varsBody = parseFile(parser, opts.variables, FILENAME);

  const diags: Diagnostic[] = [];
  topLevelContent(body, diags);
  check(diags);

  const vars = new Variables(src);
  vars.declare(body);
  if (varsBody) vars.assign(varsBody, opts.variables!);
  const funcs = functions();
  const values = vars.values(funcs);
  check(vars.diags);
  const ctxFor = (locals: Map<string, Value>): EvalContext => ({
    src,
    vars: new Map([
      ['var', object(values)],
      ['local', object(locals)],
    ]),
    funcs,
    keepUnknown: true,
  });
  const locals = vars.evaluateLocals(body, ctxFor);
  check(vars.diags);
  const ctx = ctxFor(locals);

  const decoder = new Decoder();
  const jobs = body.blocks.filter((b) => b.type === 'job');
  if (jobs.length === 0) throw new HclError([diag('Missing job block', 'A job block is required')]);
  let jobId = '';
  const job = zeroStruct('Job');
  let vault: Obj | null = null;
  const tasks: Obj[] = [];
  for (const [i, b] of jobs.entries()) {
    if (i > 0) {
      decoder.diags.push(diag('Duplicate job block', `Only one block of type "job" is allowed. Previous definition was at ${rangeString(jobs[0]!.defRange)}.`, b.defRange));
      continue;
    }
    jobId = b.labels[0]!;
    const meta = decoder.metaAttribute(b.body, ctx);
    const extras = decoder.expandDynamic(b.body, ctx, new Set(['vault', 'task']));
    for (const x of extras) {
      if (x.block.type === 'vault') {
        if (vault) {
          decoder.diags.push(diag('Duplicate vault block', `Only one block of type "vault" is allowed. Previous definition was at ${rangeString(extras.find((e) => e.block.type === 'vault')!.block.defRange)}.`, x.block.defRange));
          continue;
        }
        if (!decoder.checkLabels(x.block, 0)) continue;
        vault = zeroStruct('Vault');
        decoder.decodeBody(x.block.body, x.ctx, 'Vault', vault);
      } else if (x.block.type === 'task') {
        if (!decoder.checkLabels(x.block, 1)) continue;
        tasks.push(decoder.decodeBlock(x, 'Task'));
      }
    }
    decoder.decodeBody(b.body, ctx, 'Job', job, new Set(meta !== undefined ? ['meta'] : []), new Set(['vault', 'task']));
    if (meta !== undefined) job.Meta = meta;
  }
  check(decoder.diags);

  normalizeJob({ jobId, job, vault, tasks });
  if (opts.canonicalize) canonicalizeJob(job);
  // Task.CSIPluginConfig is the one API field tagged `json:",omitempty"`.
  for (const tg of (job.TaskGroups as Obj[] | null) ?? []) {
    for (const t of (tg.Tasks as Obj[] | null) ?? []) if (t.CSIPluginConfig === null) delete t.CSIPluginConfig;
  }
  return job;
}


/** The file's own schema: only variable, variables, locals and job blocks. */
function topLevelContent(body: Body, diags: Diagnostic[]): void {
  for (const a of body.attributes) diags.push(diag('Unsupported argument', `An argument named "${a.name}" is not expected here.`, a.nameRange));
  for (const b of body.blocks) {
    const want = TOP_LEVEL[b.type];
    if (want === undefined) {
      diags.push(diag('Unsupported block type', `Blocks of type "${b.type}" are not expected here.`, b.typeRange));
      continue;
    }
    if (b.labels.length < want) diags.push(diag(`Missing name for ${b.type}`, `All ${b.type} blocks must have ${want} labels (name).`, b.openBraceRange));
    else if (b.labels.length > want) {
      diags.push(diag(`Extraneous label for ${b.type}`, want === 0 ? `No labels are expected for ${b.type} blocks.` : `Only ${want} labels (name) are expected for ${b.type} blocks.`, b.labelRanges[want]));
    }
  }
}

export { HclError };
