// Request-body decoding as Go's encoding/json Decoder does it in Nomad's HTTP agent: syntax errors,
// EOF handling, key matching, type errors with Go's field paths, nulls, []byte and interface{}.
import t from 'tap';
import { apiTypes, decodeRequest, serverTypes, type RequestRoot } from '../state/jobspec/decode.js';
import { GoSyntaxError, scanFirstValue, scanStateMachine } from '../state/jobspec/decode-scanner.js';

const reg = (body: string | Buffer) => decodeRequest('JobRegisterRequest', body);

function errorOf(root: RequestRoot, body: string | Buffer): string | undefined {
  const r = decodeRequest(root, body);
  return r.ok ? undefined : r.error;
}

function valueOf(root: RequestRoot, body: string | Buffer): any {
  const r = decodeRequest(root, body);
  if (!r.ok) throw new Error(`unexpected decode error: ${r.error}`);
  return r.value;
}

t.test('malformed JSON fails with the Go scanner message', async (t) => {
  const cases: [string, string][] = [
    ['{"Job": x}', "invalid character 'x' looking for beginning of value"],
    ['{"Job" 1}', "invalid character '1' after object key"],
    ['{"Job" }', "invalid character '}' after object key"],
    ['{"Job": {} ]', "invalid character ']' after object key:value pair"],
    ['{"Job": taco}', "invalid character 'a' in literal true (expecting 'r')"],
    ['{"Job": tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"Job": fals }', "invalid character ' ' in literal false (expecting 'e')"],
    ['{"Job": nul}', "invalid character '}' in literal null (expecting 'l')"],
    ['{,}', "invalid character ',' looking for beginning of object key string"],
    ['{"Job":{"ID":"x"},}', "invalid character '}' looking for beginning of object key string"],
    ['{"Job":{"Datacenters":["a" "b"]}}', "invalid character '\"' after array element"],
    ['{"Job":{"Datacenters":["a",]}}', "invalid character ']' looking for beginning of value"],
    ['{"Job":{"Priority":-x}}', "invalid character 'x' in numeric literal"],
    ['{"Job":{"Priority":1.}}', "invalid character '}' after decimal point in numeric literal"],
    ['{"Job":{"Priority":1e+}}', "invalid character '}' in exponent of numeric literal"],
    ['{"Job":{"Priority":01}}', "invalid character '1' after object key:value pair"],
    ['{"Job":{"ID":"a\\qb"}}', "invalid character 'q' in string escape code"],
    ['{"Job":{"ID":"\\u12g4"}}', "invalid character 'g' in \\u hexadecimal character escape"],
    ['{"Job":{"ID":"a\nb"}}', "invalid character '\\n' in string literal"],
    ['{"Job":{"ID":"a\u0001b"}}', "invalid character '\\x01' in string literal"],
    ["{'Job':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['\\', "invalid character '\\\\' looking for beginning of value"],
  ];
  for (const [body, message] of cases) t.equal(errorOf('JobRegisterRequest', body), message, body);
});

t.test('a non-ASCII byte outside a string is quoted as its Latin-1 character', async (t) => {
  t.equal(reg(Buffer.from('{"Job": é}')).ok, false);
  // "é" is C3 A9 in UTF-8; Go quotes the single byte 0xC3 as the rune U+00C3.
  t.equal(errorOf('JobRegisterRequest', '{"Job": é}'), "invalid character 'Ã' looking for beginning of value");
  t.equal(errorOf('JobRegisterRequest', Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), "invalid character 'ï' looking for beginning of value");
  t.equal(errorOf('JobRegisterRequest', Buffer.from([0x7b, 0x85])), "invalid character '\\u0085' looking for beginning of object key string");
});

t.test('nesting deeper than 10000 levels is rejected like Go', async (t) => {
  t.equal(errorOf('JobRegisterRequest', '['.repeat(10001)), "invalid character '[' exceeded max depth");
  t.equal(errorOf('JobRegisterRequest', '['.repeat(10000)), 'unexpected EOF');
});

t.test('empty or whitespace-only input is EOF, a value cut short is unexpected EOF', async (t) => {
  t.equal(errorOf('JobRegisterRequest', ''), 'EOF');
  t.equal(errorOf('JobRegisterRequest', '   \n\t\r '), 'EOF');
  for (const body of ['{', '{"Job"', '{"Job":', '{"Job": {', '{"Job":{"ID":"abc', '{"Job":{"ID":"a\\', '{"Job":{"Priority":12', 'tru', '"abc', '[1,', '-']) {
    t.equal(errorOf('JobRegisterRequest', body), 'unexpected EOF', JSON.stringify(body));
  }
});

t.test('only the first JSON value is read; trailing bytes are ignored', async (t) => {
  t.same(valueOf('JobRegisterRequest', '{"Job":{"ID":"x"}} trailing garbage'), { Job: { ID: 'x' } });
  t.same(valueOf('JobRegisterRequest', '{"Job":{"ID":"x"}}{"Job":'), { Job: { ID: 'x' } });
  t.same(valueOf('JobRegisterRequest', '{}]]]'), {});
  t.equal(valueOf('JobRegisterRequest', 'null}'), null);
  // A top-level literal still reaches the type check.
  t.equal(errorOf('JobRegisterRequest', '123abc'), 'json: cannot unmarshal number into Go value of type api.JobRegisterRequest');
});

t.test('a top-level null decodes to null; other top-level kinds name the Go value type', async (t) => {
  t.equal(valueOf('JobRegisterRequest', ' null '), null);
  t.equal(errorOf('JobRegisterRequest', '[1]'), 'json: cannot unmarshal array into Go value of type api.JobRegisterRequest');
  t.equal(errorOf('JobRegisterRequest', '"job"'), 'json: cannot unmarshal string into Go value of type api.JobRegisterRequest');
  t.equal(errorOf('JobRegisterRequest', 'true'), 'json: cannot unmarshal bool into Go value of type api.JobRegisterRequest');
  t.equal(errorOf('JobEvaluateRequest', '7'), 'json: cannot unmarshal number into Go value of type structs.JobEvaluateRequest');
  t.equal(errorOf('Namespace', '[]'), 'json: cannot unmarshal array into Go value of type structs.Namespace');
});

t.test('keys match Go field names case-insensitively and come out canonical', async (t) => {
  t.same(valueOf('JobRegisterRequest', '{"job":{"id":"x","taskgroups":[{"NAME":"g"}]}}'), { Job: { ID: 'x', TaskGroups: [{ Name: 'g' }] } });
  t.same(valueOf('JobRegisterRequest', '{"JOB":{"datacenters":["dc1"],"UPDATE":{"maxparallel":2}},"enforceindex":true,"jobmodifyindex":7}'), {
    Job: { Datacenters: ['dc1'], Update: { MaxParallel: 2 } },
    EnforceIndex: true,
    JobModifyIndex: 7,
  });
  // Go also folds the Kelvin sign onto K and the long s onto S.
  t.same(valueOf('JobRegisterRequest', '{"Job":{"TaskGroups":[{"Tasks":[{"\u212aillSignal":"SIGINT","\u017fhutdownDelay":5}]}]}}'), {
    Job: { TaskGroups: [{ Tasks: [{ KillSignal: 'SIGINT', ShutdownDelay: 5 }] }] },
  });
  // A key with an escape still matches after unquoting.
  t.same(valueOf('JobRegisterRequest', '{"Job":{"\\u0049D":"x"}}'), { Job: { ID: 'x' } });
});

t.test('fields of embedded structs are decoded at the level of the embedding struct', async (t) => {
  t.same(valueOf('JobRegisterRequest', '{"region":"r1","NAMESPACE":"ns","secretid":"s"}'), { Region: 'r1', Namespace: 'ns', SecretID: 's' });
  t.same(valueOf('JobDispatchRequest', '{"JobID":"p","authtoken":"t","IdempotencyToken":"i","forwarded":true}'), {
    JobID: 'p',
    AuthToken: 't',
    IdempotencyToken: 'i',
    Forwarded: true,
  });
});

t.test('unknown keys are dropped, whatever their value', async (t) => {
  t.same(
    valueOf('JobRegisterRequest', '{"Unknown":{"a":["}",{"b":"]\\"{"}]},"Job":{"Bogus":[1,2,{"c":null}],"ID":"x","Also":"y"},"n":-1.5e3,"t":true}'),
    { Job: { ID: 'x' } },
  );
  // HCLv1 was removed from api.JobsParseRequest.
  t.same(valueOf('JobsParseRequest', '{"JobHCL":"job \\"x\\" {}","HCLv1":true,"canonicalize":true}'), { JobHCL: 'job "x" {}', Canonicalize: true });
});

t.test('keys inside map and interface{} fields are kept verbatim', async (t) => {
  const v = valueOf(
    'JobRegisterRequest',
    '{"Job":{"Meta":{"someKey":"v","ID":"w"},"TaskGroups":[{"Tasks":[{"Env":{"lower_case":"1"},"Config":{"image":"redis","Args":["-x"],"nested":{"deepKey":{"k":1}}}}]}]},"Submission":{"VariableFlags":{"myVar":"1"}}}',
  );
  t.same(v.Job.Meta, { someKey: 'v', ID: 'w' });
  t.same(v.Job.TaskGroups[0].Tasks[0].Env, { lower_case: '1' });
  t.same(v.Job.TaskGroups[0].Tasks[0].Config, { image: 'redis', Args: ['-x'], nested: { deepKey: { k: 1 } } });
  t.same(v.Submission, { VariableFlags: { myVar: '1' } });
  t.same(valueOf('ScalingRequest', '{"count":3,"target":{"Group":"g","job":"j"},"meta":{"Reason":["a",1,true,null]}}'), {
    Count: 3,
    Target: { Group: 'g', job: 'j' },
    Meta: { Reason: ['a', 1, true, null] },
  });
});

t.test('a map key named __proto__ is an ordinary key', async (t) => {
  const v = valueOf('JobRegisterRequest', '{"Job":{"Meta":{"__proto__":"x"}}}');
  t.equal(Object.getPrototypeOf(v.Job.Meta), Object.prototype);
  t.same(Object.keys(v.Job.Meta), ['__proto__']);
  t.equal(Object.getOwnPropertyDescriptor(v.Job.Meta, '__proto__')?.value, 'x');
});

t.test('type errors name the innermost struct and the Go field path from the root', async (t) => {
  const cases: [RequestRoot, string, string][] = [
    ['JobRegisterRequest', '{"Job":{"ID":"x","Priority":"high"}}', 'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Name":"g","Count":"3"}]}}', 'json: cannot unmarshal string into Go struct field TaskGroup.Job.TaskGroups.Count of type int'],
    ['JobRegisterRequest', '{"job":{"taskgroups":[{},{"tasks":[{"name":"t","resources":{"cpu":true}}]}]}}', 'json: cannot unmarshal bool into Go struct field Resources.Job.TaskGroups.Tasks.Resources.CPU of type int'],
    ['JobRegisterRequest', '{"Job":"x"}', 'json: cannot unmarshal string into Go struct field JobRegisterRequest.Job of type api.Job'],
    ['JobRegisterRequest', '{"Job":{"Constraints":{}}}', 'json: cannot unmarshal object into Go struct field Job.Job.Constraints of type []*api.Constraint'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":["g"]}}', 'json: cannot unmarshal string into Go struct field Job.Job.TaskGroups of type api.TaskGroup'],
    ['JobRegisterRequest', '{"Job":{"Meta":{"a":1}}}', 'json: cannot unmarshal number into Go struct field Job.Job.Meta of type string'],
    ['JobRegisterRequest', '{"Job":{"Meta":[]}}', 'json: cannot unmarshal array into Go struct field Job.Job.Meta of type map[string]string'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Volumes":{"v":{"ReadOnly":"yes"}}}]}}', 'json: cannot unmarshal string into Go struct field VolumeRequest.Job.TaskGroups.Volumes.ReadOnly of type bool'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Networks":[{"DynamicPorts":[{"Label":"http","To":"80"}]}]}]}}', 'json: cannot unmarshal string into Go struct field Port.Job.TaskGroups.Networks.DynamicPorts.To of type int'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Services":[{"Checks":[{"Header":{"X":"y"}}]}]}]}}', 'json: cannot unmarshal string into Go struct field ServiceCheck.Job.TaskGroups.Services.Checks.Header of type []string'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Disconnect":{"Reconcile":1}}]}}', 'json: cannot unmarshal number into Go struct field DisconnectStrategy.Job.TaskGroups.Disconnect.Reconcile of type api.ReconcileOption'],
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Tasks":[{"Config":"x"}]}]}}', 'json: cannot unmarshal string into Go struct field Task.Job.TaskGroups.Tasks.Config of type map[string]interface {}'],
    ['JobRegisterRequest', '{"Region":5}', 'json: cannot unmarshal number into Go struct field JobRegisterRequest.WriteRequest.Region of type string'],
    ['JobDispatchRequest', '{"Forwarded":"yes"}', 'json: cannot unmarshal string into Go struct field JobDispatchRequest.WriteRequest.InternalRpcInfo.Forwarded of type bool'],
    ['JobEvaluateRequest', '{"EvalOptions":[]}', 'json: cannot unmarshal array into Go struct field JobEvaluateRequest.EvalOptions of type structs.EvalOptions'],
    ['JobEvaluateRequest', '{"EvalOptions":{"ForceReschedule":"true"}}', 'json: cannot unmarshal string into Go struct field EvalOptions.EvalOptions.ForceReschedule of type bool'],
    ['JobStatusesRequest', '{"Jobs":[{"ID":1}]}', 'json: cannot unmarshal number into Go struct field NamespacedID.Jobs.ID of type string'],
    ['Namespace', '{"Capabilities":{"EnabledTaskDrivers":"docker"}}', 'json: cannot unmarshal string into Go struct field NamespaceCapabilities.Capabilities.EnabledTaskDrivers of type []string'],
    ['TagVersionRequest', '{"Version":"1"}', 'json: cannot unmarshal string into Go struct field TagVersionRequest.Version of type uint64'],
    ['ScalingRequest', '{"Count":"2"}', 'json: cannot unmarshal string into Go struct field ScalingRequest.Count of type int64'],
  ];
  for (const [root, body, message] of cases) t.equal(errorOf(root, body), message, body);
});

