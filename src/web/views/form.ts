/** Small form helpers shared by the home and setup pages. */
import { h } from '../dom.js';

let ids = 0;

/** A labelled input; the label is a real <label for>. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const id = input.id || `f${++ids}`;
  input.id = id;
  const hintEl = hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

/** An error line that screen readers announce. */
export function errorLine(): { el: HTMLElement; set(msg: string | null): void } {
  const el = h('p', { class: 'form-error', role: 'alert', hidden: true });
  return {
    el,
    set(msg) {
      el.textContent = msg ?? '';
      el.hidden = !msg;
    },
  };
}

/** Disables a form's controls while a request runs, with a busy label on the submit button. */
export async function busy<T>(form: HTMLFormElement, label: string, fn: () => Promise<T>): Promise<T> {
  const controls = [...form.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>('button, input, select')];
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
  const before = submit?.textContent ?? '';
  controls.forEach((c) => (c.disabled = true));
  form.setAttribute('aria-busy', 'true');
  if (submit) submit.textContent = label;
  try {
    return await fn();
  } finally {
    controls.forEach((c) => (c.disabled = false));
    form.removeAttribute('aria-busy');
    if (submit) submit.textContent = before;
  }
}

/** Names: 1–64 characters, no control characters (the server's rule). */
export function checkName(name: string): string | null {
  if (!name) return 'Enter your name.';
  if (name.length > 64) return 'Names are at most 64 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'Names cannot contain control characters.';
  return null;
}
