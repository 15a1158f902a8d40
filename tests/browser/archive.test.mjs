// The web archive in a real browser (issue 17, "Tests"): headless Debian chromium driven
// by playwright-core over the DevTools protocol, against the real ezmlm-webarchive serving
// a list that the real qmail-send, ezmlm-send and ezmlm-webindex filled (platform.mjs).
// A reader follows the lists page to a thread and a message, searches, downloads
// attachments; a hostile message is opened everywhere it shows and no script from it
// runs; a post sent over SMTP is on the list's page within a second; on a phone's screen
// without JavaScript no page is wider than the screen and a search works.
//
// Run by CTest through tests/browser/run (which skips, exit 77, when chromium or
// playwright-core is missing, and fails for that under CI); by hand:
//   tests/browser/run archive.test.mjs         (QM_BIN_DIR=build/bin by default)
// QM_BROWSER_KEEP=1 keeps the temporary mail root and the daemons' logs.
//
// A case that needs mail the server sends (a login link) or a server started otherwise
// starts its own beside the one here, e.g.
//   const mail = platform.mailCatcher('login');
//   const web = await platform.startArchive({ lists: { hidden: dir }, args: [...], env: mail.env });
//   const link = await mail.waitFor('the login mail', (m) => m.recipients.includes('alice@test.example'));
// and opens its pages with probedPage().

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Platform, smtpSend, waitFor } from './platform.mjs';

const { chromium } = createRequire(path.join(process.env.QM_PLAYWRIGHT_DIR, 'node_modules', '/'))(
  'playwright-core');

const binDir = process.env.QM_BIN_DIR;
// The Content-Security-Policy every page of the archive carries (no script at all).
const strictCsp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'";
// How soon a post must be on the list's page after the SMTP server's 250 (issue 17).
const postWithinMs = 1000;
// Generous limits for a loaded 2-core machine: each is a deadline, never a sleep.
const actionTimeoutMs = 20000;
const testTimeoutMs = 90000;

// --- The messages -------------------------------------------------------------------

const list = 'team';
const listAddress = 'joe-team@test.example';

const walk = {
  id: 'walk@test.example',
  subject: 'Plans for the harbour walk',
  text: 'Shall we walk along the harbour on Saturday?\nMeet at the old crane.\n',
};
const walkReply = {
  id: 'walk-r1@test.example',
  subject: 'Re: Plans for the harbour walk',
  text: 'Yes, and we could end at the lighthouse.\n',
};
const walkReply2 = {
  id: 'walk-r2@test.example',
  subject: 'Re: Plans for the harbour walk',
  text: 'Count me in, I will bring a flask of tea.\n',
};

function post({ id, subject, from = 'Dave <dave@test.example>', inReplyTo, references, date, body }) {
  let m = `From: ${from}\nTo: ${listAddress}\nSubject: ${subject}\nMessage-ID: <${id}>\n` +
    `Date: ${date}\n`;
  if (inReplyTo)
    m += `In-Reply-To: <${inReplyTo}>\nReferences: ${references.map((r) => `<${r}>`).join(' ')}\n`;
  return m + body;
}

// Attachments whose bytes the download must give back exactly: a text file (which a
// browser would show inline if it were allowed to) and every byte value.
const notesBytes = Buffer.from('Minutes of the third meeting\r\nK\u00f6ln caf\u00e9: agreed\r\n', 'utf8');
const dataBytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
const base64Lines = (b) => b.toString('base64').replace(/.{1,76}/g, '$&\n');
const minutes = {
  id: 'minutes@test.example',
  subject: 'Minutes attached',
  text: 'The minutes and the raw data are attached.\n',
};
const minutesMessage = post({
  ...minutes,
  date: 'Tue, 3 Mar 2026 09:00:00 +0000',
  body:
    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="mm"\n\n--mm\n' +
    `Content-Type: text/plain; charset=utf-8\n\n${minutes.text}--mm\n` +
    'Content-Type: text/plain; charset=utf-8; name="notes.txt"\n' +
    'Content-Disposition: attachment; filename="notes.txt"\nContent-Transfer-Encoding: base64\n\n' +
    base64Lines(notesBytes) +
    '--mm\nContent-Type: application/octet-stream; name="data.bin"\n' +
    'Content-Disposition: attachment; filename="data.bin"\nContent-Transfer-Encoding: base64\n\n' +
    base64Lines(dataBytes) +
    '--mm--\n',
});

