// The platform under a browser test: a temporary mail root made by the real qmail-install,
// lists made by the real ezmlm-make, and the real daemons (qmail-send, qmail-smtpd,
// ezmlm-webarchive) on free loopback ports, as script/server runs them. Everything is
// under one temporary directory and every process is in a process group of its own, so
// stop() (also run at exit, however the test ends) kills them all and removes the
// directory. As root, the platform runs as an unprivileged user (qmtest, made by
// script/bootstrap, else nobody), as tests/support does for the Catch2 scenarios.
//
// What a later test needs to add a case: platform.startArchive({args, env}) starts
// another ezmlm-webarchive with more options, and platform.mailCatcher() gives a
// QMAILQUEUE program that keeps every message queued through it (a login link mailed by
// the server, say) for the test to read.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

// Polls pred (which may be async) every 20 ms until it returns a truthy value, which is
// returned; throws after timeoutMs, naming what was awaited.
export async function waitFor(what, pred, timeoutMs = 20000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

// A loopback port that was free a moment ago.
export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function connects(port) {
  return new Promise((resolve) => {
    const c = net.connect({ port, host: '127.0.0.1' });
    c.on('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

function passwdEntry(name) {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

// Hard links (else copies) of the built programs and their manual pages in a directory
// every user can read, so that the unprivileged user can run them wherever the build
// tree lives (tests/support's stage() does the same for the Catch2 tests).
function stagePrograms(binDir, to) {
  const copyDir = (from, dest, keep) => {
    fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
    fs.chmodSync(dest, 0o755);
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      if (!e.isFile() || !keep(e.name)) continue;
      const target = path.join(dest, e.name);
      try {
        fs.linkSync(path.join(from, e.name), target);
      } catch {
        fs.copyFileSync(path.join(from, e.name), target);
      }
    }
  };
  copyDir(binDir, path.join(to, 'bin'), (name) => !name.startsWith('qm_'));
  const man = path.join(binDir, '..', 'share', 'man');
  if (fs.existsSync(man))
    for (const section of fs.readdirSync(man))
      copyDir(path.join(man, section), path.join(to, 'share', 'man', section), () => true);
  for (const d of ['', 'share', 'share/man'])
    if (fs.existsSync(path.join(to, d))) fs.chmodSync(path.join(to, d), 0o755);
  return path.join(to, 'bin');
}

// Every process the platforms started, for the exit handler.
const running = new Set();
const directories = new Set();
process.on('exit', () => {
  for (const d of running) d.kill('SIGKILL');
  for (const dir of directories) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => process.exit(128 + os.constants.signals[signal]));

// A long-running program in its own process group, stdout and stderr in a log file.
class Daemon {
  constructor(argv, { env, cwd, user, logPath }) {
    this.name = path.basename(argv[0]);
    this.logPath = logPath;
    const log = fs.openSync(logPath, 'a', 0o644);
    this.child = spawn(argv[0], argv.slice(1), {
      env,
      cwd,
      detached: true,
      stdio: ['ignore', log, log],
      ...(user ?? {}),
    });
    fs.closeSync(log);
    this.exitStatus = null;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitStatus = signal ?? code;
        running.delete(this);
        resolve(this.exitStatus);
      });
      this.child.on('error', (e) => {
        this.exitStatus = String(e);
        running.delete(this);
        resolve(this.exitStatus);
      });
    });
    running.add(this);
  }
  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }
  kill(signal) {
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }
  // SIGTERM to the group (qmail-send finishes the deliveries it runs), SIGKILL if it is
  // still there after timeoutMs.
  async stop(timeoutMs = 10000) {
    if (this.exitStatus !== null) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.kill('SIGKILL'); // any child left in the group
  }
}

export class Platform {
  // binDir: the build's bin/ (CTest gives QM_BIN_DIR).
  static async create(binDir) {
    const p = new Platform();
    await p.#init(binDir);
    return p;
  }

  #daemons = [];

  async #init(binDir) {
    if (!fs.existsSync(path.join(binDir, 'ezmlm-webarchive')))
      throw new Error(`no ezmlm-webarchive in ${binDir}: build first (script/build)`);
    this.top = fs.mkdtempSync(path.join(os.tmpdir(), 'qm-browser.'));
    directories.add(this.top);
    fs.chmodSync(this.top, 0o755);
    this.user = null;
    if (process.getuid() === 0) {
      this.user = passwdEntry('qmtest') ?? passwdEntry('nobody');
      if (!this.user) throw new Error('running as root but no unprivileged user (qmtest or nobody)');
      this.bin = stagePrograms(binDir, this.top);
    } else {
      this.bin = binDir;
    }
    this.home = path.join(this.top, 'root');
    fs.mkdirSync(this.home, { mode: 0o755 });
    this.#own(this.home);
    await this.run(['qmail-install', this.home]);
    this.writeFile('control/me', 'test.example\n');
    // qmail-smtpd takes mail for the local domain only.
    this.writeFile('control/rcpthosts', 'test.example\n');
    this.assign = [];
    for (const u of ['alice', 'bob', 'carol', 'dave']) this.#addUser(u);
    // joe-<anything> reaches joe's .qmail-<anything>: lists go in joe's home.
    this.joe = this.#addUser('joe');
    const { uid, gid } = this.#ids();
    this.assign.push(`+joe-:joe:${uid}:${gid}:${this.joe}:-::`);
    await this.#writeAssign();
  }

  #ids() {
    return this.user ?? { uid: process.getuid(), gid: process.getgid() };
  }
  #own(p) {
    if (this.user) fs.lchownSync(p, this.user.uid, this.user.gid);
  }
  // A file under the mail root, owned by the platform's user.
  writeFile(rel, data, mode = 0o644) {
    const p = path.join(this.home, rel);
    fs.writeFileSync(p, data, { mode });
    fs.chmodSync(p, mode);
    this.#own(p);
    return p;
  }
  #addUser(name) {
    const home = path.join(this.home, 'users', name);
    for (const d of ['', 'Maildir', 'Maildir/new', 'Maildir/cur', 'Maildir/tmp']) {
      fs.mkdirSync(path.join(home, d), { recursive: true, mode: 0o755 });
      this.#own(path.join(home, d));
    }
    const { uid, gid } = this.#ids();
    this.assign.push(`=${name}:${name}:${uid}:${gid}:${home}:::`);
    return home;
  }
  async #writeAssign() {
    this.writeFile('users/assign', this.assign.join('\n') + '\n.\n');
    await this.run(['qmail-newu']);
  }

  // The environment of every program: the test's own, QMAILHOME, and extra, without the
  // variables through which qmail-inject would take a sender from the test's user.
  env(extra = {}) {
    const env = { ...process.env, QMAILHOME: this.home, ...extra };
    for (const v of ['USER', 'LOGNAME', 'MAILUSER', 'MAILHOST', 'QMAILNAME', 'NAME', 'MAILNAME',
      'QMAILSUSER', 'QMAILSHOST'])
      if (!(v in extra)) delete env[v];
    return env;
  }

  // Runs a built program (argv[0] a name in bin/) as the platform's user; resolves to
  // { code, out, err }, rejects when it fails unless allowFailure.
  run(argv, { input = '', env = {}, allowFailure = false, timeoutMs = 30000 } = {}) {
    const program = path.join(this.bin, argv[0]);
    return new Promise((resolve, reject) => {
      const child = spawn(program, argv.slice(1), {
        env: this.env(env),
        cwd: this.home,
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        ...(this.user ?? {}),
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b) => (out += b));
      child.stderr.on('data', (b) => (err += b));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const r = { code: signal ? `signal ${signal}` : code, out, err };
        if (r.code !== 0 && !allowFailure) reject(new Error(`${argv.join(' ')}: exit ${r.code}: ${err}`));
        else resolve(r);
      });
      child.stdin.on('error', () => {}); // a program that exits without reading its input
      child.stdin.end(input);
    });
  }

  // Starts a built program as a daemon; its log is <top>/<logName>.
  start(argv, { env = {}, logName } = {}) {
    const d = new Daemon([path.join(this.bin, argv[0]), ...argv.slice(1)], {
      env: this.env(env),
      cwd: this.home,
      user: this.user,
      logPath: path.join(this.top, logName ?? `${argv[0]}.log`),
    });
    this.#daemons.push(d);
    return d;
  }

  // ezmlm-make for joe-<name>@test.example in joe's home (public and archived, its
  // editor running ezmlm-webindex: ezmlm-make's defaults); returns the list directory.
  async makeList(name, switches = []) {
    const dir = path.join(this.joe, name);
    await this.run(['ezmlm-make', ...switches, dir, path.join(this.joe, `.qmail-${name}`), `joe-${name}`,
      'test.example']);
    return dir;
  }

  // qmail-send, delivering; env reaches qmail-local and the list programs (QMAILQUEUE of
  // a mailCatcher(), say).
  async startQueue(env = {}) {
    const send = this.start(['qmail-send', './Maildir/'], { env, logName: 'send.log' });
    await waitFor('qmail-send to start',
      () => send.log().includes('status: local') || send.exitStatus !== null);
    if (send.exitStatus !== null) throw new Error(`qmail-send exited (${send.exitStatus}): ${send.log()}`);
    this.send = send;
    return send;
  }

  // Mails message through qmail-inject with the envelope sender user@test.example.
  async inject(message, user = 'dave') {
    await this.run(['qmail-inject'], { input: message, env: { QMAILUSER: user, QMAILHOST: 'test.example' } });
  }

  // Starts a daemon that takes --listen 127.0.0.1:PORT on a free port, and waits until
  // ready(daemon, port) holds; a port taken meanwhile by someone else (the daemon exits)
  // gets another try on another port.
  async #listening(argv, options, ready) {
    for (let attempt = 1; ; ++attempt) {
      const port = await freePort();
      const d = this.start([argv[0], '--listen', `127.0.0.1:${port}`, ...argv.slice(1)], options);
      await waitFor(`${argv[0]} to listen on ${port}`,
        async () => d.exitStatus !== null || (await ready(d, port)));
      if (d.exitStatus === null) return { daemon: d, port };
      if (attempt === 3) throw new Error(`${argv[0]} exited (${d.exitStatus}): ${d.log()}`);
    }
  }

  // qmail-smtpd on a free loopback port, as script/server runs it; resolves to the port.
  async startSmtp(env = {}) {
    const { port } = await this.#listening(['qmail-smtpd'], { env, logName: 'smtpd.log' },
      (d) => d.log().includes('status: listening'));
    return port;
  }

  // ezmlm-webarchive on a free loopback port serving lists ({ NAME: DIR }), with more
  // arguments and environment when given; resolves to { url, port, daemon }.
  async startArchive({ lists, args = [], env = {} }) {
    const listArgs = Object.entries(lists).flatMap(([name, dir]) => ['--list', `${name}=${dir}`]);
    const { daemon, port } = await this.#listening(['ezmlm-webarchive', ...listArgs, ...args],
      { env, logName: `webarchive.${this.#daemons.length}.log` },
      // (Its "listening on" line comes before it binds: a connection is the sign, unless
      // it says it could not bind and another program holds the port.)
      async (d, p) => (await connects(p)) && !d.log().includes('cannot listen'));
    return { url: `http://127.0.0.1:${port}`, port, daemon };
  }

  // A QMAILQUEUE program that keeps each message queued through it as N.msg and its
  // envelope (qmail-queue's fd 1: F sender, T recipients) as N.env in a directory of its
  // own, and exits 0. Give its env to the programs whose mail a test wants to read.
  mailCatcher(name = 'caught') {
    const dir = path.join(this.top, name);
    fs.mkdirSync(dir, { mode: 0o755 });
    this.#own(dir);
    const script = path.join(this.top, `${name}.qmail-queue`);
    fs.writeFileSync(script,
      `#!/bin/sh\nn=$$.$(date +%s%N)\ncat > '${dir}/'$n.tmp && cat <&1 > '${dir}/'$n.env &&\n` +
      `mv '${dir}/'$n.tmp '${dir}/'$n.msg\n`, { mode: 0o755 });
    fs.chmodSync(script, 0o755);
    const messages = () =>
      fs.readdirSync(dir).filter((f) => f.endsWith('.msg')).sort().map((f) => {
        const [sender, ...recipients] = fs.readFileSync(path.join(dir, f.replace(/\.msg$/, '.env')), 'latin1')
          .split('\0').filter((s) => s.length > 0);
        return {
          message: fs.readFileSync(path.join(dir, f), 'latin1'),
          sender: sender.replace(/^F/, ''),
          recipients: recipients.map((r) => r.replace(/^T/, '')),
        };
      });
    return {
      env: { QMAILQUEUE: script },
      messages,
      // The first message caught for which pred holds.
      waitFor: (what, pred, timeoutMs) => waitFor(what, () => messages().find(pred), timeoutMs),
    };
  }

  // The logs of every daemon, for a failure's report.
  logs() {
    return this.#daemons.map((d) => `--- ${path.basename(d.logPath)}\n${d.log()}`).join('\n');
  }

  async stop() {
    await Promise.all(this.#daemons.map((d) => d.stop()));
    if (process.env.QM_BROWSER_KEEP) {
      console.log(`browser test: kept ${this.top} (QM_BROWSER_KEEP)`);
    } else {
      fs.rmSync(this.top, { recursive: true, force: true });
    }
    directories.delete(this.top);
  }
}

