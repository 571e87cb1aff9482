// The playground in a real browser (Debian's chromium, driven by playwright-core):
//   1. timings: page ready to evaluate, then a 20-document paste judged by every policy;
//   2. conformance: every fixture of every policy, replayed through window.fluxgate.validate /
//      explain / validateSettings, answers exactly what the native host (wasmtime) answered
//      (target/playground-cases.json, written by `fluxgate-testkit playground-cases`);
//   3. the UI: a pasted document's finding, its rule link and the highlighted line;
//   4. malformed pastes (invalid YAML, a scalar, 5 MB, 1,000 documents): a clear message and a
//      tab that keeps answering;
//   5. a trapping module: that policy's 500, worded as the native host words it.
// Prints the figures and writes them to target/playground-figures.json; with FLUXGATE_BLESS=1
// it also writes docs/playground.png and the README's generated playground block.
// Run by `just test-playground` (after `just playground-dist`).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const site = path.join(root, 'target/playground');
const bless = process.env.FLUXGATE_BLESS === '1';
const READY_BUDGET_MS = 1500;
const EVAL_BUDGET_MS = 100;

let failures = 0;
function check(ok, what, detail = '') {
  if (ok) return true;
  failures++;
  console.log(`  ✗ ${what}${detail ? `\n      ${detail}` : ''}`);
  return false;
}

/// JSON with sorted keys: the two hosts serialize maps in their own orders.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  }
  return v;
}
const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

for (const f of ['index.html', 'manifest.json', 'examples.json']) {
  if (!fs.existsSync(path.join(site, f))) {
    console.error(`playground test: ${site}/${f} is missing: run \`just playground-dist\``);
    process.exit(2);
  }
}
const cases = JSON.parse(fs.readFileSync(path.join(root, 'target/playground-cases.json'), 'utf8'));
const examples = JSON.parse(fs.readFileSync(path.join(site, 'examples.json'), 'utf8'));
const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));

