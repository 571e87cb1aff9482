// The playground page: editor, identity, operation, settings and results, and the
// `window.fluxgate` automation hooks. All judging happens in worker.js (Rust + the policy
// modules); this file only talks to it and renders. Plain JavaScript, no framework.

const $ = (id) => document.getElementById(id);
const CALL_TIMEOUT_MS = 20000;
const ROW = 20; // px per editor line: --row in style.css
const MAX_GUTTER_LINES = 20000;
const MAX_LINK_CHARS = 60000;
// Past the worker's limit (1 MiB, paste.rs) a paste is not kept in the editor: laying out
// megabytes in a textarea would hold the page's thread for a second or more.
const MAX_EDITOR_CHARS = 1 << 20;

// ---------------------------------------------------------------- the worker

let worker;
let nextId = 1;
const pending = new Map();
let workerReady;

function startWorker() {
  worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    pending.delete(data.id);
    clearTimeout(call.timer);
    if ('error' in data) call.reject(new Error(data.error));
    else call.resolve(data.result);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    failAll(`the worker failed: ${e.message || 'unknown error'}`);
  };
  workerReady = call('ready');
  return workerReady;
}

function failAll(message) {
  for (const [, c] of pending) {
    clearTimeout(c.timer);
    c.reject(new Error(message));
  }
  pending.clear();
}

/// A call to the worker; one that runs past CALL_TIMEOUT_MS ends the worker (the only way
/// to stop a module that loops) and starts a fresh one.
function call(method, ...args) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      worker.terminate();
      failAll('the worker was restarted');
      reject(new Error(`${method} did not finish within ${CALL_TIMEOUT_MS / 1000} s: the worker was stopped and restarted`));
      startWorker();
    }, CALL_TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    worker.postMessage({ id, method, args });
  });
}

// ---------------------------------------------------------------- automation hooks

/// `window.fluxgate`: what the page does, for scripts and tests.
///   evaluate(yamlText, {username, operation, settings: {policy: {...}}, policies: [...]})
///     → Promise<[{policy, apiVersion, kind, namespace, name, allowed, message, findings}]>
///   validate(policy, admissionRequest, settings, clusterState) → Promise<AdmissionResponse>
///   explain(policy, admissionRequest, settings, clusterState) → Promise<{response, findings}>
///   validateSettings(policy, settings) → Promise<{valid, message}>
///   addPolicy(name, wasmBytes) → Promise<summary> (a test guest, or another module)
///   policies() → Promise<[{name, title, resources, contextAware}]>
const fluxgate = {
  ready: null,
  async evaluate(yamlText, options = {}) {
    await workerReady;
    const answer = await call('evaluate', yamlText, options);
    if (answer.error) throw new Error(answer.error);
    const refused = Object.entries(answer.settings).filter(([, s]) => !s.valid);
    if (refused.length) {
      throw new Error(refused.map(([p, s]) => `settings of ${p} are invalid: ${s.message}`).join('\n'));
    }
    const results = answer.results.map((r) => ({
      policy: r.policy, apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name,
      allowed: r.allowed, message: r.message ?? null, findings: r.findings,
      document: r.document, code: r.code ?? null,
    }));
    results.documents = answer.documents;
    return results;
  },
  validate: async (...args) => { await workerReady; return call('validate', ...args); },
  explain: async (...args) => { await workerReady; return call('explain', ...args); },
  validateSettings: async (...args) => { await workerReady; return call('validateSettings', ...args); },
  addPolicy: async (name, bytes) => { await workerReady; return call('addPolicy', name, bytes); },
  policies: async () => { await workerReady; return call('policies'); },
};
window.fluxgate = fluxgate;

// ---------------------------------------------------------------- page state

const state = {
  policies: [],      // summaries from the worker
  disabled: new Set(),
  settingsText: {},  // policy → YAML text as typed
  rules: new Map(),  // rule id → catalogue entry (rules.json)
  catalogue: '',
  examples: [],
  lastMarks: [],
};

const yaml = $('yaml');