t.test('durations must be integer nanoseconds', async (t) => {
  t.equal(
    errorOf('JobRegisterRequest', '{"Job":{"TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","KillTimeout":"30s"}]}]}}'),
    'json: cannot unmarshal string into Go struct field Task.Job.TaskGroups.Tasks.KillTimeout of type time.Duration',
  );
  t.equal(
    errorOf('JobRegisterRequest', '{"Job":{"Update":{"MinHealthyTime":1.5e9}}}'),
    'json: cannot unmarshal number 1.5e9 into Go struct field UpdateStrategy.Job.Update.MinHealthyTime of type time.Duration',
  );
  t.same(valueOf('JobRegisterRequest', '{"Job":{"Update":{"MinHealthyTime":10000000000}}}'), { Job: { Update: { MinHealthyTime: 1e10 } } });
});

t.test('numbers that do not fit the integer type name the literal', async (t) => {
  const cases: [RequestRoot, string, string][] = [
    ['JobRegisterRequest', '{"Job":{"TaskGroups":[{"Count":1.5}]}}', 'json: cannot unmarshal number 1.5 into Go struct field TaskGroup.Job.TaskGroups.Count of type int'],
    ['JobRegisterRequest', '{"Job":{"Priority":1e2}}', 'json: cannot unmarshal number 1e2 into Go struct field Job.Job.Priority of type int'],
    ['JobRegisterRequest', '{"Job":{"Priority":50.0}}', 'json: cannot unmarshal number 50.0 into Go struct field Job.Job.Priority of type int'],
    ['JobRegisterRequest', '{"Job":{"Priority":9223372036854775808}}', 'json: cannot unmarshal number 9223372036854775808 into Go struct field Job.Job.Priority of type int'],
    ['JobRegisterRequest', '{"JobModifyIndex":-1}', 'json: cannot unmarshal number -1 into Go struct field JobRegisterRequest.JobModifyIndex of type uint64'],
    ['JobRegisterRequest', '{"JobModifyIndex":-0}', 'json: cannot unmarshal number -0 into Go struct field JobRegisterRequest.JobModifyIndex of type uint64'],
    ['JobRegisterRequest', '{"Job":{"Affinities":[{"Weight":128}]}}', 'json: cannot unmarshal number 128 into Go struct field Affinity.Job.Affinities.Weight of type int8'],
    ['JobRegisterRequest', '{"Job":{"Spreads":[{"SpreadTarget":[{"Value":"a","Percent":256}]}]}}', 'json: cannot unmarshal number 256 into Go struct field SpreadTarget.Job.Spreads.SpreadTarget.Percent of type uint8'],
    ['JobRevertRequest', '{"JobVersion":18446744073709551616}', 'json: cannot unmarshal number 18446744073709551616 into Go struct field JobRevertRequest.JobVersion of type uint64'],
  ];
  for (const [root, body, message] of cases) t.equal(errorOf(root, body), message, body);
  t.same(valueOf('JobRegisterRequest', '{"Job":{"Priority":-0,"Affinities":[{"Weight":-128}]}}'), { Job: { Priority: 0, Affinities: [{ Weight: -128 }] } });
  t.same(valueOf('JobRevertRequest', '{"JobVersion":18446744073709551615}'), { JobVersion: 18446744073709551615 });
});