const { server, url } = await serve(site, 0);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxgate-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1440, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const figures = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Offline: nothing but the bundle may be fetched.
  const foreign = [];
  await page.route('**/*', (route) => {
    if (route.request().url().startsWith(url)) return route.continue();
    foreign.push(route.request().url());
    return route.abort();
  });

  // 1. timings ---------------------------------------------------------------------------
  console.log('playground: loading', url);
  await page.goto(url);
  const ready = await page.evaluate(async () => { const r = await window.fluxgate.ready; return { ...r, at: window.fluxgate.readyAt }; });
  figures.readyMs = Math.round(ready.at);
  figures.compileMs = Math.round(ready.compileMs);
  figures.policies = ready.policies.length;
  check(ready.policies.length === manifest.policies.length, 'every policy module loads',
    `${ready.policies.length} of ${manifest.policies.length}`);
  check(figures.readyMs < READY_BUDGET_MS, `page ready to evaluate in under ${READY_BUDGET_MS} ms`, `${figures.readyMs} ms`);

  const docs = [];
  const seenKinds = new Set();
  for (const ex of examples) {
    if (!ex.yaml || ex.operation !== 'CREATE' || docs.length >= 20) continue;
    const kind = /^kind: (.*)$/m.exec(ex.yaml)?.[1];
    if (seenKinds.has(`${ex.policy}/${kind}`) && examples.length > 40) continue;
    seenKinds.add(`${ex.policy}/${kind}`);
    docs.push(ex.yaml);
  }
  const paste = docs.join('---\n');
  const timing = await page.evaluate(async (text) => {
    const runs = [];
    let verdicts = 0;
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const r = await window.fluxgate.evaluate(text, {});
      runs.push(performance.now() - t);
      verdicts = r.length;
    }
    return { runs, verdicts };
  }, paste);
  const sorted = [...timing.runs].sort((a, b) => a - b);
  figures.documents = docs.length;
  figures.verdicts = timing.verdicts;
  figures.evalFirstMs = Math.round(timing.runs[0]);
  figures.evalMedianMs = Math.round(sorted[Math.floor(sorted.length / 2)]);
  check(docs.length === 20, 'the benchmark paste has 20 documents', String(docs.length));
  // The median of 7 runs, not the first alone: one run is at the mercy of whatever else the
  // machine does at that moment (CI measured 53-94 ms for the first, 32-42 ms for the median).
  check(figures.evalMedianMs < EVAL_BUDGET_MS, `20 documents judged by all policies in under ${EVAL_BUDGET_MS} ms (median of 7 runs)`,
    `${figures.evalMedianMs} ms (first run ${figures.evalFirstMs} ms)`);
  console.log(`playground: ready in ${figures.readyMs} ms (modules compiled in ${figures.compileMs} ms); ` +
    `20 documents × ${figures.policies} policies (${figures.verdicts} verdicts): first ${figures.evalFirstMs} ms, ` +
    `median of 7 ${figures.evalMedianMs} ms`);

  // 2. conformance -----------------------------------------------------------------------
  const replayed = await page.evaluate(async (all) => {
    const out = [];
    for (const c of all) {
      const settings = await window.fluxgate.validateSettings(c.policy, c.settings);
      let response = null;
      let explained = null;
      if (settings.valid) {
        response = await window.fluxgate.validate(c.policy, c.request, c.settings, c.clusterState);
        explained = await window.fluxgate.explain(c.policy, c.request, c.settings, c.clusterState);
      }
      out.push({ settings, response, explained });
    }
    return out;
  }, cases);
  let equal = 0;
  cases.forEach((c, i) => {
    const b = replayed[i];
    const native = { valid: c.settingsAnswer.valid, message: c.settingsAnswer.message ?? null };
    const browser = { valid: b.settings.valid, message: b.settings.message ?? null };
    const ok = check(same(native, browser), `${c.policy}/${c.fixture}: validate_settings`,
      `native ${JSON.stringify(native)}\n      browser ${JSON.stringify(browser)}`)
      && check(same(c.response, b.response), `${c.policy}/${c.fixture}: validate`,
        `native ${JSON.stringify(c.response)}\n      browser ${JSON.stringify(b.response)}`)
      && check(same(c.explained, b.explained), `${c.policy}/${c.fixture}: fluxgate_explain`,
        `native ${JSON.stringify(c.explained)}\n      browser ${JSON.stringify(b.explained)}`);
    if (ok) equal++;
  });
  figures.cases = cases.length;
  figures.casesEqual = equal;
  console.log(`playground: conformance ${equal}/${cases.length} fixtures answered as the native host answers ` +
    '(validate_settings, validate, fluxgate_explain)');

  // 3. the UI ----------------------------------------------------------------------------
  // A denial whose offending field is written in the document (not a missing one, which
  // highlights its parent), preferably source-origin's.
  const lastKey = (field) => field.split('.').pop().replace(/\[.*$/, '');
  const written = (c) => {
    const ex = examples.find((e) => e.policy === c.policy && e.fixture === c.fixture);
    return c.response && !c.response.allowed && c.request.operation === 'CREATE' && ex && ex.yaml
      && c.explained.findings.some((f) => f.severity === 'deny' && f.field.startsWith('spec.')
        && new RegExp(`^\\s*-?\\s*${lastKey(f.field)}:`, 'm').test(ex.yaml));
  };
  const denial = cases.find((c) => c.policy === 'source-origin' && c.request.kind.kind === 'GitRepository' && written(c))
    || cases.find(written);
  const example = examples.find((e) => e.policy === denial.policy && e.fixture === denial.fixture);
  const finding = denial.explained.findings.find((f) => f.severity === 'deny' && f.field.startsWith('spec.')
    && new RegExp(`^\\s*-?\\s*${lastKey(f.field)}:`, 'm').test(example.yaml));
  await page.selectOption('#examples', String(examples.indexOf(example)));
  await page.fill('#yaml', `# pasted\n${example.yaml}`);
  await page.locator('#yaml').press('Control+Enter');
  const verdict = page.locator(`.verdict[data-policy="${denial.policy}"]`);
  await verdict.waitFor({ timeout: 10000 });
  check(await verdict.getAttribute('data-allowed') === 'false', `UI: ${denial.policy} denies ${denial.fixture}`);
  const shown = verdict.locator(`.finding[data-rule="${finding.rule}"]`).first();
  check(await shown.count() === 1, `UI: the finding ${finding.rule} is rendered`);
  const href = await shown.locator('a.rule').getAttribute('href');
  check(/docs\/rules\.md#[a-z0-9-]+$/.test(href || ''), 'UI: the rule id links to the catalogue', href);
  check((await shown.locator('.problem').textContent()) === finding.problem, 'UI: the problem text is the module\'s');
  const line = Number(await shown.getAttribute('data-line'));
  const expectedLine = 1 + example.yaml.split('\n').findIndex((l) => new RegExp(`^\\s*-?\\s*${lastKey(finding.field)}:`).test(l)) + 1;
  check(line > 1, `UI: the field ${finding.field} has a line`, String(line));
  check(line === expectedLine, `UI: ${finding.field} is highlighted on its line`, `${line} vs ${expectedLine}`);
  check(await page.locator(`.mark[data-line="${line}"]`).count() >= 1, 'UI: the editor highlights the line');
  await shown.locator('button.field').click();
  const caretLine = await page.evaluate(() => {
    const t = document.getElementById('yaml');
    return t.value.slice(0, t.selectionStart).split('\n').length;
  });
  check(caretLine === line, 'UI: the field button puts the caret on the line', `${caretLine} vs ${line}`);
  if (bless) {
    await page.screenshot({ path: path.join(root, 'docs/playground.png') });
    console.log('playground: wrote docs/playground.png');
  }
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.tagName) !== 'BODY', 'UI: keyboard focus moves on from the editor');

  // The link reproduces the case.
  await page.waitForFunction(() => location.hash.startsWith('#v1='), null, { timeout: 5000 });
  const link = await page.evaluate(() => location.href);
  const second = await context.newPage();
  await second.goto(link);
  await second.evaluate(() => window.fluxgate.ready);
  await second.locator(`.verdict[data-policy="${denial.policy}"] .finding[data-rule="${finding.rule}"]`).first().waitFor({ timeout: 10000 });
  check(await second.inputValue('#yaml') === `# pasted\n${example.yaml}`, 'the link restores the paste');
  await second.close();


  // The settings editor: an unknown setting is refused by the module, shown at the setting.
  await page.locator('#policies-panel summary').click();
  await page.fill(`#settings-${denial.policy}`, 'noSuchSetting: 1');
  await page.locator('#yaml').press('Control+Enter');
  const settingError = page.locator(`#settings-${denial.policy}-error`);
  await page.waitForFunction((id) => document.getElementById(id).textContent.length > 0, `settings-${denial.policy}-error`, { timeout: 10000 });
  check(/noSuchSetting/.test(await settingError.textContent()), 'settings: validate_settings names the unknown setting',
    await settingError.textContent());
  await page.fill(`#settings-${denial.policy}`, '');

  // 4. malformed pastes ------------------------------------------------------------------
  const big = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {k: "' + 'v'.repeat(5 * 1024 * 1024) + '"}\n';
  const many = Array.from({ length: 1000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\n`).join('---\n');
  for (const [what, text, expect] of [
    ['invalid YAML', 'apiVersion: v1\nkind: [ConfigMap\n', /invalid YAML at line \d+/],
    ['a scalar', 'just some words', /not a Kubernetes object: the document is a string/],
    ['5 MB of text', big, /reads up to 1048576 bytes/],
    ['1,000 documents', many, /1000 documents/],
  ]) {
    await page.evaluate((t) => {
      const area = document.getElementById('yaml');
      area.value = t;
      area.dispatchEvent(new Event('input'));
    }, text);
    const started = Date.now();
    // The page answers while the worker reads the paste.
    await page.evaluate(() => 1);
    const responsive = Date.now() - started;
    await page.waitForFunction((re) => new RegExp(re).test(document.getElementById('problems').textContent
      + document.getElementById('results').textContent), expect.source, { timeout: 15000 }).catch(() => {});
    const shownText = (await page.textContent('#problems')) + (await page.textContent('#results'));
    check(expect.test(shownText), `malformed paste (${what}): a clear message`, shownText.slice(0, 200));
    check(responsive < 1000, `malformed paste (${what}): the tab keeps answering`, `${responsive} ms`);
  }

  // 5. a trapping module -----------------------------------------------------------------
  const wat = path.join(root, 'host/runtime/tests/data/trap_in_validate.wat');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxgate-trap-'));
  execFileSync(path.join(root, 'tools/node_modules/.bin/wasm-as'), [wat, '-o', path.join(tmp, 'trap.wasm')]);
  const request = cases[0].request;
  fs.writeFileSync(path.join(tmp, 'request.json'), JSON.stringify(request));
  const native = JSON.parse(execFileSync(path.join(root, 'target/debug/fluxgate'),
    ['run', wat, '-r', path.join(tmp, 'request.json')], { encoding: 'utf8' }));
  const bytes = [...fs.readFileSync(path.join(tmp, 'trap.wasm'))];
  const trapped = await page.evaluate(async ({ bytes, request, object }) => {
    await window.fluxgate.addPolicy('trap-guest', new Uint8Array(bytes));
    const response = await window.fluxgate.validate('trap-guest', request, {}, {});
    const pasted = await window.fluxgate.evaluate(object, { policies: ['trap-guest'] });
    return { response, pasted };
  }, { bytes, request, object: JSON.stringify(request.object ?? request.oldObject) });
  check(same(native, trapped.response), 'trap: the browser answers the native host\'s 500',
    `native ${JSON.stringify(native)}\n      browser ${JSON.stringify(trapped.response)}`);
  const pastedVerdict = trapped.pasted[0] || {};
  check(pastedVerdict.allowed === false && pastedVerdict.code === 500 && pastedVerdict.message === native.status.message,
    'trap: a pasted document shows that policy\'s 500', JSON.stringify(pastedVerdict));
  console.log(`playground: trap → ${trapped.response.status && trapped.response.status.message}`);

  check(foreign.length === 0, 'nothing is fetched from outside the bundle', foreign.join(', '));
  check(errors.length === 0, 'no uncaught error in the page', errors.join('\n'));
} finally {
  await context.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

const sizes = {
  hostWasm: fs.statSync(path.join(site, 'pkg/fluxgate_playground_bg.wasm')).size,
  site: (function du(d) {
    return fs.readdirSync(d, { withFileTypes: true }).reduce((n, e) =>
      n + (e.isDirectory() ? du(path.join(d, e.name)) : fs.statSync(path.join(d, e.name)).size), 0);
  })(site),
};
Object.assign(figures, sizes);
fs.writeFileSync(path.join(root, 'target/playground-figures.json'), JSON.stringify(figures, null, 1));

if (bless) {
  const kib = (n) => `${Math.round(n / 1024)} KiB`;
  const block = [
    '<!-- playground: generated by `FLUXGATE_BLESS=1 just test-playground` -->',
    `Page ready to evaluate in ${figures.readyMs} ms from navigation (fresh browser profile; the ${figures.policies} modules ` +
      `compiled in ${figures.compileMs} ms, then one accepted and one denied fixture per policy run to warm them up); ` +
      `a 20-document paste judged by every policy (${figures.verdicts} verdicts) in ` +
      `${figures.evalFirstMs} ms (median of 7 runs: ${figures.evalMedianMs} ms); ${figures.casesEqual} of ${figures.cases} ` +
      `fixtures answered exactly as the native host answers. Host module ${kib(figures.hostWasm)}, whole site ` +
      `${kib(figures.site)}. Chromium, headless, on ${os.cpus().length} cores.`,
    '<!-- end of playground -->',
  ].join('\n');
  const readme = path.join(root, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const re = /<!-- playground: generated by [^\n]*-->\n[\s\S]*?\n<!-- end of playground -->/;
  if (re.test(text)) {
    fs.writeFileSync(readme, text.replace(re, () => block));
    console.log('playground: README figures rewritten');
  } else {
    console.log('playground: README has no playground block to rewrite');
  }
}

console.log(failures ? `playground: ${failures} failing` : 'playground: all checks passed');
process.exit(failures ? 1 : 0);