// What a script from the hostile message would do if it ever ran: set a window property,
// open an alert, write to the console and request a URL with "pwned" in it. No spaces and
// no quotes, so that it fits in an unquoted attribute.
const P = 'window.__pwned=1;alert(1);console.log(1);fetch(/pwned/.source)';
const hostileHtml =
  `<html><head><meta http-equiv="refresh" content="0;url=javascript:${P}"></head>\n` +
  `<body onload=${P}>\n<script>${P}</script>\n<img src=x onerror=${P}>\n` +
  `<a href="javascript:${P}">click me</a> <a href="data:text/html,<script>${P}</script>">data link</a>\n` +
  `<svg xmlns="http://www.w3.org/2000/svg" onload=${P}><script>${P}</script></svg>\n` +
  `<iframe srcdoc="<script>${P}</script>"></iframe>\n<object data="javascript:${P}"></object>\n` +
  `<details open ontoggle=${P}>toggle</details>\n` +
  `<div style="background:url(javascript:${P})">styled</div>\n` +
  `<math><mtext><table><mglyph><style><img src=x onerror=${P}></style></mglyph></table></mtext></math>\n` +
  '</body></html>\n';
const hostileSvg = `<svg xmlns="http://www.w3.org/2000/svg" onload="${P}"><script>${P}</script></svg>\n`;
const hostileName = `<img src=x onerror=${P}>.html`;
const hostile = {
  id: 'evil@test.example',
  subject: `<script>${P}</script><b>bold</b> hostile`,
};
const hostileMessage = post({
  ...hostile,
  from: `"<img src=x onerror=${P}>" <mallory@test.example>`,
  date: 'Wed, 4 Mar 2026 09:00:00 +0000',
  body:
    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="hh"\n\n--hh\n' +
    'Content-Type: multipart/alternative; boundary="aa"\n\n--aa\n' +
    `Content-Type: text/plain; charset=utf-8\n\nhostile text part\n${hostileHtml}javascript:${P}\n--aa\n` +
    `Content-Type: text/html; charset=utf-8\n\n${hostileHtml}--aa--\n--hh\n` +
    'Content-Type: image/svg+xml; name="drawing.svg"\n' +
    'Content-Disposition: attachment; filename="drawing.svg"\n\n' +
    hostileSvg +
    `--hh\nContent-Type: text/html; name="${hostileName}"\n` +
    `Content-Disposition: attachment; filename="${hostileName}"\n\n${hostileHtml}--hh--\n`,
});

// --- The platform and the browser ---------------------------------------------------

let platform;
let archive; // { url, port, daemon }
let catcher; // mail the list sends (its copies to subscribers)
let smtpPort;
let browser;
let listDir;

const pageUrl = (id, rest = '') => `${archive.url}/${list}/${encodeURIComponent(id)}/${rest}`;
// A predicate for page.waitForURL: the page of message id (rest: 't/' for its thread),
// however the link encodes the Message-ID.
const atPage = (id, rest = '') => (url) => decodeURIComponent(url.pathname) === `/${list}/${id}/${rest}`;

before(async () => {
  platform = await Platform.create(binDir);
  listDir = await platform.makeList(list);
  await platform.run(['ezmlm-sub', listDir, 'alice@test.example']);
  catcher = platform.mailCatcher();
  // The list programs queue their copies to subscribers through the catcher.
  await platform.startQueue(catcher.env);
  smtpPort = await platform.startSmtp();
  archive = await platform.startArchive({ lists: { [list]: listDir } });
  await platform.inject(post({ ...walk, date: 'Mon, 2 Mar 2026 10:00:00 +0000', body: `\n${walk.text}` }));
  await platform.inject(post({
    ...walkReply, from: 'Carol <carol@test.example>', date: 'Mon, 2 Mar 2026 11:00:00 +0000',
    inReplyTo: walk.id, references: [walk.id], body: `\n> ${walk.text.split('\n')[0]}\n${walkReply.text}`,
  }), 'carol');
  await platform.inject(post({
    ...walkReply2, from: 'Alice <alice@test.example>', date: 'Mon, 2 Mar 2026 12:00:00 +0000',
    inReplyTo: walkReply.id, references: [walk.id, walkReply.id], body: `\n${walkReply2.text}`,
  }), 'alice');
  await platform.inject(minutesMessage);
  await platform.inject(hostileMessage, 'bob');
  // Each post is archived and indexed once its page answers.
  for (const { id } of [walk, walkReply, walkReply2, minutes, hostile])
    await waitFor(`${id} on the web`, async () => (await fetch(pageUrl(id))).status === 200, 60000);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // No connections to Google's services (this machine's network is closed: they would
    // only fail), /tmp rather than a possibly small /dev/shm.
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
}, { timeout: 180000 });