// A message sent over SMTP to 127.0.0.1:port (EHLO, MAIL, RCPT, DATA); resolves to the
// time (performance.now()) at which the 250 after the data arrived, and its text.
export async function smtpSend(port, { from, to, data, timeoutMs = 30000 }) {
  const sock = net.connect({ port, host: '127.0.0.1' });
  sock.setEncoding('latin1');
  let buffer = '';
  let waiting = null;
  const check = () => {
    // A reply ends with a line "NNN text" (a space after the code).
    const m = buffer.match(/^(?:\d{3}-.*\r\n)*(\d{3}) .*\r\n/);
    if (m && waiting) {
      const w = waiting;
      waiting = null;
      buffer = buffer.slice(m[0].length);
      w.resolve({ code: Number(m[1]), text: m[0], at: performance.now() });
    }
  };
  sock.on('data', (d) => {
    buffer += d;
    check();
  });
  let failure = null;
  const fail = (e) => {
    failure ??= e;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w.reject(failure);
    }
  };
  sock.on('error', fail);
  sock.on('close', () => fail(new Error(`SMTP connection closed; last: ${buffer}`)));
  const reply = async (expect) => {
    let timer;
    const r = await new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      waiting = { resolve, reject };
      timer = setTimeout(() => fail(new Error(`SMTP reply timed out (expected ${expect})`)), timeoutMs);
      check();
    }).finally(() => clearTimeout(timer));
    if (r.code !== expect) throw new Error(`SMTP: expected ${expect}, got ${r.text}`);
    return r;
  };
  try {
    await reply(220);
    sock.write('EHLO client.test.example\r\n');
    await reply(250);
    sock.write(`MAIL FROM:<${from}>\r\n`);
    await reply(250);
    sock.write(`RCPT TO:<${to}>\r\n`);
    await reply(250);
    sock.write('DATA\r\n');
    await reply(354);
    const body = data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    sock.write(body + (body.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    const done = await reply(250);
    sock.write('QUIT\r\n');
    return done;
  } finally {
    sock.end();
  }
}