t.test('the first type error is reported, and a syntax error anywhere wins over it', async (t) => {
  t.equal(
    errorOf('JobRegisterRequest', '{"Job":{"Priority":"x","TaskGroups":[{"Count":"y"}]}}'),
    'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int',
  );
  t.equal(errorOf('JobRegisterRequest', '{"Job":{"Priority":"x"}, "oops"}'), "invalid character '}' after object key");
});

t.test('JSON null is kept as null and absent keys stay absent', async (t) => {
  t.same(valueOf('JobRegisterRequest', '{"Job":{"ID":"x","Priority":null,"Meta":null,"TaskGroups":null,"Update":null}}'), {
    Job: { ID: 'x', Priority: null, Meta: null, TaskGroups: null, Update: null },
  });
  t.same(valueOf('JobEvaluateRequest', '{"JobID":null,"EvalOptions":null}'), { JobID: null, EvalOptions: null });
  // Inside slices and maps a null becomes the Go zero value unless the element is nullable.
  t.same(valueOf('JobRegisterRequest', '{"Job":{"Datacenters":["a",null],"Meta":{"k":null},"TaskGroups":[null]}}'), {
    Job: { Datacenters: ['a', ''], Meta: { k: '' }, TaskGroups: [null] },
  });
  t.same(valueOf('JobRegisterRequest', '{"Job":{"TaskGroups":[{"Networks":[{"DynamicPorts":[null]}],"Volumes":{"v":null}}]}}'), {
    Job: { TaskGroups: [{ Networks: [{ DynamicPorts: [{}] }], Volumes: { v: null } }] },
  });
});