after(async () => {
  await browser?.close();
  await platform?.stop();
});

// A test whose failure prints the daemons' logs.
function browserTest(name, fn) {
  test(name, { timeout: testTimeoutMs }, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      if (platform) console.error(platform.logs());
      throw e;
    }
  });
}

// A fresh page with probes for anything a script could do: dialogs, console output,
// uncaught errors, requests for "pwned" URLs, Content-Security-Policy violations (seen
// by a listener that Playwright installs through the DevTools protocol, which the
// page's own CSP does not stop), and the CSP of every document the page loads.
async function probedPage() {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(actionTimeoutMs);
  page.setDefaultNavigationTimeout(actionTimeoutMs);
  const probes = { dialogs: [], console: [], errors: [], pwnedRequests: [], violations: [], documents: [] };
  page.on('dialog', (d) => {
    probes.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    // Chromium's own note that /favicon.ico, which it asks for by itself, is not there
    // (the archive has none: it redirects to /favicon.ico/, a list of that name, which
    // is not found) is no page's doing.
    const favicon = /^\/favicon\.ico\/?$/.test(new URL(m.location().url || 'about:blank').pathname);
    if (m.text().startsWith('Failed to load resource') && favicon) return;
    probes.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => probes.errors.push(String(e)));
  page.on('request', (r) => {
    if (/\/pwned$/.test(new URL(r.url()).pathname)) probes.pwnedRequests.push(r.url());
  });
  page.on('response', (r) => {
    if (r.request().resourceType() === 'document')
      probes.documents.push({ url: r.url(), csp: r.headers()['content-security-policy'] });
  });
  await page.exposeFunction('__qmViolation', (v) => probes.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__qmViolation({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
        page: document.URL }));
  });
  return { context, page, probes };
}

// Every document the page loaded carried the strict CSP.
function assertStrictCsp(probes) {
  assert.ok(probes.documents.length > 0);
  for (const d of probes.documents) assert.equal(d.csp, strictCsp, `CSP of ${d.url}`);
}

// The archive's links on the current page, by their text.
const link = (page, name) => page.getByRole('link', { name, exact: true });

// --- The tests ----------------------------------------------------------------------

browserTest('the lists page leads to a list, a thread and a message', async () => {
  const { context, page, probes } = await probedPage();
  const first = await page.goto(`${archive.url}/`);
  assert.equal(first.status(), 200);
  assert.equal(first.headers()['content-security-policy'], strictCsp);
  assert.equal(await page.title(), 'Lists');

  await link(page, list).click();
  await page.waitForURL(`${archive.url}/${list}/`);
  assert.equal(await page.locator('h1').textContent(), list);
  // The front page lists threads, newest first: the hostile one, the minutes, the walk.
  const threads = page.locator('ol.threads > li > a');
  assert.deepEqual(await threads.allTextContents(), [hostile.subject, minutes.subject, walk.subject]);
  assert.match(await page.locator('ol.threads > li', { hasText: walk.subject }).textContent(), /3 messages/);

  await link(page, walk.subject).click();
  await page.waitForURL(atPage(walk.id, 't/'));
  // The thread nests the replies: the second reply inside the first one's list.
  const articles = page.locator('article');
  assert.equal(await articles.count(), 3);
  assert.equal(await page.locator('ul.t article', { hasText: walkReply.text.trim() }).count(), 1);
  assert.equal(await page.locator('ul.t ul.t article', { hasText: walkReply2.text.trim() }).count(), 1);
  // The quote in the reply is folded.
  const quote = page.locator('article', { hasText: walkReply.text.trim() }).locator('details');
  assert.equal(await quote.getAttribute('open'), null);
  assert.equal(await quote.locator('pre').isVisible(), false);
  await quote.locator('summary').click();
  assert.equal(await quote.locator('pre').isVisible(), true);

  await page.locator('article', { hasText: walkReply.text.trim() })
    .getByRole('link', { name: walkReply.subject }).click();
  await page.waitForURL(atPage(walkReply.id));
  assert.equal(await page.locator('h1').textContent(), walkReply.subject);
  assert.match(await page.locator('article').textContent(), /we could end at the lighthouse/);
  // The author's address is obfuscated.
  assert.match(await page.locator('dl.h').textContent(), /carol@t…/);
  assert.doesNotMatch(await page.content(), /carol@test\.example/);

  assert.deepEqual(probes.console, []);
  assert.deepEqual(probes.errors, []);
  assert.deepEqual(probes.violations, []);
  assertStrictCsp(probes);
  await context.close();
});

