'use strict';
// Starts the real physiocase binary on a fresh SQLite database and stops it again.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BINARY = process.env.PHYSIOCASE_BIN || path.join(REPO, 'target', 'debug', 'physiocase');

/** A port that nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(baseUrl, child, deadline) {
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`physiocase exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET /healthz never answered 200 (${last})`);
}

/**
 * Starts `physiocase serve` (or `demo` when `mode` is 'demo') on a free port with an empty
 * database in a temporary folder. Resolves to { baseUrl, setupLink, output(), stop() };
 * setupLink is the one-time first-admin link printed on standard output (null for the demo).
 */
async function startApp({ mode = 'serve', timeoutMs = 30000 } = {}) {
  if (!fs.existsSync(BINARY)) {
    throw new Error(`${BINARY} is missing: run cargo build --bin physiocase first`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'physiocase-e2e-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    BINARY,
    [mode, '--bind', `127.0.0.1:${port}`, '--database-url', `sqlite://${path.join(dir, 'e2e.db')}`],
    { cwd: dir, env: { ...process.env, RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const deadline = Date.now() + timeoutMs;

  const setupLink = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up output within ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
    const onExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`physiocase exited with code ${code} before serving:\n${stdout}\n${stderr}`));
    };
    child.once('exit', onExit);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const setup = stdout.split('\n').find((line) => line.includes('/setup/'));
      const ready = mode === 'demo' ? /^\s+patient:/m.test(stdout) : Boolean(setup);
      if (ready) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(setup ? setup.trim() : null);
      }
    });
  });
  await waitForHealth(baseUrl, child, deadline);

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  return { baseUrl, setupLink, output: () => stdout, errors: () => stderr, stop };
}

module.exports = { startApp, REPO };