t.test('a key given twice decodes into the same place, as in Go', async (t) => {
  t.same(valueOf('JobRegisterRequest', '{"Job":{"ID":"a","Name":"n"},"job":{"ID":"b"}}'), { Job: { ID: 'b', Name: 'n' } });
  // null on a non-pointer field has no effect in Go.
  t.same(valueOf('JobStabilityRequest', '{"Stable":true,"stable":null}'), { Stable: true });
  // null on a pointer field resets it.
  t.same(valueOf('JobRegisterRequest', '{"Job":{"ID":"a"},"Job":null}'), { Job: null });
});

t.test('[]byte fields take standard base64 and come out canonical', async (t) => {
  t.same(valueOf('JobDispatchRequest', '{"JobID":"p","Payload":"aGVsbG8gd29ybGQ="}'), { JobID: 'p', Payload: 'aGVsbG8gd29ybGQ=' });
  t.same(valueOf('JobDispatchRequest', '{"Payload":"aGVs\\nbG8="}'), { Payload: 'aGVsbG8=' });
  t.same(valueOf('JobDispatchRequest', '{"Payload":""}'), { Payload: '' });
  // Go's StdEncoding is not strict: padding may be followed by newlines, and unused trailing bits
  // are ignored (the output is re-encoded canonically).
  t.same(valueOf('JobDispatchRequest', '{"Payload":"aG=="}'), { Payload: 'aA==' });
  t.same(valueOf('JobDispatchRequest', '{"Payload":"aGV="}'), { Payload: 'aGU=' });
  t.same(valueOf('JobDispatchRequest', '{"Payload":"aGVsbG8=\\r\\n"}'), { Payload: 'aGVsbG8=' });
  t.same(valueOf('JobDispatchRequest', '{"Payload":null}'), { Payload: null });
  t.same(valueOf('JobDispatchRequest', '{"Payload":[104,105]}'), { Payload: 'aGk=' });
  t.same(valueOf('JobRegisterRequest', '{"Job":{"Payload":"AAEC"}}'), { Job: { Payload: 'AAEC' } });
  const cases: [string, string][] = [
    ['{"Payload":"aGV$bG8="}', 'illegal base64 data at input byte 3'],
    ['{"Payload":"aGVsbG8"}', 'illegal base64 data at input byte 4'],
    ['{"Payload":"a"}', 'illegal base64 data at input byte 0'],
    ['{"Payload":"aGk=x"}', 'illegal base64 data at input byte 4'],
    ['{"Payload":"aG="}', 'illegal base64 data at input byte 3'],
    ['{"Payload":"a==="}', 'illegal base64 data at input byte 1'],
    ['{"Payload":"aGVsbG8=\\nx"}', 'illegal base64 data at input byte 9'],
    ['{"Payload":"a=="}', 'illegal base64 data at input byte 1'],
    ['{"Payload":"aGVsbG8gd29ybGQ"}', 'illegal base64 data at input byte 12'],
    ['{"Payload":7}', 'json: cannot unmarshal number into Go struct field JobDispatchRequest.Payload of type []uint8'],
    ['{"Payload":[256]}', 'json: cannot unmarshal number 256 into Go struct field JobDispatchRequest.Payload of type uint8'],
  ];
  for (const [body, message] of cases) t.equal(errorOf('JobDispatchRequest', body), message, body);
});

