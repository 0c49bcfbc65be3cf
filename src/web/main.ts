/**
 * The web client's entry: a tiny router over the URL (`/`, `/?code=123456`, `/?host`,
 * `/?stats=name`) and the current tab's game, which resumes after a reload.
 */
import { currentSession } from './session.js';
import { focusFirst } from './dom.js';
import { homeView } from './views/home.js';
import { setupView } from './views/setup.js';
import { statsView } from './views/stats.js';
import { gameView } from './game.js';
import type { Nav, View } from './views/types.js';

const root = document.getElementById('app') as HTMLElement;
let current: View | null = null;

function show(view: View): void {
  current?.destroy?.();
  current = view;
  document.title = view.title ?? 'Quiz Party';
  root.replaceChildren(view.el);
  focusFirst(view.el);
}

function go(url: string, replace = false): void {
  const here = location.pathname + location.search;
  if (url === here) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
}

const nav: Nav = {
  home(opts = {}) {
    go(opts.code ? `/?code=${encodeURIComponent(opts.code)}` : '/');
    show(homeView(opts, nav));
  },
  setup() {
    go('/?host');
    show(setupView(nav));
  },
  play(session) {
    go('/', true);
    show(gameView(session, nav));
  },
  stats(userId) {
    go(`/?stats=${encodeURIComponent(userId)}`);
    show(statsView(userId, nav));
  },
};

function route(): void {
  const q = new URLSearchParams(location.search);
  const code = (q.get('code') ?? '').replace(/\D/g, '').slice(0, 6);
  if (q.has('stats')) return show(statsView(q.get('stats') ?? '', nav));
  if (q.has('host')) return show(setupView(nav));
  const session = currentSession();
  if (session && (!code || code === session.joinCode)) {
    if (code) history.replaceState(null, '', '/');
    return show(gameView(session, nav));
  }
  show(homeView({ code }, nav));
}

window.addEventListener('popstate', route);
route();
