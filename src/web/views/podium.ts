/** Game over: a podium for the top three, my place, the full ranking, and my stats link. */
import { h, ordinal, ranks } from '../dom.js';
import { scoreboard } from './players.js';
import type { GameCtx, Screen } from './types.js';

export function podiumScreen(first: GameCtx): Screen {
  const podium = h('ol', { class: 'podium', 'data-testid': 'podium', 'aria-label': 'Podium' });
  const mine = h('p', { class: 'my-place', 'data-testid': 'my-place' });
  const board = h('div', { class: 'board' });
  const statsHref = `/?stats=${encodeURIComponent(first.me)}`;

  const el = h('div', { class: 'screen finished', 'data-screen': 'finished' },
    h('section', { class: 'panel stack center' },
      h('h1', { tabindex: -1, 'data-autofocus': true }, 'Game over'),
      podium,
      mine,
      h('div', { class: 'row center' },
        h('a', { class: 'btn primary', href: statsHref, 'data-testid': 'stats-link', onclick: (ev: Event) => { ev.preventDefault(); first.openStats(); } }, 'Your stats by category'),
        h('button', { type: 'button', class: 'btn ghost', onclick: () => first.leave() }, 'Play again'),
      ),
    ),
    h('section', { class: 'panel stack', 'aria-labelledby': 'ranking-title' }, h('h2', { id: 'ranking-title' }, 'Final ranking'), board),
  );

  return {
    el,
    update(c) {
      const players = c.state.players;
      const r = ranks(players.map((p) => p.score));
      const top = players.slice(0, 3).map((p, i) => ({ p, rank: r[i] ?? i + 1, place: i + 1 }));
      // Visual order 2nd, 1st, 3rd; the list itself stays in rank order for screen readers.
      podium.replaceChildren(...top.map(({ p, rank, place }) =>
        h('li', { class: `step p${place}${p.user_id === c.me ? ' is-me' : ''}`, 'data-player': p.user_id },
          h('span', { class: 'name' }, p.user_id),
          h('span', { class: 'pts' }, `${p.score.toLocaleString('en-US')} pts`),
          h('span', { class: 'block' }, h('span', { class: 'sr-only' }, 'Rank '), ordinal(rank)),
        )));
      const i = players.findIndex((p) => p.user_id === c.me);
      mine.textContent = i < 0 ? '' : `You finished ${ordinal(r[i] ?? i + 1)} of ${players.length} with ${c.myScore.toLocaleString('en-US')} points.`;
      board.replaceChildren(scoreboard(players, c.me, null, 100));
    },
  };
}
