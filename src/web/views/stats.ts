/** A player's per-category stats page: GET /api/players/{id}/stats as a table plus feedback. */
import { api, ApiError, friendlyError, type PlayerStats } from '../api.js';
import { fill, h } from '../dom.js';
import type { Nav, View } from './types.js';

const pct = (x: number) => `${Math.round(x * 100)}%`;
const secs = (ms: number | null) => (ms === null ? '\u2013' : `${(ms / 1000).toFixed(1)} s`);

export function statsView(userId: string, nav: Nav): View {
  const body = h('div', { class: 'stats-body', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading\u2026'));
  const who = h('input', { name: 'name', maxlength: 64, autocomplete: 'nickname', 'aria-label': 'Player name', placeholder: 'Player name' });
  who.value = userId;
  const lookup = h('form', { class: 'inline-form' }, who, h('button', { type: 'submit', class: 'btn ghost' }, 'Look up'));
  lookup.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = who.value.trim();
    if (name && name !== userId) nav.stats(name);
  });
  let stopped = false;

  const el = h('div', { class: 'page stats', 'data-screen': 'stats' },
    h('nav', { class: 'crumbs' }, h('a', { href: '/', onclick: (ev: Event) => { ev.preventDefault(); nav.home(); } }, '\u2190 Quiz Party')),
    h('div', { class: 'panel stack' },
      h('div', { class: 'row spread' }, h('h1', {}, 'Stats for ', h('span', { class: 'accent' }, userId || '?')), lookup),
      body,
    ),
  );

  // Results are written right after a game's final state: retry a few times on 404.
  async function load(attempt = 0): Promise<void> {
    if (!userId) return fill(body, h('p', { class: 'muted' }, 'Enter a player name.'));
    try {
      const stats = await api.stats(userId);
      if (!stopped) render(stats);
    } catch (err) {
      if (stopped) return;
      if (err instanceof ApiError && err.status === 404) {
        if (attempt < 5) {
          setTimeout(() => void load(attempt + 1), 600);
          return;
        }
        return fill(body, h('p', { class: 'muted' }, `No finished games for \u201c${userId}\u201d yet. Play a game, then come back.`));
      }
      fill(body, h('p', { class: 'form-error', role: 'alert' }, friendlyError(err)),
        h('button', { type: 'button', class: 'btn ghost', onclick: () => void load() }, 'Try again'));
    }
  }

  function render(s: PlayerStats): void {
    const f = s.feedback;
    const feedback = h('div', { class: 'feedback-card', 'data-testid': 'stats-feedback' },
      h('p', { class: 'feedback-msg' }, f.message),
      h('div', { class: 'chips' },
        f.strongest ? h('span', { class: 'chip good' }, 'Strongest: ', h('strong', {}, f.strongest)) : null,
        f.weakest && f.weakest !== f.strongest ? h('span', { class: 'chip bad' }, 'Weakest: ', h('strong', {}, f.weakest)) : null,
      ),
    );
    const rows = s.categories.map((c) =>
      h('tr', {},
        h('th', { scope: 'row' }, c.category),
        h('td', { 'data-label': 'Games' }, c.games),
        h('td', { 'data-label': 'Answered' }, c.answered),
        h('td', { 'data-label': 'Correct' }, c.correct),
        h('td', { 'data-label': 'Accuracy' }, h('span', { class: 'acc' },
          h('span', { class: 'acc-bar', 'aria-hidden': 'true' }, h('span', { class: `acc-fill w${Math.round(c.accuracy * 10)}` })), pct(c.accuracy))),
        h('td', { 'data-label': 'Avg time' }, secs(c.avg_answer_ms)),
        h('td', { 'data-label': 'Points' }, c.points.toLocaleString('en-US')),
      ));
    const table = h('div', { class: 'table-wrap' },
      h('table', { class: 'stats-table', 'data-testid': 'stats-table' },
        h('caption', { class: 'sr-only' }, `Performance of ${s.user_id} by category`),
        h('thead', {}, h('tr', {}, ...['Category', 'Games', 'Answered', 'Correct', 'Accuracy', 'Avg time', 'Points'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows),
      ),
    );
    fill(body, feedback, s.categories.length ? table : h('p', { class: 'muted' }, 'No answers recorded yet.'));
  }

  void load();
  return { el, title: `Stats for ${userId} \u00b7 Quiz Party`, destroy: () => void (stopped = true) };
}