t.test('interface{} fields take any JSON; numbers are float64', async (t) => {
  t.same(valueOf('JobRegisterRequest', '{"Job":{"TaskGroups":[{"Tasks":[{"Config":{"a":1.5,"b":[true,null,"s",{"c":-2e3}],"d":{}}}]}]}}').Job.TaskGroups[0].Tasks[0].Config, {
    a: 1.5,
    b: [true, null, 's', { c: -2000 }],
    d: {},
  });
  t.equal(
    errorOf('JobRegisterRequest', '{"Job":{"TaskGroups":[{"Tasks":[{"Config":{"huge":[1e400]}}]}]}}'),
    'json: cannot unmarshal number 1e400 into Go struct field Task.Job.TaskGroups.Tasks.Config of type float64',
  );
});

t.test('string escapes and UTF-8 are unquoted as Go does', async (t) => {
  const v = valueOf('JobRegisterRequest', '{"Job":{"ID":"tab\\there \\"q\\" \\\\ \\/ \\u00e9 \\ud83d\\ude00 lone:\\ud800 é 日本"}}');
  t.equal(v.Job.ID, 'tab\there "q" \\ / é 😀 lone:\ufffd é 日本');
});

t.test('each request root decodes into its Go struct', async (t) => {
  t.same(valueOf('JobPlanRequest', '{"job":{"id":"x"},"diff":true,"policyoverride":false,"secretid":"s"}'), { Job: { ID: 'x' }, Diff: true, PolicyOverride: false, SecretID: 's' });
  t.same(valueOf('JobValidateRequest', '{"Job":{"ID":"x"},"Region":"r"}'), { Job: { ID: 'x' }, Region: 'r' });
  t.same(valueOf('JobRevertRequest', '{"JobID":"x","JobVersion":2,"EnforcePriorVersion":3,"ConsulToken":"c"}'), { JobID: 'x', JobVersion: 2, EnforcePriorVersion: 3 });
  t.same(valueOf('JobStabilityRequest', '{"JobID":"x","JobVersion":1,"Stable":true,"Namespace":"n"}'), { JobID: 'x', JobVersion: 1, Stable: true, Namespace: 'n' });
  t.same(valueOf('JobEvaluateRequest', '{"JobID":"x","EvalOptions":{"forcereschedule":true}}'), { JobID: 'x', EvalOptions: { ForceReschedule: true } });
  t.same(valueOf('TagVersionRequest', '{"version":3,"latest":true,"description":"d"}'), { Version: 3, Latest: true, Description: 'd' });
  t.same(valueOf('JobStatusesRequest', '{"jobs":[{"id":"a","namespace":"n"}],"includechildren":true}'), { Jobs: [{ ID: 'a', Namespace: 'n' }], IncludeChildren: true });
  t.same(valueOf('Namespace', '{"name":"dev","meta":{"Owner":"me"},"NodePoolConfiguration":{"Default":"p","allowed":["a"]},"hash":"AQI="}'), {
    Name: 'dev',
    Meta: { Owner: 'me' },
    NodePoolConfiguration: { Default: 'p', Allowed: ['a'] },
    Hash: 'AQI=',
  });
  t.same(valueOf('JobDispatchRequest', '{"Meta":{"k":"v"},"IdPrefixTemplate":"t","Priority":70}'), { Meta: { k: 'v' }, IdPrefixTemplate: 't', Priority: 70 });
});