function username() {
  switch ($('identity-kind').value) {
    case 'controller': return `system:serviceaccount:flux-system:${$('controller').value}`;
    case 'tenant': return `system:serviceaccount:${$('tenant-namespace').value.trim()}:${$('tenant-name').value.trim()}`;
    default: return $('username').value.trim();
  }
}

function setUsername(name) {
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(name || '');
  const controllers = [...$('controller').options].map((o) => o.value);
  if (sa && sa[1] === 'flux-system' && controllers.includes(sa[2])) {
    $('identity-kind').value = 'controller';
    $('controller').value = sa[2];
  } else if (sa) {
    $('identity-kind').value = 'tenant';
    $('tenant-namespace').value = sa[1];
    $('tenant-name').value = sa[2];
  } else {
    $('identity-kind').value = 'user';
    $('username').value = name || '';
  }
  showIdentity();
}

function showIdentity() {
  const kind = $('identity-kind').value;
  $('controller').hidden = kind !== 'controller';
  $('tenant-fields').hidden = kind !== 'tenant';
  $('username').hidden = kind !== 'user';
  $('username-shown').textContent = kind === 'user' ? '' : username();
}

const operation = () => document.querySelector('input[name=operation]:checked').value;
function setOperation(op) {
  const input = document.querySelector(`input[name=operation][value="${op}"]`);
  if (input) input.checked = true;
}

// ---------------------------------------------------------------- settings

/// The settings texts as typed (YAML or JSON), read by the worker with the project's YAML
/// reader; an empty text is no settings.
function settingsTexts() {
  return Object.fromEntries(Object.entries(state.settingsText).filter(([, t]) => t.trim()));
}

// ---------------------------------------------------------------- rendering

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function ruleLink(rule) {
  const entry = state.rules.get(rule);
  const anchor = entry ? entry.anchor : rule.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  return el('a', {
    class: 'rule', href: `${state.catalogue}#${anchor}`, target: '_blank', rel: 'noopener',
    title: entry ? `${entry.title}\nStops: ${entry.stops}` : 'rule catalogue',
  }, rule);
}

function renderPolicies() {
  const box = $('policies');
  box.replaceChildren();
  for (const p of state.policies) {
    const id = `settings-${p.name}`;
    const area = el('textarea', {
      id, 'aria-label': `Settings of ${p.name}`, 'aria-describedby': `${id}-error`, spellcheck: 'false',
      placeholder: 'no settings (YAML or JSON)',
    });
    area.value = state.settingsText[p.name] || '';
    area.addEventListener('input', () => { state.settingsText[p.name] = area.value; schedule(); });
    const enable = el('input', { type: 'checkbox', checked: !state.disabled.has(p.name), 'data-policy': p.name });
    enable.addEventListener('change', () => {
      if (enable.checked) state.disabled.delete(p.name); else state.disabled.add(p.name);
      schedule();
    });
    box.append(el('div', { class: 'policy', 'data-policy': p.name },
      el('label', { class: 'enable' }, enable, ' ', p.name),
      el('span', { class: 'muted' }, ` ${p.title ? `— ${p.title}` : ''}`),
      area,
      el('p', { class: 'setting-error', id: `${id}-error` })));
  }
}

function showSettingsErrors(answers) {
  for (const p of state.policies) {
    const area = $(`settings-${p.name}`);
    const out = $(`settings-${p.name}-error`);
    if (!area || !out) continue;
    const message = answers[p.name] && !answers[p.name].valid && (answers[p.name].message || 'invalid settings');
    out.textContent = message || '';
    area.setAttribute('aria-invalid', message ? 'true' : 'false');
  }
  if (Object.values(answers).some((a) => !a.valid)) $('policies-panel').open = true;
}

