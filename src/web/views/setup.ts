/** The host's setup page: name, category, rounds, seconds per question, start mode. */
import { api, friendlyError, type Category } from '../api.js';
import { h } from '../dom.js';
import { lastName, rememberName, saveSession } from '../session.js';
import { busy, checkName, errorLine, field } from './form.js';
import type { Nav, View } from './types.js';

export function setupView(nav: Nav): View {
  const name = h('input', { name: 'name', autocomplete: 'nickname', maxlength: 64, required: true, autofocus: true, 'data-testid': 'host-name' });
  name.value = lastName();
  const category = h('select', { name: 'category', required: true, 'data-testid': 'category' }, h('option', { value: '' }, 'Loading categories\u2026'));
  const rounds = h('input', { name: 'rounds', type: 'number', min: 1, max: 50, value: 10, required: true, 'data-testid': 'rounds' });
  const seconds = h('input', { name: 'timeout', type: 'number', min: 3, max: 600, value: 20, required: true, 'data-testid': 'seconds' });
  const roundsField = field('Rounds', rounds, '1 to 50');
  const modeHost = h('input', { type: 'radio', name: 'mode', value: 'host', checked: true, id: 'mode-host', 'data-testid': 'mode-host' });
  const modeAuto = h('input', { type: 'radio', name: 'mode', value: 'auto', id: 'mode-auto', 'data-testid': 'mode-auto' });
  const error = errorLine();
  let categories: Category[] = [];

  const maxRounds = () => Math.min(50, categories.find((c) => c.category === category.value)?.questions ?? 50);
  const syncRounds = () => {
    const max = maxRounds();
    rounds.max = String(max);
    const hint = roundsField.querySelector('.hint');
    if (hint) hint.textContent = `1 to ${max} (questions in this category)`;
    if (Number(rounds.value) > max) rounds.value = String(max);
  };
  category.addEventListener('change', syncRounds);

  const form = h('form', { class: 'panel stack setup', novalidate: true, 'aria-labelledby': 'setup-title' },
    h('h1', { id: 'setup-title' }, 'Host a game'),
    field('Your name (you play too)', name),
    field('Category', category),
    h('div', { class: 'row2' }, roundsField, field('Seconds per question', seconds, '3 to 600')),
    h('fieldset', { class: 'modes' },
      h('legend', {}, 'Start'),
      h('label', { class: 'mode', for: 'mode-host' }, modeHost,
        h('span', {}, h('strong', {}, 'When I press Start'), h('small', {}, 'Players gather in the lobby first'))),
      h('label', { class: 'mode', for: 'mode-auto' }, modeAuto,
        h('span', {}, h('strong', {}, 'Right away'), h('small', {}, 'Round 1 opens at once; others join mid-game'))),
    ),
    error.el,
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'create-button' }, 'Create party'),
      h('a', { href: '/', class: 'btn ghost', onclick: (ev: Event) => { ev.preventDefault(); nav.home(); } }, 'Back'),
    ),
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const who = name.value.trim();
    const bad = checkName(who);
    if (bad) return error.set(bad), name.focus();
    if (!category.value) return error.set('Pick a category.'), category.focus();
    const r = Number(rounds.value);
    if (!Number.isInteger(r) || r < 1 || r > maxRounds()) return error.set(`Rounds: a whole number from 1 to ${maxRounds()}.`), rounds.focus();
    const t = Number(seconds.value);
    if (!Number.isInteger(t) || t < 3 || t > 600) return error.set('Seconds per question: a whole number from 3 to 600.'), seconds.focus();
    error.set(null);
    void busy(form, 'Creating\u2026', async () => {
      try {
        const startMode = modeAuto.checked ? 'auto' : 'host';
        const created = await api.createParty({ player_id: who, category: category.value, rounds: r, timeout: t, start_mode: startMode });
        rememberName(who);
        const s = { partyId: created.party_id, userId: who, token: created.token, joinCode: created.join_code };
        saveSession(s);
        nav.play(s);
      } catch (err) {
        error.set(friendlyError(err));
      }
    });
  });

  api.categories().then(
    (list) => {
      categories = list.filter((c) => c.questions > 0).sort((a, b) => a.category.localeCompare(b.category));
      category.replaceChildren(...categories.map((c) => h('option', { value: c.category }, `${c.category} (${c.questions} questions)`)));
      if (!categories.length) category.replaceChildren(h('option', { value: '' }, 'No questions loaded'));
      syncRounds();
    },
    (err: unknown) => {
      category.replaceChildren(h('option', { value: '' }, 'Could not load categories'));
      error.set(friendlyError(err));
    },
  );

  return { el: h('div', { class: 'page narrow' }, form), title: 'Host a game \u00b7 Quiz Party' };
}
