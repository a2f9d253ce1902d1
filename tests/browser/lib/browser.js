'use strict';
// Headless Chromium from the system, axe-core checks, screenshots and keyboard helpers.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };
// WCAG 1.4.10 (reflow): content must fit 320 CSS px without scrolling sideways.
const NARROWEST = { width: 320, height: 640 };

// The rules axe-core runs: WCAG 2.0 to 2.2 A and AA, best practices, and the 24 px target
// size of WCAG 2.2 (2.5.8) switched on by name as well.
const AXE_OPTIONS = {
  resultTypes: ['violations'],
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  rules: { 'target-size': { enabled: true } },
};

async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

// The browser's own zone, far from UTC (UTC+14) unless BROWSER_TIME_ZONE says otherwise:
// pages must read in the clinic's zone whatever zone the browser is in.
const BROWSER_TIME_ZONE = process.env.BROWSER_TIME_ZONE || 'Pacific/Kiritimati';

/** A fresh context (its own cookies) that resolves relative URLs against the app. */
async function newContext(browser, baseURL, options = {}) {
  const context = await browser.newContext({
    baseURL,
    viewport: WIDE,
    locale: 'en-GB',
    timezoneId: BROWSER_TIME_ZONE,
    ...options,
  });
  context.setDefaultTimeout(10000);
  context.setDefaultNavigationTimeout(15000);
  return context;
}

function prepareScreenshots(subfolder) {
  const dir = path.join(SCREENSHOTS, subfolder);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Full-page screenshots at 1280 px and 390 px wide; the viewport is put back afterwards. */
async function screens(page, dir, name) {
  const before = page.viewportSize() || WIDE;
  const files = [];
  for (const size of [WIDE, NARROW]) {
    await page.setViewportSize(size);
    const file = path.join(dir, `${name}-${size.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  await page.setViewportSize(before);
  return files;
}

/** Print-media screenshot; returns the file. */
async function printScreen(page, dir, name) {
  await page.emulateMedia({ media: 'print' });
  const file = path.join(dir, `${name}-print.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Injects axe-core. physiocase's Content-Security-Policy (script-src 'self') rightly refuses
 * an injected <script> tag, and the journey keeps that policy switched on, so when the tag is
 * refused the same file is evaluated through the DevTools protocol instead, which the page's
 * policy does not govern.
 */
async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe !== 'undefined')) return;
  try {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  } catch (error) {
    if (!/Content Security Policy/.test(error.message)) throw error;
    await page.evaluate(AXE_SOURCE);
  }
}

/**
 * Runs axe-core on the page and returns { serious, other }: lists of
 * "rule (impact): target, target" strings for serious/critical and for lesser findings.
 */
async function axe(page) {
  await injectAxe(page);
  const results = await page.evaluate((options) => window.axe.run(document, options), AXE_OPTIONS);
  const serious = [];
  const other = [];
  for (const v of results.violations) {
    const targets = v.nodes.map((n) => n.target.join(' ')).slice(0, 6).join(', ');
    const line = `${v.id} (${v.impact}): ${targets}${v.nodes.length > 6 ? `, … ${v.nodes.length} in all` : ''}`;
    (v.impact === 'serious' || v.impact === 'critical' ? serious : other).push(line);
  }
  return { serious, other };
}

/** Whether anything in the page reaches past the right edge of the screen (tables inside .table-scroll may). */
async function measureOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-scroll'))
      .filter((el) => !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1))
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`);
    return { scrollWidth: document.documentElement.scrollWidth, width, wide: [...new Set(wide)].slice(0, 8) };
  });
}

/**
 * Records one distinct page at 1280 px and at 390 px: axe-core findings, whether anything
 * reaches past the right edge of the screen, and a full-page screenshot; and at 320 px
 * whether it still fits. `log` collects the findings for the summary tests.
 */
function pageRecorder(dir, log) {
  return async function record(page, name) {
    await page.waitForLoadState('load');
    const url = new URL(page.url()).pathname;
    const before = page.viewportSize() || WIDE;
    for (const size of [WIDE, NARROW]) {
      await page.setViewportSize(size);
      const found = await axe(page);
      const overflow = await measureOverflow(page);
      log.push({ name: `${name} at ${size.width} px`, url, ...found, overflow });
      await page.screenshot({ path: path.join(dir, `${name}-${size.width}.png`), fullPage: true });
    }
    await page.setViewportSize(NARROWEST);
    log.push({ name: `${name} at ${NARROWEST.width} px`, url, serious: [], other: [], overflow: await measureOverflow(page) });
    await page.setViewportSize(before);
  };
}

function axeReport(log) {
  const serious = log.filter((entry) => entry.serious.length > 0);
  const lines = serious.flatMap((entry) => [`${entry.name} (${entry.url}):`, ...entry.serious.map((s) => `  ${s}`)]);
  return { serious, message: lines.join('\n') };
}

/** Presses Tab until `selector` has focus; fails if it is not reached within `max` presses. */
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return i;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector} in ${max} presses`);
}

async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return '';
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}|${(el.textContent || '').trim()}`;
  });
}

module.exports = {
  launch,
  newContext,
  prepareScreenshots,
  screens,
  printScreen,
  axe,
  pageRecorder,
  axeReport,
  tabTo,
  focused,
  SCREENSHOTS,
  NARROWEST,
};
