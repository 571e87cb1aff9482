// The playground's Web Worker: compiles every policy module once (WebAssembly.compileStreaming)
// and hands them to the Rust host (fluxgate_playground, built with wasm-bindgen), which makes a
// fresh instance per evaluation, as policy-server does. Evaluations run here, off the page's
// thread, so a large paste or a runaway module never freezes the tab (the page restarts this
// worker when a call takes too long).
import init, { Playground } from './pkg/fluxgate_playground.js';

let playground;
const WARM_UP_ROUNDS = 2;

async function compile(url) {
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch (e) {
    // A server that does not send application/wasm: compile from the bytes.
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

const ready = (async () => {
  const started = performance.now();
  const manifest = await (await fetch('manifest.json')).json();
  const [, modules] = await Promise.all([
    init({ module_or_path: new URL('pkg/fluxgate_playground_bg.wasm', import.meta.url) }),
    Promise.all(manifest.policies.map((name) => compile(`policies/${name}.wasm`))),
  ]);
  playground = new Playground();
  manifest.policies.forEach((name, i) => playground.add_policy(name, modules[i]));
  const compileMs = performance.now() - started;
  await warmUp();
  return { policies: JSON.parse(playground.policies()), compileMs, warmUpMs: performance.now() - started - compileMs };
})();

/// One accepted and one denied fixture per policy, judged once while the page loads: the
/// engine compiles a module's functions when they first run, so the first paste would
/// otherwise pay for it.
async function warmUp() {
  let examples = [];
  try {
    examples = await (await fetch('examples.json')).json();
  } catch {
    return; // no examples in this build: the first evaluation warms up instead
  }
  const done = new Set();
  const chosen = [];
  for (const ex of examples) {
    const key = `${ex.policy} ${ex.allowed}`;
    if (done.has(key) || !ex.yaml || !ex.settingsValid || ex.operation !== 'CREATE') continue;
    done.add(key);
    chosen.push(ex);
  }
  // Twice: the second round also lets the engine start optimising what the first ran.
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    for (const ex of chosen) {
      playground.evaluate(ex.yaml, JSON.stringify({ username: ex.user, policies: [ex.policy], settings: { [ex.policy]: ex.settings } }));
    }
  }
}

const json = (v) => (v === undefined || v === null ? '' : JSON.stringify(v));

const methods = {
  ready: () => ready,
  policies: () => JSON.parse(playground.policies()),
  evaluate: (yaml, options) => JSON.parse(playground.evaluate(String(yaml ?? ''), json(options))),
  validate: (policy, request, settings, cluster) =>
    JSON.parse(playground.validate(policy, json(request), json(settings), json(cluster))),
  explain: (policy, request, settings, cluster) =>
    JSON.parse(playground.explain(policy, json(request), json(settings), json(cluster))),
  validateSettings: (policy, settings) => JSON.parse(playground.validate_settings(policy, json(settings))),
  addPolicy: async (name, bytes) => JSON.parse(playground.add_policy(name, await WebAssembly.compile(bytes))),
};

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    await ready;
    const started = performance.now();
    const result = await methods[method](...args);
    self.postMessage({ id, result, ms: performance.now() - started });
  } catch (e) {
    self.postMessage({ id, error: String((e && e.message) || e) });
  }
};
