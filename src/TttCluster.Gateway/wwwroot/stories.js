// The stories view (#/stories): the tenant's stories, newest first, refreshed every 2 s, and the form that submits one.
import { call, downloadFile, getJson, messageOf } from './api.js';
import { NONE, el, formatTime, pill, setText } from './dom.js';

const REFRESH_MS = 2000;
const PAGE_SIZE = 100;   // the API's largest page: 20 stories (and far more) fit in one answer

/** States a story can still be cancelled in. */
export const CANCELLABLE = new Set(['queued', 'rendering']);

const COLUMNS = [
  ['id', 'Story'], ['state', 'State'], ['progress', 'Steps'], ['priority', 'Priority'],
  ['submitted', 'Submitted'], ['finished', 'Finished'], ['silos', 'Silos'], ['actions', 'Actions'],
];

const EXAMPLE = '# For example:\ntitle: Kitchen chase\nseed: 42\nsettings: { steps: 20 }\nscenes:\n  - text: "Tom eats an apple pie at the kitchen table."\n  - text: "Jerry rings the doorbell; Tom opens the door."';

export function mount(container) {
  document.title = 'Stories · TttCluster';
  let alive = true;
  let timer = null;
  let inFlight = false, again = false;
  const rows = new Map();   // story id -> its <tr>, updated in place so a button is never swapped under the pointer

  const tbody = el('tbody');
  const table = el('table', { className: 'table', attrs: { id: 'stories' } },
    el('thead', {}, el('tr', {}, ...COLUMNS.map(([name, title]) => el('th', { className: name, text: title, attrs: { scope: 'col' } })))),
    tbody);
  const empty = el('p', { className: 'empty', text: 'No stories yet: submit one with the form.', attrs: { id: 'stories-empty', hidden: true } });
  const loading = el('p', { className: 'muted', text: 'Loading…' });
  const note = el('p', { className: 'muted small' });
  const message = el('p', { className: 'form-error', attrs: { role: 'status' } });

  container.append(el('div', { className: 'stories-layout' },
    el('section', { className: 'card' },
      el('div', { className: 'card-head' }, el('h1', { text: 'Stories' }), el('span', { className: 'muted small', text: 'refreshed every 2 s' })),
      message, loading, el('div', { className: 'table-scroll' }, table), empty, note),
    submitForm()));

  async function refresh() {
    if (inFlight) {
      again = true;   // a refresh is on its way: one more right after it, not two at once
      return;
    }
    inFlight = true;
    clearTimeout(timer);
    try {
      // The silos say which silos hold each story's segments; the list still shows when they cannot be asked.
      const [list, silos] = await Promise.all([
        getJson(`/v1/stories?offset=0&limit=${PAGE_SIZE}`),
        getJson('/v1/silos').catch(() => null),
      ]);
      if (!alive) return;
      loading.remove();
      render(list, silos);
      if (message.dataset.source === 'refresh') setText(message, '');
    } catch (error) {
      if (!alive) return;
      message.dataset.source = 'refresh';
      setText(message, `Could not refresh the list: ${messageOf(error)}. Trying again.`);
    } finally {
      inFlight = false;
      if (alive) timer = setTimeout(refresh, again ? 0 : REFRESH_MS);
      again = false;
    }
  }

  function render(list, silos) {
    const siloCount = silosPerStory(silos);
    const seen = new Set();
    const ordered = list.stories.map(story => {
      seen.add(story.id);
      let row = rows.get(story.id);
      if (!row) rows.set(story.id, row = newRow(story.id));
      updateRow(row, story, silos ? (siloCount.get(story.id) ?? 0) : null);
      return row;
    });
    for (const [id, row] of rows) if (!seen.has(id)) { row.remove(); rows.delete(id); }
    // Re-appended only when the order changed: moving rows would disturb a click in progress.
    if (ordered.some((row, i) => tbody.children[i] !== row)) tbody.append(...ordered);
    // The table stays (its header shows what will be there); the message under it says why it is empty.
    empty.hidden = list.stories.length > 0;
    setText(note, list.total > list.stories.length ? `Showing the newest ${list.stories.length} of ${list.total} stories.` : '');
  }

  function newRow(id) {
    const row = el('tr', { attrs: { 'data-story-id': id } });
    for (const [name] of COLUMNS) row.append(el('td', { className: name }));
    row.querySelector('td.id').append(el('a', { className: 'open mono', text: id, attrs: { href: `#/stories/${encodeURIComponent(id)}` } }));
    return row;
  }

  function updateRow(row, story, silosHolding) {
    const cell = name => row.querySelector(`td.${name}`);
    const state = cell('state');
    if (state.textContent !== story.state) state.replaceChildren(pill(story.state, 'state'));
    if (story.error) state.title = story.error; else state.removeAttribute('title');

    const progress = cell('progress');
    if (!progress.firstChild) progress.append(el('progress'), el('span', { className: 'progress-text' }));
    const bar = progress.firstChild;
    bar.max = Math.max(1, story.steps);
    bar.value = story.stepsDone;
    bar.setAttribute('aria-label', `${story.stepsDone} of ${story.steps} steps`);
    setText(progress.lastChild, `${story.stepsDone}/${story.steps}`);

    setText(cell('priority'), story.priority);
    setTime(cell('submitted'), story.submittedAt);
    setTime(cell('finished'), story.finishedAt);
    setText(cell('silos'), silosHolding ? silosHolding : NONE);
    updateActions(cell('actions'), story);
  }

  /** The buttons a state allows: rebuilt only when the state changes them, never on a plain refresh. */
  function updateActions(cell, story) {
    const kind = CANCELLABLE.has(story.state) ? 'cancel' : story.state === 'done' ? 'download' : 'none';
    if (cell.dataset.kind === kind) return;
    cell.dataset.kind = kind;
    const id = story.id;
    if (kind === 'cancel') {
      cell.replaceChildren(el('button', { className: 'cancel button-danger', text: 'Cancel', attrs: { type: 'button', 'aria-label': `Cancel ${id}` },
        on: { click: event => act(event.currentTarget, 'Cancelling…', () => call(`/v1/stories/${encodeURIComponent(id)}/cancel`, { method: 'POST' })) } }));
    } else if (kind === 'download') {
      cell.replaceChildren(
        el('button', { className: 'download-video', text: 'Video', attrs: { type: 'button', 'aria-label': `Download the video of ${id}` },
          on: { click: event => act(event.currentTarget, 'Saving…', () => downloadFile(`/v1/stories/${encodeURIComponent(id)}/video`, `${id}.mp4`)) } }),
        el('button', { className: 'download-contact-sheet', text: 'Contact sheet', attrs: { type: 'button', 'aria-label': `Download the contact sheet of ${id}` },
          on: { click: event => act(event.currentTarget, 'Saving…', () => downloadFile(`/v1/stories/${encodeURIComponent(id)}/contact-sheet`, `${id}.png`)) } }));
    } else {
      cell.replaceChildren();
    }
  }

  /** Runs a button's action with the button busy, shows a failure above the table, then refreshes the list. */
  async function act(button, busyText, action) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = busyText;
    try {
      await action();
      if (message.dataset.source === 'action') setText(message, '');
    } catch (error) {
      if (!alive) return;
      message.dataset.source = 'action';
      setText(message, messageOf(error));
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
    if (alive) refresh();
  }

  refresh();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

/** How many silos hold each story's segments now (from each silo's list of this tenant's stories). */
function silosPerStory(silos) {
  const count = new Map();
  for (const silo of silos?.silos ?? []) {
    for (const id of silo.stories ?? []) count.set(id, (count.get(id) ?? 0) + 1);
  }
  return count;
}

function setTime(cell, iso) {
  setText(cell, formatTime(iso, false));
  if (iso) cell.title = iso; else cell.removeAttribute('title');
}

/** The submit form: the story's text (typed, pasted or loaded from a file) and its priority. */
function submitForm() {
  const source = el('textarea', { className: 'mono', attrs: { id: 'story-source', name: 'story', rows: 14, spellcheck: 'false', placeholder: EXAMPLE } });
  const file = el('input', { attrs: { id: 'story-file', type: 'file', accept: '.yaml,.yml,.json' } });
  const priority = el('input', { attrs: { id: 'story-priority', type: 'number', name: 'priority', value: '0', min: -10, max: 10, step: 1 } });
  const errors = el('ul', { className: 'error-list', attrs: { id: 'submit-errors', 'aria-live': 'polite' } });
  const omitted = el('p', { className: 'muted small', attrs: { id: 'submit-omitted' } });
  const submit = el('button', { className: 'button-primary', text: 'Submit story', attrs: { id: 'submit-story', type: 'submit' } });
  // novalidate: the farm judges the priority (and says why it refuses one), the browser does not block the request.
  const form = el('form', { className: 'card submit-card', attrs: { id: 'submit-form', novalidate: true } },
    el('h2', { text: 'Submit a story' }),
    el('label', { text: 'Story (YAML or JSON, one scene per 3-second segment)', attrs: { for: 'story-source' } }),
    source,
    el('div', { className: 'form-row' }, el('label', { text: 'or load a file', attrs: { for: 'story-file' } }), file),
    el('div', { className: 'form-row' },
      el('label', { text: 'Priority', attrs: { for: 'story-priority' } }), priority,
      el('span', { className: 'muted small', text: '−10 to 10; higher renders first' })),
    errors, omitted,
    el('div', { className: 'form-actions' }, submit));

  function showErrors(lines, omittedCount = 0) {
    errors.replaceChildren(...lines.map(line => el('li', { className: 'submit-error', text: line })));
    setText(omitted, omittedCount > 0 ? `…and ${omittedCount} more problem(s) not listed.` : '');
  }

  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    try {
      source.value = await chosen.text();
      showErrors([]);
    } catch (error) {
      showErrors([`Could not read ${chosen.name}: ${messageOf(error)}`]);
    }
  });

  // Ctrl+Enter (Cmd+Enter) in the text submits, as in most editors' forms.
  source.addEventListener('keydown', event => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const text = source.value;
    if (!text.trim()) return showErrors(['Write a story, paste one, or load a file first.']);
    if (priority.validity.badInput) return showErrors(['Priority: expected a whole number from -10 to 10.']);
    const query = priority.value.trim() === '' ? '' : `?priority=${encodeURIComponent(priority.value.trim())}`;
    // The farm reads both formats; the content type says which (JSON always starts with '{').
    const contentType = text.trimStart().startsWith('{') ? 'application/json' : 'application/yaml';
    submit.disabled = true;
    submit.textContent = 'Submitting…';
    try {
      const story = await (await call(`/v1/stories${query}`, { method: 'POST', body: text, contentType })).json();
      showErrors([]);
      location.hash = `#/stories/${encodeURIComponent(story.id)}`;
    } catch (error) {
      const problems = error.status === 422 && Array.isArray(error.problem?.errors) ? error.problem.errors : null;
      if (problems && problems.length > 0) showErrors(problems.map(describeStoryError), error.problem.omittedErrors ?? 0);
      else showErrors([messageOf(error)]);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Submit story';
    }
  });
  return form;
}

/**
 * One of the farm's story errors as "line L, column C: field: expected …, found …" (a problem with the whole file has
 * no line). Built from the parts: the farm's own message starts with "story:L:C:", which would say the place twice.
 */
function describeStoryError(error) {
  const what = error.field && error.expected ? `${error.field}: expected ${error.expected}, found ${error.found ?? 'nothing'}` : error.message;
  if (error.line == null) return what;
  return error.column == null ? `line ${error.line}: ${what}` : `line ${error.line}, column ${error.column}: ${what}`;
}
