// A colour per silo, the same in the segment grid, its legend and the silos table (see siloColour).
import { el } from './dom.js';

// Light fills (dark text stays readable on them) with a stronger edge of the same hue for borders and swatches.
const PALETTE = [
  { fill: '#cfe2ff', edge: '#3b7dd8' },   // blue
  { fill: '#d3f0d9', edge: '#2f9e55' },   // green
  { fill: '#ffe2c2', edge: '#d9822b' },   // orange
  { fill: '#e6d6f7', edge: '#8a56cc' },   // purple
  { fill: '#ffd6dd', edge: '#d64f6a' },   // pink
  { fill: '#cbeef0', edge: '#1f9aa3' },   // teal
  { fill: '#fff0b3', edge: '#b89b12' },   // yellow
  { fill: '#e4e8c6', edge: '#7d8a2a' },   // olive
  { fill: '#d7dcf6', edge: '#5563c7' },   // periwinkle
  { fill: '#f3d3c6', edge: '#b45d3c' },   // terracotta
  { fill: '#c9ecdf', edge: '#2d8c6c' },   // mint
  { fill: '#f2d5ee', edge: '#b04fa2' },   // orchid
];

/** No silo yet (a segment before its first event): neutral, so it does not look like any silo. */
export const UNASSIGNED = { fill: '#eef0f3', edge: '#b6bdc6' };

// Silos get the palette's colours in the order this browser session first sees them, kept in the session: the first
// twelve silos all differ (a hash of the name made "gateway" and "worker-1" the same orange), and a silo keeps its
// colour across views and reloads.
const ASSIGNED_KEY = 'ttt.siloColours';
const assigned = readAssigned();

function readAssigned() {
  try {
    return new Map(Object.entries(JSON.parse(sessionStorage.getItem(ASSIGNED_KEY) ?? '{}')));
  } catch {
    return new Map();   // unreadable (another version's format): start again
  }
}

/** The colour pair of a silo name; UNASSIGNED for none. */
export function siloColour(name) {
  if (!name) return UNASSIGNED;
  if (!assigned.has(name)) {
    assigned.set(name, assigned.size % PALETTE.length);
    sessionStorage.setItem(ASSIGNED_KEY, JSON.stringify(Object.fromEntries(assigned)));
  }
  return PALETTE[assigned.get(name)];
}

/** A small square in the silo's colour, next to its name (the name is always shown: colour is never the only signal). */
export function swatch(name) {
  const box = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
  const colour = siloColour(name);
  box.style.backgroundColor = colour.fill;
  box.style.borderColor = colour.edge;
  return box;
}

/** Fills a legend element with one entry per silo name, in name order; empty names are left out. */
export function renderLegend(container, names) {
  const sorted = [...new Set(names)].filter(Boolean).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  container.replaceChildren(...sorted.map(name => el('span', { className: 'legend-item', attrs: { 'data-silo': name } }, swatch(name), name)));
}
