/**
 * What survives a reload: the current game of this tab (sessionStorage), and every party's
 * credentials plus the last game (localStorage), so a dropped phone tab can rejoin.
 */
export interface Session {
  partyId: string;
  userId: string;
  token: string;
  joinCode: string;
}
export interface AnswerRecord {
  round: number;
  choice: string | null;
  result: { correct: boolean; points: number; score: number } | null;
}

const CURRENT = 'quiz.session';
const LAST = 'quiz.last';
const TOKENS = 'quiz.tokens';
const NAME = 'quiz.name';
const ANSWER = 'quiz.answer';

function read<T>(store: Storage | undefined, key: string): T | null {
  try {
    const raw = store?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}
function write(store: Storage | undefined, key: string, value: unknown): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the game still works, it just cannot resume */
  }
}
const local = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);
const session = (): Storage | undefined => (typeof sessionStorage === 'undefined' ? undefined : sessionStorage);

const valid = (s: Session | null): s is Session =>
  !!s && typeof s.partyId === 'string' && typeof s.userId === 'string' && typeof s.token === 'string';

export function saveSession(s: Session): void {
  write(session(), CURRENT, s);
  write(local(), LAST, s);
  const tokens = read<Record<string, Session & { at: number }>>(local(), TOKENS) ?? {};
  tokens[`${s.partyId}/${s.userId}`] = { ...s, at: Date.now() };
  const recent = Object.entries(tokens).sort((a, b) => b[1].at - a[1].at).slice(0, 20);
  write(local(), TOKENS, Object.fromEntries(recent));
}

/** This tab's game, if any (survives a reload). */
export function currentSession(): Session | null {
  const s = read<Session>(session(), CURRENT);
  return valid(s) ? s : null;
}

/** The last game played in this browser, for the "rejoin" offer on the home screen. */
export function lastSession(): Session | null {
  const s = read<Session>(local(), LAST);
  return valid(s) ? s : null;
}

/** Credentials kept for a party and name, so joining again resumes instead of failing. */
export function storedSession(partyId: string, userId: string): Session | null {
  const s = read<Record<string, Session>>(local(), TOKENS)?.[`${partyId}/${userId}`] ?? null;
  return valid(s) ? s : null;
}

/** Leaves the current game in this tab; `finished` also drops the rejoin offer. */
export function endSession(finished: boolean): void {
  const cur = currentSession();
  write(session(), CURRENT, null);
  write(session(), ANSWER, null);
  const last = lastSession();
  if (finished && last && (!cur || last.partyId === cur.partyId)) write(local(), LAST, null);
}

export function forgetLast(): void {
  write(local(), LAST, null);
}

export function rememberName(name: string): void {
  write(local(), NAME, name);
}
export function lastName(): string {
  return read<string>(local(), NAME) ?? '';
}

/** My answer to a round, so a reload mid-round still shows what I picked. */
export function saveAnswer(partyId: string, a: AnswerRecord): void {
  write(session(), ANSWER, { partyId, ...a });
}
export function loadAnswer(partyId: string, round: number): AnswerRecord | null {
  const a = read<AnswerRecord & { partyId: string }>(session(), ANSWER);
  return a && a.partyId === partyId && a.round === round ? { round: a.round, choice: a.choice, result: a.result } : null;
}