function renderResults(answer, ms) {
  const results = $('results');
  results.replaceChildren();
  const byDoc = new Map();
  for (const r of answer.results) {
    if (!byDoc.has(r.document)) byDoc.set(r.document, []);
    byDoc.get(r.document).push(r);
  }
  const marks = [];
  let denied = 0;
  for (const doc of answer.documents) {
    const who = [doc.namespace, doc.name].filter(Boolean).join('/');
    const box = el('article', { class: 'doc', 'data-document': doc.index },
      el('h2', {}, `${doc.index + 1}. ${doc.kind || 'document'} ${who}`,
        el('span', { class: 'where' }, doc.apiVersion, ` · lines ${doc.line}–${doc.endLine}`)));
    if (doc.error) {
      box.append(el('p', { class: 'error' }, doc.error));
      results.append(box);
      continue;
    }
    const verdicts = byDoc.get(doc.index) || [];
    for (const r of verdicts) {
      if (!r.allowed) denied++;
      const findings = el('ul', { class: 'findings' });
      for (const f of r.findings) {
        if (f.line) marks.push({ line: f.line, severity: f.severity });
        findings.append(el('li', { class: `finding ${f.severity}`, 'data-rule': f.rule, 'data-line': f.line ?? '' },
          el('div', { class: 'head' },
            ruleLink(f.rule),
            el('span', { class: `badge ${f.severity}` }, f.severity),
            f.field ? el('button', {
              type: 'button', class: 'field', title: f.line ? `Show line ${f.line}` : 'not found in the text',
              onclick: () => f.line && showLine(f.line),
            }, f.field) : null),
          el('p', { class: 'problem' }, f.problem),
          f.fix ? el('p', { class: 'fix' }, f.fix) : null));
      }
      box.append(el('section', { class: 'verdict', 'data-policy': r.policy, 'data-allowed': String(r.allowed) },
        el('div', { class: 'verdict-head' },
          el('span', { class: `badge ${r.allowed ? 'allowed' : 'denied'}` }, r.allowed ? 'allowed' : `denied${r.code ? ` ${r.code}` : ''}`),
          el('span', { class: 'policy-name' }, r.policy)),
        r.message ? el('p', { class: 'message' }, r.message) : null,
        r.findings.length ? findings : null,
        (r.warnings || []).map((w) => el('p', { class: 'message' }, `warning: ${w}`))));
    }
    const judged = new Set(verdicts.map((r) => r.policy));
    const skipped = state.policies.filter((p) => !state.disabled.has(p.name) && !judged.has(p.name) && (answer.settings[p.name] || {}).valid !== false);
    if (!verdicts.length) box.append(el('p', { class: 'skipped' }, 'No policy judges this kind (none of their webhook rules select it).'));
    else if (skipped.length) box.append(el('p', { class: 'skipped' }, `Not judged by ${skipped.map((p) => p.name).join(', ')} (their rules do not select this kind).`));
    results.append(box);
  }
  state.lastMarks = marks;
  drawMarks();
  const docs = answer.documents.length;
  $('status').textContent = docs
    ? `${docs} document${docs === 1 ? '' : 's'}, ${answer.results.length} verdict${answer.results.length === 1 ? '' : 's'}, ${denied} denied · ${ms.toFixed(0)} ms`
    : 'Paste or type Flux YAML on the left.';
}

// ---------------------------------------------------------------- editor

function drawGutter() {
  const lines = yaml.value.split('\n').length;
  if (lines > MAX_GUTTER_LINES) { $('gutter').textContent = ''; return; }
  let text = '';
  for (let i = 1; i <= lines; i++) text += `${i}\n`;
  $('gutter').textContent = text;
}

function drawMarks(current) {
  const box = $('marks');
  box.replaceChildren(...state.lastMarks.map((m) => el('div', {
    class: `mark ${m.severity === 'warn' ? 'warn' : ''} ${m.line === current ? 'current' : ''}`,
    'data-line': m.line, style: `top:${8 + (m.line - 1) * ROW}px`,
  })));
  syncScroll();
}

function syncScroll() {
  $('marks').style.transform = `translate(${-yaml.scrollLeft}px, ${-yaml.scrollTop}px)`;
  $('gutter').scrollTop = yaml.scrollTop;
}

