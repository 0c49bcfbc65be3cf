/** The end of a round: the correct answer, my verdict, and the scoreboard with this round's gains. */
import { h } from '../dom.js';
import { scoreboard } from './players.js';
import { SHAPES } from './question.js';
import type { GameCtx, Screen } from './types.js';

export function revealScreen(first: GameCtx): Screen {
  const s = first.state;
  const verdict = h('p', { class: 'verdict big-verdict', 'data-testid': 'reveal-verdict' });
  const board = h('div', { class: 'board' });
  const choices = h('ul', { class: 'reveal-choices' });
  const last = s.current_round >= s.rounds;

  const el = h('div', { class: 'screen reveal', 'data-screen': 'reveal', 'data-round': s.current_round },
    h('section', { class: 'panel stack' },
      h('p', { class: 'eyebrow' }, `Question ${s.current_round} of ${s.rounds} \u00b7 answer`),
      h('h2', { class: 'q-text small', tabindex: -1, 'data-autofocus': true }, s.question ?? ''),
      choices,
      verdict,
    ),
    h('section', { class: 'panel stack', 'aria-labelledby': 'scores-title' },
      h('h2', { id: 'scores-title' }, 'Scores'),
      board,
      h('p', { class: 'waiting muted' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        last ? 'Final results in a moment\u2026' : 'Next question in a moment\u2026'),
    ),
  );

  return {
    el,
    update(c) {
      const st = c.state;
      const mine = c.mine && c.mine.round === st.current_round ? c.mine : null;
      choices.replaceChildren(...st.choices.map((choice, i) => {
        const correct = choice === st.correct_answer;
        const picked = mine?.choice === choice;
        return h('li', { class: `rc c${i}${correct ? ' correct' : ''}${picked ? ' picked' : ''}`, 'data-correct': String(correct) },
          h('span', { class: 'shape', 'aria-hidden': 'true' }, SHAPES[i] ?? ''),
          h('span', { class: 'choice-text' }, choice),
          correct ? h('span', { class: 'mark' }, '\u2714', h('span', { class: 'sr-only' }, ' correct answer')) : null,
          picked && !correct ? h('span', { class: 'mark' }, '\u2718', h('span', { class: 'sr-only' }, ' your answer')) : null,
        );
      }));
      const r = mine?.result;
      const self = st.players.find((p) => p.user_id === c.me);
      verdict.className = `verdict big-verdict${r ? (r.correct ? ' good' : ' bad') : ''}`;
      verdict.textContent = r
        ? r.correct ? `\u2714 You got it! +${r.points} points` : `\u2718 Not this time. The answer: ${st.correct_answer ?? ''}`
        : self?.answered ? 'Your answer is in.' : 'No answer this round.';
      board.replaceChildren(scoreboard(st.players, c.me, c.deltas));
    },
  };
}
