'use strict';
// The pages of a busy clinic (the `physiocase demo` data: many patients, cases, pain
// scores and programmes) checked with axe-core, measured for sideways scrolling and
// screenshotted at 1280 px and 390 px, as staff and as the demo patient.

const assert = require('node:assert/strict');
const { describe, before, after } = require('node:test');

const { startApp } = require('./lib/app');
const { launch, newContext, prepareScreenshots, pageRecorder, axeReport } = require('./lib/browser');
const { journey, go, h1, shown, assertOnPage, assertNoFormErrors } = require('./lib/steps');

describe('a busy demo clinic', () => {
  const axeLog = [];
  const dir = prepareScreenshots('demo-clinic');
  const record = pageRecorder(dir, axeLog);
  const step = journey();
  const s = {};
  let app;
  let browser;

  before(async () => {
    app = await startApp({ mode: 'demo', timeoutMs: 60000 });
    browser = await launch();
    const out = app.output();
    s.password = out.match(/password: (.+)$/m)[1].trim();
    s.admin = out.match(/^\s+admin:\s+(\S+)/m)[1];
    s.patient = out.match(/^\s+patient:\s+(\S+)/m)[1];
  });

  after(async () => {
    if (browser) await browser.close();
    if (app) await app.stop();
  });

  async function signIn(email) {
    const context = await newContext(browser, app.baseUrl);
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(s.password);
    await go(page, page.getByRole('button', { name: 'Sign in' }));
    await assertNoFormErrors(page);
    return page;
  }

  step('the admin looks through the clinic', async () => {
    const page = await signIn(s.admin);
    await page.goto('/?scope=clinic');
    await assertOnPage(page, { path: '/', heading: 'All open cases' });
    const rows = page.locator('table tbody tr');
    assert.ok((await rows.count()) > 1, 'the demo clinic has open cases');
    await record(page, '01-home-clinic');
    await page.goto('/patients');
    await record(page, '02-patients');
    await page.goto('/?scope=clinic');
    await go(page, rows.first().getByRole('link').first());
    await assertOnPage(page, { path: /^\/cases\/\d+$/ });
    s.casePath = new URL(page.url()).pathname;
    assert.match(await shown(page), /Pain/);
    await record(page, '03-case');
    for (const [path, name] of [
      [`${s.casePath}/programme`, '04-programme'],
      ['/exercises', '05-exercises'],
      ['/templates', '06-templates'],
      ['/admin', '07-admin-review'],
      ['/admin/cases?figure=cohort', '08-admin-cases'],
      ['/admin/audit', '09-audit'],
      ['/admin/settings', '10-settings'],
      ['/admin/staff', '11-staff'],
    ]) {
      const response = await page.goto(path);
      assert.ok(response.status() < 400, `${path} answered ${response.status()}`);
      assert.ok((await h1(page)).length > 0, `${path} has a heading`);
      await record(page, name);
    }
    await page.goto('/exercises');
    await go(page, page.locator('main .exercise-card a').first());
    await assertOnPage(page, { path: /^\/exercises\/\d+$/ });
    await record(page, '12-exercise');
  });

  step('the demo patient sees their programme and pain', async () => {
    const page = await signIn(s.patient);
    if (new URL(page.url()).pathname !== '/me') await page.goto('/me');
    await assertOnPage(page, { path: '/me', heading: /^Hello, / });
    assert.doesNotMatch(await shown(page), /treatment at the clinic has ended/, 'the demo patient is in treatment');
    assert.ok(await page.locator('a[href="/me/programme.pdf"]').count() > 0, 'a programme to print');
    await record(page, '13-me');
  });

  step('axe-core finds no serious or critical problem on these pages', (t) => {
    t.diagnostic(`axe-core checked ${axeLog.length / 3} pages, each at 1280 px and 390 px (and measured at 320 px)`);
    for (const e of axeLog.filter((x) => x.other.length)) t.diagnostic(`axe, moderate or minor: ${e.name}: ${e.other.join('; ')}`);
    const { serious, message } = axeReport(axeLog);
    assert.equal(serious.length, 0, `serious or critical axe findings:\n${message}`);
  });

  step('no page is wider than the screen', () => {
    const overflowing = axeLog
      .filter((e) => e.overflow.wide.length > 0 || e.overflow.scrollWidth > e.overflow.width)
      .map((e) => `${e.name} (${e.url}): ${e.overflow.scrollWidth} px of content for ${e.overflow.width} px; ${e.overflow.wide.join(', ')}`);
    assert.deepEqual(overflowing, [], 'pages that scroll sideways');
  });
});