/// Puts the caret on a line, scrolls it into view and highlights it.
function showLine(line) {
  const lines = yaml.value.split('\n');
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[line - 1] || '').length;
  yaml.focus();
  yaml.setSelectionRange(start + ((lines[line - 1] || '').length - (lines[line - 1] || '').trimStart().length), end);
  const top = (line - 1) * ROW;
  if (top < yaml.scrollTop || top > yaml.scrollTop + yaml.clientHeight - 3 * ROW) yaml.scrollTop = Math.max(0, top - 3 * ROW);
  drawMarks(line);
}

// ---------------------------------------------------------------- evaluation

let timer;
let generation = 0;
function schedule(delay = 300) {
  clearTimeout(timer);
  timer = setTimeout(run, delay);
  saveFragment();
}

async function run(text = yaml.value, note = '') {
  clearTimeout(timer);
  const mine = ++generation;
  const enabled = state.policies.map((p) => p.name).filter((n) => !state.disabled.has(n));
  $('problems').textContent = '';
  if (!enabled.length) {
    $('results').replaceChildren();
    $('status').textContent = 'No policy is selected.';
    return;
  }
  $('status').textContent = 'Evaluating…';
  const started = performance.now();
  let answer;
  try {
    answer = await call('evaluate', text, { username: username(), operation: operation(), settingsText: settingsTexts(), policies: enabled });
  } catch (e) {
    if (mine !== generation) return;
    $('problems').textContent = e.message;
    $('status').textContent = '';
    return;
  }
  if (mine !== generation) return; // a newer evaluation is on its way
  const ms = performance.now() - started;
  showSettingsErrors(answer.settings || {});
  if (answer.error) {
    $('problems').textContent = answer.error + note;
    $('results').replaceChildren();
    state.lastMarks = [];
    drawMarks();
    $('status').textContent = '';
    return;
  }
  const refused = Object.entries(answer.settings).filter(([, s]) => !s.valid).map(([p]) => p);
  if (refused.length) $('problems').textContent = `Invalid settings: ${refused.join(', ')} (see Policies and settings). Kubewarden would not serve ${refused.length === 1 ? 'it' : 'them'}.`;
  renderResults(answer, ms);
}

// ---------------------------------------------------------------- the link (URL fragment)

function bytesToBase64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function base64urlToBytes(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

function snapshot() {
  return {
    yaml: yaml.value, user: username(), identity: $('identity-kind').value, operation: operation(),
    settings: settingsTexts(),
    disabled: [...state.disabled],
  };
}

let saveTimer;
function saveFragment() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(async () => {
    const json = new TextEncoder().encode(JSON.stringify(snapshot()));
    const packed = bytesToBase64url(await pipe(json, new CompressionStream('deflate-raw')));
    if (packed.length > MAX_LINK_CHARS) return; // too large for a link; the page keeps working
    history.replaceState(null, '', `#v1=${packed}`);
  }, 400);
}

async function loadFragment() {
  const m = /^#v1=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return false;
  try {
    const json = await pipe(base64urlToBytes(m[1]), new DecompressionStream('deflate-raw'));
    const s = JSON.parse(new TextDecoder().decode(json));
    yaml.value = s.yaml || '';
    setUsername(s.user);
    if (s.identity === 'user') { $('identity-kind').value = 'user'; $('username').value = s.user || ''; showIdentity(); }
    setOperation(s.operation || 'CREATE');
    state.settingsText = s.settings || {};
    state.disabled = new Set(s.disabled || []);
    return true;
  } catch (e) {
    $('problems').textContent = `The link's case cannot be read (${e.message}); starting with an example.`;
    return false;
  }
}

// ---------------------------------------------------------------- examples

function settingsText(value) {
  if (value === null || value === undefined || (typeof value === 'object' && !Object.keys(value).length)) return '';
  return JSON.stringify(value, null, 2);
}

function applyExample(ex) {
  yaml.value = ex.yaml;
  setUsername(ex.user);
  setOperation(ex.operation);
  state.settingsText = {};
  if (settingsText(ex.settings)) state.settingsText[ex.policy] = settingsText(ex.settings);
  state.disabled = new Set();
  renderPolicies();
  if (!ex.settingsValid) $('policies-panel').open = true;
  drawGutter();
  yaml.scrollTop = 0;
  schedule(0);
}