browserTest('a search finds the message with the word and highlights it', async () => {
  const { context, page, probes } = await probedPage();
  await page.goto(`${archive.url}/${list}/`);
  await page.getByRole('searchbox', { name: 'search' }).fill('lighthouse');
  await page.getByRole('searchbox', { name: 'search' }).press('Enter');
  await page.waitForURL(`${archive.url}/${list}/?q=lighthouse`);
  const hits = page.locator('ol.hits > li');
  assert.equal(await hits.count(), 1);
  assert.deepEqual(await hits.locator('mark').allTextContents(), ['lighthouse']);
  // The highlight is shown as one (the page's style sheet loaded under the CSP).
  const background = await hits.locator('mark').evaluate((m) => getComputedStyle(m).backgroundColor);
  assert.equal(background, 'rgb(255, 234, 122)');
  await hits.getByRole('link', { name: walkReply.subject }).click();
  await page.waitForURL(atPage(walkReply.id));
  assert.match(await page.locator('article').textContent(), /lighthouse/);

  // A word in no message: no hits, and the search box keeps it.
  await page.goto(`${archive.url}/${list}/?q=zeppelin`);
  assert.equal(await page.locator('ol.hits > li').count(), 0);
  assert.match(await page.locator('body').textContent(), /No messages match/);
  assert.equal(await page.getByRole('searchbox', { name: 'search' }).inputValue(), 'zeppelin');

  assert.deepEqual(probes.violations, []);
  assertStrictCsp(probes);
  await context.close();
});

// Clicks the attachment link called name on the message page and returns the download;
// the page must stay where it is (nothing shown inline).
async function downloadByClick(page, name) {
  const before = page.url();
  const [download] = await Promise.all([page.waitForEvent('download'), link(page, name).click()]);
  assert.equal(page.url(), before);
  return download;
}

const bytesOf = async (download) => fs.readFileSync(await download.path());

// Goes straight to an attachment's URL (no download attribute to help): the browser
// must download it rather than show it (Content-Disposition: attachment).
async function downloadByUrl(page, url) {
  const [download, navigation] = await Promise.all([
    page.waitForEvent('download'),
    page.goto(url).then(() => 'shown', (e) => String(e)),
  ]);
  assert.match(navigation, /Download is starting/, `${url} was shown, not downloaded`);
  return download;
}

browserTest('attachments download with their bytes and are never shown inline', async () => {
  const { context, page, probes } = await probedPage();
  await page.goto(pageUrl(minutes.id));
  const notes = await downloadByClick(page, 'notes.txt');
  assert.equal(notes.suggestedFilename(), 'notes.txt');
  assert.deepEqual(await bytesOf(notes), notesBytes);
  const data = await downloadByClick(page, 'data.bin');
  assert.equal(data.suggestedFilename(), 'data.bin');
  assert.deepEqual(await bytesOf(data), dataBytes);

  const notesUrl = new URL(await link(page, 'notes.txt').getAttribute('href'), archive.url).href;
  const direct = await downloadByUrl(page, notesUrl);
  assert.deepEqual(await bytesOf(direct), notesBytes);
  const response = await context.request.get(notesUrl);
  assert.equal(response.headers()['content-type'], 'application/octet-stream');
  assert.match(response.headers()['content-disposition'], /^attachment; filename="notes.txt"/);
  assert.equal(response.headers()['content-security-policy'], strictCsp);

  assert.deepEqual(probes.violations, []);
  await context.close();
});

// No probe saw anything a script would do.
function assertNothingRan(probes, where) {
  assert.deepEqual(probes.dialogs, [], `dialogs on ${where}`);
  assert.deepEqual(probes.console, [], `console output on ${where}`);
  assert.deepEqual(probes.errors, [], `page errors on ${where}`);
  assert.deepEqual(probes.pwnedRequests, [], `requests from a script on ${where}`);
}

