// The web UI in a real browser: Debian's chromium driven by playwright-core, against a server with
// the simulator on and a manual clock (so "pending" stays pending until the test moves time). One
// browser and one page for every case, in order; each case leaves the state the next one builds on.
// Screenshots of every view go to test-artifacts/ui/ (git-ignored).
// Without chromium the file fails in CI (CI=true) and is skipped elsewhere, saying so.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMockNomad, type MockNomad } from '../src/index.js';
import { UI_DIR } from '../routes/ui/index.js';
import { fixture } from './helpers.js';

const CHROMIUM = process.env.NOMAD_MOCK_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'ui');
const inCi = process.env.CI === 'true' || process.env.CI === '1';

// Generous: the machine running the suite may be busy; nothing here asserts on time.
t.setTimeout(240_000);

if (!existsSync(CHROMIUM)) {
  const why = `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set NOMAD_MOCK_CHROMIUM`;
  if (inCi) t.fail(why);
  else t.plan(0, `skipped: ${why}`);
} else if (!existsSync(join(UI_DIR, 'index.html'))) {
  t.fail(`the UI is not built in ${UI_DIR}: run \`npm run build\` (npm test does)`);
} else {
  await run();
}

async function run(): Promise<void> {
  const { chromium } = await import('playwright-core');
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'nomad-mock-ui-e2e-'));
  const nomad: MockNomad = await createMockNomad({ clock: 'manual', seed: 'ui-e2e', simulate: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
  });
  t.teardown(async () => {
    await context.close().catch(() => undefined);
    await nomad.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(nomad.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const nav = async (label: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    await page.locator('main h1').waitFor();
  };
  const jobRow = (id: string) => page.locator(`tr[data-job="${id}"]`);

  t.test('a registered job is listed', async (t) => {
    t.equal((await api('PUT', '/v1/jobs', { Job: fixture('service-web') })).status, 200);
    await page.goto(`${nomad.url}/`);
    await page.waitForURL(/\/ui\/jobs$/);
    await jobRow('web').waitFor();
    t.match(await jobRow('web').innerText(), /web[\s\S]*default[\s\S]*service/);
    t.equal(await page.title(), 'Jobs · nomad-mock');
    await shot('jobs');
  });

  t.test('a job goes pending → running on screen without a reload', async (t) => {
    await jobRow('web').getByRole('link', { name: 'web' }).click();
    await page.waitForURL(/\/ui\/jobs\/web@default$/);
    // The manual clock has not moved: the allocations are placed and wait for their client.
    const allocStatus = page.locator('table[aria-label="Allocations"] tbody .badge');
    await allocStatus.first().waitFor();
    t.same(await allocStatus.allInnerTexts(), ['pending', 'pending'], 'both allocations pending');
    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    t.equal((await api('POST', '/_mock/clock/advance', { Duration: '30s' })).status, 200);
    await page.waitForFunction(() => {
      const badges = [...document.querySelectorAll('table[aria-label="Allocations"] tbody .badge')].map((b) => b.textContent);
      return badges.length === 2 && badges.every((b) => b === 'running');
    });
    t.pass('both allocations running');
    t.equal(await page.locator('main h1 .badge').innerText(), 'running', 'the job is running');
    t.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the same page, not reloaded');
    // A second version, so the versions list has a diff to show.
    const v2 = fixture('service-web');
    v2.Meta = { owner: 'ui-e2e' };
    t.equal((await api('PUT', '/v1/jobs', { Job: v2 })).status, 200);
    await page.locator('article[aria-label="Version 1"]').waitFor();
    t.match(await page.locator('article[aria-label="Version 1"]').innerText(), /owner/);
    await shot('job');
    await page.locator('table[aria-label="Allocations"] tbody tr', { hasText: 'running' }).first().getByRole('link').first().click();
    await page.waitForURL(/\/ui\/allocations\//);
    await page.getByRole('heading', { name: 'Task server' }).waitFor();
    t.match(await page.locator('main').innerText(), /Started/, 'task events are shown');
    await shot('allocation');
  });

  t.test('advancing the clock from the panel moves a batch job to dead', async (t) => {
    t.equal((await api('PUT', '/v1/jobs', { Job: fixture('batch-report') })).status, 200);
    await nav('Jobs');
    await jobRow('report').waitFor();
    t.notMatch(await jobRow('report').locator('.badge').innerText(), /dead/, 'not dead before the clock moves');
    await nav('Mock panel');
    const before = await page.getByTestId('clock-now').innerText();
    await page.getByLabel('Advance by').fill('5m');
    await page.getByRole('button', { name: 'Advance', exact: true }).click();
    await page.getByText('Advanced by 5m.').waitFor();
    await page.waitForFunction((b) => document.querySelector('[data-testid="clock-now"]')?.textContent !== b, before);
    await nav('Jobs');
    await jobRow('report').locator('.badge', { hasText: 'dead' }).waitFor();
    t.pass('report is dead');
  });

  t.test('a fault added from the panel makes the next API call fail', async (t) => {
    await nav('Mock panel');
    const form = page.getByRole('form', { name: 'Add a fault' });
    await form.getByLabel('Method').selectOption('GET');
    await form.getByLabel('Path (glob or /regex/)').fill('/v1/jobs');
    await form.getByLabel('Status').fill('503');
    await form.getByLabel('Body').fill('injected by the e2e test');
    await form.getByRole('button', { name: 'Add fault' }).click();
    await page.locator('table[aria-label="Faults"]').getByText('/v1/jobs').waitFor();
    await shot('mock-panel');
    await nav('Jobs');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    t.match(await alert.innerText(), /Error 503: injected by the e2e test/);
    await shot('jobs-fault');
    await nav('Mock panel');
    await page.locator('table[aria-label="Request journal"] tr.bad', { hasText: '/v1/jobs' }).first().waitFor();
    await page.getByRole('button', { name: 'Remove fault 1' }).click();
    await page.getByText('No faults: every call reaches the API.').waitFor();
    t.equal((await api('GET', '/v1/jobs')).status, 200, 'the API answers again');
  });

  t.test('stop, start and purge from the job page', async (t) => {
    await nav('Jobs');
    await jobRow('web').getByRole('link', { name: 'web' }).click();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Yes, stop the job' }).click();
    await page.getByRole('button', { name: 'Start' }).waitFor();
    t.equal(((await api('GET', '/v1/job/web')).json as { Stop: boolean }).Stop, true, 'the job is stopped');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('button', { name: 'Stop' }).waitFor();
    t.equal(((await api('GET', '/v1/job/web')).json as { Stop: boolean }).Stop, false, 'Start registers it again, running');
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Yes, stop the job' }).click();
    await page.getByRole('button', { name: 'Start' }).waitFor();
    await page.getByRole('button', { name: 'Purge' }).click();
    await page.getByRole('button', { name: 'Yes, purge the job' }).click();
    await page.waitForURL(/\/ui\/jobs$/);
    await jobRow('report').waitFor();
    t.equal(await jobRow('web').count(), 0, 'web is no longer listed');
    t.equal((await api('GET', '/v1/job/web')).status, 404, 'and the API has purged it');
  });

  t.test("a task's logs show on its allocation page: stdout, stderr, refresh, follow, not started yet", async (t) => {
    const talker = {
      ID: 'talker',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'g',
          Count: 1,
          Tasks: [
            {
              Name: 'app',
              Driver: 'mock_driver',
              Config: { run_for: '1h', stdout_string: 'hello from the task\n', stdout_repeat: 5, stdout_repeat_duration: '1m', stderr_string: 'a warning\n' },
            },
            // Blocked in its start for 10 minutes: a task state without StartedAt, so Nomad has no logs for it.
            { Name: 'late', Driver: 'mock_driver', Lifecycle: { Hook: 'poststart' }, Config: { start_block_for: '10m', run_for: '1h' } },
          ],
        },
      ],
    };
    t.equal((await api('PUT', '/v1/jobs', { Job: talker })).status, 200);
    await nav('Jobs');
    await jobRow('talker').getByRole('link', { name: 'talker' }).click();
    await page.locator('table[aria-label="Allocations"] tbody tr').first().getByRole('link').first().click();
    await page.waitForURL(/\/ui\/allocations\//);
    await page.getByText('No task has started yet.').waitFor();
    // The task starts while the page is open: its logs appear with the allocation's change, no reload.
    t.equal((await api('POST', '/_mock/clock/advance', { Duration: '30s' })).status, 200);
    const logs = page.getByRole('region', { name: 'Logs of task app' });
    const stdout = logs.getByLabel('stdout of task app');
    await stdout.waitFor();
    t.match(await stdout.innerText(), /^hello from the task\s*$/, 'stdout holds the line the task wrote');
    await logs.getByRole('button', { name: 'stderr', exact: true }).click();
    const stderr = logs.getByLabel('stderr of task app');
    await stderr.waitFor();
    t.match(await stderr.innerText(), /^a warning\s*$/, 'stderr after the switch');
    t.equal(await logs.getByRole('button', { name: 'stderr', exact: true }).getAttribute('aria-pressed'), 'true');
    await logs.getByRole('button', { name: 'stdout', exact: true }).click();
    await stdout.waitFor();
    const lines = (n: number) =>
      page.waitForFunction((n) => (document.querySelector('pre[aria-label="stdout of task app"]')?.textContent ?? '').split('hello from the task').length === n + 1, n);
    // A minute later the task has written its line once more; Refresh reads it.
    t.equal((await api('POST', '/_mock/clock/advance', { Duration: '1m' })).status, 200);
    await logs.getByRole('button', { name: 'Refresh' }).click();
    await lines(2);
    t.pass('Refresh shows the second line');
    // Follow: the framed stream brings the third line as the task writes it (no Refresh, no alloc change).
    await logs.getByLabel('Follow').check();
    await lines(2);
    t.equal((await api('POST', '/_mock/clock/advance', { Duration: '1m' })).status, 200);
    await lines(3);
    t.pass('the followed stream shows the line written after it opened');
    await logs.getByLabel('Follow').uncheck();
    const late = page.getByRole('region', { name: 'Logs of task late' });
    await late.getByText('task "late" not started yet. No logs available').waitFor();
    t.equal(await late.getByRole('alert').count(), 0, "Nomad's 404 is a quiet message, not an error");
    await shot('allocation-logs');
  });

  t.test('a client is drained from its page, refused eligibility while draining, and the drain cancelled', async (t) => {
    await page.locator('dl.facts dt:text-is("Client") + dd a').click();
    await page.waitForURL(/\/ui\/clients\//);
    const nodeId = decodeURIComponent(page.url().split('/').pop()!);
    const panel = page.getByRole('region', { name: 'Drain and eligibility' });
    const deadline = panel.getByLabel('Drain deadline');
    t.equal(await deadline.inputValue(), '1h', 'the deadline defaults to an hour');
    await deadline.fill('2h');
    await deadline.press('Enter');
    await panel.getByRole('button', { name: 'Cancel drain' }).waitFor();
    // The manual clock has not moved: the task still runs there, so the drain goes on.
    await page.locator('dl.facts dd', { hasText: /^draining until 2025-/ }).waitFor();
    const node = (await api('GET', `/v1/node/${nodeId}`)).json as { Drain: boolean; SchedulingEligibility: string; DrainStrategy: { Deadline: number } | null };
    t.equal(node.Drain, true, 'the API has the node draining');
    t.equal(node.DrainStrategy?.Deadline, 2 * 3600e9, 'with the deadline typed, in nanoseconds');
    t.equal(node.SchedulingEligibility, 'ineligible');
    await panel.getByRole('button', { name: 'Make eligible' }).click();
    await panel.getByRole('alert').waitFor();
    t.match(await panel.getByRole('alert').innerText(), /Error 500: can not set node's scheduling eligibility to eligible while it is draining/, "Nomad's refusal is shown");
    await shot('client-draining');
    await panel.getByRole('button', { name: 'Cancel drain' }).click();
    await panel.getByRole('button', { name: 'Drain', exact: true }).waitFor();
    await panel.getByRole('button', { name: 'Make ineligible' }).waitFor();
    const after = (await api('GET', `/v1/node/${nodeId}`)).json as { Drain: boolean; SchedulingEligibility: string; DrainStrategy: unknown };
    t.same([after.Drain, after.DrainStrategy, after.SchedulingEligibility], [false, null, 'eligible'], 'cancelled, and eligible again');
    await panel.getByRole('button', { name: 'Make ineligible' }).click();
    await panel.getByRole('button', { name: 'Make eligible' }).waitFor();
    t.equal(((await api('GET', `/v1/node/${nodeId}`)).json as { SchedulingEligibility: string }).SchedulingEligibility, 'ineligible');
    await panel.getByRole('button', { name: 'Make eligible' }).click();
    await panel.getByRole('button', { name: 'Make ineligible' }).waitFor();
    t.equal(((await api('GET', `/v1/node/${nodeId}`)).json as { SchedulingEligibility: string }).SchedulingEligibility, 'eligible');
  });

  t.test('every other view renders, keyboard first', async (t) => {
    t.equal((await api('PUT', '/v1/var/app/config', { Items: { color: 'blue' } })).status, 200);
    await page.goto(`${nomad.url}/ui/clients`);
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content', 'the first Tab reaches the skip link');
    await page.locator('tr[data-node]').first().waitFor();
    await shot('clients');
    await page.locator('tr[data-node] a').first().click();
    await page.getByRole('heading', { name: 'Allocations' }).waitFor();
    await shot('client');
    for (const [label, name, text] of [
      ['Evaluations', 'evaluations', /job-register/],
      ['Namespaces', 'namespaces', /default/],
      ['ACL Tokens', 'tokens', /Secret ID/],
      ['Variables', 'variables', /app\/config/],
    ] as const) {
      await nav(label);
      await page.locator('main').getByText(text).first().waitFor();
      await shot(name);
    }
    await page.getByRole('link', { name: 'app/config' }).click();
    await page.getByText('blue').waitFor();
    await shot('variable');
    t.same(pageErrors, [], 'no script error on any page');
  });
}