t.test('the descriptors list Go fields in declaration order', async (t) => {
  t.same(apiTypes.Job!.fields.slice(0, 4).map((f) => f.name), ['Region', 'Namespace', 'ID', 'Name']);
  t.same(apiTypes.Job!.fields.at(-1)!.name, 'VersionTag');
  t.equal(apiTypes.TaskGroup!.fields.find((f) => f.name === 'Count')!.type.goName, '*int');
  t.equal(apiTypes.Task!.fields.find((f) => f.name === 'KillTimeout')!.type.goName, '*time.Duration');
  t.same(apiTypes.JobRegisterRequest!.fields.map((f) => f.name).slice(-3), ['Region', 'Namespace', 'SecretID']);
  t.same(apiTypes.JobRegisterRequest!.fields.at(-1)!.via, ['WriteRequest']);
  t.same(serverTypes.JobDispatchRequest!.fields.map((f) => f.name), ['JobID', 'Payload', 'Meta', 'Region', 'Namespace', 'AuthToken', 'IdempotencyToken', 'Forwarded', 'IdPrefixTemplate', 'Priority']);
});

t.test('a Buffer and a string body decode alike', async (t) => {
  const body = '{"Job":{"ID":"x","Meta":{"é":"ü"}}}';
  t.same(valueOf('JobRegisterRequest', Buffer.from(body)), valueOf('JobRegisterRequest', body));
});

