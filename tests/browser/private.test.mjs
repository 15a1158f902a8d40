// Private archives and RFC 8058 one-click unsubscription in a real browser (issue 17,
// "Tests"): headless Debian chromium driven by playwright-core against the real
// ezmlm-webarchive (with --state), lists made by the real ezmlm-make and filled by the
// real qmail-send, ezmlm-send and ezmlm-webindex (platform.mjs). The curl end-to-end
// tests (tests/web/private_server_test.cpp) check the answers field by field; here a
// browser does what a reader does:
// - a stranger opening a private list sees the login page and nothing of the archive;
//   the browser asks for a login link in the form, the server's mail is caught on its
//   way to qmail-queue (QMAILQUEUE), the browser opens the mailed link, presses the
//   button, reads a message; the session cookie is HttpOnly and SameSite=Lax and out of
//   the page's reach; the link works once; logging out ends the session on the server;
//   a non-subscriber's address gets the same page and no mail.
// - the List-Unsubscribe URL of a subscriber's copy of a real post: the browser's GET
//   changes nothing and shows a button, pressing it unsubscribes; an RFC 8058 POST made
//   as a mail provider makes it unsubscribes another subscriber. ezmlm-send takes only an
//   https base URL (RFC 8058), as the proxy in front of the server presents it: the
//   browser's requests for that origin are passed to the server on loopback by a
//   Playwright route, which stands in for the proxy.
//
// Run by CTest (web_browser_private) through tests/browser/run, which skips (77) without
// chromium or playwright-core (a failure under CI); by hand:
//   tests/browser/run private.test.mjs         (QM_BIN_DIR=build/bin by default)
// QM_BROWSER_KEEP=1 keeps the temporary mail root and the daemons' logs.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Platform, waitFor } from './platform.mjs';

const { chromium } = createRequire(path.join(process.env.QM_PLAYWRIGHT_DIR, 'node_modules', '/'))(
  'playwright-core');

const binDir = process.env.QM_BIN_DIR;
// Generous limits for a loaded 2-core machine: each is a deadline, never a sleep.
const actionTimeoutMs = 20000;
const testTimeoutMs = 120000;

const hidden = 'hidden'; // the private list
const team = 'team'; // the public list with one-click unsubscription
// The https origin ezmlm-send writes into List-Unsubscribe (the proxy's, in production).
const proxyOrigin = 'https://lists.test.example';

const secretPost = {
  id: 'plan@test.example',
  subject: 'Secret plans',
  text: 'The secret is in the garden, under the third stone.',
};

let platform;
let web; // { url, port, daemon }: ezmlm-webarchive serving both lists
let listMail; // the list programs' mail (each subscriber's copy of a post)
let loginMail; // the server's mail (login links)
let browser;
let hiddenDir;
let teamDir;

// Resolves once qmail-send has finished a delivery to recipient (local) successfully: the
// list's .qmail has then run ezmlm-send and ezmlm-webindex, so the post is indexed.
async function delivered(recipient) {
  await waitFor(`the delivery to ${recipient}`, () => {
    const log = platform.send.log();
    const started = [...log.matchAll(/starting delivery (\d+): msg \d+ to local (\S+)/g)]
      .filter((m) => m[2] === recipient).map((m) => m[1]);
    for (const d of started) {
      const done = log.match(new RegExp(`(?<!starting )delivery ${d}: (success|failure)`));
      if (done?.[1] === 'failure') throw new Error(`delivery ${d} to ${recipient} failed:\n${log}`);
      if (done) return true;
    }
    return false;
  }, 60000);
}

// The subscribers of a list as ezmlm-list (run as the list's owner) prints them.
async function subscribers(dir) {
  const { out } = await platform.run(['ezmlm-list', dir]);
  return out.split('\n').filter((l) => l.length > 0).sort();
}

// A header field of a message (unfolded), null when absent.
function field(message, name) {
  const head = message.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = head.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'im'));
  return m ? m[1] : null;
}

