/** Player lists shared by the screens: the lobby roster and the ranked scoreboard. */
import { h, ranks } from '../dom.js';
import type { StateMessage } from '../../client/quiz-client.js';

type Player = StateMessage['players'][number];

/**
 * Everyone who joined, the host first, kept in `list` by user id so that only newcomers
 * animate in. (Presence is not pushed by the protocol, so there is no online dot here.)
 */
export function updateRoster(list: HTMLElement, players: Player[], me: string, host: string): void {
  const ordered = [...players].sort((a, b) => (a.user_id === host ? -1 : b.user_id === host ? 1 : 0));
  const existing = new Map([...list.children].map((li) => [(li as HTMLElement).dataset.player ?? '', li]));
  const items = ordered.map((p) => existing.get(p.user_id) ?? h('li', { class: `player new${p.user_id === me ? ' is-me' : ''}`, 'data-player': p.user_id },
    h('span', { class: 'name' }, p.user_id),
    p.user_id === host ? h('span', { class: 'tag' }, 'host') : null,
    p.user_id === me ? h('span', { class: 'tag you' }, 'you') : null,
  ));
  items.forEach((li, i) => {
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
  });
  while (list.children.length > items.length) list.lastElementChild?.remove();
}

/** Ranked scores (players arrive ordered by score); long lists keep the top 10 and me. */
export function scoreboard(players: Player[], me: string, deltas: Map<string, number> | null, limit = 10): HTMLElement {
  const r = ranks(players.map((p) => p.score));
  const rows = players
    .map((p, i) => ({ p, rank: r[i] ?? i + 1 }))
    .filter(({ p }, i) => i < limit || p.user_id === me);
  return h('ol', { class: 'scoreboard', 'data-testid': 'scoreboard' },
    rows.map(({ p, rank }) => {
      const d = deltas?.get(p.user_id) ?? 0;
      return h('li', { class: `score-row${p.user_id === me ? ' is-me' : ''}`, 'data-player': p.user_id },
        h('span', { class: 'rank' }, rank),
        h('span', { class: 'name' }, p.user_id, p.user_id === me ? h('span', { class: 'tag you' }, 'you') : null),
        deltas && d > 0 ? h('span', { class: 'delta' }, `+${d}`) : h('span', { class: 'delta none' }),
        h('span', { class: 'pts' }, p.score.toLocaleString('en-US')),
      );
    }),
  );
}