t.test('a 5 KB job using canonical names decodes to itself', async (t) => {
  const task = (i: number) => ({
    Name: `task${i}`,
    Driver: 'docker',
    Config: { image: 'redis:7', ports: ['db'], args: ['--port', '6379'] },
    Env: { A: '1', B: 'two' },
    Resources: { CPU: 500, MemoryMB: 256, Networks: [{ MBits: 10, DynamicPorts: [{ Label: 'db', To: 6379 }] }] },
    Services: [{ Name: 'redis-cache', Tags: ['global', 'cache'], PortLabel: 'db', Checks: [{ Name: 'alive', Type: 'tcp', Interval: 10e9, Timeout: 2e9 }] }],
    Templates: [{ EmbeddedTmpl: 'key={{ key "foo" }}\n', DestPath: 'local/file.yml', ChangeMode: 'restart' }],
    LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10 },
    KillTimeout: 5e9,
  });
  const job = {
    Job: {
      ID: 'example',
      Datacenters: ['dc1'],
      TaskGroups: [0, 1, 2, 3].map((g) => ({ Name: `g${g}`, Count: 3, RestartPolicy: { Attempts: 10, Interval: 300e9, Delay: 25e9, Mode: 'delay' }, Tasks: [task(2 * g), task(2 * g + 1)] })),
    },
  };
  const body = Buffer.from(JSON.stringify(job));
  t.ok(body.length > 4000 && body.length < 7000, `body is ${body.length} bytes`);
  const decoded = valueOf('JobRegisterRequest', body);
  t.same(decoded, job, 'a body using canonical names decodes to itself');
  // Decode speed is a benchmark figure (register throughput in `npm run bench`), never a timed assertion.
});

