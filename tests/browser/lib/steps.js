'use strict';
// Small helpers shared by the journeys: ordered steps, navigation and page reading.

const assert = require('node:assert/strict');
const { test } = require('node:test');

/**
 * Steps of one journey run in order; once a step fails, the later ones are skipped
 * (they depend on it), so the failure that matters is the one reported.
 */
function journey() {
  let failed = null;
  const step = function step(name, fn) {
    test(name, async (t) => {
      if (failed) {
        t.skip(`skipped: an earlier step failed (${failed})`);
        return;
      }
      try {
        await fn(t);
      } catch (error) {
        failed = name;
        throw error;
      }
    });
  };
  /** The name of the step that failed, if any. */
  step.failed = () => failed;
  return step;
}

/** Fails, quoting what the page says, when the server answered with an error status. */
async function assertAnswered(page, response) {
  if (!response || response.status() < 400) return;
  const request = response.request();
  const said = (await page.locator('main').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
  assert.fail(`${request.method()} ${new URL(response.url()).pathname} answered ${response.status()}: "${said.slice(0, 300)}"`);
}

/** Clicks something that submits a form or follows a link and waits for the new page. */
async function go(page, locator) {
  const navigation = page.waitForNavigation({ waitUntil: 'load' });
  await locator.click();
  await assertAnswered(page, await navigation);
}

/** Presses a key that submits a form and waits for the new page. */
async function pressAndWait(page, key) {
  const navigation = page.waitForNavigation({ waitUntil: 'load' });
  await page.keyboard.press(key);
  await assertAnswered(page, await navigation);
}

async function h1(page) {
  return (await page.getByRole('heading', { level: 1 }).first().innerText()).trim();
}

/** The visible text of `selector` (main by default) with white space folded. */
async function shown(page, selector = 'main') {
  return (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim();
}

/** Fails with the page's path and heading when the response was not a page the user wanted. */
async function assertOnPage(page, { path, heading }) {
  const url = new URL(page.url());
  if (path instanceof RegExp) assert.match(url.pathname, path, `unexpected page ${url.pathname}`);
  else if (path) assert.equal(url.pathname, path, `unexpected page ${url.pathname}`);
  if (heading !== undefined) {
    const actual = await h1(page);
    if (heading instanceof RegExp) assert.match(actual, heading);
    else assert.equal(actual, heading);
  }
}

/** Fails, naming the messages, when the page shows a form error summary or field errors. */
async function assertNoFormErrors(page) {
  const errors = await page.locator('.alert--error, .field__error').allInnerTexts();
  assert.deepEqual(errors, [], `the form was refused on ${new URL(page.url()).pathname}`);
}

module.exports = { journey, go, pressAndWait, h1, shown, assertOnPage, assertNoFormErrors };
