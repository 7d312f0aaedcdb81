// One story (#/stories/ID): its state, a cell per segment that follows the render live (step, layer, phase, silo),
// the TTT scan's direction, steps against time, the ETA, previews of the latents and, once done, the contact sheet.
// It reads the story once, then follows its events stream (the state and every segment's progress) until the end.
import { ApiError, call, downloadFile, followEvents, getJson, messageOf } from './api.js';
import { NONE, el, formatDuration, formatTime, setText } from './dom.js';
import { renderLegend, siloColour } from './colours.js';
import { drawStepChart } from './charts.js';
import { CANCELLABLE } from './stories.js';

const FINAL = new Set(['done', 'failed', 'cancelled']);
const SCAN_DIRECTIONS = { 'forward scan': 'forward →', 'reverse scan': 'reverse ←' };

// Decoding the latents and encoding the video after the last step is not in the story's times, so the ETA estimates it:
// ffmpeg's start, then a share per 3-second segment (measured with the Tiny model on a 2-core farm: 4 segments ~2.5 s,
// 8 ~3.2 s, 32 ~10-17 s).
const ENCODE_FIXED_SECONDS = 1, ENCODE_SECONDS_PER_SEGMENT = 0.35;

export function mount(container, id) {
  document.title = `${id} · TttCluster`;
  const path = `/v1/stories/${encodeURIComponent(id)}`;
  let alive = true;
  let story = null;            // the latest StoryView
  let openedAtStep = 0;        // steps done when the page opened: "step done" events up to it are replays, not news
  const liveStepTimes = new Map();   // step (1-based) -> when its "step done" arrived, for a farm without stepTimes
  let cells = [];
  let scanningCell = null;
  let legendKey = '';
  let stopEvents = null;
  const objectUrls = [];

  // The page's parts; filled in by the functions below as the story and its events arrive.
  const stateWord = el('span', { className: 'pill', attrs: { id: 'story-state' } });
  const stepsText = el('span', { attrs: { id: 'story-steps' } });
  const stepsBar = el('progress', { attrs: { 'aria-labelledby': 'story-steps' } });
  const eta = el('span', { text: NONE, attrs: { id: 'eta' } });
  const connection = el('span', { className: 'connection muted small' });
  const facts = { priority: el('dd'), submitted: el('dd'), started: el('dd'), finished: el('dd'), segments: el('dd') };
  const errorText = el('p', { className: 'form-error', attrs: { id: 'story-error' } });
  const actionMessage = el('p', { className: 'form-error', attrs: { role: 'status' } });
  const cancelButton = button('cancel-story', 'Cancel', 'button-danger', async () => {
    previews.stopped = true;
    applyState(await (await call(`${path}/cancel`, { method: 'POST' })).json());
  });
  const videoButton = button('download-video', 'Download video', '', () => downloadFile(`${path}/video`, `${id}.mp4`));
  const sheetButton = button('download-contact-sheet', 'Download contact sheet', '', () => downloadFile(`${path}/contact-sheet`, `${id}.png`));
  const scanDirection = el('span', { className: 'scan-direction', text: NONE, attrs: { id: 'scan-direction' } });
  const previewsBox = el('input', { attrs: { id: 'previews', type: 'checkbox', disabled: true } });
  const previewsNote = el('span', { className: 'muted small', text: '(asking the farm…)' });
  const grid = el('div', { className: 'segment-grid', attrs: { id: 'segments' } });
  const legend = el('div', { className: 'legend', attrs: { id: 'silo-legend', 'aria-label': 'Silos' } });
  const chart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  chart.id = 'steps-chart';
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', 'Steps done against time');
  const log = el('ul', { className: 'log', attrs: { id: 'story-log' } });
  const logEmpty = el('p', { className: 'muted small', text: 'No messages: no silo has failed and nothing was resumed.' });
  const sheetCard = el('section', { className: 'card', attrs: { hidden: true } }, el('h2', { text: 'Contact sheet' }));

  const root = el('section', { attrs: { id: 'story', 'data-story-id': id, 'data-state': '' } },
    el('p', { className: 'crumbs' }, el('a', { text: '← Stories', attrs: { href: '#/stories' } })),
    el('section', { className: 'card story-head' },
      el('div', { className: 'story-title' }, el('h1', {}, 'Story ', el('span', { className: 'mono', text: id })), stateWord, connection),
      el('div', { className: 'story-progress' }, stepsBar, el('span', {}, 'Steps ', stepsText), el('span', { className: 'eta' }, eta)),
      el('dl', { className: 'facts' }, ...Object.entries(facts).map(([name, dd]) => el('div', { className: 'fact' }, el('dt', { text: name }), dd))),
      errorText,
      el('div', { className: 'story-actions' }, cancelButton, videoButton, sheetButton),
      actionMessage),
    el('section', { className: 'card' },
      el('div', { className: 'card-head' }, el('h2', { text: 'Segments' }),
        el('span', { className: 'scan' }, 'Scan ', scanDirection),
        el('label', { className: 'check' }, previewsBox, ' Previews ', previewsNote)),
      grid, legend),
    el('div', { className: 'two-columns' },
      el('section', { className: 'card' }, el('h2', { text: 'Steps' }), chart),
      el('section', { className: 'card' }, el('h2', { text: 'Log' }), log, logEmpty)),
    sheetCard);
  container.append(root);

  function button(buttonId, text, className, action) {
    const node = el('button', { className, text, attrs: { id: buttonId, type: 'button', disabled: true } });
    node.addEventListener('click', async () => {
      node.disabled = true;
      setText(actionMessage, '');
      try {
        await action();
      } catch (error) {
        if (alive) setText(actionMessage, messageOf(error));
      }
      if (alive) updateButtons();
    });
    return node;
  }

  function updateButtons() {
    cancelButton.disabled = !CANCELLABLE.has(story?.state);
    videoButton.disabled = sheetButton.disabled = story?.state !== 'done';
  }

  /** A StoryView (from GET, a "state" event or a cancel): everything but the segments' own progress. */
  function applyState(view) {
    // Steps done only ever grow; a state event can trail the coordinator's "step done" for the next step.
    story = { ...view, stepsDone: Math.max(view.stepsDone, story?.stepsDone ?? 0) };
    root.dataset.state = view.state;
    setText(stateWord, view.state);
    stateWord.className = `pill state-${view.state}`;
    setText(facts.priority, view.priority);
    setText(facts.submitted, formatTime(view.submittedAt));
    setText(facts.started, formatTime(view.startedAt));
    setText(facts.finished, formatTime(view.finishedAt));
    setText(facts.segments, view.segments);
    setText(errorText, view.error ? `Failed: ${view.error}` : '');
    if (cells.length !== view.segments) buildCells(view.segments);
    for (const progress of view.segmentProgress ?? []) applySegment(progress);
    root.classList.toggle('ended', FINAL.has(view.state));
    if (view.state === 'done') {
      // Opened after the story ended, no segment has a record left: its cells show it finished. Cells that followed
      // the events keep what the events said (the events, not the end, are what the cells show).
      for (const cell of cells) if (cell.dataset.step === '0') showCell(cell, { step: view.steps, phase: 'step done' });
      showContactSheet();
    }
    updateSteps();
    updateButtons();
  }

  function updateSteps() {
    stepsBar.max = Math.max(1, story.steps);
    stepsBar.value = story.stepsDone;
    setText(stepsText, `${story.stepsDone} / ${story.steps}`);
    updateEta();
  }

  function buildCells(count) {
    cells = Array.from({ length: count }, (_, k) => el('div', { className: 'segment', attrs: { 'data-segment': k } },
      el('span', { className: 'seg-index', text: k }), el('span', { className: 'seg-step' }),
      el('span', { className: 'seg-layer' }), el('span', { className: 'seg-phase' }), el('span', { className: 'seg-silo' })));
    for (const cell of cells) showCell(cell, { step: 0, layer: '', phase: '', silo: '' });
    grid.replaceChildren(...cells);
    scanningCell = null;
  }

  /** Shows what the cell's attributes say after merging in `change` (data-step is 1-based; 0: no event yet). */
  function showCell(cell, change) {
    for (const [name, value] of Object.entries(change)) cell.dataset[name] = value;
    const { step, layer, phase, silo } = cell.dataset;
    setText(cell.querySelector('.seg-step'), `${step}/${story.steps}`);
    setText(cell.querySelector('.seg-layer'), layer === '' ? NONE : `layer ${layer}`);
    setText(cell.querySelector('.seg-phase'), phase || 'not started');
    // A story opened after it ended has no segment records left: its cells say where nothing is known.
    setText(cell.querySelector('.seg-silo'), silo || (Number(step) > 0 ? NONE : 'no silo yet'));
    const colour = siloColour(silo);
    cell.style.backgroundColor = colour.fill;
    cell.style.borderColor = colour.edge;
    cell.title = `segment ${cell.dataset.segment}: step ${step} of ${story.steps}, ${phase || 'not started'}${silo ? ` on ${silo}` : ''}`;
  }

  /** A segment's progress ({segment, step, layer, phase, silo}, step 0-based) into its cell. */
  function applySegment(progress) {
    const cell = cells[progress.segment];
    if (!cell) return;
    const siloChanged = cell.dataset.silo !== (progress.silo ?? '');
    showCell(cell, { step: progress.step + 1, layer: progress.layer, phase: progress.phase, silo: progress.silo ?? '' });
    if (SCAN_DIRECTIONS[progress.phase]) {
      scanningCell?.classList.remove('scanning');
      cell.classList.add('scanning');
      scanningCell = cell;
      setText(scanDirection, SCAN_DIRECTIONS[progress.phase]);
    }
    if (siloChanged) updateLegend();
  }

  function updateLegend() {
    const names = [...new Set(cells.map(cell => cell.dataset.silo).filter(Boolean))].sort();
    if (names.join('\n') === legendKey) return;
    legendKey = names.join('\n');
    renderLegend(legend, names);
  }

  /** A progress event: a segment's phase, or (segment -1) the coordinator's word on the whole story. */
  function applyProgress(progress) {
    if (progress.segment >= 0) return applySegment(progress);
    if (progress.phase !== 'step done') return addLog(progress.step, progress.phase);
    const done = progress.step + 1;
    if (done > openedAtStep && !liveStepTimes.has(done)) liveStepTimes.set(done, Date.now());
    if (story && done > story.stepsDone) {
      story = { ...story, stepsDone: done };
      updateSteps();
    }
    previews.refresh();
  }

  /** A story-level message, labelled with its step: the stream replays earlier events on opening, so no clock time. */
  function addLog(step, message) {
    log.append(el('li', {}, el('span', { className: 'log-step muted', text: `step ${step + 1}` }), message));
    logEmpty.hidden = true;
  }

  /** When each step finished: the farm's stepTimes, then the "step done" events it has no time for yet. */
  function stepPoints() {
    const points = (story?.stepTimes ?? []).map((time, i) => ({ ms: Date.parse(time), step: i + 1 })).filter(p => !Number.isNaN(p.ms));
    const known = new Set(points.map(p => p.step));
    for (const [step, ms] of liveStepTimes) if (!known.has(step)) points.push({ ms, step });
    return points.sort((a, b) => a.step - b.step);
  }

  /** When the story should be done: the average step so far times the steps left, plus the encoding. Null: no basis. */
  function finishEstimate(points) {
    if (!story || (story.state !== 'rendering' && story.state !== 'encoding')) return null;
    const encodeMs = (ENCODE_FIXED_SECONDS + ENCODE_SECONDS_PER_SEGMENT * story.segments) * 1000;
    if (points.length === 0) return null;
    const lastMs = points[points.length - 1].ms;
    if (story.state === 'encoding') return lastMs + encodeMs;
    // The average step: the time from the start to the last finished step over the steps in between (the sum of the
    // step durations telescopes to that), which also holds when the farm stamped several steps with one time.
    const startMs = Date.parse(story.startedAt);
    const [fromMs, steps] = !Number.isNaN(startMs) && startMs <= points[0].ms ? [startMs, points.length] : [points[0].ms, points.length - 1];
    if (steps <= 0 || lastMs <= fromMs) return null;
    const average = (lastMs - fromMs) / steps;
    return lastMs + average * Math.max(0, story.steps - story.stepsDone) + encodeMs;
  }

  function updateEta() {
    if (!story) return;
    const points = stepPoints();
    const finishMs = finishEstimate(points);
    const now = Date.now();
    setText(eta, finishMs === null ? NONE : `ETA ${formatDuration(Math.max(1, (finishMs - now) / 1000))}`);
    const startMs = Date.parse(story.startedAt);
    drawStepChart(chart, {
      steps: story.steps,
      startMs: Number.isNaN(startMs) ? (points[0]?.ms ?? now) : startMs,
      points,
      nowMs: FINAL.has(story.state) ? null : now,
      etaMs: finishMs,
    });
  }

  async function showContactSheet() {
    if (sheetCard.dataset.loading) return;
    sheetCard.dataset.loading = 'yes';
    try {
      const blob = await (await call(`${path}/contact-sheet`)).blob();
      if (!alive) return;
      const url = URL.createObjectURL(blob);
      objectUrls.push(url);
      sheetCard.append(el('img', { attrs: { id: 'contact-sheet', src: url, alt: `Contact sheet of ${id}: one frame per scene` } }));
      sheetCard.hidden = false;
    } catch (error) {
      if (alive) sheetCard.append(el('p', { className: 'form-error', text: `Could not load the contact sheet: ${messageOf(error)}` }));
      sheetCard.hidden = false;
    }
  }

  // The latents as pictures after each step, when the farm makes them: one image, tile k for segment k.
  const previews = {
    available: false,
    stopped: false,   // the reader cancelled the story: its latents are about to go
    busy: false,
    pending: false,
    async refresh() {
      // Asked only while a finished step's latents exist: the farm answers 409 otherwise, which the browser logs as an error.
      if (!this.available || !previewsBox.checked || this.stopped || story?.state !== 'rendering') return;
      // After the last step the latents go straight to the video (its contact sheet is the better picture then).
      if (story.stepsDone < 1 || story.stepsDone >= story.steps) return;
      if (this.busy) {
        this.pending = true;   // one fetch at a time; the newest step is fetched once the current one is in
        return;
      }
      this.busy = true;
      try {
        const response = await call(`${path}/preview`);
        const tileHeader = Number(response.headers.get('X-Preview-Tile-Width'));
        const shownStep = response.headers.get('X-Preview-Step');
        const image = await createImageBitmap(await response.blob());
        if (!alive) return image.close();
        const tileWidth = tileHeader > 0 ? tileHeader : Math.floor(image.width / Math.max(1, cells.length));
        cells.forEach((cell, k) => drawTile(cell, image, k, tileWidth));
        image.close();
        setText(previewsNote, shownStep ? `(after step ${shownStep})` : '');
      } catch (error) {
        // 409: the story stopped rendering in between (nothing to show); 404: this farm makes no previews after all.
        if (error instanceof ApiError && error.status === 404) this.turnOff('(off on this farm)');
      } finally {
        this.busy = false;
        if (this.pending && alive) {
          this.pending = false;
          this.refresh();
        }
      }
    },
    turnOff(note) {
      this.available = false;
      previewsBox.checked = false;
      previewsBox.disabled = true;
      grid.classList.remove('show-previews');
      setText(previewsNote, note);
    },
  };

  function drawTile(cell, image, k, tileWidth) {
    let canvas = cell.querySelector('canvas.preview');
    if (!canvas) cell.append(canvas = el('canvas', { className: 'preview', attrs: { 'aria-hidden': 'true' } }));
    canvas.width = tileWidth;
    canvas.height = image.height;
    canvas.getContext('2d').drawImage(image, k * tileWidth, 0, tileWidth, image.height, 0, 0, tileWidth, image.height);
  }

  previewsBox.addEventListener('change', () => {
    grid.classList.toggle('show-previews', previewsBox.checked);
    if (previewsBox.checked) previews.refresh();
  });

  function setConnection(text, kind = '') {
    setText(connection, text);
    connection.className = `connection muted small ${kind}`;
  }

  function follow() {
    setConnection('connecting…');
    stopEvents = followEvents(`${path}/events`, {
      onEvent({ type, data }) {
        if (!alive || (type !== 'state' && type !== 'progress')) return;
        let payload;
        try {
          payload = JSON.parse(data);
        } catch {
          return;   // a malformed event is skipped; the next state event brings the page up to date
        }
        if (type === 'state') applyState(payload);
        else applyProgress(payload);
      },
      onConnection: live => (live ? setConnection('● live', 'live') : setConnection('connection lost: reconnecting…', 'lost')),
      onEnd: () => setConnection(''),
      onError: error => setConnection(`stopped following: ${messageOf(error)}`, 'lost'),
    });
  }

  async function open() {
    setConnection('loading…');
    try {
      const view = await getJson(path);
      if (!alive) return;
      openedAtStep = view.stepsDone;
      applyState(view);
      follow();
    } catch (error) {
      if (!alive) return;
      const gone = error instanceof ApiError && error.status === 404;
      // No story here: the page is no longer a story's (section#story is for a story the key can see).
      root.id = 'story-missing';
      delete root.dataset.storyId;
      root.replaceChildren(el('section', { className: 'card narrow' },
        el('h1', { text: gone ? 'No such story' : 'Could not open the story' }),
        el('p', { text: messageOf(error), attrs: { id: 'story-error' } }),
        el('p', {}, el('a', { text: '← Back to the stories', attrs: { href: '#/stories' } }))));
    }
  }

  // Whether this farm makes previews; a farm without /v1/farm (404) or that says no shows the box off.
  getJson('/v1/farm').then(farm => {
    if (!alive) return;
    if (farm?.previews !== true) return previews.turnOff('(off on this farm)');
    previews.available = true;
    previewsBox.disabled = false;
    previewsBox.checked = true;
    grid.classList.add('show-previews');
    setText(previewsNote, '');
    previews.refresh();
  }, () => alive && previews.turnOff('(not available)'));

  // The ETA counts down, and the chart's last level runs on to now, between events.
  const ticker = setInterval(() => {
    if (story && !FINAL.has(story.state)) updateEta();
  }, 1000);

  open();
  return () => {
    alive = false;
    stopEvents?.();
    clearInterval(ticker);
    for (const url of objectUrls) URL.revokeObjectURL(url);
  };
}