t.test('the scanner ends and fails exactly as the Go state machine does on every mutation of well-formed bodies', async (t) => {
  // scanFirstValue passes well-formed objects and arrays by a quicker route; the state machine is
  // Go's scanner step by step. Both must agree on where the value ends and on every error text.
  const outcome = (scan: (b: Uint8Array) => number, b: Uint8Array): string => {
    try {
      return `end ${scan(b)}`;
    } catch (err) {
      if (err instanceof GoSyntaxError) return `error ${err.message}`;
      throw err;
    }
  };
  const bodies = [
    '{"Job":{"ID":"web","Datacenters":["dc1"],"TaskGroups":[{"Name":"web","Count":2,"Tasks":[{"Name":"server","Driver":"docker","Config":{"image":"nginx:1.27","ports":["http"]},"Resources":{"CPU":200,"MemoryMB":128}}]}],"Meta":{"team":"platform"}}}',
    ' [ 1 , -0.5e+7 , 2E-3 , 0 , true , false , null , "a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9" , { } , [ ] , {"x" : [ {"y":-12.25} ] } ]\r\n\t',
    '{"é":"ü\u0001","k":[[[[]]]],"n":10}trailing',
    '[]',
    '{}',
  ];
  const bytes = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x2c, 0x3a, 0x20, 0x09, 0x30, 0x31, 0x2d, 0x2b, 0x2e, 0x65, 0x45, 0x74, 0x66, 0x6e, 0x75, 0x78, 0x01, 0x1f, 0x7f, 0x80, 0xc3];
  let compared = 0;
  let mismatches = 0;
  const check = (b: Uint8Array): void => {
    compared++;
    const fast = outcome(scanFirstValue, b);
    const reference = outcome(scanStateMachine, b);
    if (fast !== reference) {
      mismatches++;
      if (mismatches <= 5) t.equal(fast, reference, Buffer.from(b).toString('latin1'));
    }
  };
  for (const text of bodies) {
    const body = Buffer.from(text, 'utf8');
    check(body);
    for (let i = 0; i <= body.length; i++) {
      check(body.subarray(0, i));
      if (i === body.length) continue;
      check(Buffer.concat([body.subarray(0, i), body.subarray(i + 1)]));
      for (const c of bytes) {
        const replaced = Buffer.from(body);
        replaced[i] = c;
        check(replaced);
        check(Buffer.concat([body.subarray(0, i), Buffer.from([c]), body.subarray(i)]));
      }
    }
  }
  t.equal(mismatches, 0, `${compared} inputs compared`);
  t.equal(outcome(scanFirstValue, Buffer.from('['.repeat(600) + ']'.repeat(600))), 'end 1200', 'nesting deeper than the quick route still ends where Go ends');
});

t.test('a body that fails inside nested lists leaves nothing behind for the next body', async (t) => {
  // The decoder is shared between requests: a type error deep in slices must not carry their
  // elements, its position or its error context into the next decode.
  const bad = '{"Job":{"ID":"a","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t"},{"Name":"u","Resources":{"CPU":"x"}}]}]}}';
  t.equal(errorOf('JobRegisterRequest', bad), 'json: cannot unmarshal string into Go struct field Resources.Job.TaskGroups.Tasks.Resources.CPU of type int');
  const v = valueOf('JobRegisterRequest', '{"Job":{"ID":"b","Datacenters":["dc1","dc2"],"TaskGroups":[{"Name":"h","Tasks":[]}]}}');
  t.same(v, { Job: { ID: 'b', Datacenters: ['dc1', 'dc2'], TaskGroups: [{ Name: 'h', Tasks: [] }] } });
  t.equal(errorOf('JobRegisterRequest', '{"Job":{"Priority":"p"}}'), 'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int');
  t.same(valueOf('JobRegisterRequest', '{"Job":{"TaskGroups":[{"Tasks":[{"Name":"x"}]},{}]}}'), { Job: { TaskGroups: [{ Tasks: [{ Name: 'x' }] }, {}] } });
});
