'use strict';
// The whole life of a case in a real browser, from an empty database: first admin,
// an invited therapist, a patient with a case, an assessment with a red flag and its
// action, a programme from a template, its PDF, the patient portal, pain and adherence,
// and the admin's progress review. Every distinct page is checked with axe-core and
// screenshotted at 1280 px and 390 px; the patient-facing sheets also in print media.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { describe, before, after, test } = require('node:test');

const { startApp } = require('./lib/app');
const {
  launch, newContext, prepareScreenshots, printScreen, pageRecorder, axeReport, tabTo, focused,
} = require('./lib/browser');
const { journey, go, pressAndWait, h1, shown, assertOnPage, assertNoFormErrors } = require('./lib/steps');

const ADMIN = { name: 'Maja Lindqvist', email: 'maja@clinic.example', password: 'copper lantern orbit meadow' };
const THERAPIST = { name: 'Tomas Berg', email: 'tomas@clinic.example', password: 'granite puffin velvet harbour' };
const PATIENT = {
  given: 'Zoë', family: 'Łukasiewicz', dob: '1984-05-17', dobShown: '17 May 1984', email: 'zoe@home.example',
  reference: 'REF-2041', password: 'maple kettle saffron tundra',
};
const PATIENT_NAME = `${PATIENT.given} ${PATIENT.family}`;
const CASE_TITLE = 'Thoracic pain — postural';
const NIGHT_PAIN = 'Pain at night that does not ease with rest or position';

