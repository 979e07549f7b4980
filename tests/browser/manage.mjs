// Managing dossier in a real headless Chromium, driven by tests/it/browser.rs (which starts the
// server with a token on a data directory holding the sample).
//
//   node tests/browser/manage.mjs <base-url> <screenshot-dir> <token>
//
// Without logging in, the workflow list offers no forms; a wrong token is refused; logging in
// sets an HttpOnly, SameSite=Strict cookie that page script cannot read; then adds a workflow
// through the form (an invalid one first: the error is shown and what was typed kept), runs it,
// opens it and sees its documents with digests, and logs out. Prints one JSON report line;
// exits 1 on the first failed check.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shots, token] = process.argv.slice(2);
if (!base || !shots || !token) {
  console.error('usage: node manage.mjs <base-url> <screenshot-dir> <token>');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const report = { checks: [] };

function check(name, ok, detail) {
  report.checks.push({ name, ok: Boolean(ok), detail });
  if (!ok) {
    report.failed = name;
    throw new Error(`check failed: ${name}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`);
  }
}

const profile = mkdtempSync(join(tmpdir(), 'dossier-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1100, height: 800 },
});

const pageErrors = [];
const cspViolations = [];
let exitCode = 0;
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });

  // 1. Read-only without login.
  await page.goto(base + '/workflows');
  check('without login the workflow list has no forms', (await page.$$('form')).length === 0 && !(await page.$('#add-workflow')));
  await page.goto(base + '/manage/workflows/new');
  check('a management page sends to the login page', new URL(page.url()).pathname === '/login', page.url());

  // 2. A wrong token is refused.
  await page.fill('#login input[name=token]', token + 'x');
  await Promise.all([page.waitForLoadState('load'), page.click('#login button[type=submit]')]);
  check('a wrong token is refused', /That token is wrong/.test(await page.textContent('#login-error')));

  // 3. Log in: back to the page asked for; the cookie is HttpOnly and SameSite=Strict.
  await page.fill('#login input[name=token]', token);
  await Promise.all([page.waitForURL((u) => u.pathname === '/manage/workflows/new'), page.click('#login button[type=submit]')]);
  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === 'dossier_session');
  check('login sets an HttpOnly SameSite=Strict session cookie', session && session.httpOnly && session.sameSite === 'Strict', cookies);
  check('page script cannot read the session cookie', !(await page.evaluate(() => document.cookie)).includes('dossier_session'));

  // 4. Add a workflow: first an invalid one (empty query), then the real one.
  await page.fill('#workflow-form input[name=name]', '稀土 browser');
  await page.fill('#workflow-form input[name=query]', ' ');
  await page.$eval('#workflow-form input[name=query]', (i) => i.removeAttribute('required'));
  await Promise.all([page.waitForLoadState('load'), page.click('#workflow-form button[type=submit]')]);
  const error = await page.textContent('#form-error');
  check('an invalid workflow shows its error in the form', /query: is empty/.test(error), error);
  check('the form keeps what was typed', (await page.inputValue('#workflow-form input[name=name]')) === '稀土 browser');
  await page.fill('#workflow-form input[name=query]', '稀土供应链');
  await page.selectOption('#workflow-form select[name=lang]', 'zh');
  await page.fill('#workflow-form input[name=first_run]', '6');
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/workflows/')), page.click('#workflow-form button[type=submit]')]);
  check('adding leads to the workflow page', decodeURIComponent(new URL(page.url()).pathname) === '/workflows/稀土 browser', page.url());
  check('the new workflow has no documents yet', /No documents yet/.test(await page.textContent('main')));

  // 5. Run it: the result counts the new documents; the page shows them with digests.
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/run')), page.click('.controls button:text-is("Run now")')]);
  const result = await page.textContent('#run-result');
  const collected = Number((/(\d+) new documents?/.exec(result) || [])[1]);
  check('the run reports its new documents', collected >= 3 && collected <= 6, result);
  await page.screenshot({ path: join(shots, 'manage-run.png'), fullPage: false });
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/workflows/')), page.click('#open-workflow')]);
  const docs = await page.$$eval('article.doc', (xs) => xs.map((x) => ({
    title: (x.querySelector('h2.title') || x.querySelector('.title'))?.textContent || '',
    titleOnly: x.classList.contains('title-only'),
    digest: Boolean(x.querySelector('.digest')),
  })));
  check('the workflow page shows the documents it collected', docs.length === collected && docs.every((d) => d.title), docs);
  check('with their digests (title-only items have none)', docs.some((d) => d.digest) && docs.every((d) => d.digest || d.titleOnly), docs);
  await page.screenshot({ path: join(shots, 'manage-workflow.png'), fullPage: false });

  // 6. Log out: the forms are gone again.
  await page.goto(base + '/login');
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('form[action="/logout"] button')]);
  await page.goto(base + '/workflows');
  check('after logout the UI is read-only again', !(await page.$('#add-workflow')) && (await page.$$('form')).length === 0);
  check('no page errors', pageErrors.length === 0, pageErrors);
  check('no Content-Security-Policy violations', cspViolations.length === 0, cspViolations);
  report.ok = true;
} catch (e) {
  report.ok = false;
  report.error = String(e && e.stack ? e.stack : e);
  exitCode = 1;
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
process.exit(exitCode);
