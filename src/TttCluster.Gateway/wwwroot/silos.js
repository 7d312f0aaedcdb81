// The silos view (#/silos): every silo of the farm's membership, what it holds and how busy it is, refreshed every
// second so a silo that stops answering shows within a beat.
import { getJson, messageOf } from './api.js';
import { NONE, el, pill, setText } from './dom.js';
import { swatch } from './colours.js';
import { sparkline } from './charts.js';

const REFRESH_MS = 1000;

const COLUMNS = [
  ['name', 'Silo'], ['address', 'Address'], ['status', 'Status'], ['capacity', 'Capacity'], ['segments', 'Segments'],
  ['utilisation', 'CPU (last minute)'], ['failures', 'Failures'], ['stories', 'Your stories'],
];

const STATUS_HELP = {
  active: 'in the cluster and answering',
  suspected: 'in the cluster but not answering: it may be dying',
  joining: 'starting and joining the cluster',
  'shutting-down': 'leaving the cluster',
  stopping: 'stopping',
  dead: 'declared dead by the cluster',
};

export function mount(container) {
  document.title = 'Silos · TttCluster';
  let alive = true;
  let timer = null;

  const tbody = el('tbody');
  const table = el('table', { className: 'table', attrs: { id: 'silos' } },
    el('thead', {}, el('tr', {}, ...COLUMNS.map(([name, title]) => el('th', { className: name, text: title, attrs: { scope: 'col' } })))),
    tbody);
  const summary = el('span', { className: 'muted small', text: 'Loading…' });
  const message = el('p', { className: 'form-error', attrs: { role: 'status' } });
  container.append(el('section', { className: 'card' },
    el('div', { className: 'card-head' }, el('h1', { text: 'Silos' }), summary),
    message,
    el('div', { className: 'table-scroll' }, table),
    el('p', { className: 'muted small', text: 'Capacity is a silo\'s share of the segments (0: it only coordinates). Failures count the story steps redone because the silo died. "—": the silo did not answer or the farm does not report it.' })));

  async function refresh() {
    try {
      const answer = await getJson('/v1/silos');
      if (!alive) return;
      render(answer.silos ?? []);
      setText(message, '');
    } catch (error) {
      if (!alive) return;
      setText(message, `Could not refresh the silos: ${messageOf(error)}. Trying again.`);
    } finally {
      if (alive) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  function render(silos) {
    // Rebuilt whole each time: a restarted silo can appear twice under one name (its dead member and its new one),
    // so rows are not keyed; the table is small and has nothing to click but links.
    tbody.replaceChildren(...silos.map(siloRow));
    const counts = {};
    for (const silo of silos) counts[silo.status] = (counts[silo.status] ?? 0) + 1;
    const parts = Object.entries(counts).map(([status, n]) => `${n} ${status}`);
    setText(summary, silos.length === 0 ? 'No silos in the membership.' : `${silos.length} silo${silos.length === 1 ? '' : 's'}: ${parts.join(', ')} · refreshed every second`);
  }

  refresh();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

function siloRow(silo) {
  const row = el('tr', { className: silo.status === 'suspected' ? 'row-warn' : silo.status === 'dead' ? 'row-dead' : '', attrs: { 'data-silo': silo.name } });
  row.append(
    el('td', { className: 'name' }, swatch(silo.name), silo.name),
    el('td', { className: 'address mono', text: silo.address ?? NONE }),
    el('td', { className: `status status-${silo.status}`, attrs: { title: STATUS_HELP[silo.status] ?? '' } }, pill(silo.status, 'status')),
    el('td', { className: 'capacity num', text: shown(silo.capacity), attrs: { title: silo.capacity === 0 ? 'coordinates only: renders no segments' : null } }),
    el('td', { className: 'segments num', text: shown(silo.segments) }),
    utilisationCell(silo),
    el('td', { className: 'failures num', text: shown(silo.failures) }),
    storiesCell(silo.stories));
  return row;
}

function shown(value) {
  return value === null || value === undefined ? NONE : String(value);
}

function utilisationCell(silo) {
  const cell = el('td', { className: 'utilisation' });
  const use = silo.utilisation;
  cell.append(el('span', { className: 'num', text: typeof use === 'number' ? `${Math.round(use * 100)}%` : NONE }));
  if (Array.isArray(silo.utilisationHistory) && silo.utilisationHistory.length > 0) cell.append(sparkline(silo.utilisationHistory));
  return cell;
}

function storiesCell(stories) {
  const cell = el('td', { className: 'stories' });
  if (!stories || stories.length === 0) {
    cell.textContent = NONE;
    return cell;
  }
  for (const id of stories) cell.append(el('a', { className: 'mono', text: id, attrs: { href: `#/stories/${encodeURIComponent(id)}` } }), ' ');
  return cell;
}
