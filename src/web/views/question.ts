/** An open question: countdown from `deadline`/`time_left_ms`, four big answer buttons (keys 1–4), instant verdict. */
import { h } from '../dom.js';
import type { GameCtx, Screen } from './types.js';

export const SHAPES = ['\u25b2', '\u25c6', '\u25cf', '\u25a0']; // triangle, diamond, circle, square
const touch = typeof matchMedia === 'function' && matchMedia('(hover: none) and (pointer: coarse)').matches;

export function questionScreen(first: GameCtx): Screen {
  const s = first.state;
  let c = first;
  const secs = h('span', { class: 'secs', 'data-testid': 'countdown' });
  const fillBar = h('span', { class: 'time-fill' });
  const timer = h('div', { class: 'timer', role: 'timer', 'aria-label': 'Time left' },
    secs, h('span', { class: 'time-bar', 'aria-hidden': 'true' }, fillBar));
  const buttons = s.choices.map((choice, i) =>
    h('button', {
      type: 'button', class: `choice c${i}`, 'data-index': i, 'aria-keyshortcuts': String(i + 1),
      'data-testid': 'choice', onclick: () => c.answer(choice),
    },
    h('span', { class: 'shape', 'aria-hidden': 'true' }, SHAPES[i] ?? ''),
    h('span', { class: 'choice-text' }, choice),
    h('kbd', { 'aria-hidden': 'true' }, String(i + 1))));
  const feedback = h('p', { class: 'verdict', role: 'status', 'aria-live': 'polite', 'data-testid': 'answer-feedback' });
  const progress = h('p', { class: 'answered-count muted' });

  const el = h('div', { class: 'screen question', 'data-screen': 'question', 'data-round': s.current_round },
    h('div', { class: 'q-top' },
      h('p', { class: 'eyebrow' }, `Question ${s.current_round} of ${s.rounds}`),
      timer,
    ),
    h('h2', { class: 'q-text', tabindex: -1, 'data-autofocus': true }, s.question ?? ''),
    h('div', { class: 'choices', role: 'group', 'aria-label': 'Answers (keys 1 to 4)' }, buttons),
    feedback,
    progress,
  );

  let raf = 0;
  let wasUp = false;
  const total = s.timeout * 1000;
  const tick = () => {
    const left = c.deadlineAt === null ? 0 : Math.max(0, c.deadlineAt - performance.now());
    secs.textContent = String(Math.ceil(left / 1000));
    fillBar.style.transform = `scaleX(${Math.min(1, left / total).toFixed(4)})`;
    timer.classList.toggle('hurry', left <= 5000);
    if (left === 0 && !wasUp) {
      wasUp = true;
      update(c);
    }
    if (left > 0) raf = requestAnimationFrame(tick);
  };

  function update(next: GameCtx): void {
    c = next;
    const st = c.state;
    const self = st.players.find((p) => p.user_id === c.me);
    const mine = c.mine && c.mine.round === st.current_round ? c.mine : null;
    const answered = !!mine || !!self?.answered;
    const timeUp = c.deadlineAt !== null && performance.now() >= c.deadlineAt;
    buttons.forEach((b, i) => {
      const picked = mine?.choice === st.choices[i];
      b.disabled = answered || timeUp;
      b.classList.toggle('picked', picked);
      b.classList.toggle('dim', answered && !picked);
      b.setAttribute('aria-pressed', String(picked));
    });
    el.classList.toggle('locked', answered || timeUp);
    const r = mine?.result;
    feedback.className = `verdict${r ? (r.correct ? ' good' : ' bad') : ''}`;
    feedback.textContent = r
      ? r.correct ? `\u2714 Correct! +${r.points} points` : '\u2718 Wrong \u2014 no points this time'
      : answered ? 'Answer locked in\u2026'
      : timeUp ? 'Time\u2019s up!'
      : touch ? 'Pick an answer' : 'Pick an answer \u2014 or press 1 to 4';
    const online = st.players.filter((p) => p.connected || p.answered);
    const done = online.filter((p) => p.answered).length;
    progress.textContent = `${done} of ${online.length} answered`;
    cancelAnimationFrame(raf);
    tick();
  }

  return { el, update, destroy: () => cancelAnimationFrame(raf) };
}
