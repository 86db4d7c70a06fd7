// End-to-end tests of the web console in headless Chromium (Debian's `chromium`, driven by
// playwright-core; nothing is downloaded). One server on a throwaway SQLite database built
// with `yilian demo`, one user per role, every page the role may use and one it may not.
//
// Run by .ci/e2e; by hand: `node --test --test-reporter=spec tests/browser/` from the
// repository root after `cargo build` (YILIAN_BIN overrides target/debug/yilian).
// Screenshots and the server's log go to test-output/browser/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.resolve(ROOT, process.env.YILIAN_BIN || 'target/debug/yilian');
const OUT = path.join(ROOT, 'test-output', 'browser');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PASSWORD = 'Yilian-e2e-2026!';
const WRONG_PASSWORD = 'Wrong-e2e-2026?';

/** The page behind each navigation key. */
const PAGES = {
  map: '/map',
  persons: '/persons',
  'audit-trail': '/audit-trail',
  users: '/users',
  referrals: '/referrals',
  pools: '/pools',
  'referral-clocks': '/referral-clocks',
  tokens: '/tokens',
  me: '/me',
};

/**
 * One account per role: the navigation it must see (exactly), and a page the access
 * policy refuses it (read_audit_trail / manage_users are `x` for these roles).
 * `scope` names what the grant needs from the exported city.
 */
const ROLES = [
  { role: 'commission_admin', user: 'e2e-admin', scope: 'city', nav: ['map', 'pools', 'referral-clocks', 'users', 'tokens'], forbidden: '/audit-trail' },
  { role: 'consortium_manager', user: 'e2e-manager', scope: 'consortium', nav: ['map', 'pools', 'referral-clocks', 'tokens'], forbidden: '/users' },
  { role: 'referral_desk', user: 'e2e-desk', scope: 'lead', nav: ['persons', 'referrals', 'pools', 'tokens'], forbidden: '/audit-trail' },
  { role: 'doctor', user: 'e2e-doctor', scope: 'lead', nav: ['persons', 'referrals', 'tokens'], forbidden: '/audit-trail' },
  { role: 'family_doctor', user: 'e2e-family', scope: 'team', nav: ['persons', 'referrals', 'tokens'], forbidden: '/users' },
  { role: 'shared_centre_staff', user: 'e2e-shared', scope: 'shared', nav: ['persons', 'tokens'], forbidden: '/audit-trail' },
  { role: 'auditor', user: 'e2e-auditor', scope: 'city', nav: ['audit-trail', 'tokens'], forbidden: '/users' },
  { role: 'resident', user: 'e2e-resident', scope: 'person', nav: ['me'], forbidden: '/users' },
];

const LAUNCH = {
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
};

// ---------------------------------------------------------------------------------------
// Helpers

/** A minimal RFC 4180 parser: quoted fields, doubled quotes, CRLF, a leading BOM. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  const [header, ...body] = rows;
  return body
    .filter((r) => !(r.length === 1 && r[0] === ''))
    .map((r) => Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])));
}

function readCsv(dir, file) {
  const p = path.join(dir, file);
  return fs.existsSync(p) ? parseCsv(fs.readFileSync(p, 'utf8')) : null;
}

/** The key file that seals the identifiers of `db`: beside it, thrown away with it. */
function keyFile(db) {
  return path.join(path.dirname(db), 'yilian.key');
}