// Markup that could run script, anywhere in the document: what escaping (and a
// sanitizer, once HTML parts are rendered) must never let through.
async function activeMarkup(page) {
  return page.evaluate(() => {
    const found = [];
    for (const e of document.querySelectorAll('*')) {
      if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'svg', 'math', 'FORM'].includes(e.tagName) &&
        !(e.tagName === 'FORM' && e.getAttribute('action')?.startsWith('/')))
        found.push(e.tagName);
      if (e.tagName === 'META' && e.hasAttribute('http-equiv')) found.push('META http-equiv');
      for (const a of e.attributes) {
        if (a.name.startsWith('on')) found.push(`${e.tagName} ${a.name}`);
        if (/^\s*(javascript|data|vbscript):/i.test(a.value)) found.push(`${e.tagName} ${a.name}=${a.value}`);
        if (a.name === 'style' && /url\(/i.test(a.value)) found.push(`${e.tagName} style url()`);
      }
    }
    return found;
  });
}

browserTest('no script from a hostile message ever runs', async (t) => {
  // First, that the probes see a script that runs: the hostile HTML served on the
  // archive's origin without the CSP (Playwright answers for the server) sets the
  // property, alerts, writes to the console and makes its request.
  {
    const { context, page, probes } = await probedPage();
    const control = `${archive.url}/control/`;
    await context.route(control, (route) => route.fulfill({ contentType: 'text/html', body: hostileHtml }));
    await page.goto(control);
    await waitFor('the control page\'s scripts', () =>
      probes.dialogs.length > 0 && probes.console.length > 0 && probes.pwnedRequests.length > 0);
    assert.equal(await page.evaluate(() => window.__pwned), 1);
    assert.ok((await activeMarkup(page)).length > 0);
    await context.close();
  }

  const { context, page, probes } = await probedPage();
  const pages = [
    pageUrl(hostile.id),
    pageUrl(hostile.id, 't/'),
    pageUrl(hostile.id, 'raw'),
    `${archive.url}/${list}/`,
    `${archive.url}/${list}/?q=hostile`,
    `${archive.url}/${list}/?q=onerror+script`,
  ];
  for (const url of pages) {
    const response = await page.goto(url);
    assert.equal(response.status(), 200, url);
    assert.equal(response.headers()['content-security-policy'], strictCsp, url);
    // Give anything that would run on load its chance: the load event has fired and the
    // page has settled (no requests in flight).
    await page.waitForLoadState('networkidle');
    assert.equal(await page.evaluate(() => window.__pwned), undefined, url);
    assert.deepEqual(await activeMarkup(page), [], `markup that could run script on ${url}`);
  }

  // The message page shows the hostile Subject, sender and file name as text.
  await page.goto(pageUrl(hostile.id));
  assert.equal(await page.locator('h1').textContent(), hostile.subject);
  assert.equal(await page.title(), hostile.subject);
  assert.match(await page.locator('dl.h').textContent(), /<img src=x onerror=/);
  // Following the javascript: "link" of the text part is not possible: it is no link.
  assert.equal(await page.getByRole('link', { name: 'click me' }).count(), 0);

  // Its attachments (an HTML file with HTML in its name, an SVG with a script) download
  // and are never rendered, clicked or opened by their URL.
  const html = await downloadByClick(page, hostileName);
  assert.equal((await bytesOf(html)).toString('utf8'), hostileHtml);
  const svgUrl = new URL(await link(page, 'drawing.svg').getAttribute('href'), archive.url).href;
  const svg = await downloadByUrl(page, svgUrl);
  assert.equal((await bytesOf(svg)).toString('utf8'), hostileSvg);
  const htmlUrl = new URL(await link(page, hostileName).getAttribute('href'), archive.url).href;
  await downloadByUrl(page, htmlUrl);

  assertNothingRan(probes, 'the hostile message\'s pages');
  assert.deepEqual(probes.violations, [], 'CSP violations: markup from the message reached the DOM');
  assertStrictCsp(probes);
  t.diagnostic(`hostile message opened on ${pages.length} pages and 3 downloads: no dialog, console ` +
    'output, page error, pwned request or CSP violation');

  // Last, that the violation probe sees what the CSP blocks on these pages: a script
  // element put into the message page through the DevTools protocol is refused.
  await page.goto(pageUrl(hostile.id));
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__control = 1';
    document.body.append(s);
  });
  await waitFor('the CSP violation of the control script', () =>
    probes.violations.some((v) => v.directive.startsWith('script-src')));
  assert.equal(await page.evaluate(() => window.__control), undefined);
  await context.close();
});

