'use strict';
// physiocase is plain server-rendered forms: the core therapist journey must work in a
// browser with JavaScript switched off (sign in, patient, case, assessment, programme).

const assert = require('node:assert/strict');
const { describe, before, after } = require('node:test');

const { startApp } = require('./lib/app');
const { launch, newContext, prepareScreenshots, screens } = require('./lib/browser');
const { journey, go, shown, assertOnPage, assertNoFormErrors } = require('./lib/steps');

const ADMIN = { name: 'Ines Okafor', email: 'ines@clinic.example', password: 'walnut comet drizzle lagoon' };
const THERAPIST = { name: 'Pekka Virtanen', email: 'pekka@clinic.example', password: 'birch otter lantern quarry' };
const PATIENT = { given: 'Aino', family: 'Mäkelä', dob: '1991-11-02', dobShown: '2 Nov 1991' };
const CASE_TITLE = 'Neck stiffness after whiplash';

describe('the core therapist journey with JavaScript off', () => {
  const dir = prepareScreenshots('no-javascript');
  const step = journey();
  const s = {};
  let app;
  let browser;
  let page;

  before(async () => {
    app = await startApp();
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (app) await app.stop();
  });

  step('pages really run without JavaScript', async () => {
    const adminContext = await newContext(browser, app.baseUrl, { javaScriptEnabled: false });
    const admin = await adminContext.newPage();
    // A <script> in a page (about:blank, no policy of the app's) does not run.
    await admin.setContent('<p id="probe">off</p><script>document.getElementById("probe").textContent = "on"</script>');
    assert.equal(await admin.locator('#probe').innerText(), 'off');
    s.adminContext = adminContext;
    s.admin = admin;
  });

  step('an admin and an invited therapist are set up', async () => {
    const { admin } = s;
    await admin.goto(app.setupLink);
    await admin.getByLabel('Your name').fill(ADMIN.name);
    await admin.getByLabel('Email').fill(ADMIN.email);
    await admin.getByLabel('New password').fill(ADMIN.password);
    await admin.getByLabel('Type the password again').fill(ADMIN.password);
    await go(admin, admin.getByRole('button', { name: 'Create account' }));
    await assertNoFormErrors(admin);
    await assertOnPage(admin, { path: '/', heading: 'My caseload' });
    await admin.goto('/admin/staff/invite');
    await admin.getByLabel('Name').fill(THERAPIST.name);
    await admin.getByLabel('Email').fill(THERAPIST.email);
    await admin.getByRole('radio', { name: 'Therapist' }).check();
    await go(admin, admin.getByRole('button', { name: 'Create invitation' }));
    await assertNoFormErrors(admin);
    const link = await admin.locator('#invite-link').inputValue();

    const context = await newContext(browser, app.baseUrl, { javaScriptEnabled: false });
    page = await context.newPage();
    await page.goto(link);
    await page.getByLabel('New password').fill(THERAPIST.password);
    await page.getByLabel('Type the password again').fill(THERAPIST.password);
    await go(page, page.getByRole('button', { name: 'Set password and sign in' }));
    await assertNoFormErrors(page);
    await assertOnPage(page, { path: '/', heading: 'My caseload' });
    await go(page, page.getByRole('button', { name: 'Sign out' }));
    await assertOnPage(page, { path: '/login', heading: 'Sign in' });
  });

  step('the therapist signs in', async () => {
    await page.getByLabel('Email').fill(THERAPIST.email);
    await page.getByLabel('Password').fill(THERAPIST.password);
    await go(page, page.getByRole('button', { name: 'Sign in' }));
    await assertNoFormErrors(page);
    await assertOnPage(page, { path: '/', heading: 'My caseload' });
    assert.match(await shown(page, '.site-header'), new RegExp(THERAPIST.name));
  });

  step('the therapist adds a patient', async () => {
    await go(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }));
    await go(page, page.getByRole('link', { name: 'New patient' }));
    await page.getByLabel('Given name').fill(PATIENT.given);
    await page.getByLabel('Family name').fill(PATIENT.family);
    await page.getByLabel('Date of birth').fill(PATIENT.dob);
    await go(page, page.getByRole('button', { name: 'Save patient' }));
    await assertNoFormErrors(page);
    await assertOnPage(page, { path: /^\/patients\/\d+$/, heading: `${PATIENT.given} ${PATIENT.family}` });
    assert.match(await shown(page, '.facts'), new RegExp(PATIENT.dobShown));
  });

  step('the therapist opens a case', async () => {
    await go(page, page.getByRole('link', { name: 'Open a case' }));
    await page.getByLabel(/^Title/).fill(CASE_TITLE);
    await page.getByLabel('Body region').selectOption({ label: 'Neck (cervical)' });
    await go(page, page.getByRole('button', { name: 'Open case' }));
    await assertNoFormErrors(page);
    await assertOnPage(page, { path: /^\/cases\/\d+$/, heading: CASE_TITLE });
    s.casePath = new URL(page.url()).pathname;
    assert.match(await shown(page), new RegExp(`Neck \\(cervical\\) · therapist ${THERAPIST.name}`));
  });

  step('the therapist records and signs an initial assessment', async () => {
    await page.getByLabel('New assessment').selectOption({ label: 'Initial assessment' });
    await go(page, page.getByRole('button', { name: 'Start' }));
    await assertOnPage(page, { heading: `Initial assessment — ${PATIENT.given} ${PATIENT.family}` });
    await page.getByLabel('Presenting complaint').fill('Stiff neck since a car accident six weeks ago.');
    await page.getByLabel('Pain now').fill('6');
    await page.getByRole('checkbox', { name: 'Neck (cervical)' }).check();
    await page.getByRole('radio', { name: 'Pain after a fall or accident: No', exact: true }).check();
    // An initial assessment is signed only with the whole red-flag screen answered.
    for (const no of await page.locator('input[name^="rf_"][value="no"]').all()) await no.check();
    await page.getByRole('radio', { name: 'Verbal', exact: true }).check();
    await go(page, page.getByRole('button', { name: 'Save and sign' }));
    await assertNoFormErrors(page);
    await assertOnPage(page, { path: /^\/assessments\/\d+$/, heading: 'Initial assessment' });
    assert.match(await shown(page), /Signed/);
    assert.match(await shown(page), /Now: 6\/10/);
    await page.goto(s.casePath);
    assert.equal(await page.locator('.red-flag-banner').count(), 0);
  });

  step('the therapist builds a programme from a template and saves it', async () => {
    await go(page, page.getByRole('link', { name: 'Build one from the library or a template' }));
    const templates = page.getByLabel('Start from a template (replaces the list above)');
    const names = await templates.locator('option').allInnerTexts();
    assert.ok(names.length > 0, 'the clinic has templates');
    await templates.selectOption({ label: names[names.length - 1].trim() });
    await go(page, page.getByRole('button', { name: 'Use template' }));
    await assertNoFormErrors(page);
    const items = page.locator('.builder-item');
    const count = await items.count();
    assert.ok(count > 0, 'the template fills the builder');
    const name = (await items.first().locator('h3').innerText()).replace(/^1\.\s*/, '').trim();
    await items.first().getByLabel('Sets').fill('2');
    await items.first().getByLabel('Reps').fill('12');
    await screens(page, dir, 'builder-no-js');
    await go(page, page.getByRole('button', { name: 'Save as new version' }));
    await assertNoFormErrors(page);
    await assertOnPage(page, { path: `${s.casePath}/programme/versions/1`, heading: 'Version 1 Current' });
    assert.match(await shown(page), /This is the first version\./);
    await go(page, page.getByRole('link', { name: '← Programme' }));
    await assertOnPage(page, { path: `${s.casePath}/programme`, heading: `Programme — ${PATIENT.given} ${PATIENT.family}` });
    assert.match(await shown(page), new RegExp(`Current: version 1, saved .* by ${THERAPIST.name}`));
    const first = await page.locator('.programme-list > li').first().innerText();
    assert.ok(first.startsWith(name), `${name} comes first: ${first}`);
    assert.match(first, /\b2\b[\s\S]*\b12\b/, `the changed dosage shows: ${first}`);
    assert.equal(await page.locator('.programme-list > li').count(), count);
    await screens(page, dir, 'programme-no-js');
  });
});
