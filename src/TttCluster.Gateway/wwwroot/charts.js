// Tiny SVG charts drawn by hand (no charting library: the page must work offline and stay small). Colours come from
// style.css through classes, because the page's CSP forbids style attributes in markup.
import { formatDuration } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// The steps chart's drawing area inside its viewBox (the SVG scales to the card's width).
const WIDTH = 640, HEIGHT = 200;
const LEFT = 40, RIGHT = 14, TOP = 12, BOTTOM = 26;

/**
 * Steps done (y) against seconds since the render started (x), as a staircase: each step finished at its time.
 * chart: { steps, startMs, points: [{ms, step}] in time order, nowMs, etaMs (or null) }. While the story renders,
 * the last level runs on to now, and a dashed line goes from the last step to the ETA.
 */
export function drawStepChart(svg, chart) {
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  const { steps, startMs, points, nowMs, etaMs } = chart;
  const lastMs = points.length ? points[points.length - 1].ms : startMs;
  const endMs = Math.max(startMs + 1000, lastMs, nowMs ?? lastMs, etaMs ?? lastMs);
  const x = ms => LEFT + ((ms - startMs) / (endMs - startMs)) * (WIDTH - LEFT - RIGHT);
  const y = step => HEIGHT - BOTTOM - (step / Math.max(1, steps)) * (HEIGHT - TOP - BOTTOM);
  const parts = [];

  // Grid and labels: 0, half and all steps on y; start, middle and end time on x.
  for (const step of [...new Set([0, Math.round(steps / 2), steps])]) {
    parts.push(svgEl('line', { class: 'grid', x1: LEFT, x2: WIDTH - RIGHT, y1: y(step), y2: y(step) }));
    parts.push(svgEl('text', { class: 'axis-label', x: LEFT - 6, y: y(step) + 4, 'text-anchor': 'end' }, String(step)));
  }
  for (const fraction of [0, 0.5, 1]) {
    const ms = startMs + fraction * (endMs - startMs);
    const anchor = fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle';
    parts.push(svgEl('text', { class: 'axis-label', x: x(ms), y: HEIGHT - 6, 'text-anchor': anchor }, formatDuration((ms - startMs) / 1000)));
  }

  if (points.length === 0) {
    parts.push(svgEl('text', { class: 'chart-empty', x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle' }, 'no step finished yet'));
  } else {
    // Staircase: flat at the previous count until the step's time, then up.
    let d = `M ${x(startMs)} ${y(0)}`;
    let level = 0;
    for (const point of points) {
      d += ` H ${x(point.ms)} V ${y(point.step)}`;
      level = point.step;
    }
    if (nowMs && nowMs > lastMs && level < steps) d += ` H ${x(nowMs)}`;
    parts.push(svgEl('path', { class: 'steps-line', d }));
    for (const point of points) parts.push(svgEl('circle', { class: 'steps-dot', cx: x(point.ms), cy: y(point.step), r: 2.5 }));
    if (etaMs && level < steps) {
      parts.push(svgEl('line', { class: 'eta-line', x1: x(lastMs), y1: y(level), x2: x(etaMs), y2: y(steps) }));
    }
  }
  svg.replaceChildren(...parts);
}

/**
 * A sparkline of fractions 0..1 (oldest first), e.g. a silo's CPU use per 5 seconds over the last minute.
 * Fixed 0..1 scale, so two silos' lines compare at a glance.
 */
export function sparkline(values) {
  const width = 60, height = 18;
  const svg = svgEl('svg', { class: 'sparkline', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img' });
  const clean = values.map(v => (typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0));
  svg.setAttribute('aria-label', `CPU use over the last minute: ${clean.map(v => `${Math.round(v * 100)}%`).join(', ')}`);
  if (clean.length === 0) return svg;
  // One value is drawn as a flat line across the box rather than a dot.
  const series = clean.length === 1 ? [clean[0], clean[0]] : clean;
  const step = width / (series.length - 1);
  const coords = series.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - v * (height - 2)).toFixed(1)}`);
  svg.append(
    svgEl('polygon', { class: 'spark-area', points: `0,${height} ${coords.join(' ')} ${width},${height}` }),
    svgEl('polyline', { class: 'spark-line', points: coords.join(' ') }),
  );
  return svg;
}