before(async () => {
  platform = await Platform.create(binDir);
  hiddenDir = await platform.makeList(hidden, ['-P']);
  teamDir = await platform.makeList(team);
  platform.writeFile(path.relative(platform.home, path.join(teamDir, 'unsubscribeurl')),
    `${proxyOrigin}/${team}\n`);
  await platform.run(['ezmlm-sub', hiddenDir, 'alice@test.example', 'carol@test.example']);
  await platform.run(['ezmlm-sub', teamDir, 'alice@test.example', 'bob@test.example']);
  listMail = platform.mailCatcher('list');
  loginMail = platform.mailCatcher('login');
  await platform.startQueue(listMail.env);
  // The server makes the state directory itself (mode 0700), in the platform user's home.
  web = await platform.startArchive({
    lists: { [hidden]: hiddenDir, [team]: teamDir },
    args: ['--state', path.join(platform.home, 'webstate')],
    env: loginMail.env,
  });
  await platform.inject(`From: Dave <dave@test.example>\nTo: joe-${hidden}@test.example\n` +
    `Subject: ${secretPost.subject}\nMessage-ID: <${secretPost.id}>\n` +
    `Date: Mon, 2 Mar 2026 10:00:00 +0000\n\n${secretPost.text}\n`);
  await platform.inject(`From: Dave <dave@test.example>\nTo: joe-${team}@test.example\n` +
    'Subject: Links below\nMessage-ID: <links@test.example>\nDate: Mon, 2 Mar 2026 11:00:00 +0000\n\n' +
    'Every copy of this post carries its own List-Unsubscribe URL.\n');
  await delivered(`joe-${hidden}@test.example`);
  await delivered(`joe-${team}@test.example`);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // As archive.test.mjs: no connections to Google's services, /tmp rather than /dev/shm.
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

// A fresh browser context (no cookies) and a page in it.
async function freshPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(actionTimeoutMs);
  page.setDefaultNavigationTimeout(actionTimeoutMs);
  return { context, page };
}

const hiddenUrl = (rest = '') => `${web.url}/${hidden}/${rest}`;

// The page of the private list a reader without a session gets: 403, the login form,
// nothing of the archive.
async function assertLoginPage(page, response) {
  assert.equal(response.status(), 403, `status of ${page.url()}`);
  const text = await page.locator('body').innerText();
  assert.match(text, /is private/);
  assert.ok(await page.getByRole('button', { name: 'Mail me a login link' }).isVisible());
  for (const leak of [secretPost.subject, secretPost.text, 'garden'])
    assert.ok(!text.includes(leak) && !(await page.content()).includes(leak), `${leak} shown on ${page.url()}`);
}

// Types address into the login form of the current page and sends it; resolves to the
// answer's text with the address replaced by ADDRESS.
async function askForLink(page, address) {
  await page.getByLabel('Your address').fill(address);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url() === hiddenUrl('_/login') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Mail me a login link' }).click(),
  ]);
  assert.equal(answer.status(), 200);
  await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
  return (await page.content()).split(address).join('ADDRESS');
}

browserTest('a subscriber logs in to a private archive with the mailed link', async () => {
  const stranger = await freshPage();
  const reader = await freshPage();
  const late = await freshPage();
  try {
    // A stranger sees the login page on the list's page and on the message's.
    const { page } = stranger;
    await assertLoginPage(page, await page.goto(hiddenUrl()));
    await assertLoginPage(page, await page.goto(hiddenUrl(`${encodeURIComponent(secretPost.id)}/`)));
    await assertLoginPage(page, await page.goto(hiddenUrl(`${encodeURIComponent(secretPost.id)}/raw`)));

    // bob (no subscriber) and alice ask in the form: the same answer for both.
    await page.goto(hiddenUrl());
    const forBob = await askForLink(page, 'bob@test.example');
    await page.goto(hiddenUrl());
    const forAlice = await askForLink(page, 'alice@test.example');
    assert.equal(forBob, forAlice);

    const mail = await loginMail.waitFor('the login mail to alice',
      (m) => m.recipients.includes('alice@test.example'), 60000);
    assert.match(field(mail.message, 'Subject'), /^Log in to the web archive of joe-hidden@test\.example/);
    const links = mail.message.match(new RegExp(`${web.url}/${hidden}/_/login/[A-Za-z0-9_-]+`, 'g'));
    assert.equal(links?.length, 1, mail.message);
    const link = links[0];

    // The reader opens the link (in another browser context, as from a mail program): a
    // button, no session yet; pressing it logs in and leads to the list's page.
    const rp = reader.page;
    const shown = await rp.goto(link);
    assert.equal(shown.status(), 200);
    assert.deepEqual(await reader.context.cookies(), []);
    await Promise.all([
      rp.waitForURL(hiddenUrl()),
      rp.getByRole('button', { name: 'Log in' }).click(),
    ]);
    // The post's link leads to its text (on its page or its thread's).
    await Promise.all([
      rp.waitForURL((u) => decodeURIComponent(u.pathname).startsWith(`/${hidden}/${secretPost.id}/`)),
      rp.getByRole('link', { name: secretPost.subject }).first().click(),
    ]);
    await rp.getByText(secretPost.text).first().waitFor();

    // The session cookie: HttpOnly, SameSite=Lax, for the whole site; the page's script
    // cannot see it, though it sees a cookie that is not HttpOnly.
    const cookies = await reader.context.cookies();
    const session = cookies.find((c) => c.name === 'session');
    assert.ok(session, JSON.stringify(cookies));
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/');
    await reader.context.addCookies([{ name: 'visible', value: 'yes', url: web.url }]);
    const seen = await rp.evaluate(() => document.cookie);
    assert.match(seen, /visible=yes/);
    assert.ok(!seen.includes('session') && !seen.includes(session.value), seen);

    // The link works once: opened again (by someone else) it logs nobody in.
    const lp = late.page;
    const again = await lp.goto(link);
    assert.equal(again.status(), 403);
    assert.match(await lp.locator('body').innerText(), /does not work/);
    assert.equal(await lp.getByRole('button', { name: 'Log in' }).count(), 0);
    await assertLoginPage(lp, await lp.goto(hiddenUrl()));
    assert.ok(!(await late.context.cookies()).some((c) => c.name === 'session'));

    // Logging out: the link in the page's header, then the button. The list is closed
    // again, also to the old cookie (the server ended the session, not just the browser).
    await rp.goto(hiddenUrl());
    await rp.getByRole('link', { name: 'log out alice@test.example' }).click();
    await rp.waitForURL(hiddenUrl('_/logout'));
    await rp.getByRole('button', { name: 'Log out' }).click();
    await rp.getByRole('heading', { name: 'Logged out' }).waitFor();
    assert.ok(!(await reader.context.cookies()).some((c) => c.name === 'session'));
    await assertLoginPage(rp, await rp.goto(hiddenUrl()));
    await late.context.addCookies([{ ...session }]);
    await assertLoginPage(lp, await lp.goto(hiddenUrl(`${encodeURIComponent(secretPost.id)}/`)));

    // bob asked first and is no reader: no mail to him (alice's came, and two pages since).
    assert.deepEqual(loginMail.messages().filter((m) => !m.recipients.includes('alice@test.example')), []);
    assert.ok(!web.daemon.log().includes('login link mailed to bob'));
  } finally {
    for (const c of [stranger, reader, late]) await c.context.close();
  }
});

