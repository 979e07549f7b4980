// End-to-end check of the dossier web UI in a real headless Chromium, driven by
// tests/it/browser.rs (which starts the server on a data directory it prepared).
//
//   node tests/browser/ui.mjs <base-url> <screenshot-dir> <xss-document-id> <xss-workflow-name>
//
// Opens the UI, searches 稀土, opens a result, clicks a citation and checks that the paragraph
// it names is highlighted and scrolled into view; then opens pages showing a document whose
// title, source, URL and paragraphs carry <script>, onerror= and javascript: payloads and
// checks that no script ran and no dialog opened. A story's collapsed result opens to its
// sources and links its story page. Prints one JSON report line; exits 1 on the
// first failed check.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shots, xssId, xssWorkflow] = process.argv.slice(2);
if (!base || !shots || !xssId || !xssWorkflow) {
  console.error('usage: node ui.mjs <base-url> <screenshot-dir> <xss-document-id> <xss-workflow-name>');
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

const dialogs = [];
const pageErrors = [];
const cspViolations = [];
const external = [];
let exitCode = 0;
try {
  // Offline: any request that leaves the server (a CDN, a web font) fails the test.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });

  // 1. The search page, with the index figures in the footer.
  const home = await page.goto(base + '/');
  check('home page loads', home && home.status() === 200, home && home.status());
  const csp = (home && home.headers()['content-security-policy']) || '';
  check('CSP forbids inline script', /script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), csp);
  const footer = await page.textContent('footer#footer');
  check('footer shows index size and last ingest', /documents/.test(footer) && /MB/.test(footer) && /last ingest \d{4}-\d\d-\d\d \d\d:\d\d/.test(footer), footer);
  // The search box's placeholder keeps its quotes inside the attribute (issue 8).
  const box = await page.$eval('input[name=q]', (i) => ({ placeholder: i.getAttribute('placeholder'), label: i.getAttribute('aria-label'), attrs: i.getAttributeNames() }));
  check('the home page placeholder is whole', box.placeholder === '稀土供应链, "export controls", 稀土 OR 锂 -镓' && box.label === 'Search'
    && box.attrs.every((a) => ['type', 'name', 'value', 'placeholder', 'aria-label', 'autofocus'].includes(a)), box);
  const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  check('CJK font stack', /PingFang SC/.test(font) && /Noto Sans CJK SC/.test(font) && /Microsoft YaHei/.test(font), font);

  // 2. Search 稀土 through the form.
  await page.fill('input[name=q]', '稀土');
  await Promise.all([page.waitForURL(/[?&]q=/), page.click('form.search button[type=submit]')]);
  await page.waitForSelector('#results article.result');
  const results = await page.$$eval('#results article.result', (xs) => xs.map((x) => ({
    titleOnly: x.classList.contains('title-only'),
    title: (x.querySelector('h2.title') || x.querySelector('p.title-only .title'))?.textContent || '',
    meta: x.querySelector('.meta')?.textContent || '',
    digest: Boolean(x.querySelector('.digest')),
    cites: x.querySelectorAll('.digest a.cite').length,
  })));
  check('search 稀土 finds documents', results.length >= 5, results.length);
  // Day-only sources (qqnews) show the day without a made-up time.
  check('results read like the seeds (title, source · YYYY-MM-DD[ HH:MM])', results.every((r) => r.title && /· \d{4}-\d\d-\d\d( \d\d:\d\d)?/.test(r.meta)), results.slice(0, 2));
  check('title-only items are one line, marked, without a digest', results.filter((r) => r.titleOnly).every((r) => /title only/.test(r.meta) && !r.digest), results.filter((r) => r.titleOnly).slice(0, 2));
  check('a day-only date shows no 00:00', results.every((r) => !/ 00:00/.test(r.meta)), results.map((r) => r.meta));
  check('results carry digests with citations', results.filter((r) => r.digest && r.cites > 0).length >= 3, results.map((r) => r.cites));
  const dates = await page.$$eval('#results article.result .meta time', (xs) => xs.map((x) => x.textContent));
  check('newest first', dates.every((d, i) => i === 0 || dates[i - 1] >= d), dates);
  await page.screenshot({ path: join(shots, 'search.png'), fullPage: false });

  // Relevance order is offered and applied.
  await page.selectOption('select[name=sort]', 'relevance');
  await Promise.all([page.waitForURL(/sort=relevance/), page.click('form.search button[type=submit]')]);
  const summary = await page.textContent('#summary');
  check('relevance sort', /by relevance/.test(summary), summary);

  // 3. Open the first result that has a digest citation.
  await page.goBack();
  await page.waitForSelector('#results article.result');
  const href = await page.$eval('#results article.result:has(.digest a.cite) h2.title a', (a) => a.getAttribute('href'));
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/documents/')), page.click(`#results h2.title a[href="${href}"]`)]);
  await page.waitForSelector('ol.paragraphs li');
  const paragraphs = await page.$$eval('ol.paragraphs li', (xs) => xs.length);
  check('document page numbers its paragraphs', paragraphs >= 2, paragraphs);

  // 4. Click a citation: its paragraph is highlighted and in view.
  const cite = await page.$$eval('.digest a.cite', (as) => {
    const last = as[as.length - 1];
    return { n: last.dataset.p, href: last.getAttribute('href') };
  });
  check('citations link to paragraphs', cite.href === `#p${cite.n}`, cite);
  await page.click(`.digest a.cite[data-p="${cite.n}"] >> nth=-1`);
  await page.waitForFunction((n) => document.getElementById('p' + n)?.classList.contains('highlight'), cite.n, { timeout: 5000 });
  await page.waitForTimeout(800); // the smooth scroll
  const state = await page.evaluate((n) => {
    const el = document.getElementById('p' + n);
    const r = el.getBoundingClientRect();
    return {
      highlighted: document.querySelectorAll('ol.paragraphs li.highlight').length,
      background: getComputedStyle(el).backgroundColor,
      inView: r.top >= 0 && r.bottom <= window.innerHeight + 1,
      hash: location.hash,
    };
  }, cite.n);
  check('the cited paragraph is highlighted', state.highlighted === 1 && state.background !== 'rgba(0, 0, 0, 0)', state);
  check('the cited paragraph is scrolled into view', state.inView, state);
  check('the URL names the paragraph', state.hash === `#p${cite.n}`, state.hash);
  await page.screenshot({ path: join(shots, 'document-citation.png'), fullPage: false });

  // 5. A workflow page.
  const wf = await page.goto(base + '/workflows');
  check('workflow list loads', wf && wf.status() === 200);
  await page.click('table.list a:text-is("稀土供应链")');
  await page.waitForSelector('header.workflow h1');
  const head = await page.textContent('header.workflow');
  check('workflow page reads like the seeds', /Workflow/.test(head) && /Search documents/.test(head), head);
  await page.screenshot({ path: join(shots, 'workflow.png'), fullPage: false });

  // 5b. The run brief above the documents: a citation opens that paragraph of that document.
  const brief = await page.$$eval('section.brief li', (lis) => lis.map((li) => {
    const a = li.querySelector('a.cite');
    const figure = li.querySelector('strong');
    return a && { href: a.getAttribute('href'), doc: a.dataset.doc, n: a.dataset.p, figure: figure ? figure.textContent : null,
      text: li.firstChild && li.firstChild.nodeType === 3 ? li.firstChild.textContent : '' };
  }).filter(Boolean));
  check('the workflow page opens with a run brief citing documents', brief.length >= 2
    && (await page.$eval('main', (m) => m.innerHTML.indexOf('section class="brief"') < m.innerHTML.indexOf('<article'))), brief);
  const line = brief.find((b) => b.figure) || brief[0];
  check('brief citations link to a paragraph of a document', line.href === `/documents/${encodeURIComponent(line.doc)}#p${line.n}`, line);
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/documents/')), page.click(`section.brief a.cite[href="${line.href}"] >> nth=0`)]);
  await page.waitForFunction((n) => document.getElementById('p' + n)?.classList.contains('highlight'), line.n, { timeout: 5000 });
  const opened = await page.evaluate((n) => ({
    path: decodeURIComponent(window.location.pathname),
    hash: window.location.hash,
    para: document.getElementById('p' + n)?.textContent || '',
  }), line.n);
  const quoted = line.figure || line.text.trim().slice(0, 8);
  check('a brief citation opens the right paragraph of the right document',
    opened.path === `/documents/${line.doc}` && opened.hash === `#p${line.n}` && opened.para.includes(quoted), { line, opened });
  await page.screenshot({ path: join(shots, 'brief-citation.png'), fullPage: false });
  // 5c. Stories: the sample's two copies of the EU wind-power story are one collapsed result;
  // "+1 source" opens to the other copy and links the story page, which lists both.
  await page.goto(base + '/?q=' + encodeURIComponent('风电 反补贴'));
  await page.waitForSelector('#results article.result');
  const story = await page.$$eval('#results article.result', (xs) => xs.map((x) => ({
    details: Boolean(x.querySelector('details.story')),
    open: x.querySelector('details.story')?.open ?? null,
  })));
  check('copies collapse into one result with its sources closed', story.length === 1 && story[0].details && story[0].open === false, story);
  const listVisible = () => page.$eval('details.story ul', (u) => u.checkVisibility());
  check('the sources are hidden until asked for', !(await listVisible()));
  await page.click('details.story summary');
  check('a collapsed entry expands to its sources', await listVisible());
  const sources = await page.$$eval('details.story li', (xs) => xs.map((x) => x.textContent));
  check('each source shows outlet, time and id', sources.length === 1 && /· \d{4}-\d\d-\d\d · qq-2147[23]/.test(sources[0]), sources);
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/stories/')), page.click('details.story a.story-link')]);
  const members = await page.$$eval('ol.members li.member code', (xs) => xs.map((x) => x.textContent));
  check('the story page lists both copies', members.length === 2 && members.includes('qq-21472') && members.includes('qq-21473'), members);
  await page.screenshot({ path: join(shots, 'story.png'), fullPage: false });

  // 6. Untrusted documents stay inert: document page, search results, workflow page, feed.
  await page.addInitScript(() => { window.__xss = undefined; });
  const xssPages = [
    `/documents/${encodeURIComponent(xssId)}`,
    `/?q=${encodeURIComponent('xsspayload')}`,
    `/workflows/${encodeURIComponent(xssWorkflow)}`,
  ];
  for (const path of xssPages) {
    const res = await page.goto(base + path);
    check(`XSS page ${path} loads`, res && res.status() === 200, res && res.status());
    await page.waitForTimeout(300);
    const probe = await page.evaluate(() => ({
      xss: window.__xss,
      title: document.title,
      scripts: Array.from(document.scripts).map((s) => s.src),
      handlers: document.querySelectorAll('[onerror], [onload], [onclick], [onmouseover]').length,
      jsLinks: Array.from(document.querySelectorAll('a[href]')).filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
      text: document.body.innerText,
    }));
    check(`no payload ran on ${path}`, probe.xss === undefined && probe.title !== 'XSS', { xss: probe.xss, title: probe.title });
    check(`only our own script on ${path}`, probe.scripts.length === 1 && probe.scripts[0].endsWith('/assets/app.js'), probe.scripts);
    check(`no event-handler attributes or javascript: links on ${path}`, probe.handlers === 0 && probe.jsLinks === 0, probe);
    check(`payload shown as text on ${path}`, /<script>/.test(probe.text) || /onerror=/.test(probe.text), probe.text.slice(0, 300));
  }
  await page.screenshot({ path: join(shots, 'xss.png'), fullPage: false });
  check('no dialog opened', dialogs.length === 0, dialogs);
  check('no page errors', pageErrors.length === 0, pageErrors);
  check('nothing fetched from outside the server', external.length === 0, external);
  check('no Content-Security-Policy violations (no inline script reached the DOM)', cspViolations.length === 0, cspViolations);
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
