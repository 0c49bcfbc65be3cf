/**
 * The bundled web client in a real browser (SPEC "Web client"): a host sets up a 3-round
 * party and shows the code, link and QR code; two players join by code in their own browser
 * contexts (one phone-sized); the host starts; everyone plays to the podium by clicking;
 * a dropped connection shows "reconnecting" and recovers; a reload mid-game keeps the
 * player's score; the stats link works; and no page loads anything from another origin.
 * Screenshots of every screen go to test-results/web/.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { makeApp, type TestApp } from '../helpers/app.js';
import { CHROMIUM, ensureWebBuilt, hasChromium, projectRoot } from './build.js';
import { cuttableProxy, type CuttableProxy } from './proxy.js';

const SHOTS = path.join(projectRoot, 'test-results', 'web');
const DOCS = path.join(projectRoot, 'docs', 'screenshots');
const ROUNDS = 3;

interface Player {
  name: string;
  page: Page;
  /** The origin this player's browser uses (Ben's goes through the proxy). */
  origin: string;
  requests: string[];
  errors: string[];
}

describe.skipIf(!hasChromium)('web client in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let proxy: CuttableProxy;
  const players: Player[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    await mkdir(SHOTS, { recursive: true });
    t = await makeApp('embedded');
    base = await t.listen();
    proxy = await cuttableProxy(Number(new URL(base).port));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await t?.close();
  });

  async function open(name: string, options: BrowserContextOptions, origin = base): Promise<Player> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const p: Player = { name, page, origin, requests: [], errors: [] };
    page.on('request', (r) => p.requests.push(r.url()));
    page.on('websocket', (ws) => p.requests.push(ws.url()));
    page.on('pageerror', (e) => p.errors.push(e.message));
    // Console errors catch CSP violations and failed loads; the cut network's socket errors are expected.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) p.errors.push(m.text());
    });
    players.push(p);
    return p;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled' });
  const screen = (page: Page, name: string, round?: number) =>
    page.waitForSelector(round ? `[data-screen=${name}][data-round="${round}"]` : `[data-screen=${name}]`, { timeout: 20_000 });
  const scoreOf = async (page: Page) => Number((await page.getByTestId('my-score').textContent())?.replace(/\D/g, ''));

  async function join(p: Player, code: string, how: 'link' | 'typed'): Promise<void> {
    if (how === 'link') {
      await p.page.goto(`${p.origin}/?code=${code}`);
      expect(await p.page.getByTestId('code-input').inputValue()).toBe(code);
    } else {
      await p.page.goto(`${p.origin}/`);
      await p.page.getByTestId('code-input').fill(code);
    }
    await p.page.getByTestId('name-input').fill(p.name);
    await shot(p.page, how === 'link' ? 'join' : 'phone-join');
    await p.page.getByTestId('join-button').click();
    await screen(p.page, 'lobby');
  }

  it('hosts, joins, plays three rounds to the podium, resumes after a reload, shows stats', async () => {
    try {
      await playWholeGame();
    } catch (err) {
      // Leave a picture and the text of every page for whoever reads the failure.
      for (const p of players) {
        await shot(p.page, `failure-${p.name}`).catch(() => undefined);
        const text = await p.page.evaluate(() => document.body.innerText).catch(() => '?');
        console.error(`--- ${p.name} at failure:\n${text}\n(${p.errors.join('; ')})`);
      }
      throw err;
    }
  });

  async function playWholeGame(): Promise<void> {
    const categories = (await (await fetch(`${base}/api/categories`)).json()) as { category: string; questions: number }[];
    const category = categories.filter((c) => c.questions >= ROUNDS).sort((a, b) => a.category.localeCompare(b.category))[0]!.category;

    // --- host: setup -> lobby with code, link and QR code
    const host = await open('Quizmaster', { viewport: { width: 1440, height: 900 } });
    await host.page.goto(`${base}/`);
    await host.page.getByTestId('host-button').click();
    await host.page.waitForSelector(`[data-testid=category] option[value="${category}"]`, { state: 'attached' });
    await host.page.getByTestId('host-name').fill(host.name);
    await host.page.getByTestId('category').selectOption(category);
    await host.page.getByTestId('rounds').fill(String(ROUNDS));
    await host.page.getByTestId('seconds').fill('8');
    await host.page.getByTestId('mode-host').check();
    await shot(host.page, 'host-setup');
    await host.page.getByTestId('create-button').click();
    await screen(host.page, 'lobby');
    const code = (await host.page.getByTestId('join-code').getAttribute('data-code'))!;
    expect(code).toMatch(/^\d{6}$/);
    expect(await host.page.getByTestId('join-link').getAttribute('href')).toBe(`${base}/?code=${code}`);
    await host.page.waitForSelector('[data-testid=qr] svg path');
    const partyId = ((await (await fetch(`${base}/api/party/code/${code}`)).json()) as { party_id: string }).party_id;

    // --- two players join by code: one through the link, one typing it on a phone
    const ana = await open('Ana', { viewport: { width: 1024, height: 768 } });
    // Ben's phone reaches the server through a proxy the test can cut, like a lost network.
    const ben = await open('Ben', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }, proxy.url);
    await join(ana, code, 'link');
    await join(ben, code, 'typed');
    for (const p of [host, ana, ben]) {
      await p.page.waitForFunction(() => document.querySelectorAll('[data-testid=roster] li').length === 3);
    }
    expect(await host.page.getByTestId('roster').textContent()).toMatch(/Quizmaster.*Ana.*Ben|Quizmaster.*Ben.*Ana/);
    await shot(host.page, 'host-lobby');
    await shot(ben.page, 'phone-lobby');

    // --- the host starts; three rounds, everyone answers by clicking (Ana always right)
    await host.page.getByTestId('start-button').click();
    const correctAnswer = async (round: number) => {
      const snap = await t.ctx.adapters.store.load(partyId, Date.now());
      return snap!.meta.questions[round - 1]!.answer;
    };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const p of [host, ana, ben]) await screen(p.page, 'question', round);
      const right = await correctAnswer(round);
      if (round === 1) {
        await host.page.waitForFunction(() => Number(document.querySelector('[data-testid=countdown]')?.textContent) > 0);
        await shot(host.page, 'question');
        await shot(ben.page, 'phone-question');
      }

      await ana.page.locator('[data-testid=choice]', { hasText: right }).first().click();
      await ana.page.waitForSelector('[data-testid=answer-feedback].good');
      expect(await ana.page.getByTestId('answer-feedback').textContent()).toMatch(/Correct! \+\d+ points/);

      if (round === 2) {
        // A reload mid-game resumes the same player with the same score and answer.
        const before = await scoreOf(ana.page);
        expect(before).toBeGreaterThan(0);
        await ana.page.reload();
        await screen(ana.page, 'question', 2);
        await ana.page.waitForFunction((s) => document.querySelector('[data-testid=my-score]')?.textContent?.replace(/\D/g, '') === String(s), before);
        expect(await scoreOf(ana.page)).toBe(before);
        expect(await ana.page.getByTestId('answer-feedback').textContent()).toMatch(/Correct!/);
        expect(await ana.page.locator('[data-testid=choice]:not([disabled])').count()).toBe(0);
      }

      if (round === 1) await shot(ana.page, 'answered');

      // Ben (back online after the drop of round 1) taps; the host answers last, which closes the round.
      await screen(ben.page, 'question', round);
      await ben.page.waitForSelector('#conn', { state: 'hidden' });
      await ben.page.locator('[data-testid=choice]').nth(round % 4).tap();
      await ben.page.waitForSelector('[data-testid=answer-feedback].good, [data-testid=answer-feedback].bad');
      if (round === 1) await shot(ben.page, 'phone-answered');
      if (round === 3) {
        await host.page.keyboard.press('2'); // keys 1-4 answer too
      } else {
        await host.page.locator('[data-testid=choice]').nth(0).click();
      }
      // The last answer closes the round at once: the verdict may already be on the reveal screen.
      await host.page.waitForSelector('.verdict.good, .verdict.bad');

      for (const p of [host, ana, ben]) await screen(p.page, 'reveal', round);
      await host.page.waitForSelector('[data-screen=reveal] [data-correct=true]');
      expect(await host.page.locator('[data-screen=reveal] [data-correct=true]').textContent()).toContain(right);
      expect(await host.page.locator('[data-testid=scoreboard] li').count()).toBe(3);
      if (round === 1) {
        await shot(host.page, 'reveal');
        await shot(ben.page, 'phone-reveal');
        // Ben's connection drops mid-game: "reconnecting" shows, and backoff brings him back.
        proxy.cut();
        await ben.page.waitForSelector('#conn[data-testid=reconnecting]:not([hidden])', { timeout: 5_000 });
        await shot(ben.page, 'phone-reconnecting');
        proxy.restore();
        await ben.page.waitForSelector('#conn', { state: 'hidden', timeout: 15_000 });
      }
    }

    // --- podium everywhere, matching the server's final scores
    for (const p of [host, ana, ben]) await screen(p.page, 'finished');
    const final = (await (await fetch(`${base}/api/party/${partyId}/question_data`)).json()) as { status: string; players: { user_id: string; score: number }[] };
    expect(final.status).toBe('finished');
    const podium = host.page.getByTestId('podium');
    expect(await podium.locator('li').count()).toBe(3);
    expect(await podium.locator('li').first().getAttribute('data-player')).toBe(final.players[0]!.user_id);
    for (const p of [host, ana, ben]) {
      const mine = final.players.find((x) => x.user_id === p.name)!;
      expect(await scoreOf(p.page)).toBe(mine.score);
      expect(await p.page.getByTestId('my-place').textContent()).toContain(`with ${mine.score.toLocaleString('en-US')} points`);
    }
    await shot(host.page, 'podium');
    await shot(ben.page, 'phone-podium');

    // --- the stats link opens Ana's per-category stats
    await ana.page.getByTestId('stats-link').click();
    await ana.page.waitForSelector('[data-testid=stats-table]', { timeout: 15_000 });
    expect(new URL(ana.page.url()).searchParams.get('stats')).toBe('Ana');
    const row = ana.page.locator('[data-testid=stats-table] tbody tr', { hasText: category });
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').nth(2).textContent()).toBe(String(ROUNDS)); // correct answers
    expect((await ana.page.getByTestId('stats-feedback').textContent())?.length).toBeGreaterThan(10);
    await shot(ana.page, 'stats');
    await ben.page.getByTestId('stats-link').tap();
    await ben.page.waitForSelector('[data-testid=stats-table]', { timeout: 15_000 });
    await shot(ben.page, 'phone-stats');

    // --- the phone layout never scrolls sideways
    expect(await ben.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // --- nothing loaded from anywhere but this server, and no script errors
    for (const p of players) {
      const wsOrigin = p.origin.replace(/^http/, 'ws');
      expect(p.requests.length).toBeGreaterThan(3);
      const foreign = p.requests.filter((u) => !u.startsWith(`${p.origin}/`) && !u.startsWith(`${wsOrigin}/`));
      expect(foreign, `${p.name} loaded from elsewhere`).toEqual([]);
      expect(p.errors, `${p.name} page errors`).toEqual([]);
    }

    // README screenshots: refreshed with UPDATE_SCREENSHOTS=1 (or when missing).
    await mkdir(DOCS, { recursive: true });
    const docs: [string, string][] = [
      ['host-setup', 'setup'], ['host-lobby', 'host'], ['question', 'question'], ['phone-question', 'player'],
      ['reveal', 'reveal'], ['podium', 'podium'], ['stats', 'stats'],
    ];
    for (const [from, to] of docs) {
      const dest = path.join(DOCS, `${to}.png`);
      if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(dest)) await copyFile(path.join(SHOTS, `${from}.png`), dest);
    }
  }
});