browserTest('one-click unsubscription from a post\'s List-Unsubscribe URL', async () => {
  // Each subscriber's copy of the post carries a URL of its own.
  const urlOf = async (address) => {
    const copy = await listMail.waitFor(`the copy of the post to ${address}`,
      (m) => m.recipients.includes(address) && /^Subject: Links below/m.test(m.message), 60000);
    const lu = field(copy.message, 'List-Unsubscribe');
    const m = lu?.match(new RegExp(`<(${proxyOrigin}/${team}/unsubscribe/[^>]+)>`));
    assert.ok(m, `List-Unsubscribe: ${lu}`);
    assert.equal(field(copy.message, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    return m[1];
  };
  const aliceUrl = await urlOf('alice@test.example');
  const bobUrl = await urlOf('bob@test.example');
  assert.notEqual(aliceUrl, bobUrl);
  assert.deepEqual(await subscribers(teamDir), ['alice@test.example', 'bob@test.example']);

  const { context, page } = await freshPage();
  try {
    // The proxy: the browser's requests for its https origin go to the server, as they are.
    const proxied = [];
    await context.route(`${proxyOrigin}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (route.request().isNavigationRequest()) proxied.push(`${route.request().method()} ${u.pathname}`);
      const response = await route.fetch({ url: `${web.url}${u.pathname}${u.search}`, maxRedirects: 0 });
      await route.fulfill({ response });
    });

    // Opening the link (what a scanner or a preview does too) changes nothing.
    const shown = await page.goto(aliceUrl);
    assert.equal(shown.status(), 200);
    const button = page.getByRole('button', { name: 'Unsubscribe' });
    assert.ok(await button.isVisible());
    assert.deepEqual(await subscribers(teamDir), ['alice@test.example', 'bob@test.example']);

    // Pressing the button unsubscribes alice, and only her.
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === aliceUrl && r.request().method() === 'POST'),
      button.click(),
    ]);
    assert.equal(answer.status(), 200);
    assert.match(await page.locator('body').innerText(), /no longer subscribed/);
    assert.deepEqual(await subscribers(teamDir), ['bob@test.example']);
    const alicePath = new URL(aliceUrl).pathname;
    assert.deepEqual(proxied, [`GET ${alicePath}`, `POST ${alicePath}`]);

    // A mail provider's RFC 8058 POST (form-encoded, no cookie, no Origin of the site) on
    // bob's URL, through Playwright's request API (to the server, as the proxy would pass it).
    const api = await browser.newContext();
    try {
      const done = await api.request.post(`${web.url}${new URL(bobUrl).pathname}`,
        { form: { 'List-Unsubscribe': 'One-Click' }, timeout: actionTimeoutMs });
      assert.equal(done.status(), 200);
      assert.match(await done.text(), /no longer subscribed/);
    } finally {
      await api.close();
    }
    assert.deepEqual(await subscribers(teamDir), []);
  } finally {
    await context.close();
  }
});