describe('the whole life of a case', () => {
  const axeLog = [];
  const dir = prepareScreenshots('journey');
  const record = pageRecorder(dir, axeLog);
  const step = journey();
  const s = {}; // what later steps need from earlier ones
  let app;
  let browser;
  let admin;
  let therapist;
  let patient;

  before(async () => {
    app = await startApp();
    browser = await launch();
    s.adminContext = await newContext(browser, app.baseUrl);
    admin = await s.adminContext.newPage();
  });

  after(async () => {
    if (browser) await browser.close();
    if (app) await app.stop();
  });

  step('the first admin account is made with the one-time setup link', async () => {
    assert.match(app.setupLink, /^http:\/\/127\.0\.0\.1:\d+\/setup\/\S+$/);
    await admin.goto(app.setupLink);
    await assertOnPage(admin, { path: /^\/setup\//, heading: 'Create the first admin account' });
    await record(admin, '01-setup-first-admin');
    await admin.getByLabel('Your name').fill(ADMIN.name);
    await admin.getByLabel('Email').fill(ADMIN.email);
    await admin.getByLabel('New password').fill(ADMIN.password);
    await admin.getByLabel('Type the password again').fill(ADMIN.password);
    await go(admin, admin.getByRole('button', { name: 'Create account' }));
    await assertOnPage(admin, { path: '/', heading: 'My caseload' });
    assert.match(await shown(admin, '.site-header'), new RegExp(`${ADMIN.name} \\(.*admin.*\\)`, 'i'));
    assert.match(await shown(admin), /No open cases/);
    await record(admin, '02-home-admin');
  });

  step('the admin invites a therapist and is shown a one-time link', async () => {
    await go(admin, admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }));
    await assertOnPage(admin, { path: '/admin/staff', heading: 'Staff' });
    assert.match(await shown(admin, 'table'), new RegExp(`${ADMIN.name} ${ADMIN.email}`));
    await record(admin, '03-staff');
    await go(admin, admin.getByRole('link', { name: 'Invite a staff member' }));
    await assertOnPage(admin, { path: '/admin/staff/invite', heading: 'Invite a staff member' });
    await record(admin, '04-staff-invite');
    await admin.getByLabel('Name').fill(THERAPIST.name);
    await admin.getByLabel('Email').fill(THERAPIST.email);
    await admin.getByRole('radio', { name: 'Therapist' }).check();
    await go(admin, admin.getByRole('button', { name: 'Create invitation' }));
    await assertNoFormErrors(admin);
    assert.equal(await h1(admin), `Link for ${THERAPIST.name}`);
    s.inviteLink = await admin.locator('#invite-link').inputValue();
    assert.match(s.inviteLink, /^http:\/\/127\.0\.0\.1:\d+\/setup\/\S+$/);
    assert.equal(await admin.getByLabel('Sign-in link').inputValue(), s.inviteLink);
    await record(admin, '05-staff-invite-link');
    await go(admin, admin.getByRole('link', { name: 'Back to staff' }));
    const row = admin.getByRole('row').filter({ hasText: THERAPIST.email });
    assert.match(await row.innerText(), /Therapist[\s\S]*Invited, no password yet/i);
  });

  step('the therapist sets a password with the link and lands signed in', async () => {
    s.therapistContext = await newContext(browser, app.baseUrl);
    therapist = await s.therapistContext.newPage();
    await therapist.goto(s.inviteLink);
    await assertOnPage(therapist, { path: /^\/setup\//, heading: 'Set your password' });
    assert.match(await shown(therapist), new RegExp(`Welcome, ${THERAPIST.name}\\. You will sign in as ${THERAPIST.email}`));
    await record(therapist, '06-setup-therapist');
    await therapist.getByLabel('New password').fill(THERAPIST.password);
    await therapist.getByLabel('Type the password again').fill(THERAPIST.password);
    await go(therapist, therapist.getByRole('button', { name: 'Set password and sign in' }));
    await assertOnPage(therapist, { path: '/', heading: 'My caseload' });
    assert.match(await shown(therapist, '.site-header'), new RegExp(`${THERAPIST.name} \\(Therapist\\)`, 'i'));
    await record(therapist, '07-home-therapist-empty');
  });

  step('the therapist adds a patient', async () => {
    await go(therapist, therapist.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }));
    await assertOnPage(therapist, { path: '/patients', heading: 'Patients' });
    assert.match(await shown(therapist), /No patients yet/);
    await record(therapist, '08-patients-empty');
    await go(therapist, therapist.getByRole('link', { name: 'New patient' }));
    await assertOnPage(therapist, { path: '/patients/new' });
    await record(therapist, '09-patient-new');
    await therapist.getByLabel('Given name').fill(PATIENT.given);
    await therapist.getByLabel('Family name').fill(PATIENT.family);
    await therapist.getByLabel('Date of birth').fill(PATIENT.dob);
    await therapist.getByLabel('Sex (optional)').selectOption({ label: 'Female' });
    await therapist.getByLabel('Phone (optional)').fill('+46 70 123 45 67');
    await therapist.getByLabel('Email (optional)').fill(PATIENT.email);
    await therapist.getByLabel('Clinic reference (optional, unique)').fill(PATIENT.reference);
    await therapist.getByLabel('Primary therapist').selectOption({ label: THERAPIST.name });
    await therapist.getByLabel('Notes (optional)').fill('Desk worker, cycles to work.');
    await go(therapist, therapist.getByRole('button', { name: 'Save patient' }));
    await assertNoFormErrors(therapist);
    await assertOnPage(therapist, { path: /^\/patients\/\d+$/, heading: PATIENT_NAME });
    s.patientPath = new URL(therapist.url()).pathname;
    const facts = await shown(therapist, '.facts');
    for (const fact of [PATIENT.dobShown, 'Female', PATIENT.reference, THERAPIST.name, PATIENT.email]) {
      assert.ok(facts.includes(fact), `the patient page shows ${fact}: ${facts}`);
    }
    assert.match(await shown(therapist), /No cases yet/);
    await record(therapist, '10-patient');
  });

  step('the therapist opens a case', async () => {
    await go(therapist, therapist.getByRole('link', { name: 'Open a case' }));
    await assertOnPage(therapist, { heading: `Open a case for ${PATIENT_NAME}` });
    await record(therapist, '11-case-new');
    await therapist.getByLabel(/^Title/).fill(CASE_TITLE);
    await therapist.getByLabel('Body region').selectOption({ label: 'Upper / mid back (thoracic)' });
    await therapist.getByLabel('Onset date (optional)').fill('2026-01-10');
    const chosen = await therapist.getByLabel('Therapist', { exact: true }).locator('option:checked').innerText();
    assert.match(chosen, new RegExp(THERAPIST.name), 'the therapist opening the case is chosen');
    await therapist.getByLabel('Referral source (optional)').fill('GP');
    await therapist.getByLabel('Goals (optional)').fill('Sit through a working day without pain.');
    await go(therapist, therapist.getByRole('button', { name: 'Open case' }));
    await assertNoFormErrors(therapist);
    await assertOnPage(therapist, { path: /^\/cases\/\d+$/, heading: CASE_TITLE });
    s.casePath = new URL(therapist.url()).pathname;
    const page = await shown(therapist);
    assert.match(page, new RegExp(`${PATIENT_NAME} · born ${PATIENT.dobShown} · Upper / mid back \\(thoracic\\) · therapist ${THERAPIST.name}`));
    assert.match(page, /No assessments yet/);
    assert.match(page, /No programme yet/);
    await record(therapist, '12-case-new-empty');
  });

  step('an initial assessment with a red flag is saved and signed', async () => {
    await therapist.getByLabel('New assessment').selectOption({ label: 'Initial assessment' });
    await go(therapist, therapist.getByRole('button', { name: 'Start' }));
    await assertOnPage(therapist, { path: `${s.casePath}/assessments/new`, heading: `Initial assessment — ${PATIENT_NAME}` });
    await record(therapist, '13-assessment-new');
    await therapist.getByLabel('Presenting complaint').fill('Mid-back ache after long days at the desk.');
    await therapist.getByLabel('Aggravating factors').fill('Sitting over two hours.');
    await therapist.getByLabel('Pain now').fill('7');
    await therapist.getByLabel('Pain at best').fill('3');
    await therapist.getByLabel('Pain at worst (24 h)').fill('8');
    await therapist.getByRole('checkbox', { name: 'Mid thoracic' }).check();
    await therapist.getByRole('radio', { name: `${NIGHT_PAIN}: Yes`, exact: true }).check();
    assert.ok(await therapist.locator('input[name="rf_night-pain"][value="yes"]').isChecked());
    await therapist.getByRole('radio', { name: 'Chest pain: No', exact: true }).check();
    // An initial assessment is signed only with the whole screen answered.
    for (const no of await therapist.locator('input[name^="rf_"][value="no"]').all()) {
      if ((await no.getAttribute('name')) !== 'rf_night-pain') await no.check();
    }
    await therapist.getByLabel('Thoracic rotation left (degrees)').fill('40');
    await therapist.getByLabel('New activity 1').fill('Sitting through a working day');
    await therapist.getByLabel('Score 1', { exact: true }).fill('3');
    await therapist.getByLabel('Clinical impression').fill('Postural thoracic pain; night pain to be checked by GP.');
    await therapist.getByLabel('Plan', { exact: true }).fill('Mobility programme, review in two weeks.');
    // A new case has no consent yet: the form takes the patient's consent with the signature.
    assert.match(await shown(therapist), /no consent to assessment and treatment recorded/);
    await therapist.getByRole('radio', { name: 'Verbal', exact: true }).check();
    await go(therapist, therapist.getByRole('button', { name: 'Save and sign' }));
    await assertNoFormErrors(therapist);
    await assertOnPage(therapist, { path: /^\/assessments\/\d+$/, heading: 'Initial assessment' });
    const page = await shown(therapist);
    assert.match(page, /Signed/);
    assert.match(page, /Now: 7\/10 · Best: 3\/10 · Worst \(24 h\): 8\/10/);
    assert.match(page, /Sitting through a working day\s+3/);
    assert.match(page, /Thoracic rotation left\s+40°/);
    assert.match(await therapist.getByRole('row', { name: new RegExp(NIGHT_PAIN) }).innerText(), /⚠ Yes/);
    await record(therapist, '14-assessment-signed');
  });

  step('the red flag raises a banner on the case and on the patient', async () => {
    await therapist.goto(s.casePath);
    const banner = therapist.locator('.red-flag-banner');
    assert.equal(await banner.count(), 1);
    assert.match(await banner.innerText(), new RegExp(`Red flags need action — ${CASE_TITLE}[\\s\\S]*${NIGHT_PAIN}`));
    assert.equal(await banner.getAttribute('role'), 'alert');
    assert.match(await shown(therapist), /Initial assessment — .* by Tomas Berg Signed/);
    await record(therapist, '15-case-red-flag');
    await therapist.goto(s.patientPath);
    assert.match(await therapist.locator('.red-flag-banner').innerText(), /Red flags need action/);
    assert.match(await therapist.getByRole('row', { name: new RegExp(CASE_TITLE) }).innerText(), /Open[\s\S]*Red flags/);
    await record(therapist, '16-patient-red-flag');
  });

  step('recording the action on the red flag takes the banner away', async () => {
    await therapist.goto(s.casePath);
    await go(therapist, therapist.getByRole('link', { name: /Record what was done/ }));
    await assertOnPage(therapist, { path: `${s.casePath}/red-flags`, heading: `Red flags for ${PATIENT_NAME}` });
    await record(therapist, '17-red-flags');
    await therapist.getByRole('checkbox', { name: NIGHT_PAIN }).check();
    await therapist.getByRole('radio', { name: 'Referred to a doctor' }).check();
    await therapist.getByRole('radio', { name: 'Urgent: to be seen the same day' }).check();
    await therapist.getByLabel('Reason and details').fill('Referred to the GP the same day for night pain.');
    await go(therapist, therapist.getByRole('button', { name: 'Record action' }));
    await assertNoFormErrors(therapist);
    await therapist.goto(s.casePath);
    assert.equal(await therapist.locator('.red-flag-banner').count(), 0, 'no banner on the case');
    assert.match(await shown(therapist, '.timeline'), /[Rr]eferred/);
    await therapist.goto(s.patientPath);
    assert.equal(await therapist.locator('.red-flag-banner').count(), 0, 'no banner on the patient');
    assert.doesNotMatch(await therapist.getByRole('row', { name: new RegExp(CASE_TITLE) }).innerText(), /Red flags/);
  });

  step('a programme is built from a template, one dosage changed, and saved', async () => {
    await therapist.goto(s.casePath);
    await record(therapist, '18-case-cleared');
    await go(therapist, therapist.getByRole('link', { name: 'Build one from the library or a template' }));
    await assertOnPage(therapist, { path: `${s.casePath}/programme/builder`, heading: `Programme for ${PATIENT_NAME}` });
    assert.match(await shown(therapist), /Saving makes version 1\./);
    assert.match(await shown(therapist), /No exercises yet/);
    await record(therapist, '19-builder-empty');
    // Every built-in exercise's drawn positions on one page, to look at.
    await therapist.goto('/library/figures');
    assert.ok((await therapist.locator('.contact-sheet svg').count()) >= 72, 'two figures for each of 36 exercises');
    await therapist.screenshot({ path: path.join(dir, '19-exercise-figures.png'), fullPage: true });
    await therapist.goto(`${s.casePath}/programme/builder`);
    const templates = therapist.getByLabel('Start from a template (replaces the list above)');
    const options = await templates.locator('option').allInnerTexts();
    assert.ok(options.length > 0, 'the clinic has templates to start from');
    s.template = options[0].trim();
    await templates.selectOption({ label: s.template });
    await go(therapist, therapist.getByRole('button', { name: 'Use template' }));
    await assertNoFormErrors(therapist);
    const items = therapist.locator('.builder-item');
    s.exerciseCount = await items.count();
    assert.ok(s.exerciseCount > 0, `the template ${s.template} fills the list`);
    assert.match(await shown(therapist, '#programme-heading'), new RegExp(`Exercises \\(${s.exerciseCount} of 30\\)`));
    s.firstExercise = (await items.first().locator('h3').innerText()).replace(/^1\.\s*/, '').trim();
    const sets = items.first().getByLabel('Sets');
    const before = await sets.inputValue();
    s.sets = before === '4' ? '5' : '4';
    await sets.fill(s.sets);
    // Enter in a dosage field keeps everything typed and comes back to the programme.
    const noteLabel = 'Note for the patient (e.g. when to progress)';
    await items.first().getByLabel(noteLabel).fill('Slowly, on a count of five');
    await sets.focus();
    await pressAndWait(therapist, 'Enter');
    await assertNoFormErrors(therapist);
    assert.equal(new URL(therapist.url()).hash, '#programme-heading');
    assert.equal(await items.first().getByLabel('Sets').inputValue(), s.sets, 'the sets as typed');
    assert.equal(await items.first().getByLabel(noteLabel).inputValue(), 'Slowly, on a count of five');
    // Moving an item comes back to it, on screen, not to the top of the page.
    if (s.exerciseCount > 1) {
      const id = await items.nth(1).getAttribute('id');
      await go(therapist, items.nth(1).getByRole('button', { name: /Move .* up/ }));
      assert.equal(new URL(therapist.url()).hash, `#${id}`);
      const onScreen = await therapist.locator(`#${id}`).evaluate((el) => {
        const box = el.getBoundingClientRect();
        return box.top >= 0 && box.top < window.innerHeight;
      });
      assert.ok(onScreen, 'the moved item is on screen');
      await go(therapist, therapist.locator(`#${id}`).getByRole('button', { name: /Move .* down/ }));
      assert.equal(new URL(therapist.url()).hash, `#${id}`);
      assert.equal(await items.nth(1).getAttribute('id'), id, 'back in its place');
    }
    await record(therapist, '20-builder-template');
    await go(therapist, therapist.getByRole('button', { name: 'Save as new version' }));
    await assertNoFormErrors(therapist);
    await assertOnPage(therapist, { path: `${s.casePath}/programme/versions/1`, heading: 'Version 1 Current' });
    const version = await shown(therapist);
    assert.match(version, new RegExp(`${PATIENT_NAME} · ${CASE_TITLE} · saved .* by ${THERAPIST.name}`));
    assert.match(version, /This is the first version\./);
    assert.ok(version.includes(s.firstExercise), `version 1 lists ${s.firstExercise}`);
    await record(therapist, '21-programme-version');
    await go(therapist, therapist.getByRole('link', { name: '← Programme' }));
    await assertOnPage(therapist, { path: `${s.casePath}/programme`, heading: `Programme — ${PATIENT_NAME}` });
    const page = await shown(therapist);
    assert.match(page, new RegExp(`Current: version 1, saved .* by ${THERAPIST.name}`));
    const first = await therapist.locator('.programme-list > li').first().innerText();
    assert.ok(first.startsWith(s.firstExercise), `the first exercise is ${s.firstExercise}: ${first}`);
    assert.match(first, new RegExp(`\\b${s.sets}\\b`), `the changed sets show in "${first}"`);
    assert.equal(await therapist.locator('.programme-list > li').count(), s.exerciseCount);
    await record(therapist, '21-programme-current');
  });

  step('the printable sheet downloads as a PDF and the patient view prints cleanly', async () => {
    const link = therapist.getByRole('link', { name: 'Print sheet (PDF)' });
    const href = await link.getAttribute('href');
    assert.equal(href, `${s.casePath}/programme.pdf`);
    const response = await s.therapistContext.request.get(href);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^application\/pdf/);
    const body = await response.body();
    assert.equal(body.subarray(0, 4).toString('latin1'), '%PDF');
    assert.ok(body.length > 1000, `a real sheet, not ${body.length} bytes`);
    fs.writeFileSync(path.join(dir, '22-programme-sheet.pdf'), body);
    // The sheet as it prints on each paper, page by page (poppler's pdftoppm, which
    // .ci/run installs), beside the screenshots.
    for (const paper of ['a4', 'letter']) {
      const printed = await s.therapistContext.request.get(`${href}?paper=${paper}`);
      assert.equal(printed.status(), 200);
      const file = path.join(dir, `22-sheet-${paper}.pdf`);
      fs.writeFileSync(file, await printed.body());
      execFileSync('pdftoppm', ['-png', '-r', '60', file, path.join(dir, `22-sheet-${paper}`)]);
      assert.ok(fs.existsSync(path.join(dir, `22-sheet-${paper}-1.png`)), `page 1 on ${paper}`);
    }

    await go(therapist, therapist.getByRole('link', { name: 'Patient view' }));
    await assertOnPage(therapist, { path: `${s.casePath}/programme/sheet`, heading: 'Your home exercise programme' });
    const sheet = await shown(therapist);
    assert.match(sheet, new RegExp(`${PATIENT_NAME} · version 1 · issued .* by ${THERAPIST.name}`));
    assert.match(sheet, new RegExp(`1\\. ${s.firstExercise}`));
    assert.match(sheet, /Stop and contact the clinic if…/);
    await record(therapist, '22-programme-sheet');
    await assertPrintsCleanly(therapist, dir, '22-programme-sheet');
  });

  step('the patient is given portal access with a link and a QR code', async () => {
    await therapist.goto(s.patientPath);
    await go(therapist, therapist.getByRole('link', { name: 'Portal access' }));
    await assertOnPage(therapist, { path: `${s.patientPath}/portal`, heading: `Portal access for ${PATIENT_NAME}` });
    assert.match(await shown(therapist), /Status: No access yet/);
    await record(therapist, '23-portal-access');
    await therapist.getByLabel("Patient's email (their sign-in name)").fill(PATIENT.email);
    await go(therapist, therapist.getByRole('button', { name: 'Create link' }));
    await assertNoFormErrors(therapist);
    assert.ok(await therapist.locator('svg.qr').isVisible(), 'a QR code is shown');
    s.portalLink = await therapist.locator('#portal-link').inputValue();
    assert.match(s.portalLink, /^http:\/\/127\.0\.0\.1:\d+\/setup\/\S+$/);
    const page = await shown(therapist);
    assert.match(page, /Status: Link given, password not set yet/);
    assert.match(page, new RegExp(`Give this link to ${PATIENT.given}`));
    assert.match(page, new RegExp(`signs in as ${PATIENT.email}`));
    await record(therapist, '24-portal-access-link');
  });

  step('the patient sets a password with the link and lands on /me', async () => {
    s.patientContext = await newContext(browser, app.baseUrl);
    patient = await s.patientContext.newPage();
    await patient.goto(s.portalLink);
    await assertOnPage(patient, { path: /^\/setup\//, heading: 'Set your password' });
    assert.match(await shown(patient), new RegExp(`You will sign in as ${PATIENT.email}`));
    await record(patient, '25-setup-patient');
    await patient.getByLabel('New password').fill(PATIENT.password);
    await patient.getByLabel('Type the password again').fill(PATIENT.password);
    await go(patient, patient.getByRole('button', { name: 'Set password and sign in' }));
    if (new URL(patient.url()).pathname !== '/me') await patient.goto('/me');
    await assertOnPage(patient, { path: '/me', heading: `Hello, ${PATIENT.given}` });
    const page = await shown(patient);
    assert.match(page, new RegExp(`Programme version 1 from ${THERAPIST.name}`));
    assert.match(page, new RegExp(`1\\. ${s.firstExercise}`));
    assert.equal(await patient.locator('.sheet__exercises > li').count(), s.exerciseCount);
    assert.ok(!(await shown(patient, '.site-header')).includes('Patients'), 'a patient has no staff navigation');
    await record(patient, '26-me');
  });

  step('the patient logs pain with the keyboard alone', async () => {
    await patient.goto('/me');
    await patient.locator('body').focus();
    await tabTo(patient, '#score');
    await patient.keyboard.type('3');
    await patient.keyboard.press('Tab');
    assert.match(await focused(patient), /^select#context\|/, 'Tab goes from the score to "When"');
    assert.equal(await patient.getByLabel('When').locator('option:checked').innerText(), 'Now');
    await tabTo(patient, '#note');
    await patient.keyboard.type('After a long day at the desk');
    await tabTo(patient, 'form[action="/me/pain"] button[type="submit"]');
    assert.match(await focused(patient), /^button\|Save my pain score$/);
    await pressAndWait(patient, 'Enter');
    await assertNoFormErrors(patient);
    await assertOnPage(patient, { path: '/me', heading: `Hello, ${PATIENT.given}` });
    assert.match(await shown(patient, '.pain-summary'), /Latest 3\/10/);
  });

  step('the patient ticks an exercise as done today', async () => {
    const tick = patient.getByRole('button', { name: `Mark “${s.firstExercise}” as done today` });
    await go(patient, tick);
    await assertOnPage(patient, { path: '/me' });
    const first = patient.locator('.sheet__exercises > li').first();
    assert.match(await first.innerText(), /✓ Done today/);
    assert.equal(await patient.getByRole('button', { name: `Mark “${s.firstExercise}” as done today` }).count(), 0);
    assert.equal(await patient.getByText('✓ Done today').count(), 1);
    assert.equal(await patient.getByRole('button', { name: `Undo “done” for “${s.firstExercise}”` }).count(), 1, 'a tick by mistake can be taken back');
    await record(patient, '27-me-after');
  });

  step('the patient downloads their PDF and /me prints cleanly', async () => {
    assert.equal(await patient.getByRole('link', { name: 'Print or download (PDF)' }).getAttribute('href'), '/me/programme.pdf');
    const response = await s.patientContext.request.get('/me/programme.pdf');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^application\/pdf/);
    const body = await response.body();
    assert.equal(body.subarray(0, 4).toString('latin1'), '%PDF');
    fs.writeFileSync(path.join(dir, '27-me-programme.pdf'), body);
    await assertPrintsCleanly(patient, dir, '27-me');
  });

  step('on a phone the pain chart reads at 12 px or more, and its scores open as a table', async () => {
    await patient.setViewportSize({ width: 390, height: 844 });
    await patient.goto('/me');
    const sizes = await patient.evaluate(() => [...document.querySelectorAll('.pain-panel__chart svg')]
      .filter((svg) => svg.getBoundingClientRect().width > 0)
      .map((svg) => {
        const scale = svg.getScreenCTM().a;
        return [...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
      }));
    assert.equal(sizes.length, 1, 'one layout of the chart shows');
    assert.ok(sizes[0].length > 11, 'the chart has its labels');
    const smallest = Math.min(...sizes[0]);
    assert.ok(smallest >= 12, `the smallest text on the chart is ${smallest.toFixed(1)} px`);
    await patient.locator('.pain-panel__chart summary').click();
    const rows = await patient.locator('.pain-panel__chart tbody tr').allInnerTexts();
    assert.ok(rows.length >= 2, 'every score is a row');
    assert.match(rows[0], /Now[\s\S]*3/, `the newest score first: ${rows[0]}`);
    await patient.screenshot({ path: path.join(dir, '27-me-pain-chart-390.png'), fullPage: true });
    await patient.setViewportSize({ width: 1280, height: 800 });
  });

  step('a patient who reports chest pain is told to stop and whom to call, until the therapist acts', async () => {
    await patient.goto('/me');
    await patient.getByLabel(/^Pain score/).fill('3');
    await patient.getByRole('checkbox', { name: 'chest pain or difficulty breathing' }).check();
    await go(patient, patient.getByRole('button', { name: 'Save my pain score' }));
    await assertNoFormErrors(patient);
    await assertOnPage(patient, { path: '/me' });
    const stop = await shown(patient, '#stop-now');
    assert.match(stop, /Stop your exercises now/);
    assert.match(stop, /Chest pain or difficulty breathing: call 112 now\.[\s\S]*Then tell the clinic/);
    assert.equal(await patient.locator('.sheet__exercises').count(), 0, 'the programme is held back');
    assert.equal(await patient.getByRole('link', { name: 'Print or download (PDF)' }).count(), 0);
    assert.equal((await s.patientContext.request.get('/me/programme.pdf')).status(), 409);
    await record(patient, '27-me-stop');

    await therapist.goto('/');
    const told = therapist.locator('#stop-reported');
    assert.match(await told.innerText(), new RegExp(`Patients told to stop[\\s\\S]*${PATIENT_NAME}`));
    await record(therapist, '27-home-stop-reported');
    await go(therapist, told.getByRole('link', { name: 'Record what was done' }));
    await assertOnPage(therapist, { path: `${s.casePath}/red-flags`, heading: `Red flags for ${PATIENT_NAME}` });
    await therapist.getByRole('checkbox', { name: 'Patient reports chest pain or difficulty breathing' }).check();
    await therapist.getByRole('radio', { name: 'Cleared (not a concern)' }).check();
    await therapist.getByLabel('Reason and details').fill('Phoned: a tight chest muscle after the stretch, no breathing trouble.');
    await go(therapist, therapist.getByRole('button', { name: 'Record action' }));
    await assertNoFormErrors(therapist);
    await therapist.goto('/');
    assert.equal(await therapist.locator('#stop-reported').count(), 0, 'no longer at the top');

    await patient.goto('/me');
    assert.equal(await patient.locator('#stop-now').count(), 0);
    assert.ok((await patient.locator('.sheet__exercises > li').count()) > 0, 'the programme is back');
    assert.equal((await s.patientContext.request.get('/me/programme.pdf')).status(), 200);
  });

  step('the therapist signs out and in again with the keyboard alone', async () => {
    await go(therapist, therapist.getByRole('button', { name: 'Sign out' }));
    await assertOnPage(therapist, { path: '/login', heading: 'Sign in' });
    assert.match(await shown(therapist), /You have signed out\./);
    await record(therapist, '28-login');
    await therapist.locator('body').focus();
    await tabTo(therapist, '#email');
    await therapist.keyboard.type(THERAPIST.email);
    await therapist.keyboard.press('Tab');
    assert.match(await focused(therapist), /^input#password\|/, 'Tab goes from the email to the password');
    await therapist.keyboard.type(THERAPIST.password);
    await pressAndWait(therapist, 'Enter');
    await assertOnPage(therapist, { path: '/', heading: 'My caseload' });
    const row = therapist.getByRole('row', { name: new RegExp(PATIENT_NAME) });
    assert.match(await row.innerText(), new RegExp(`${CASE_TITLE}\\s+3/10 \\(from 7\\)`));
    await record(therapist, '29-home-therapist-caseload');
  });

  step("the therapist sees the trend and the patient's own score on the case", async () => {
    await therapist.goto(s.casePath);
    const summary = await shown(therapist, '.pain-summary');
    assert.match(summary, /Baseline 7\/10/);
    assert.match(summary, /Latest 3\/10/);
    assert.match(summary, /Change −4 points/);
    assert.match(await shown(therapist, '.pain-panel .trend'), /clinically important improvement/);
    assert.ok(await therapist.locator('.pain-panel__chart svg.pc-chart:not(.pc-chart--phone)').isVisible(), 'the pain chart is drawn');
    assert.match(await shown(therapist, '.timeline'), new RegExp(`recorded by ${PATIENT_NAME}`));
    await therapist.getByText('Day by day').click();
    const today = therapist.locator('.adherence-days tbody tr').first();
    assert.match(await today.innerText(), new RegExp(`1 of ${s.exerciseCount}`));
    await record(therapist, '30-case-progress');
  });

  step('the admin sees the outcome figures in the progress review', async () => {
    await admin.goto('/');
    await go(admin, admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review' }));
    await assertOnPage(admin, { path: '/admin', heading: 'Progress review' });
    const figures = await shown(admin, '.figures');
    assert.match(figures, /100 %\s*reached a clinically important improvement \(1 of 1 with two or more scores\)/);
    assert.match(figures, /[-−]4(\.0)?\s*median pain change from baseline/);
    const row = admin.getByRole('row', { name: new RegExp(THERAPIST.name) });
    assert.match(await row.innerText(), new RegExp(`${THERAPIST.name}\\s+1\\s+1\\s+1\\s+0`));
    await record(admin, '31-admin-review');
  });

  // Both checks judge every page the journey reached; when it stopped early they still
  // judge the pages it did reach rather than hide what was found there.
  function reached(t) {
    if (!step.failed()) {
      assert.ok(axeLog.length >= 96, `every page was checked at all three widths (${axeLog.length} runs)`);
      return true;
    }
    if (axeLog.length === 0) {
      t.skip(`no page was reached (the journey stopped at: ${step.failed()})`);
      return false;
    }
    t.diagnostic(`only the pages before "${step.failed()}" were reached`);
    return true;
  }

  test('axe-core finds no serious or critical problem on any page of the journey', (t) => {
    if (!reached(t)) return;
    t.diagnostic(`axe-core checked ${axeLog.length / 3} pages, each at 1280 px and 390 px (and measured at 320 px)`);
    const lesser = axeLog.filter((e) => e.other.length).map((e) => `${e.name}: ${e.other.join('; ')}`);
    for (const line of lesser) t.diagnostic(`axe, moderate or minor: ${line}`);
    const { serious, message } = axeReport(axeLog);
    assert.equal(serious.length, 0, `serious or critical axe findings:\n${message}`);
  });

  test('no page is wider than the screen at 1280 px, 390 px or 320 px', (t) => {
    if (!reached(t)) return;
    const overflowing = axeLog
      .filter((e) => e.overflow.wide.length > 0 || e.overflow.scrollWidth > e.overflow.width)
      .map((e) => `${e.name} (${e.url}): ${e.overflow.scrollWidth} px of content for ${e.overflow.width} px; ${e.overflow.wide.join(', ')}`);
    assert.deepEqual(overflowing, [], 'pages that scroll sideways');
  });
});

/** Emulates print media, screenshots, and checks the navigation and every button are hidden. */
async function assertPrintsCleanly(page, dir, name) {
  try {
    await printScreen(page, dir, name);
    assert.equal(await page.locator('.site-header').isVisible(), false, 'the site header is hidden in print');
    const buttons = page.locator('button, .button, input[type="submit"]');
    const visible = [];
    for (const b of await buttons.all()) {
      if (await b.isVisible()) visible.push((await b.innerText()).trim());
    }
    assert.deepEqual(visible, [], 'no button shows in print');
    assert.ok(await page.getByRole('heading', { level: 1 }).isVisible(), 'the heading prints');
    assert.ok(await page.locator('.sheet__exercises').first().isVisible(), 'the exercises print');
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
}
