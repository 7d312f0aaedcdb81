// Talking to the farm: every /v1 call carries "Authorization: Bearer KEY"; errors are RFC 9457 problem details;
// the events stream is read with fetch (EventSource cannot send the header) and parsed here.

const KEY_ITEM = 'ttt.apiKey';

/** The API key of this tab (sessionStorage: it goes when the tab closes, and other tabs sign in for themselves). */
export function getKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

export function setKey(key) {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY_ITEM);
}

/** An answer other than 2xx: status, the problem document (or null) and a message fit to show. */
export class ApiError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

// Called on any 401 (the key was revoked or is wrong): the app goes back to sign-in. Set by app.js.
let onUnauthorized = () => {};

export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/**
 * One call. options: method, body, contentType, headers, signal, key (a key to try instead of the stored one: sign-in
 * checks a key this way, and its 401 must not count as the session's key being refused).
 * Returns the Response when it is 2xx; throws ApiError otherwise, and a TypeError when the farm cannot be reached.
 */
export async function call(path, options = {}) {
  const headers = new Headers(options.headers ?? {});
  const key = options.key ?? getKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  if (options.contentType) headers.set('Content-Type', options.contentType);
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body: options.body, signal: options.signal, cache: 'no-store' });
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && options.key === undefined) onUnauthorized(error);
  throw error;
}

/** The ApiError for a failed response: the problem's detail when there is one, else its title, else the status line. */
async function errorOf(response) {
  let problem = null;
  const type = response.headers.get('Content-Type') ?? '';
  try {
    if (type.includes('json')) problem = await response.json();
  } catch {
    problem = null;   // a body that is not the JSON it claims: fall back to the status line
  }
  const message = problem?.detail || problem?.title || `${response.status} ${response.statusText || 'error'}`.trim();
  return new ApiError(response.status, problem, message);
}

export async function getJson(path, options = {}) {
  return (await call(path, options)).json();
}

/** A message for any error a call can throw, for the page. */
export function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return `cannot reach the farm (${error.message})`;
  return String(error?.message ?? error);
}

/**
 * Saves a file that needs the key (so a plain link cannot fetch it): fetch it, then click a temporary link to a
 * blob URL with the file name the farm's files have ("ID.mp4", "ID.png").
 */
export async function downloadFile(path, fileName) {
  const blob = await (await call(path)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not now: the browser may still be reading the blob when click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Follows a server-sent events stream until its "end" event or stop(). handlers: onEvent({type, data, id}),
 * onEnd(), onError(error) for an error that ends the following (401, 404), onConnection(connected) for the page
 * to show whether it is live. A dropped connection is opened again with "Last-Event-ID" set to the last id seen, so
 * the farm sends what was missed; the wait between tries grows from 1 s to 10 s. Returns stop().
 */
export function followEvents(path, handlers) {
  const abort = new AbortController();
  let lastEventId = null;
  let ended = false;

  async function readOnce() {
    const headers = { Accept: 'text/event-stream' };
    if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
    const response = await call(path, { headers, signal: abort.signal });
    handlers.onConnection?.(true);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new EventParser(event => {
      if (event.id !== null) lastEventId = event.id;
      if (event.type === 'end') ended = true;
      handlers.onEvent(event);
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  }

  (async () => {
    let wait = 1000;
    while (!ended && !abort.signal.aborted) {
      const connectedAt = Date.now();
      try {
        await readOnce();
      } catch (error) {
        if (abort.signal.aborted) return;
        // A refused key, a gone story, a bad request: trying again would only fail again.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          handlers.onConnection?.(false);
          handlers.onError?.(error);
          return;
        }
      }
      if (ended || abort.signal.aborted) break;
      handlers.onConnection?.(false);
      // A connection that lasted a while was healthy: start the back-off again from a second.
      if (Date.now() - connectedAt > 30_000) wait = 1000;
      await new Promise(resolve => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 10_000);
    }
    if (ended) handlers.onEnd?.();
  })();

  return () => abort.abort();
}

/**
 * The text/event-stream format (WHATWG HTML, "server-sent events"), fed in pieces as they arrive: "field: value"
 * lines, a blank line ends an event, lines starting with ':' are comments (the farm's heartbeats).
 * Lines end with LF or CRLF (a lone CR, which the farm never sends, is not treated as a line end).
 */
class EventParser {
  constructor(dispatch) {
    this.dispatch = dispatch;
    this.pending = '';
    this.reset();
  }

  reset() {
    this.type = '';
    this.data = [];
    this.id = null;
  }

  push(text) {
    this.pending += text;
    let end;
    while ((end = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, end).replace(/\r$/, '');
      this.pending = this.pending.slice(end + 1);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0 || this.type) this.dispatch({ type: this.type || 'message', data: this.data.join('\n'), id: this.id });
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
