/**
 * The game page: one QuizClient (the project's protocol client) per party, the state it
 * receives, my answer for the round, and which screen shows it (lobby, question, reveal,
 * podium). Reconnects with backoff and shows it; a reload resumes from the stored session.
 */
import { QuizClient, type ConnectionStatus, type ServerMessage, type StateMessage } from '../client/quiz-client.js';
import { fill, formatCode, h } from './dom.js';
import { endSession, forgetLast, lastSession, loadAnswer, saveAnswer, type AnswerRecord, type Session } from './session.js';
import { lobbyScreen } from './views/lobby.js';
import { questionScreen } from './views/question.js';
import { revealScreen } from './views/reveal.js';
import { podiumScreen } from './views/podium.js';
import type { GameCtx, Nav, Screen, View } from './views/types.js';

const ERROR_TEXT: Record<string, string> = {
  round_closed: 'Too late: this question is closed.',
  already_answered: 'You already answered this question.',
  not_host: 'Only the host can start the game.',
  rate_limited: 'Slow down a little.',
};

export function gameView(session: Session, nav: Nav): View {
  const me = session.userId;
  const client = new QuizClient({
    baseUrl: location.origin,
    partyId: session.partyId,
    token: session.token,
    reconnect: true,
    backoffMs: { initial: 500, max: 8000 },
  });

  const where = h('span', { class: 'where' });
  const code = h('span', { class: 'code-badge', title: 'Join code' });
  const score = h('span', { class: 'my-score', 'data-testid': 'my-score' }, '0');
  const header = h('header', { class: 'game-head' },
    h('h1', { class: 'sr-only' }, 'Quiz Party'),
    where, code,
    h('span', { class: 'me' }, h('span', { class: 'me-name' }, me), score, h('span', { class: 'sr-only' }, ' points')),
  );
  const stage = h('div', { class: 'stage' }, h('p', { class: 'panel muted center' }, 'Connecting\u2026'));
  const toastEl = h('p', { class: 'toast', role: 'status', 'aria-live': 'polite', hidden: true });
  const el = h('div', { class: 'page game' }, header, stage, toastEl);
  const conn = document.getElementById('conn');

  let state: StateMessage | null = null;
  let mine: AnswerRecord | null = null;
  let deadlineAt: number | null = null;
  let myScore = 0;
  let baseline: { round: number; scores: Map<string, number> } | null = null;
  let screen: Screen | null = null;
  let screenKey = '';
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  let gone = false;

  const ctx = (s: StateMessage): GameCtx => ({
    state: s,
    me,
    isHost: s.host === me,
    mine,
    deadlineAt,
    myScore,
    deltas: baseline && baseline.round === s.current_round && s.status !== 'lobby'
      ? new Map(s.players.map((p) => [p.user_id, p.score - (baseline?.scores.get(p.user_id) ?? 0)]))
      : null,
    answer,
    start,
    leave,
    openStats: () => nav.stats(me),
  });

  function render(): void {
    if (!state || gone) return;
    const s = state;
    const c = ctx(s);
    where.textContent = s.status === 'lobby' ? `${s.category} \u00b7 Lobby`
      : s.status === 'finished' ? `${s.category} \u00b7 Final results`
      : `${s.category} \u00b7 Round ${s.current_round}/${s.rounds}`;
    // The lobby shows the code in large type already; the podium no longer needs it.
    code.textContent = `Code ${formatCode(s.join_code)}`;
    code.hidden = s.status === 'finished' || s.status === 'lobby';
    score.textContent = myScore.toLocaleString('en-US');
    document.title = `${where.textContent} \u00b7 Quiz Party`;
    const key = s.status === 'lobby' || s.status === 'finished' ? s.status : `${s.status}:${s.current_round}`;
    if (key === screenKey && screen) return screen.update(c);
    screen?.destroy?.();
    screen = s.status === 'lobby' ? lobbyScreen(c)
      : s.status === 'question' ? questionScreen(c)
      : s.status === 'reveal' ? revealScreen(c)
      : podiumScreen(c);
    screenKey = key;
    const hadFocus = stage.contains(document.activeElement) || document.activeElement === document.body;
    stage.replaceChildren(screen.el);
    screen.update(c);
    if (hadFocus) screen.el.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }

  function onState(m: StateMessage): void {
    const prev = state;
    state = { ...m, players: m.players.map((p) => ({ ...p })) };
    deadlineAt = m.status === 'question' && m.time_left_ms !== null ? performance.now() + m.time_left_ms : null;
    if (m.status === 'question' && m.event === 'question' && baseline?.round !== m.current_round) {
      baseline = { round: m.current_round, scores: new Map(m.players.map((p) => [p.user_id, p.score])) };
    }
    if (m.status === 'lobby') mine = null;
    else if (!mine || mine.round !== m.current_round) mine = loadAnswer(session.partyId, m.current_round);
    const self = m.players.find((p) => p.user_id === me);
    if (self) myScore = self.score;
    if (m.status === 'finished' && prev?.status !== 'finished' && lastSession()?.partyId === session.partyId) forgetLast();
    render();
  }

  function onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'state':
        return onState(m);
      case 'answer_result': {
        const choice = mine?.round === m.round ? mine.choice : null;
        mine = { round: m.round, choice, result: { correct: m.correct, points: m.points, score: m.score } };
        saveAnswer(session.partyId, mine);
        myScore = m.score;
        return render();
      }
      case 'score': {
        const p = state?.players.find((x) => x.user_id === m.user_id);
        if (state && p) {
          p.score = m.score;
          if (state.current_round === m.round) p.answered = true;
          state.players.sort((a, b) => b.score - a.score || (a.user_id < b.user_id ? -1 : 1));
        }
        if (m.user_id === me) myScore = m.score;
        return render();
      }
      case 'error':
        if (mine && !mine.result && ['round_closed', 'wrong_round', 'invalid_choice'].includes(m.code)) mine = null;
        toast(ERROR_TEXT[m.code] ?? m.detail);
        return render();
      default:
        return; // pong and message types added later
    }
  }

  function answer(choice: string): void {
    const s = state;
    if (!s || s.status !== 'question' || !s.choices.includes(choice)) return;
    if (mine?.round === s.current_round || s.players.find((p) => p.user_id === me)?.answered) return;
    if (deadlineAt !== null && performance.now() >= deadlineAt) return;
    if (!client.answer(s.current_round, choice)) return toast('Not connected: wait a moment and try again.');
    mine = { round: s.current_round, choice, result: null };
    saveAnswer(session.partyId, mine);
    render();
  }

  function start(): void {
    if (!client.start()) toast('Not connected: wait a moment and try again.');
  }

  function leave(): void {
    endSession(true);
    nav.home();
  }

  function toast(text: string): void {
    toastEl.textContent = text;
    toastEl.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (toastEl.hidden = true), 3500);
  }

  function setConnection(s: ConnectionStatus, closeCode?: number): void {
    if (gone) return;
    document.body.classList.toggle('offline', s === 'reconnecting');
    if (!conn) return;
    conn.className = 'conn';
    if (s === 'open' || s === 'connecting' || (s === 'closed' && (state?.status === 'finished' || closeCode === 1000))) {
      conn.hidden = true;
      return;
    }
    if (s === 'reconnecting') {
      conn.classList.add('warn');
      fill(conn, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Connection lost \u2014 reconnecting\u2026');
      conn.dataset.testid = 'reconnecting';
    } else if (closeCode === 4401 || closeCode === 4404) {
      conn.hidden = true;
      endSession(true);
      fill(stage, h('div', { class: 'panel stack center' },
        h('h2', { 'data-autofocus': true, tabindex: -1 }, 'This game is no longer available'),
        h('p', { class: 'muted' }, 'It may have ended or expired.'),
        h('button', { type: 'button', class: 'btn primary', onclick: () => nav.home() }, 'Back to start')));
      return;
    } else {
      conn.classList.add('bad');
      fill(conn, 'Disconnected. ', h('button', { type: 'button', class: 'btn small', onclick: () => nav.play(session) }, 'Reconnect'));
    }
    conn.hidden = false;
  }

  function onKey(ev: KeyboardEvent): void {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || !state || state.status !== 'question') return;
    const t = ev.target as HTMLElement | null;
    if (t && t.closest('input, textarea, select, [contenteditable]')) return;
    const i = ['1', '2', '3', '4'].indexOf(ev.key);
    const choice = i >= 0 ? state.choices[i] : undefined;
    if (choice === undefined) return;
    ev.preventDefault();
    answer(choice);
  }

  client.on(onMessage);
  client.onStatus(setConnection);
  document.addEventListener('keydown', onKey);
  client.connect().catch(() => undefined); // failures arrive through onStatus

  return {
    el,
    destroy() {
      gone = true;
      client.close();
      screen?.destroy?.();
      clearTimeout(toastTimer);
      document.removeEventListener('keydown', onKey);
      document.body.classList.remove('offline');
      if (conn) conn.hidden = true;
      document.title = 'Quiz Party';
    },
  };
}
