/** The lobby: join code, join link and QR code, the players arriving live, and Start for the host. */
import { fill, formatCode, h } from '../dom.js';
import { renderQr } from '../qr.js';
import { updateRoster } from './players.js';
import type { GameCtx, Screen } from './types.js';

export function lobbyScreen(c: GameCtx): Screen {
  const s = c.state;
  const link = `${location.origin}/?code=${s.join_code}`;
  const qr = h('div', { class: 'qr', role: 'img', 'aria-label': `QR code of the join link ${link}`, 'data-testid': 'qr' });
  if (c.isHost) void renderQr(qr, link);
  const copy = h('button', { type: 'button', class: 'btn ghost small' }, 'Copy link');
  copy.addEventListener('click', () => {
    const done = () => (copy.textContent = 'Copied');
    if (navigator.clipboard) navigator.clipboard.writeText(link).then(done, () => (copy.textContent = 'Copy failed'));
  });
  const count = h('p', { class: 'count', 'data-testid': 'player-count' });
  const list = h('ul', { class: 'roster', 'aria-live': 'polite', 'data-testid': 'roster' });
  const startBtn = h('button', { type: 'button', class: 'btn primary big', 'data-testid': 'start-button', 'data-autofocus': true, onclick: () => c.start() }, 'Start game');
  const action = h('div', { class: 'lobby-action' });

  const joinCard = h('section', { class: `panel join-card${c.isHost ? '' : ' compact'}`, 'aria-label': 'How to join' },
    h('p', { class: 'eyebrow' }, 'Join at ', h('strong', {}, location.host), ' with code'),
    h('p', { class: 'join-code', 'data-testid': 'join-code', 'data-code': s.join_code }, formatCode(s.join_code)),
    c.isHost ? qr : null,
    h('p', { class: 'join-link' }, h('a', { href: link, 'data-testid': 'join-link' }, link), ' ', navigator.clipboard ? copy : null),
  );
  const el = h('div', { class: 'screen lobby', 'data-screen': 'lobby' },
    joinCard,
    h('section', { class: 'panel stack', 'aria-labelledby': 'players-title' },
      h('h2', { id: 'players-title', tabindex: -1, 'data-autofocus': !c.isHost }, 'Players'),
      count, list, action,
    ),
  );

  return {
    el,
    update(c) {
      const n = c.state.players.length;
      count.textContent = `${n} player${n === 1 ? '' : 's'} in the game \u00b7 ${c.state.category}, ${c.state.rounds} rounds, ${c.state.timeout} s each`;
      updateRoster(list, c.state.players, c.me, c.state.host);
      if (c.isHost && c.state.start_mode === 'host') {
        if (!action.contains(startBtn)) fill(action, startBtn, h('p', { class: 'muted small' }, 'Players can still join after the start.'));
      } else {
        fill(action, h('p', { class: 'waiting' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }),
          c.state.start_mode === 'host' ? `Waiting for ${c.state.host} to start the game\u2026` : 'Starting\u2026'));
      }
    },
  };
}