/** Runs the CLI on `db`; throws with its stderr when it fails. */
function yilian(db, args, input) {
  const r = spawnSync(BIN, ['--db', db, '--key-file', keyFile(db), ...args], {
    input,
    encoding: 'utf8',
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`yilian ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Picks the ids the grants need: an urban medical group, its lead institution, a team of
 * one of its members with a signed resident, and an institution of the group running a
 * shared centre (the lead when none does).
 */
function pickCity(dir) {
  const institutions = readCsv(dir, 'institutions.csv');
  const consortia = readCsv(dir, 'consortia.csv');
  const teams = readCsv(dir, 'teams.csv');
  const residents = readCsv(dir, 'residents.csv');
  const memberships = readCsv(dir, 'memberships.csv') ?? [];
  assert.ok(institutions && consortia && teams && residents, `export in ${dir} lacks a CSV file`);

  const signedByTeam = new Map();
  for (const r of residents) {
    if (r.team_id && !signedByTeam.has(r.team_id)) signedByTeam.set(r.team_id, r.resident_id);
  }
  const groups = consortia.filter((c) => c.kind === 'urban_medical_group');
  assert.ok(groups.length > 0, 'the demo city has no urban_medical_group consortium');

  for (const c of groups) {
    const members = new Set([c.lead_institution_id]);
    for (const m of memberships) if (m.consortium_id === c.consortium_id) members.add(m.institution_id);
    const team = teams.find((t) => members.has(t.institution_id) && signedByTeam.has(t.team_id));
    if (!team) continue;
    const shared =
      institutions.find((i) => members.has(i.institution_id) && /(^|;)shared_/.test(i.capabilities ?? '')) ??
      institutions.find((i) => i.institution_id === c.lead_institution_id);
    return {
      consortium: c.consortium_id,
      lead: c.lead_institution_id,
      team: team.team_id,
      teamHost: team.institution_id,
      resident: signedByTeam.get(team.team_id),
      shared: shared.institution_id,
    };
  }
  assert.fail('no urban_medical_group has a member team with a signed resident');
}

function grantOf({ role, scope }, city) {
  switch (scope) {
    case 'city': return `${role}@city`;
    case 'consortium': return `${role}@consortium:${city.consortium}`;
    case 'lead': return `${role}@institution:${city.lead}`;
    case 'shared': return `${role}@institution:${city.shared}`;
    case 'team': return `${role}@team:${city.team}`;
    case 'person': return `${role}@person:${city.resident}`;
    default: throw new Error(`unknown scope ${scope}`);
  }
}

// ---------------------------------------------------------------------------------------
// The fixture: database, accounts, server, browser.

let work; // temp dir
let city; // the ids the grants were made on
let server; // child process
let browser;
let base; // http://127.0.0.1:PORT

async function setUp() {
  assert.ok(fs.existsSync(BIN), `no yilian binary at ${BIN}: run cargo build first, or set YILIAN_BIN`);
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium`);
  fs.mkdirSync(OUT, { recursive: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'yilian-browser-'));
  const db = path.join(work, 'e2e.db');
  const exported = path.join(work, 'export');

  yilian(db, ['demo', '--residents', '2000', '--grids', '4', '--seed', '1', '--no-serve']);
  yilian(db, ['export', exported]);
  city = pickCity(exported);
  fs.writeFileSync(path.join(OUT, 'city.json'), JSON.stringify(city, null, 2) + '\n');
  for (const r of ROLES) {
    yilian(
      db,
      ['user', 'add', r.user, '--name', `测试 ${r.role}`, '--grant', grantOf(r, city), '--password-stdin'],
      `${PASSWORD}\n`,
    );
  }

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(OUT, 'server.log'), 'w');
  server = spawn(BIN, ['--db', db, '--key-file', keyFile(db), 'serve', '--addr', `127.0.0.1:${port}`], {
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`yilian serve exited (${server.exitCode ?? server.signalCode}); see test-output/browser/server.log`);
    }
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok && (await res.text()).trim() === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}/healthz did not answer ok within 60 s`);
    await sleep(200);
  }

  browser = await chromium.launch(LAUNCH);
}

async function tearDown() {
  await browser?.close().catch(() => {});
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const t = setTimeout(() => server.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Page helpers

/** A fresh browser context (no cookies) with a Chinese browser, as the staff have. */
async function newPage() {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** Runs `fn(page)` on a fresh page; on failure keeps a screenshot named after the test. */
async function withPage(name, fn) {
  const page = await newPage();
  try {
    await fn(page);
  } catch (e) {
    await page.screenshot({ path: path.join(OUT, `failed-${name}.png`), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await page.context().close();
  }
}

const pathname = (page) => new URL(page.url()).pathname;

/** Clicks `selector` and waits for the navigation it starts (redirects included). */
async function clickAndWait(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

const SUBMIT_LOGIN = 'form:has(input[name=password]) button[type=submit]';

async function submitLogin(page, user, password) {
  const res = await page.goto(`${base}/login`);
  assert.equal(res.status(), 200, 'GET /login');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await clickAndWait(page, SUBMIT_LOGIN);
}

async function login(page, user) {
  await submitLogin(page, user, PASSWORD);
  assert.equal(pathname(page), '/', `after logging in as ${user} the browser lands on / (is on ${page.url()})`);
}

async function logout(page) {
  if (pathname(page) !== '/') await page.goto(`${base}/`);
  await clickAndWait(page, 'form[action="/logout"] [type=submit]');
  await page.goto(`${base}/`);
  assert.equal(pathname(page), '/login', 'after logging out, / redirects to /login');
}

/** The visible navigation links as [data-nav key, href] pairs, in page order. */
async function visibleNavKeys(page) {
  return page.$$eval('nav[aria-label] [data-nav]', (els) =>
    els
      .filter((e) => (typeof e.checkVisibility === 'function' ? e.checkVisibility() : e.offsetParent !== null))
      .map((e) => [e.getAttribute('data-nav'), e.getAttribute('href')]),
  );
}

async function alertText(page) {
  const alerts = page.locator('[role=alert]');
  assert.ok((await alerts.count()) > 0, `no [role=alert] on ${page.url()}`);
  return (await alerts.first().innerText()).trim();
}

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

// ---------------------------------------------------------------------------------------
// The tests. They run in order: the audit-trail test comes last, after everyone logged in.

describe('console', () => {
  before(setUp, { timeout: 10 * 60_000 });
  after(tearDown, { timeout: 60_000 });

  test('unauthenticated / redirects to /login', async () => {
    await withPage('unauthenticated', async (page) => {
      await page.goto(`${base}/`);
      assert.equal(pathname(page), '/login');
      assert.equal(await htmlLang(page), 'zh-CN', 'Chinese by default');
      for (const sel of ['input[name=user]', 'input[name=password]', SUBMIT_LOGIN]) {
        assert.equal(await page.locator(sel).count(), 1, `the login page has ${sel}`);
      }
      const csrf = page.locator('input[type=hidden][name=csrf]');
      assert.equal(await csrf.count(), 1, 'the login form carries a hidden csrf field');
      assert.ok((await csrf.getAttribute('value'))?.length > 0, 'the csrf field has a value');
      await page.screenshot({ path: path.join(OUT, 'login.png'), fullPage: true });
    });
  });

  test('a wrong password shows an alert and stays on /login', async () => {
    await withPage('wrong-password', async (page) => {
      await submitLogin(page, 'e2e-doctor', WRONG_PASSWORD);
      assert.equal(pathname(page), '/login');
      const text = await alertText(page);
      assert.match(text, /[\u4e00-\u9fff]/, `the error is in Chinese first: ${JSON.stringify(text)}`);
      await page.screenshot({ path: path.join(OUT, 'login-wrong-password.png'), fullPage: true });
      await page.goto(`${base}/`);
      assert.equal(pathname(page), '/login', 'a failed login opens no session');
    });
  });

  for (const r of ROLES) {
    test(`${r.role}: home, navigation, a forbidden page, logout`, async () => {
      await withPage(r.role, async (page) => {
        await login(page, r.user);
        assert.equal(await page.getAttribute('main[data-home]', 'data-home'), r.role);
        const nav = await visibleNavKeys(page);
        assert.deepEqual([...new Set(nav.map(([k]) => k))].sort(), [...r.nav].sort(), 'navigation keys');
        await page.screenshot({ path: path.join(OUT, `home-${r.role}.png`), fullPage: true });

        for (const [key, href] of nav) {
          assert.equal(new URL(href, base).pathname, PAGES[key], `data-nav=${key} links to ${PAGES[key]}`);
          const res = await page.goto(new URL(href, base).href);
          assert.equal(res.status(), 200, `${r.role} may open ${href}`);
        }

        const res = await page.goto(`${base}${r.forbidden}`);
        assert.equal(res.status(), 403, `${r.role} may not open ${r.forbidden}`);
        await alertText(page);

        await logout(page);
      });
    });
  }

  test('the language switch turns the console English, and it stays English', async () => {
    await withPage('language', async (page) => {
      await login(page, 'e2e-doctor');
      assert.equal(await htmlLang(page), 'zh-CN', 'Chinese by default');
      await clickAndWait(page, 'a[data-lang=en]');
      assert.equal(await htmlLang(page), 'en', 'English after the switch');
      await page.screenshot({ path: path.join(OUT, 'home-doctor-en.png'), fullPage: true });
      await clickAndWait(page, 'nav[aria-label] [data-nav=persons]');
      assert.equal(pathname(page), PAGES.persons);
      assert.equal(await htmlLang(page), 'en', 'still English on the next page');
      await clickAndWait(page, 'a[data-lang=zh]');
      assert.equal(await htmlLang(page), 'zh-CN', 'Chinese again after switching back');
      await logout(page);
    });
  });

  test('a referral goes up, the desk takes it to completed, the outcome shows in the outbox', async () => {
    await withPage('referral', async (page) => {
      await login(page, 'e2e-family');
      await page.goto(`${base}/referrals`);
      await page.fill('#resident_id', city.resident);
      await page.fill('#to_institution_id', city.lead);
      await page.selectOption('#urgency', 'urgent');
      await page.fill('#reason', '血压两次随访未达标');
      // a slot on the spot: the demo's cardiology pool at the lead, the morning two days on
      // (China's date), whose reserved tranche is open to referrers and not yet returned
      const day = new Date(Date.now() + 8 * 3600e3 + 2 * 86400e3).toISOString().slice(0, 10);
      const pool = `${city.lead}-D0-${day}-am`;
      await page.fill('#pool_id', pool);
      await clickAndWait(page, 'form[action="/referrals"][method=post] button[type=submit]');
      assert.equal(pathname(page), '/referrals', `after referring the page is ${page.url()}`);
      assert.equal(await page.locator('tr[data-status=requested]').count(), 1, 'the outbox shows it requested');
      const pools = await (await page.request.get(`${base}/api/v1/pools?institution=${city.lead}&day=${day}`)).json();
      const booked = pools.find((p) => p.pool_id === pool);
      assert.ok(booked, `pool ${pool} is listed`);
      assert.equal(booked.booked_reserved, 1, 'the referral took a reserved slot');
      await logout(page);

      await login(page, 'e2e-desk');
      await page.goto(`${base}/referrals`);
      const row = 'tr[data-referral]';
      await clickAndWait(page, `${row} button[data-command=accept]`);
      await page.fill(`${row} input[name=at]`, '2026-12-30T09:00');
      await page.fill(`${row} input[name=booking]`, 'bk-e2e');
      await clickAndWait(page, `${row} button[data-command=schedule]`);
      await clickAndWait(page, `${row} button[data-command=arrive]`);
      await page.fill(`${row} input[name=outcome]`, '血压控制良好，回社区随访');
      await clickAndWait(page, `${row} button[data-command=complete]`);
      assert.equal(await page.locator('tr[data-status=completed]').count(), 1, 'the inbox shows it completed');
      await page.screenshot({ path: path.join(OUT, 'referrals-desk.png'), fullPage: true });
      await logout(page);

      await login(page, 'e2e-family');
      await page.goto(`${base}/referrals`);
      const done = await page.locator('tr[data-status=completed]').first().innerText();
      assert.ok(done.includes('回社区随访'), `the outcome is in the outbox: ${done}`);
      await page.screenshot({ path: path.join(OUT, 'referrals-outbox.png'), fullPage: true });
      await logout(page);
    });
  });

  test('a down-referral reaches the family-doctor team with its care plan, and the team confirms the first visit', async () => {
    await withPage('down-referral', async (page) => {
      // the lead's desk cares for the person since the referral above
      await login(page, 'e2e-desk');
      await page.goto(`${base}/referrals`);
      await page.fill('#resident_id', city.resident);
      await page.fill('#to_institution_id', city.teamHost);
      await page.selectOption('#direction', 'down');
      await page.fill('#reason', '病情稳定，转回社区管理');
      await page.fill('#team_id', city.team);
      await page.fill('#diagnosis', '原发性高血压 2级');
      await page.fill('#medications', '氨氯地平 | 5 mg | 每日一次');
      await page.fill('#plan', '低盐饮食，家庭自测血压');
      await page.fill('#follow_ups', '2026-12-20 复查血压');
      await clickAndWait(page, 'form[action="/referrals"][method=post] button[type=submit]');
      assert.equal(pathname(page), '/referrals', `after sending it down the page is ${page.url()}`);
      await logout(page);

      await login(page, 'e2e-family');
      await page.goto(`${base}/referrals`);
      const plan = await page.locator('tr[data-status=requested] details.care-plan').innerText();
      assert.ok(plan.includes('原发性高血压'), `the team sees the care plan: ${plan}`);
      await clickAndWait(page, 'tr[data-status=requested] button[data-command=accept]');
      await clickAndWait(page, 'tr[data-status=accepted] button[data-command=arrive]');
      await page.fill('tr[data-status=arrived] input[name=outcome]', '首次随访完成，血压 132/84');
      await clickAndWait(page, 'tr[data-status=arrived] button[data-command=complete]');
      await page.screenshot({ path: path.join(OUT, 'referrals-team.png'), fullPage: true });
      await logout(page);

      await login(page, 'e2e-desk');
      await page.goto(`${base}/referrals`);
      const back = await page.locator('tr[data-status=completed]', { hasText: '首次随访完成' }).count();
      assert.equal(back, 1, 'the lead sees the first visit confirmed in its outbox');
      await logout(page);
    });
  });

  test('the auditor sees the logins in the audit trail', async () => {
    await withPage('audit-trail', async (page) => {
      await login(page, 'e2e-auditor');
      const res = await page.goto(`${base}/audit-trail`);
      assert.equal(res.status(), 200);
      const rows = await page.$$eval('table tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      const logins = rows.filter((t) => t.includes('login'));
      assert.ok(logins.length > 0, `no row mentions login among ${rows.length} rows`);
      await page.screenshot({ path: path.join(OUT, 'audit-trail.png'), fullPage: true });
      await logout(page);
    });
  });
});