// Sends a post to the list over SMTP and asks for the list's page until the server
// serves it with the post (a plain GET every 20 ms: the browser's own page loads take a
// few hundred milliseconds on a loaded machine, which would measure the browser rather
// than the platform), then loads that page in the browser and finds the post there.
// Resolves to the milliseconds from the SMTP server's 250 to the page served with the
// post, and to the browser showing it (the deadline only bounds the wait).
async function smtpPostShown(page, subject, messageId) {
  const accepted = await smtpSend(smtpPort, {
    from: 'dave@test.example',
    to: listAddress,
    data: `From: Dave <dave@test.example>\nTo: ${listAddress}\nSubject: ${subject}\n` +
      `Message-ID: <${messageId}>\n\nHigh water at 11:42.\n`,
  });
  const listUrl = `${archive.url}/${list}/`;
  let servedAt;
  await waitFor(`"${subject}" on the list's page`, async () => {
    const body = await (await fetch(listUrl)).text();
    if (!body.includes(`>${subject}</a>`)) return false;
    servedAt = performance.now();
    return true;
  }, 30000);
  await page.goto(listUrl, { waitUntil: 'domcontentloaded' });
  await page.locator('ol.threads > li > a', { hasText: subject }).waitFor();
  return { served: Math.round(servedAt - accepted.at), shown: Math.round(performance.now() - accepted.at) };
}

browserTest('a post sent by SMTP is on the list\'s page within a second', async (t) => {
  const { context, page, probes } = await probedPage();
  await page.goto(`${archive.url}/${list}/`);
  // Three posts, one after the other: the median time must be within the second, so
  // that one delivery slowed by another process on a loaded machine does not fail the
  // test, while a pipeline that is slow every time does.
  const times = [];
  for (let i = 1; i <= 3; ++i) {
    const subject = `Tide tables for the walk, part ${i}`;
    assert.equal(await link(page, subject).count(), 0);
    times.push(await smtpPostShown(page, subject, `tides-${i}@test.example`));
  }
  const median = times.map((t) => t.served).sort((a, b) => a - b)[1];
  const report = `posts served on the list's page ${times.map((t) => t.served).join(', ')} ms after ` +
    `the SMTP 250 (median ${median} ms, limit ${postWithinMs} ms), shown in the browser after ` +
    `${times.map((t) => t.shown).join(', ')} ms`;
  t.diagnostic(report);
  console.log(`browser test: ${report}`);

  await link(page, 'Tide tables for the walk, part 1').click();
  await page.waitForURL(atPage('tides-1@test.example', 't/'));
  assert.match(await page.locator('article').textContent(), /High water at 11:42/);
  // The list sent it to its subscriber as well.
  const copy = await catcher.waitFor('the list\'s copy to alice', (m) =>
    m.recipients.includes('alice@test.example') && m.message.includes('Tide tables for the walk, part 1'));
  assert.match(copy.message, /^List-Unsubscribe: /m);
  assert.deepEqual(probes.violations, []);
  await context.close();
  assert.ok(median <= postWithinMs, report);
});

// A phone's screen, 360 CSS pixels wide, and no JavaScript at all: every page fits the
// width (no sideways scrolling, whatever the Subject or a file name holds), and a search
// from the box works.
browserTest('pages fit a phone\'s screen and work without JavaScript', async () => {
  const context = await browser.newContext({
    viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, javaScriptEnabled: false,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(actionTimeoutMs);
  const urls = [
    `${archive.url}/`, `${archive.url}/${list}/`, `${archive.url}/${list}/?q=harbour`,
    pageUrl(walk.id, 't/'), pageUrl(walkReply.id), pageUrl(minutes.id), pageUrl(hostile.id),
    pageUrl(hostile.id, 't/'),
  ];
  for (const url of urls) {
    await page.goto(url);
    // What sticks out to the right of the screen (a phone would zoom out to show it).
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > 360.5)
      .map((e) => `<${e.tagName.toLowerCase()}> ${Math.round(e.getBoundingClientRect().right)} px`));
    assert.deepEqual(wide, [], `wider than the screen on ${url}`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), url);
  }
  await page.goto(`${archive.url}/${list}/`);
  await page.getByRole('searchbox', { name: 'search' }).fill('flask');
  await page.getByRole('button', { name: 'search' }).tap();
  await page.waitForURL(`${archive.url}/${list}/?q=flask`);
  assert.deepEqual(await page.locator('ol.hits mark').allTextContents(), ['flask']);
  await context.close();
});
