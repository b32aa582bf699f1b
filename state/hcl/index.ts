// HCL2 jobspecs → Nomad API jobs (no HTTP here; routes/jobs/parse.ts serves it as /v1/jobs/parse).
export { parseJobspec, type ParseOptions } from './parse.js';
export { HclError, type Diagnostic } from './diag.js';