function renderExamples() {
  const select = $('examples');
  const groups = new Map();
  for (const [i, ex] of state.examples.entries()) {
    if (!groups.has(ex.policy)) groups.set(ex.policy, el('optgroup', { label: ex.policy }));
    const verdict = ex.settingsValid ? (ex.allowed ? 'accepted' : 'denied') : 'bad settings';
    groups.get(ex.policy).append(el('option', { value: String(i) }, `${ex.fixture} (${verdict}): ${ex.description}`));
  }
  select.append(...groups.values());
  select.addEventListener('change', () => {
    const ex = state.examples[Number(select.value)];
    if (ex) applyExample(ex);
  });
}

// ---------------------------------------------------------------- start

async function main() {
  const started = performance.now();
  const [ready, manifest, rules, examples] = await Promise.all([
    startWorker(),
    fetch('manifest.json').then((r) => r.json()),
    fetch('rules.json').then((r) => r.json()).catch(() => []),
    fetch('examples.json').then((r) => r.json()).catch(() => []),
  ]);
  fluxgate.readyAt = performance.now(); // since navigation: the modules are compiled
  state.policies = ready.policies;
  state.catalogue = manifest.catalogue;
  $('catalogue-link').href = manifest.catalogue;
  $('about').textContent = `${state.policies.length} policies, fluxgate ${manifest.version}.`;
  for (const r of rules) state.rules.set(r.id, r);
  state.examples = examples;
  renderExamples();

  yaml.addEventListener('input', () => {
    if (yaml.value.length > MAX_EDITOR_CHARS) {
      const text = yaml.value;
      yaml.value = '';
      drawGutter();
      run(text, ' (The paste was not kept in the editor.)');
      return;
    }
    drawGutter();
    schedule();
  });
  yaml.addEventListener('scroll', syncScroll);
  yaml.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey && yaml.dataset.tabIndent === 'on') {
      e.preventDefault();
      yaml.setRangeText('  ', yaml.selectionStart, yaml.selectionEnd, 'end');
    }
  });
  for (const id of ['identity-kind', 'controller', 'tenant-namespace', 'tenant-name', 'username']) {
    $(id).addEventListener('input', () => { showIdentity(); schedule(); });
  }
  for (const r of document.querySelectorAll('input[name=operation]')) r.addEventListener('change', () => schedule(0));
  $('share').addEventListener('click', async () => {
    clearTimeout(saveTimer);
    const json = new TextEncoder().encode(JSON.stringify(snapshot()));
    const packed = bytesToBase64url(await pipe(json, new CompressionStream('deflate-raw')));
    if (packed.length > MAX_LINK_CHARS) { $('status').textContent = 'This case is too large for a link.'; return; }
    history.replaceState(null, '', `#v1=${packed}`);
    try { await navigator.clipboard.writeText(location.href); $('status').textContent = 'Link copied.'; } catch { $('status').textContent = 'The address bar holds the link to this case.'; }
  });

  if (!(await loadFragment())) {
    const first = state.examples.find((e) => !e.allowed && e.settingsValid && e.yaml && e.policy === 'source-origin') || state.examples.find((e) => e.yaml);
    if (first) {
      yaml.value = first.yaml;
      setUsername(first.user);
      setOperation(first.operation);
      if (settingsText(first.settings)) state.settingsText[first.policy] = settingsText(first.settings);
    }
  }
  showIdentity();
  renderPolicies();
  drawGutter();
  fluxgate.readyMs = performance.now() - started;
  await run();
  document.body.dataset.ready = 'true';
  return { ms: fluxgate.readyMs, compileMs: ready.compileMs, policies: state.policies.map((p) => p.name) };
}

fluxgate.ready = main().catch((e) => {
  $('problems').textContent = `The playground could not start: ${e.message}`;
  throw e;
});
