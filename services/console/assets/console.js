// The console's pages: one script, no framework, no request to anywhere but ledgerd. Every
// figure comes from the Connect calls (POST /sixhearts.ledger.v1.<Service>/<Method>) or a
// collected stream (POST /console/stream/...), with the cut of the page's controls.
'use strict';
(() => {
  const PACKAGE = 'sixhearts.ledger.v1.';
  const TOKEN_KEY = 'sixhearts-ledger-token';
  // The checkpoint verifier key the user pasted on the Audit page (kept in this browser).
  const VERIFIER_KEY = 'sixhearts-ledger-verifier-key';
  // Read by the browser test: each page's data load time, and the state of the last load.
  const consoleState = { timings: [] };
  window.__console = consoleState;

  class CallError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function call(procedure, body, stream = false) {
    const headers = { 'Content-Type': 'application/json' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    const path = (stream ? '/console/stream/' : '/') + PACKAGE + procedure;
    const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body || {}) });
    const text = await response.text();
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new CallError(response.status, 'unknown', text);
    }
    if (!response.ok) throw new CallError(response.status, data.code, data.message);
    return stream ? data.messages : data;
  }

  // ---- DOM and formatting -------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children.flat()) {
      if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const isoDate = (d) => (d && d.year ? `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}` : '');
  const isoTime = (t) => (t ? t.replace(/\.\d+Z$/, 'Z') : '');
  const todayUtc = () => new Date().toISOString().slice(0, 10);
  function addDays(iso, days) {
    const t = new Date(iso + 'T00:00:00Z');
    t.setUTCDate(t.getUTCDate() + days);
    return t.toISOString().slice(0, 10);
  }
  // Minor-unit exponents that are not 2 (ISO 4217).
  const EXPONENT = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3, IQD: 3, LYD: 3 };
  function major(minor, currency) {
    let v = BigInt(minor || 0);
    const e = EXPONENT[currency] ?? 2;
    const negative = v < 0n;
    if (negative) v = -v;
    const digits = v.toString().padStart(e + 1, '0');
    const whole = digits.slice(0, digits.length - e).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (negative ? '-' : '') + whole + (e ? '.' + digits.slice(digits.length - e) : '');
  }
  const money = (minor, currency) => `${major(minor, currency)} ${currency}`;
  const majorNumber = (minor, currency) => Number(minor || 0) / 10 ** (EXPONENT[currency] ?? 2);
  const fixed = (x, digits = 1) => (x === undefined || x === null ? 'n/a' : Number(x).toFixed(digits));
  const percent = (x) => (x === undefined || x === null ? 'n/a' : (100 * x).toFixed(0) + '%');
  const heartName = (h) => (h || '').replace('HEART_', '').toLowerCase();
  const enumName = (v, prefix) => (v || '').replace(prefix, '').toLowerCase().replace(/_/g, ' ');
  function hex(base64) {
    if (!base64) return '';
    const bytes = atob(base64);
    let out = '';
    for (let i = 0; i < bytes.length; i++) out += bytes.charCodeAt(i).toString(16).padStart(2, '0');
    return out;
  }
  const num = (text) => el('td', { class: 'num' }, text);
  function table(headers, rows, caption) {
    return el('div', { class: 'scroll' },
      el('table', {},
        caption ? el('caption', { class: 'cut' }, caption) : null,
        el('thead', {}, el('tr', {}, headers.map((h) =>
          el('th', { scope: 'col', class: h.endsWith(' ') ? 'num' : null }, h.trim())))),
        el('tbody', {}, rows)));
  }

  // ---- the cut and the controls --------------------------------------------------------
  const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  function toDate(text) {
    const [year, month, day] = text.split('-').map(Number);
    return { year, month, day };
  }
  // A bare date means the end of that day (UTC), as in ledgerctl.
  function toTimestamp(text) {
    if (DATE_RE.test(text)) return text + 'T23:59:59.999999999Z';
    return text;
  }
  function cutBody(params) {
    const body = {};
    if (params.as_of) body.asOf = toDate(params.as_of);
    if (params.known_at) body.knownAt = toTimestamp(params.known_at);
    return body;
  }
  // Field names in server messages ("as_of: not a valid date ...") and the control at fault.
  const FIELD_CONTROLS = {
    as_of: 'as_of', asOf: 'as_of', known_at: 'known_at', knownAt: 'known_at', client_id: 'client',
    clientId: 'client', client_ids: 'client', from: 'dso_from', to: 'as_of', period_from: 'period_from',
    periodFrom: 'period_from', year: 'year', from_position: 'from', fromPosition: 'from',
  };
  function controlOf(message) {
    let best = null;
    for (const [field, control] of Object.entries(FIELD_CONTROLS)) {
      const at = message.search(new RegExp('(^|[\\s.(])' + field + '(\\[\\d+\\])?:'));
      if (at >= 0 && (best === null || at < best.at)) best = { at, control };
    }
    return best ? best.control : null;
  }

  function field(name, label, value, attrs = {}) {
    const id = 'f-' + name;
    const input = attrs.options
      ? el('select', { id, name }, attrs.options.map(([v, text]) =>
        el('option', { value: v, selected: v === value ? true : null }, text)))
      : el('input', { id, name, value: value || '', placeholder: attrs.placeholder || '', inputmode: attrs.inputmode,
        autocomplete: 'off', list: attrs.list, 'aria-describedby': id + '-error', size: attrs.size || 14 });
    return el('div', { class: 'field' }, el('label', { for: id }, label), input,
      el('span', { class: 'error', id: id + '-error', role: 'alert' }));
  }

  // The controls of every page: business day and known-at first, then the page's own.
  function controls(page, params, extra = []) {
    const form = el('form', { class: 'controls', 'aria-label': 'Cut and filters' },
      field('as_of', 'Business day (YYYY-MM-DD)', params.as_of, { placeholder: 'today (UTC)' }),
      field('known_at', 'Known at (date or RFC 3339 time)', params.known_at, { placeholder: 'now', size: 22 }),
      extra, el('button', { type: 'submit' }, 'Show'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const next = {};
      let bad = false;
      for (const input of form.querySelectorAll('input, select')) {
        setFieldError(form, input.name, '');
        const value = input.value.trim();
        if (value) next[input.name] = value;
        if (value && input.name === 'as_of' && !DATE_RE.test(value)) {
          setFieldError(form, 'as_of', `as_of: "${value}" is not YYYY-MM-DD`);
          bad = true;
        }
      }
      if (!bad) navigate(page, next);
    });
    return form;
  }
  function setFieldError(form, name, message) {
    const input = form.querySelector(`[name="${name}"]`);
    const slot = form.querySelector(`#f-${name}-error`);
    if (!input || !slot) return false;
    slot.textContent = message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    return true;
  }

  // The cut a page read: business day, known-at, log position, and the signed checkpoint
  // of the log's Merkle tree at that position (`note`, or asked for after the data came,
  // so it does not hold the page up).
  function cutLine(response, loadMs, extra = '', note = undefined) {
    const knownAt = response.knownAt ? isoTime(response.knownAt) : 'now (everything recorded)';
    const position = String(response.position ?? '0');
    const slot = el('div', { class: 'checkpoint', id: 'checkpoint-slot' }, 'checkpoint: asking the server');
    // Once the line is in the page (the caller appends it right away).
    queueMicrotask(() => fillCheckpoint(slot, position, note));
    return el('div', { class: 'cut', id: 'cut' }, el('p', {},
      `Business day ${isoDate(response.asOf) || isoDate(response.to) || '—'} · known at ${knownAt} · log position `,
      el('strong', { id: 'position' }, position),
      extra, ` · data in ${Math.round(loadMs)} ms`), slot);
  }

  // The checkpoint of tree size `position` (GetConsistencyProof of that size with
  // itself), in short form with the whole note under it; its size is checked against the
  // position, and its signature with the verifier key the user kept on the Audit page.
  async function fillCheckpoint(slot, position, note) {
    document.body.dataset.checkpoint = 'loading';
    const done = (state) => {
      if (slot.isConnected) document.body.dataset.checkpoint = state;
    };
    try {
      if (note === undefined) {
        const proof = await call('EventStore/GetConsistencyProof', position === '0' ? { first: '0' } : { first: position, second: position });
        note = proof.firstCheckpoint;
      }
      if (!note) {
        slot.replaceChildren('checkpoint: none (the server signs no checkpoints)');
        done('none');
        return;
      }
      const audit = window.SixheartsAudit;
      const checkpoint = audit.parseCheckpoint(note, 'the checkpoint');
      const root = audit.toHex(checkpoint.root);
      const sizeOk = String(checkpoint.size) === position;
      let signature = el('span', {}, 'signature not checked here (keep your verifier key on the Audit page to check it on every page)');
      const kept = localStorage.getItem(VERIFIER_KEY);
      if (kept) {
        try {
          const key = await audit.parseVerifierKey(kept);
          await audit.openCheckpoint(note, key, 'the checkpoint');
          signature = el('span', { class: 'ok', id: 'checkpoint-signature' }, `signature checked with your key ${key.name}`);
        } catch (error) {
          signature = el('span', { class: 'bad', id: 'checkpoint-signature' }, `signature: ${error.message}`);
        }
      }
      slot.replaceChildren(el('details', { id: 'checkpoint' },
        el('summary', {}, 'Signed checkpoint ', el('span', { class: 'mono', id: 'checkpoint-short' },
          `${checkpoint.origin} · tree size ${checkpoint.size} · root ${root.slice(0, 16)}…`),
        sizeOk ? null : el('span', { class: 'bad' }, ` (tree size is not the log position ${position})`)),
        el('pre', { id: 'checkpoint-note' }, checkpoint.note),
        el('p', {}, `root ${root} · `, signature)));
      done(sizeOk ? 'ready' : 'mismatch');
    } catch (error) {
      slot.replaceChildren(el('span', { class: 'bad' }, `checkpoint: ${error.message}`));
      done('error');
    }
  }

  // ---- routing, sign-in, errors --------------------------------------------------------
  const PAGES = {};
  function parseRoute() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [page, query] = hash.split('?');
    const params = Object.fromEntries(new URLSearchParams(query || ''));
    return { page: PAGES[page] ? page : 'portfolio', params };
  }
  function navigate(page, params) {
    const query = new URLSearchParams(params).toString();
    const hash = '#/' + page + (query ? '?' + query : '');
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  function renderSession() {
    const slot = document.getElementById('session');
    slot.replaceChildren();
    if (sessionStorage.getItem(TOKEN_KEY)) {
      slot.append('Signed in with a token ', el('button', { class: 'secondary', type: 'button', onclick: () => {
        sessionStorage.removeItem(TOKEN_KEY);
        render();
      } }, 'Sign out'));
    } else {
      slot.append(el('a', { href: '#/signin' }, 'Sign in'));
    }
  }

  function signInForm(reason) {
    const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', size: 44 });
    const form = el('form', { class: 'controls', id: 'signin', 'aria-label': 'Sign in' },
      el('div', { class: 'field' }, el('label', { for: 'token' }, 'Bearer token (ledgerctl token-hash --new)'), input),
      el('button', { type: 'submit' }, 'Sign in'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      if (parseRoute().page === 'signin' || location.hash.startsWith('#/signin')) navigate('portfolio', {});
      else render();
    });
    setTimeout(() => input.focus(), 0);
    return [el('h2', {}, 'Sign in'), reason ? el('p', { class: 'notice bad', id: 'signin-reason' }, reason) : null, form];
  }
  PAGES.signin = async (main) => {
    main.append(...signInForm(''));
    document.body.dataset.state = 'signin';
  };

  // Shows an error where it belongs: a sign-in form for a missing or refused token, a
  // refusal for a role that may not see the page, else next to the control at fault.
  function showError(main, form, error) {
    if (error instanceof CallError && error.status === 401) {
      main.replaceChildren(...signInForm(error.message));
      document.body.dataset.state = 'signin';
      return;
    }
    if (error instanceof CallError && error.status === 403) {
      main.append(el('div', { class: 'notice bad', id: 'denied', role: 'alert' },
        el('strong', {}, 'Your role may not see this page. '), error.message));
      document.body.dataset.state = 'denied';
      return;
    }
    const control = error instanceof CallError ? controlOf(error.message) : null;
    if (!(form && control && setFieldError(form, control, error.message))) {
      main.append(el('div', { class: 'notice bad', id: 'page-error', role: 'alert' }, error.message));
    }
    document.body.dataset.state = 'error';
  }

  async function render() {
    const { page, params } = parseRoute();
    const main = document.getElementById('main');
    for (const link of document.querySelectorAll('nav a')) {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    renderSession();
    main.replaceChildren();
    document.body.dataset.state = 'loading';
    consoleState.page = page;
    try {
      await PAGES[page](main, params);
    } catch (error) {
      showError(main, main.querySelector('form.controls'), error);
    }
  }

  // Runs the page's calls, timing them; the time is what the browser test reads.
  async function load(page, calls) {
    const started = performance.now();
    // Every call settles first, so the error shown is the first call's, whichever failed
    // first in time.
    const settled = await Promise.allSettled(calls);
    const ms = performance.now() - started;
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map((s) => s.value);
    consoleState.timings.push({ page, ms });
    document.body.dataset.loadMs = String(ms);
    return [results, ms];
  }
  function ready() { document.body.dataset.state = 'ready'; }

  // ---- charts --------------------------------------------------------------------------
  const COLORS = ['#9ec5e8', '#5b9bd5', '#2e75b6', '#f4b183', '#e46c0a', '#c00000', '#7b1e1e', '#6f6f6f'];
  // Bars of one currency's outstanding by bucket.
  function bucketChart(buckets, total) {
    const values = total.outstandingByBucketMinor.map((v) => majorNumber(v, total.currency));
    const max = Math.max(1, ...values);
    const width = 420, height = 220, left = 6, bottom = 36, barGap = 6;
    const barWidth = (width - left * 2) / values.length - barGap;
    const bars = values.map((v, i) => {
      const h = (v / max) * (height - bottom - 24);
      const x = left + i * (barWidth + barGap);
      const y = height - bottom - h;
      return svg('g', {},
        svg('rect', { x, y, width: barWidth, height: Math.max(h, 0.5), fill: COLORS[i % COLORS.length] },
          svg('title', {}, `${buckets[i].label}: ${money(total.outstandingByBucketMinor[i], total.currency)}`)),
        svg('text', { x: x + barWidth / 2, y: y - 4, 'text-anchor': 'middle', 'font-size': 11 },
          major(total.outstandingByBucketMinor[i], total.currency).replace(/\.\d+$/, '')),
        svg('text', { x: x + barWidth / 2, y: height - bottom + 16, 'text-anchor': 'middle', 'font-size': 12 },
          buckets[i].label.replace('not yet due', 'not due')));
    });
    return el('figure', { class: 'chart' },
      svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
        'aria-label': `Outstanding ${total.currency} by age bucket` }, bars),
      el('figcaption', { class: 'cut' }, `${total.currency}: outstanding by days past due`));
  }
  // Lines over months, each series 0..100.
  function lineChart(labels, series, caption) {
    const width = 560, height = 220, left = 34, right = 10, top = 10, bottom = 30;
    const step = labels.length > 1 ? (width - left - right) / (labels.length - 1) : 0;
    const y = (v) => top + (1 - v / 100) * (height - top - bottom);
    const grid = [0, 50, 100].map((v) => svg('g', {},
      svg('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: '#d5dbe0' }),
      svg('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, v)));
    const xLabels = labels.map((label, i) => (i % Math.ceil(labels.length / 8) === 0
      ? svg('text', { x: left + i * step, y: height - 8, 'text-anchor': 'middle', 'font-size': 11 }, label) : null));
    const lines = series.map((s) => {
      const points = s.values.map((v, i) => (v === null ? null : `${left + i * step},${y(v)}`)).filter(Boolean);
      return svg('polyline', { points: points.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2 });
    });
    return el('figure', { class: 'chart line' },
      svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption }, grid, xLabels, lines),
      el('figcaption', { class: 'legend' }, series.map((s) => el('span', { style: `--swatch:${s.color}` }, s.name))));
  }

  // ---- Portfolio -----------------------------------------------------------------------
  const GROUPS = [['AGING_GROUP_BY_CLIENT', 'client'], ['AGING_GROUP_BY_ACCOUNT_OWNER', 'account owner'],
    ['AGING_GROUP_BY_JURISDICTION', 'jurisdiction'], ['AGING_GROUP_BY_CLIENT_KIND', 'client kind'],
    ['AGING_GROUP_BY_CURRENCY', 'currency']];
  PAGES.portfolio = async (main, params) => {
    const groupBy = params.group_by || 'AGING_GROUP_BY_CLIENT';
    const to = params.as_of || todayUtc();
    const dsoFrom = params.dso_from || addDays(to, -89);
    const form = controls('portfolio', params, [
      field('group_by', 'Group by', groupBy, { options: GROUPS }),
      field('dso_from', 'DSO period from', params.dso_from, { placeholder: dsoFrom })]);
    main.append(el('h2', {}, 'Portfolio: receivables aging'), form);
    if (params.dso_from && !DATE_RE.test(params.dso_from)) {
      setFieldError(form, 'dso_from', `from: "${params.dso_from}" is not YYYY-MM-DD`);
      document.body.dataset.state = 'error';
      return;
    }
    const cut = cutBody(params);
    const [[aging, dso], ms] = await load('portfolio', [
      call('Receivables/Aging', { ...cut, groupBy, includeInvoices: true }),
      call('Receivables/Dso', { from: toDate(dsoFrom), to: toDate(to), knownAt: cut.knownAt })]);
    main.append(cutLine(aging, ms));
    const buckets = aging.buckets;
    main.append(el('h3', {}, 'Aging by currency'),
      el('div', { class: 'charts' }, aging.totals.map((t) => bucketChart(buckets, t))));
    const bucketHeads = buckets.map((b) => b.label + ' ');
    main.append(table(['Currency', ...bucketHeads, 'Outstanding ', 'Disputed ', 'Unapplied cash ', 'Net '],
      aging.totals.map((t) => el('tr', { class: 'total', 'data-currency': t.currency }, el('td', {}, t.currency),
        t.outstandingByBucketMinor.map((v) => num(major(v, t.currency))),
        num(major(t.outstandingMinor, t.currency)), num(major(t.disputedMinor, t.currency)),
        num(major(t.unappliedCashMinor, t.currency)), el('td', { class: 'num', 'data-net': t.currency }, major(t.netMinor, t.currency)))),
    'Totals per currency, in major units'));
    main.append(el('h3', {}, 'DSO ' + `${dsoFrom} to ${to}`),
      el('div', { class: 'cards', id: 'dso' }, dso.currencies.map((c) => el('div', { class: 'card' },
        el('div', {}, el('strong', {}, c.currency)),
        el('div', { class: 'figure' }, `DSO ${fixed(c.dsoDays)} days`),
        el('div', {}, `best possible DSO ${fixed(c.bestPossibleDsoDays)} days`),
        el('div', {}, `ADD ${fixed(c.averageDaysDelinquent)} days · CEI ${fixed(c.ceiPercent)}%`),
        el('div', {}, `credit sales ${money(c.creditSalesMinor, c.currency)}`),
        el('div', {}, `ending AR ${money(c.endingArMinor, c.currency)}`)))));
    const groupLabel = GROUPS.find(([v]) => v === groupBy)[1];
    main.append(el('h3', {}, `By ${groupLabel} (open a row for its invoices)`),
      table([groupLabel, 'Currency', ...bucketHeads, 'Net '], aging.rows.map((row) => el('tr', {},
        el('td', {}, groupBy === 'AGING_GROUP_BY_CLIENT'
          ? [el('a', { href: '#/client?client=' + encodeURIComponent(row.group) }, row.group), invoiceDetails(row)]
          : [row.group || '(none)', invoiceDetails(row)]),
        el('td', {}, row.currency),
        row.outstandingByBucketMinor.map((v) => num(major(v, row.currency))),
        num(major(row.netMinor, row.currency))))));
    ready();
  };
  function invoiceDetails(row) {
    if (!row.invoices || row.invoices.length === 0) return null;
    return el('details', {}, el('summary', {}, `${row.invoices.length} invoice${row.invoices.length === 1 ? '' : 's'}`),
      el('table', {}, el('tr', {}, ['Invoice', 'Client', 'Due', 'Days', 'Outstanding'].map((h) => el('th', {}, h))),
        row.invoices.map((line) => el('tr', {}, el('td', {}, line.invoiceId), el('td', {}, line.clientId),
          el('td', {}, isoDate(line.dueDate)), num(line.ageDays), num(money(line.outstandingMinor, line.currency))))));
  }

  // ---- Client --------------------------------------------------------------------------
  PAGES.client = async (main, params) => {
    const form = controls('client', params, [field('client', 'Client id', params.client, { list: 'clients', size: 18 })]);
    main.append(el('h2', {}, params.client ? 'Client ' + params.client : 'Clients'), form);
    const cut = cutBody(params);
    if (!params.client) {
      const [[cards], ms] = await load('client', [call('Relationships/Scorecard', cut)]);
      main.append(cutLine(cards, ms), el('datalist', { id: 'clients' }, cards.clients.map((c) => el('option', { value: c.clientId }, c.name))));
      main.append(table(['Client', 'Name', 'Account owner', 'Health index ', 'Alerts '],
        cards.clients.map((c) => el('tr', {},
          el('td', {}, el('a', { href: '#/client?' + new URLSearchParams({ ...params, client: c.clientId }) }, c.clientId)),
          el('td', {}, c.name), el('td', {}, c.accountOwner), num(fixed(c.healthIndex)), num(c.alerts.length)))));
      ready();
      return;
    }
    // Plans, promises and disputes are asked for once the first data came, and shown when
    // they come: on a past cut each call is a replay of the log, and started together
    // they would share the cores with the timeline's (first data 1.7 s at 200 clients
    // on a past business day, 2 cores, instead of about half that).
    const started = performance.now();
    const [[timeline, cards, stream], ms] = await load('client', [
      call('Relationships/Timeline', { ...cut, clientId: params.client }),
      call('Relationships/Scorecard', { ...cut, clientIds: [params.client] }),
      call('EventStore/ReadStream', { stream: 'client-' + params.client }, true)]);
    const events = new Map();
    for (const page of stream) for (const event of page.events) events.set(event.position, event);
    main.querySelector('h2').textContent = `Client ${timeline.name} (${timeline.clientId})`;
    main.append(cutLine(timeline, ms));
    const card = cards.clients[0];
    if (card) {
      main.append(el('h3', {}, `Scorecard: health index ${fixed(card.healthIndex)}`),
        table(['Heart', 'Score ', 'Periods covered ', 'Items on time ', 'Last event'], card.hearts.map((h) => el('tr', {},
          el('td', {}, el('span', { class: 'heart' }, heartName(h.heart))), num(percent(h.score)),
          num(`${h.periodsCovered}/${h.periods}`), num(`${h.itemsOnTime}/${h.itemsDue}`), el('td', {}, isoDate(h.lastEventOn))))),
        card.alerts.length ? el('ul', { id: 'alerts' }, card.alerts.map((a) => el('li', {}, el('span', { class: 'heart' }, heartName(a.heart)), a.message))) : el('p', {}, 'No neglect alerts.'));
    }
    const more = Promise.allSettled([call('Relationships/Plans', { ...cut, clientIds: [params.client] }),
      call('Receivables/Promises', cut), call('Receivables/Disputes', cut)]);
    const later = el('section', { id: 'client-more', 'aria-busy': 'true' }, el('p', { class: 'cut busy' }, 'Loading plans, promises and disputes'));
    main.append(later);
    renderClientMore(later, params, more, started).catch((error) => showError(main, main.querySelector('form.controls'), error));
    const series = timeline.series;
    main.append(el('h3', {}, 'Monthly health index and on-time share'),
      lineChart(series.map((p) => isoDate(p.month).slice(0, 7)), [
        { name: 'health index (0-100)', color: '#c00000', values: series.map((p) => p.healthIndex ?? null) },
        { name: 'on-time share (%)', color: '#2e75b6', values: series.map((p) => (p.onTimeShare === undefined || p.onTimeShare === null ? null : 100 * p.onTimeShare)) }],
      'Monthly health index and on-time share'),
      table(['Month', 'Health index ', 'Overdue ', 'On time ', 'Promises kept/partly/broken '], series.map((p) => el('tr', {},
        el('td', {}, isoDate(p.month).slice(0, 7)), num(fixed(p.healthIndex)),
        num(p.overdue.map((o) => money(o.amountMinor, o.currency)).join(', ') || '0'),
        num(`${p.invoicesPaidOnTime}/${p.invoicesDue}`),
        num(`${p.promisesKept}/${p.promisesPartiallyKept}/${p.promisesBroken}`)))));
    if (timeline.milestones.length) {
      main.append(el('h3', {}, 'Milestones'), el('ul', { id: 'milestones' }, timeline.milestones.map((m) =>
        el('li', {}, `${isoDate(m.day)} ${enumName(m.kind, 'MILESTONE_KIND_')}: ${m.description}`))));
    }
    main.append(el('h3', {}, 'Timeline'), table(['Position ', 'Day', 'Event', 'Hearts', 'Actor', 'Recorded at', 'Hash'],
      timeline.entries.map((e) => {
        const event = events.get(e.position);
        const fullHash = event ? hex(event.hash) : '';
        return el('tr', {}, el('td', { class: 'num' }, el('a', { href: '#/log?event=' + e.position }, e.position)),
          el('td', {}, isoDate(e.day)), el('td', {}, el('strong', {}, e.type), ' ', e.summary),
          el('td', {}, e.hearts.map((h) => el('span', { class: 'heart' }, heartName(h)))),
          el('td', {}, e.actor), el('td', {}, event ? isoTime(event.recordedAt) : ''),
          el('td', { class: 'mono', title: fullHash }, fullHash ? fullHash.slice(0, 16) : e.hashPrefix));
      })));
    ready();
  };

  async function renderClientMore(section, params, more, started) {
    const settled = await more;
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [plans, promises, disputes] = settled.map((r) => r.value);
    consoleState.timings.push({ page: 'client-all', ms: performance.now() - started });
    section.replaceChildren();
    section.append(el('h3', {}, 'Collection plans'), plans.plans.length === 0 ? el('p', {}, 'No collection plan.')
      : plans.plans.map((plan) => table(['Step', 'Action', 'Due', 'Expected ', 'Status', 'Completed', 'Days late '],
        plan.steps.map((step) => el('tr', {}, el('td', {}, step.stepId), el('td', {}, step.action), el('td', {}, isoDate(step.dueDate)),
          num(money(step.expectedMinor, step.currency)), el('td', {}, enumName(step.status, 'PLAN_STEP_STATUS_')),
          el('td', {}, isoDate(step.completedOn)), num(step.daysLate))),
        `Plan ${plan.planId} (owner ${plan.owner}): ` + plan.money.map((m) =>
          `collected ${money(m.collectedMinor, m.currency)} of ${money(m.expectedDueMinor, m.currency)} due`).join('; '))));
    const mine = (lines) => lines.filter((line) => line.clientId === params.client);
    const promiseLines = [...mine(promises.open), ...mine(promises.judged)];
    section.append(el('h3', {}, 'Promises to pay'), promiseLines.length === 0 ? el('p', {}, 'No promise.')
      : table(['Promise', 'Made', 'Promised for', 'Amount ', 'Received ', 'Status'], promiseLines.map((line) => el('tr', {},
        el('td', {}, line.promiseId), el('td', {}, isoDate(line.madeOn)), el('td', {}, isoDate(line.promisedDate)),
        num(money(line.amountMinor, line.currency)), num(money(line.receivedMinor, line.currency)),
        el('td', {}, enumName(line.status, 'PROMISE_STATUS_'))))));
    const disputeLines = [...mine(disputes.open), ...mine(disputes.resolved)];
    section.append(el('h3', {}, 'Disputes'), disputeLines.length === 0 ? el('p', {}, 'No dispute.')
      : table(['Dispute', 'Invoice', 'Opened', 'Amount ', 'Reason', 'Outcome', 'Resolved'], disputeLines.map((line) => el('tr', {},
        el('td', {}, line.disputeId), el('td', {}, line.invoiceId), el('td', {}, isoDate(line.openedOn)),
        num(money(line.amountMinor, line.currency)), el('td', {}, line.reason),
        el('td', {}, line.resolvedOn && line.resolvedOn.year ? enumName(line.outcome, 'DISPUTE_OUTCOME_') : 'open'),
        el('td', {}, isoDate(line.resolvedOn))))));
    section.removeAttribute('aria-busy');
    document.body.dataset.more = 'ready';
  }

  // ---- Worklist ------------------------------------------------------------------------
  PAGES.worklist = async (main, params) => {
    const form = controls('worklist', params, [field('owner', 'Account owner', params.owner, { placeholder: 'everyone' })]);
    main.append(el('h2', {}, "Worklist: who to work on first"), form);
    const body = { ...cutBody(params), maxRows: 25 };
    if (params.owner) body.accountOwners = [params.owner];
    const [[work], ms] = await load('worklist', [call('Relationships/Worklist', body)]);
    main.append(cutLine(work, ms, ` · ${work.clientsConsidered} clients considered`));
    main.append(table(['Rank ', 'Client', 'Owner', 'Score ', 'Health ', 'Why (each component\'s arithmetic)', 'Next actions'],
      work.rows.map((row) => el('tr', {}, num(row.rank),
        el('td', {}, el('a', { href: '#/client?' + new URLSearchParams({ client: row.clientId, ...(params.as_of ? { as_of: params.as_of } : {}) }) }, row.name)),
        el('td', {}, row.accountOwner), el('td', { class: 'num', 'data-score': row.clientId }, fixed(row.score, 2)), num(fixed(row.healthIndex)),
        el('td', {}, el('ul', {}, row.components.map((c) => el('li', {}, `${c.name}: ${c.explanation}`)))),
        el('td', {}, el('ul', {}, row.nextActions.map((a) => el('li', {}, el('span', { class: 'heart' }, heartName(a.heart)), a.action))))))));
    ready();
  };

  // ---- Evidence ------------------------------------------------------------------------
  // Horizontal bars, each 0..100.
  function barChart(rows, caption) {
    const width = 560, rowHeight = 22, left = 170, right = 70;
    const height = rows.length * rowHeight + 6;
    return el('figure', { class: 'chart line' },
      svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption },
        rows.map((row, i) => svg('g', {},
          svg('text', { x: left - 6, y: i * rowHeight + 16, 'text-anchor': 'end', 'font-size': 12 }, row.label),
          svg('rect', { x: left, y: i * rowHeight + 4, height: rowHeight - 8, fill: row.color || '#2e75b6',
            width: Math.max(0.5, ((row.value ?? 0) / 100) * (width - left - right)) }),
          svg('text', { x: left + ((row.value ?? 0) / 100) * (width - left - right) + 4, y: i * rowHeight + 16, 'font-size': 12 },
            row.value === null || row.value === undefined ? 'n/a' : row.value.toFixed(0) + '%')))),
      el('figcaption', { class: 'cut' }, caption));
  }
  const share = (b) => (b.onTimeShare === undefined || b.onTimeShare === null ? null : 100 * b.onTimeShare);
  PAGES.evidence = async (main, params) => {
    const form = controls('evidence', params);
    main.append(el('h2', {}, 'Evidence: do healthier relationships pay better?'), form);
    const [[evidence], ms] = await load('evidence', [call('Relationships/Evidence', cutBody(params))]);
    main.append(cutLine(evidence, ms, ` · ${evidence.clients} clients`),
      el('p', { class: 'notice', id: 'answer' }, evidence.answer),
      el('div', { class: 'charts' },
        barChart(evidence.bands.map((b) => ({ label: `health ${b.label} (${b.behaviour.clients})`, value: share(b.behaviour) })),
          'Invoices paid on time, by health band'),
        barChart(evidence.hearts.flatMap((h) => [
          { label: `${heartName(h.heart)} practised`, value: share(h.practised), color: '#1e7b34' },
          { label: `${heartName(h.heart)} not`, value: share(h.notPractised), color: '#c00000' }]),
        'Invoices paid on time, by heart practised or not')),
      table(['Health band', 'Clients ', 'Invoices due ', 'Paid on time ', 'Promises broken '], evidence.bands.map((b) => el('tr', {},
        el('td', {}, b.label), num(b.behaviour.clients), num(b.behaviour.invoicesDue), num(percent(b.behaviour.onTimeShare)),
        num(`${b.behaviour.promisesBroken}/${b.behaviour.promisesJudged}`)))));
    ready();
  };

  // ---- Compliance ----------------------------------------------------------------------
  const FORMATS = { html: 'COMPLIANCE_REPORT_FORMAT_HTML', csv: 'COMPLIANCE_REPORT_FORMAT_CSV', json: 'COMPLIANCE_REPORT_FORMAT_JSON' };
  // A rendered report: its header and its bytes, checked against the trailer's SHA-256.
  async function fetchReport(procedure, body) {
    const parts = await call(procedure, body, true);
    const header = parts.find((p) => p.header)?.header;
    const trailer = parts.find((p) => p.trailer)?.trailer;
    const chunks = parts.filter((p) => p.content).map((p) => Uint8Array.from(atob(p.content), (c) => c.charCodeAt(0)));
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
    let checked = 'not checked (no WebCrypto on this origin)';
    if (window.crypto && crypto.subtle) {
      const digest = hex(btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))));
      checked = trailer && digest === trailer.contentSha256 ? 'SHA-256 checked' : 'SHA-256 MISMATCH';
    }
    return { header, trailer, bytes, checked, progress: parts.filter((p) => p.progress).length };
  }
  function download(name, type, bytes) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const link = el('a', { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  PAGES.compliance = async (main, params) => {
    const form = controls('compliance', params, [
      field('period_from', 'Period from', params.period_from, { placeholder: 'start of year' }),
      field('year', 'Disclosure year', params.year, { placeholder: 'last year', inputmode: 'numeric', size: 6 })]);
    main.append(el('h2', {}, 'Compliance report'), form);
    const body = cutBody(params);
    if (params.period_from) body.periodFrom = toDate(params.period_from);
    const status = el('p', { class: 'cut busy', id: 'progress', role: 'status' }, 'Computing the report for this cut');
    main.append(status);
    const started = performance.now();
    const timer = setInterval(() => { status.textContent = `Computing the report for this cut: ${((performance.now() - started) / 1000).toFixed(0)} s`; }, 1000);
    let report, ms;
    try {
      [[report], ms] = await load('compliance', [fetchReport('Compliance/Report', { ...body, format: FORMATS.html })]);
    } finally {
      clearInterval(timer);
      status.classList.remove('busy');
    }
    status.textContent = `Report ready (${report.bytes.length} bytes, ${report.checked}${report.progress ? `, ${report.progress} progress steps while the cut replayed` : ''}).`;
    status.before(cutLine({ asOf: report.header.asOf, knownAt: report.header.knownAt, position: report.header.position }, ms,
      ` · chain hash ${report.header.headHash.slice(0, 16)}…`, report.header.checkpoint));
    const year = params.year || String(Number((params.as_of || todayUtc()).slice(0, 4)) - 1);
    const stamp = isoDate(report.header.asOf);
    const buttons = el('p', {}, 'Download the report: ',
      Object.keys(FORMATS).map((f) => el('button', { type: 'button', class: 'secondary', id: 'download-' + f, onclick: async () => {
        const got = f === 'html' ? report : await fetchReport('Compliance/Report', { ...body, format: FORMATS[f] });
        download(`compliance-${stamp}.${f}`, got.header.contentType, got.bytes);
      } }, f.toUpperCase())), ' · the disclosure for ' + year + ': ',
      Object.keys(FORMATS).map((f) => el('button', { type: 'button', class: 'secondary', onclick: async () => {
        const got = await fetchReport('Compliance/Disclosure', { year: Number(year), knownAt: body.knownAt, format: FORMATS[f] });
        download(`disclosure-${year}.${f}`, got.header.contentType, got.bytes);
      } }, f.toUpperCase())));
    main.append(buttons, el('iframe', { class: 'report', title: 'Compliance report', sandbox: '',
      srcdoc: new TextDecoder().decode(report.bytes) }));
    ready();
  };

  // ---- Audit ---------------------------------------------------------------------------
  // Checks an audit export on proofs in the page (audit.js) against the checkpoint and the
  // verifier key the user pastes; asks the server nothing, so nothing it says is trusted.
  function wideField(name, label, input, hint) {
    return el('div', { class: 'field wide' }, el('label', { for: 'f-' + name }, label), input,
      hint ? el('span', { class: 'hint' }, hint) : null, el('span', { class: 'error', id: `f-${name}-error`, role: 'alert' }));
  }
  const mark = (ok, text) => el('span', { class: ok ? 'ok' : 'bad' }, (ok ? '✓ ' : '✗ ') + (text || ''));
  PAGES.audit = async (main) => {
    main.append(el('h2', {}, "Audit: check a client's audit export yourself"),
      el('p', { class: 'notice' }, 'This page asks the server nothing. In your browser (WebCrypto: Ed25519 and SHA-256) it checks an export from ',
        el('code', {}, 'ledgerctl report audit --client C --from D --to D --proofs --verified-position N -o audit.json'),
        ' against a checkpoint you kept from before (', el('code', {}, 'ledgerctl checkpoint -o last.checkpoint'),
        '; N is its tree size) and the ledger\'s verifier key (', el('code', {}, 'ledgerctl verifier-key'),
        '), as tools/verify_audit.py does: both signatures, the consistency of your checkpoint with the export\'s, every event\'s bytes against its leaf and its inclusion proof, every field shown against the bytes, and the stream\'s back-pointers.'));
    const key = el('input', { id: 'f-key', name: 'key', autocomplete: 'off', spellcheck: 'false', value: localStorage.getItem(VERIFIER_KEY) || '',
      placeholder: 'sixhearts-ledger+1a2b3c4d+AXa…', 'aria-describedby': 'f-key-error' });
    const keep = el('input', { type: 'checkbox', id: 'f-keep', checked: localStorage.getItem(VERIFIER_KEY) ? true : null });
    const checkpoint = el('textarea', { id: 'f-checkpoint', name: 'checkpoint', rows: 5, spellcheck: 'false', 'aria-describedby': 'f-checkpoint-error' });
    const file = el('input', { type: 'file', id: 'f-export-file', name: 'export_file', accept: '.json,application/json' });
    const pasted = el('textarea', { id: 'f-export', name: 'export', rows: 5, spellcheck: 'false', placeholder: 'or paste the export here', 'aria-describedby': 'f-export-error' });
    const form = el('form', { class: 'controls', id: 'audit-form', 'aria-label': 'Audit export to check' },
      wideField('key', 'Verifier key (NAME+KEYID+KEY)', key),
      el('div', { class: 'field wide' }, el('label', { class: 'inline' }, keep, ' Keep this key in this browser: every page then checks the signature of the checkpoint it shows')),
      wideField('checkpoint', 'Your checkpoint (the signed note you kept)', checkpoint),
      wideField('export', 'The audit export (JSON)', el('div', {}, file, pasted)),
      el('button', { type: 'submit', id: 'audit-verify' }, 'Verify'));
    const out = el('section', { id: 'audit-out', 'aria-live': 'polite' });
    main.append(form, out);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      document.body.dataset.audit = 'checking';
      out.replaceChildren(el('p', { class: 'cut busy' }, 'Checking'));
      if (keep.checked && key.value.trim()) localStorage.setItem(VERIFIER_KEY, key.value.trim());
      else localStorage.removeItem(VERIFIER_KEY);
      const exportText = file.files.length ? await file.files[0].text() : pasted.value;
      const started = performance.now();
      const result = await window.SixheartsAudit.verifyExport({ exportText, verifierKey: key.value, trustedCheckpoint: checkpoint.value });
      renderAudit(out, result, performance.now() - started);
      document.body.dataset.audit = result.ok ? 'ok' : 'failed';
    });
    ready();
  };
  function renderAudit(out, result, ms) {
    out.replaceChildren(el('p', { class: 'notice ' + (result.ok ? '' : 'bad'), id: 'audit-summary', role: 'status' },
      mark(result.ok), result.summary, ` (checked in ${Math.round(ms)} ms)`));
    out.append(el('h3', {}, 'What was checked'), el('ul', { id: 'audit-checks' }, result.checks.map((c) =>
      el('li', {}, mark(c.ok), `${c.what}: `, el('span', { class: 'mono' }, c.detail)))));
    if (!result.rows.length) return;
    const cell = (ok, text) => el('td', {}, ok === null ? 'not checked' : mark(ok, text));
    out.append(el('h3', {}, `Events (${result.rows.length})`), table(
      ['Position ', 'Type', 'Event id', 'Bytes hash to the leaf', 'Inclusion proof', 'Fields decoded from the bytes = shown', 'Back-pointer', 'In period', 'Problem'],
      result.rows.map((r) => el('tr', { 'data-position': r.position, class: r.problem ? 'failed' : null },
        num(r.position), el('td', {}, r.type || ''), el('td', { class: 'mono' }, r.eventId || ''),
        cell(r.leaf), cell(r.inclusion, `${r.pathLength} hashes`),
        el('td', {}, el('details', {}, el('summary', {}, mark(r.fields, `${r.checked.length} fields`)),
          el('table', {}, el('tr', {}, ['Field', 'Decoded from the bytes', 'Shown'].map((h) => el('th', {}, h))),
            r.checked.map(([path, decoded, shown]) => el('tr', {}, el('td', { class: 'mono' }, path),
              el('td', { class: 'mono' }, decoded), el('td', { class: 'mono' }, typeof shown === 'string' ? shown : JSON.stringify(shown))))))),
        cell(r.back), el('td', {}, r.inPeriod ? 'yes' : 'no'),
        el('td', { class: 'bad problem' }, r.problem || '')))));
  }

  // ---- Log -----------------------------------------------------------------------------
  const payloadType = (event) => {
    const known = new Set(['eventId', 'stream', 'streamVersion', 'position', 'occurredAt', 'recordedAt', 'actor',
      'correlationId', 'causationId', 'schemaVersion', 'hash', 'previousStreamPosition']);
    const key = Object.keys(event).find((k) => !known.has(k) && event[k] && typeof event[k] === 'object');
    return key ? key[0].toUpperCase() + key.slice(1) : '';
  };
  PAGES.log = async (main, params) => {
    const form = controls('log', params, [
      field('from', 'From position', params.from, { placeholder: 'start', inputmode: 'numeric', size: 8 }),
      field('direction', 'Direction', params.direction || 'DIRECTION_FORWARD',
        { options: [['DIRECTION_FORWARD', 'forward'], ['DIRECTION_BACKWARD', 'backward (0: from the head)']] }),
      field('type', 'Type', params.type, { placeholder: 'any, e.g. InvoiceIssued' }),
      field('stream_prefix', 'Stream prefix', params.stream_prefix, { placeholder: 'client-' })]);
    main.append(el('h2', {}, 'Log'), form);
    const request = { fromPosition: params.event || params.from || '0', direction: params.direction || 'DIRECTION_FORWARD',
      limit: params.event ? 1 : 50, filter: {} };
    if (params.type && !params.event) request.filter.types = [params.type];
    if (params.stream_prefix && !params.event) request.filter.streamPrefix = params.stream_prefix;
    if (params.as_of && !params.event) request.filter.occurredTo = params.as_of + 'T23:59:59.999999999Z';
    const [[pages, digest, receivables, relationships], ms] = await load('log', [
      call('EventStore/ReadLog', request, true), call('EventStore/Digest', {}),
      call('Receivables/ProjectionStatus', {}), call('Relationships/ProjectionStatus', {})]);
    const knownAt = params.known_at ? new Date(toTimestamp(params.known_at).replace(/(\.\d{3})\d+Z$/, '$1Z')) : null;
    const events = pages.flatMap((p) => p.events).filter((e) => !knownAt || new Date(e.recordedAt) <= knownAt);
    main.append(cutLine({ asOf: params.as_of ? toDate(params.as_of) : null, knownAt: params.known_at ? toTimestamp(params.known_at) : null,
      position: digest.headPosition }, ms, ` (head; chain hash ${hex(digest.headHash).slice(0, 16)}…)`, digest.checkpoint));
    main.append(el('div', { class: 'cards' },
      [receivables, relationships].map((s) => el('div', { class: 'card' }, el('strong', {}, `Projection ${s.name}`),
        el('div', {}, `at position ${s.position} of ${s.headPosition} (lag ${s.lagEvents})`),
        el('div', {}, `checkpoint saved at ${s.savedPosition}`))),
      el('div', { class: 'card' }, el('strong', {}, 'Chain verification'), el('div', { id: 'verify-result' }, 'not run'),
        el('button', { type: 'button', id: 'verify', onclick: async (event) => {
          const slot = document.getElementById('verify-result');
          slot.textContent = 'verifying…';
          event.target.disabled = true;
          try {
            const v = await call('EventStore/Verify', {});
            slot.replaceChildren(v.ok ? el('span', { class: 'ok' }, `OK: ${v.checked} records`)
              : el('span', { class: 'bad' }, `FAILED at position ${v.firstBadPosition}: ${v.problem}`),
            el('div', { class: 'mono' }, hex(v.headHash).slice(0, 32) + '…'));
          } catch (error) {
            slot.replaceChildren(el('span', { class: 'bad' }, error.message));
          } finally {
            event.target.disabled = false;
          }
        } }, 'Verify the chain'))));
    if (params.event) {
      const event = events[0];
      if (!event || event.position !== String(params.event)) throw new CallError(404, 'not_found', `from_position: no event at position ${params.event}`);
      main.append(el('h3', {}, `Event at position ${event.position}`),
        el('p', {}, `stream ${event.stream} version ${event.streamVersion} · recorded ${isoTime(event.recordedAt)} · actor ${event.actor}`),
        el('p', { class: 'mono', id: 'event-hash' }, 'hash ' + hex(event.hash)),
        el('pre', { id: 'event-json' }, JSON.stringify(event, null, 2)));
      ready();
      return;
    }
    main.append(table(['Position ', 'Recorded at', 'Occurred at', 'Stream', 'Version ', 'Type', 'Actor', 'Hash'],
      events.map((e) => el('tr', {}, el('td', { class: 'num' }, el('a', { href: '#/log?event=' + e.position }, e.position)),
        el('td', {}, isoTime(e.recordedAt)), el('td', {}, isoTime(e.occurredAt)), el('td', {}, e.stream), num(e.streamVersion),
        el('td', {}, payloadType(e)), el('td', {}, e.actor), el('td', { class: 'mono', title: hex(e.hash) }, hex(e.hash).slice(0, 16)))),
    `${events.length} events`));
    const last = events[events.length - 1];
    if (last) {
      main.append(el('p', {}, el('a', { href: '#/log?' + new URLSearchParams({ ...params,
        from: String(Number(last.position) + (request.direction === 'DIRECTION_BACKWARD' ? -1 : 1)) }) }, 'Next 50 events')));
    }
    ready();
  };

  window.addEventListener('hashchange', render);
  document.addEventListener('DOMContentLoaded', render);
})();
