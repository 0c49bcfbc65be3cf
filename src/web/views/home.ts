/** The start page: join with a code and a name, host a new game, rejoin the last one, or look up stats. */
import { api, friendlyError } from '../api.js';
import { formatCode, h } from '../dom.js';
import { lastName, lastSession, forgetLast, rememberName, saveSession, storedSession, type Session } from '../session.js';
import { busy, checkName, errorLine, field } from './form.js';
import type { Nav, View } from './types.js';

export function homeView(opts: { code?: string; message?: string }, nav: Nav): View {
  const code = h('input', {
    name: 'code', inputmode: 'numeric', autocomplete: 'off', maxlength: 7, placeholder: '123456',
    pattern: '[0-9 ]*', required: true, class: 'code-input', 'data-testid': 'code-input',
  });
  code.value = opts.code ?? '';
  const name = h('input', { name: 'name', autocomplete: 'nickname', maxlength: 64, required: true, 'data-testid': 'name-input' });
  name.value = lastName();
  if (opts.code) name.autofocus = true;
  else code.autofocus = true;
  const joinError = errorLine();

  const joinForm = h('form', { class: 'panel stack', novalidate: true, 'aria-labelledby': 'join-title' },
    h('h2', { id: 'join-title' }, 'Join a game'),
    field('Game code', code, 'The 6 digits on the host\u2019s screen'),
    field('Your name', name),
    joinError.el,
    h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'join-button' }, 'Join'),
  );
  joinForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const digits = code.value.replace(/\D/g, '');
    const who = name.value.trim();
    if (digits.length !== 6) return joinError.set('The game code has 6 digits.'), code.focus();
    const bad = checkName(who);
    if (bad) return joinError.set(bad), name.focus();
    joinError.set(null);
    void busy(joinForm, 'Joining\u2026', async () => {
      try {
        const { party_id } = await api.resolveCode(digits);
        rememberName(who);
        // Joined this party before under this name (another tab, a closed phone tab): resume.
        const known = storedSession(party_id, who);
        if (known) return nav.play(known);
        const joined = await api.join(party_id, who);
        const s: Session = { partyId: party_id, userId: who, token: joined.token, joinCode: digits };
        saveSession(s);
        nav.play(s);
      } catch (err) {
        joinError.set(friendlyError(err));
      }
    });
  });

  const hostCard = h('section', { class: 'panel stack', 'aria-labelledby': 'host-title' },
    h('h2', { id: 'host-title' }, 'Host a game'),
    h('p', { class: 'muted' }, 'Pick a category and a timer, share the code or QR code, and play along with everyone.'),
    h('button', { type: 'button', class: 'btn secondary big', 'data-testid': 'host-button', onclick: () => nav.setup() }, 'Create a party'),
  );

  const last = lastSession();
  const resume = last && !opts.code ? resumeCard(last, nav) : null;

  const who = h('input', { name: 'stats-name', autocomplete: 'nickname', maxlength: 64, placeholder: 'Your name', 'aria-label': 'Name to look up' });
  who.value = lastName();
  const statsForm = h('form', { class: 'inline-form', 'aria-label': 'Look up stats' },
    h('span', { class: 'muted' }, 'Stats by category:'), who,
    h('button', { type: 'submit', class: 'btn ghost' }, 'Show'),
  );
  statsForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (who.value.trim()) nav.stats(who.value.trim());
  });

  const el = h('div', { class: 'page home' },
    h('header', { class: 'hero' },
      h('h1', {}, h('span', { class: 'logo', 'aria-hidden': 'true' }, '?'), 'Quiz Party'),
      h('p', { class: 'tagline' }, 'Live quiz for phones, laptops and the big screen.'),
    ),
    opts.message ? h('p', { class: 'notice', role: 'status' }, opts.message) : null,
    resume,
    h('div', { class: 'cards' }, joinForm, hostCard),
    h('footer', { class: 'foot' }, statsForm),
  );
  return { el };
}

function resumeCard(s: Session, nav: Nav): HTMLElement {
  const card = h('section', { class: 'panel resume', 'aria-label': 'Rejoin your last game' },
    h('p', {}, 'Your last game: code ', h('strong', {}, formatCode(s.joinCode)), ' as ', h('strong', {}, s.userId)),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'btn primary', onclick: () => { saveSession(s); nav.play(s); } }, 'Rejoin'),
      h('button', { type: 'button', class: 'btn ghost', onclick: () => { forgetLast(); card.remove(); } }, 'Dismiss'),
    ),
  );
  // Only offer games that are still running.
  api.state(s.partyId).then(
    (st) => { if (st.status === 'finished') { forgetLast(); card.remove(); } },
    () => { forgetLast(); card.remove(); },
  );
  return card;
}
