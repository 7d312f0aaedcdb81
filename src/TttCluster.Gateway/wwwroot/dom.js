// Small helpers every view uses to build the page and show times. The page is built with createElement and
// textContent only: story text and error messages come from the API and are never parsed as HTML.

/**
 * Makes an element. props: className, text, attrs (attributes, e.g. data-* and aria-*), on (event handlers).
 * Children are nodes or strings (strings become text nodes); null and false children are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [type, handler] of Object.entries(props.on ?? {})) node.addEventListener(type, handler);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Sets an element's text only when it changed, so a refresh every second does not disturb a text selection. */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

/** The dash the page shows for a value the farm did not give (null, missing field, not answering). */
export const NONE = '—';

const secondsFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const minutesFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/**
 * A farm time (ISO 8601) as the reader's local time: the clock alone today (to the second, or to the minute where
 * space is short, as in the stories table), day and minute otherwise.
 */
export function formatTime(iso, seconds = true) {
  if (!iso) return NONE;
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return NONE;
  if (new Date().toDateString() !== time.toDateString()) return dateFormat.format(time);
  return (seconds ? secondsFormat : minutesFormat).format(time);
}

/** A duration in seconds for people: "12 s", "3 min 5 s", "1 h 4 min". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A state or status word as a pill: the word itself is shown (colour is never the only signal). */
export function pill(word, kind) {
  return el('span', { className: `pill ${kind}-${word}`, text: word });
}
