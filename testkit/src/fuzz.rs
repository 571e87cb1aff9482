//! `fluxgate-testkit fuzz [N]`: structure-aware fuzzing of every policy through its real
//! wasm module, with the production limits (2 s deadline, 256 MiB memory cap).
//!
//! Cases start from the policy's fixtures (the request each one sends, with its settings and
//! cluster) or from an object generated from the real CRD schema of a kind the policy judges
//! ([`generate`]), and most are then broken by one to four mutations ([`mutate::CLASSES`]:
//! type flips, deletions, nulls, odd and look-alike strings, other operations, odd
//! `userInfo`, disagreeing kinds, other apiVersions, nesting around serde's limit, 100k-item
//! lists and maps, 1 MB strings). Each case is run on a reused instance (fast), and one case
//! in `--fresh-every` plus every failing one again on a fresh instance, as policy-server runs
//! every request; the fresh answer is the one that counts, and a reused instance that
//! answers differently is a failure of its own (state leaking between requests).
//!
//! What fails a run: a trap; a 500 (a response with code 500, or a call that errors out); a
//! timeout (the deadline hit); a 400 without a field path; a reused instance disagreeing with
//! a fresh one, or `fluxgate_explain` disagreeing with `validate`. A rejection "names a field
//! path" when every denying finding behind it (the `fluxgate_explain` findings, which is what
//! the message is made of: `field: problem; fix: ...`) has a field that is a path: not empty
//! and not serde_path_to_error's root `.`; and a finding on the whole `request` (a payload the
//! policy cannot read) says where in its text (serde's `at line L column C`, or the field the
//! request's shape check names: `request: ...`, `request.operation: ...`).
//!
//! Every case is generated from `(seed, policy, index)` alone, so `--case I` replays one.
//! A failing case is minimised greedily on fresh instances (halving lists, maps and strings,
//! dropping keys and items, halving the nesting depth while it still fails the same way) and
//! written under `target/fuzz/<policy>/`: the payload as JSON and, when the fixture format can
//! express the request, a draft fixture to finish (its `expect`) and move into
//! `policies/<policy>/fixtures/` once the policy is fixed.

pub mod generate;
pub mod mutate;
pub mod worst;

use crate::fixture::{Expect, Fixture, Substrings};
use crate::runner::{self, PolicyUnderTest};
use crate::schema::CrdSchemas;
use fluxgate_protocol::admission::{AdmissionRequest, AdmissionResponse, response_from_answer};
use fluxgate_protocol::explain::{EXPLAIN_OPERATION, Explained};
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::Policy;
use fluxgate_runtime::runtime::{DEADLINE_MESSAGE, Instance, Limits, Runtime, WapcError};
use generate::{Corpus, Rng};
use mutate::{DEEP_MARKER, Deep, Seg};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The seed of a run that names none ("fluxgate" in ASCII).
pub const DEFAULT_SEED: u64 = 0x666c_7578_6761_7465;

/// A reused instance whose memory grew past this is dropped after the call, so that one
/// 100k-item case does not keep its memory for the rest of the run.
const REUSED_MEMORY_LIMIT: usize = 64 << 20;

/// One fuzz case, before it is serialised.
#[derive(Clone)]
pub struct Case {
    pub index: u64,
    /// The AdmissionRequest, as JSON (mutated freely: it need not deserialise).
    pub request: Value,
    pub settings: Value,
    /// The evaluation context (cluster state) it runs with.
    pub ctx: usize,
    /// Raw nesting spliced in at [`DEEP_MARKER`].
    pub deep: Option<Deep>,
    /// A cluster state of its own (the `cluster-state` mutation) instead of the context's.
    pub cluster: Option<Value>,
    /// The fixture or schema it started from.
    pub origin: String,
    pub mutations: Vec<&'static str>,
}

impl Case {
    /// The `validate` payload: `{"request": ..., "settings": ...}`.
    pub fn payload(&self) -> Vec<u8> {
        let settings = if self.settings.is_null() {
            json!({})
        } else {
            self.settings.clone()
        };
        let mut out = b"{\"request\":".to_vec();
        out.extend(self.request_bytes());
        out.extend(b",\"settings\":");
        out.extend(serde_json::to_vec(&settings).unwrap_or_default());
        out.push(b'}');
        out
    }

    /// The request alone, as `fluxgate run -r` reads it.
    pub fn request_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(&self.request).unwrap_or_default();
        if let Some(deep) = self.deep {
            let marker = serde_json::to_vec(&json!(DEEP_MARKER)).unwrap_or_default();
            if let Some(at) = out.windows(marker.len()).position(|w| w == marker) {
                out.splice(at..at + marker.len(), deep.text().into_bytes());
            }
        }
        out
    }

    /// The cluster state the case runs with.
    pub fn cluster_state<'a>(&'a self, corpus: &'a Corpus) -> &'a Value {
        self.cluster.as_ref().unwrap_or(&corpus.contexts[self.ctx])
    }

    /// `type-flip+100k-list on reject-foo.yaml`.
    pub fn label(&self) -> String {
        let mutations = if self.mutations.is_empty() {
            "unmutated".to_string()
        } else {
            self.mutations.join("+")
        };
        let deep = self
            .deep
            .map(|d| format!(" (depth {})", d.depth))
            .unwrap_or_default();
        format!("{mutations}{deep} on {}", self.origin)
    }

    /// What the host's response mapping reads of the request: the uid. (Without the object a
    /// policy that answered with a mutation would be turned into a rejection without a
    /// finding, and reported: these policies only validate.)
    fn host_request(&self) -> AdmissionRequest {
        AdmissionRequest {
            uid: self.request["uid"].as_str().unwrap_or_default().to_string(),
            ..Default::default()
        }
    }
}

/// Case `index` of `policy` under `seed`: a seed fixture or a schema-generated object, then
/// (nine times in ten) mutations.
pub fn case(corpus: &Corpus, seed: u64, policy: &str, index: u64, big_per_mille: u32) -> Case {
    let mut rng = Rng::for_case(seed, policy, index);
    let uid = format!("fuzz-{index}");
    let base = rng.pick(&corpus.seeds).clone();
    let (request, origin) = if !corpus.schema_kinds.is_empty() && rng.chance(0.35) {
        let kind = rng.pick(&corpus.schema_kinds);
        let request = generate::schema_request(corpus, kind, &mut rng, &uid);
        let api = request["object"]["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (request, format!("{} {api} from its CRD schema", kind.kind))
    } else {
        let mut request = base.request.clone();
        request["uid"] = json!(uid);
        (request, base.name.clone())
    };
    let mut case = Case {
        index,
        request,
        settings: base.settings,
        ctx: base.ctx,
        deep: None,
        cluster: None,
        origin,
        mutations: Vec::new(),
    };
    if rng.chance(0.9) {
        mutate::mutate(&mut case, corpus, &mut rng, big_per_mille);
    }
    case
}

/// What one evaluation ended in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Accepted,
    Denied,
    BadRequest,
    Trap,
    Error500,
    Timeout,
    Pathless400,
    Mismatch,
}

impl Class {
    pub fn failed(self) -> bool {
        matches!(
            self,
            Class::Trap | Class::Error500 | Class::Timeout | Class::Pathless400 | Class::Mismatch
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Class::Accepted => "accepted",
            Class::Denied => "denied",
            Class::BadRequest => "400",
            Class::Trap => "trap",
            Class::Error500 => "500",
            Class::Timeout => "timeout",
            Class::Pathless400 => "pathless-400",
            Class::Mismatch => "mismatch",
        }
    }
}

/// One evaluation: its class, what went wrong (for failures), the response, the time of
/// the `validate` call and the instance's memory after it.
#[derive(Clone, Debug)]
pub struct Eval {
    pub class: Class,
    pub detail: String,
    pub response: Option<AdmissionResponse>,
    pub time: Duration,
    pub memory: usize,
}

impl Eval {
    /// A failure of the host to even start the evaluation: a 500 in policy-server.
    fn error(detail: String) -> Self {
        Eval {
            class: Class::Error500,
            detail,
            response: None,
            time: Duration::ZERO,
            memory: 0,
        }
    }

    /// What a minimised case must keep failing with: the class and the failure's words
    /// (digits dropped: line and column numbers move as the case shrinks).
    fn signature(&self) -> (Class, String) {
        let words: String = self
            .detail
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(80)
            .collect();
        (self.class, words)
    }
}

/// Whether a denying finding names where the problem is (see the module documentation).
pub fn names_field_path(field: &str, problem: &str) -> bool {
    // serde_path_to_error writes the root as `.`; an empty key shows as an empty segment
    // (`metadata.labels.`), which still says where.
    if field.chars().all(|c| c == '.') {
        return false;
    }
    if field == "request" {
        // The payload could not be read: its text must say where (serde's position, or the
        // field the request's shape check names: `request: ...`, `request.operation: ...`).
        return problem.contains(" at line ")
            || problem.contains(": request: ")
            || problem.contains(": request.")
            || problem.contains(": request[");
    }
    true
}

/// Runs `validate` (and, for a rejection, `fluxgate_explain`) on `instance`; the second value
/// says whether the instance may be used again.
pub fn evaluate(
    instance: &mut Instance,
    request: &AdmissionRequest,
    payload: &[u8],
) -> (Eval, bool) {
    let start = Instant::now();
    let answer = instance.call("validate", payload);
    let time = start.elapsed();
    let memory = instance.memory_size();
    let eval = |class, detail: String, response| Eval {
        class,
        detail,
        response,
        time,
        memory,
    };
    let bytes = match answer {
        Ok(bytes) => bytes,
        Err(WapcError::GuestCallFailure(m)) if m.contains(DEADLINE_MESSAGE) => {
            return (eval(Class::Timeout, m, None), false);
        }
        Err(e) => {
            let m = e.to_string();
            let class = if m.contains("wasm trap") || m.contains("wasm backtrace") {
                Class::Trap
            } else {
                Class::Error500
            };
            return (eval(class, m, None), false);
        }
    };
    let response = response_from_answer(request, &bytes);
    let code = response.status.as_ref().and_then(|s| s.code);
    if code == Some(500) {
        let m = response.message().unwrap_or_default().to_string();
        return (eval(Class::Error500, m, Some(response)), true);
    }
    if response.allowed {
        return (eval(Class::Accepted, String::new(), Some(response)), true);
    }
    let explained = match instance.call(EXPLAIN_OPERATION, payload) {
        Ok(bytes) => Explained::from_answer(request, &bytes),
        Err(e) => Err(format!("{EXPLAIN_OPERATION}: {e}")),
    };
    let explained = match explained {
        Ok(e) => e,
        Err(m) => return (eval(Class::Error500, m, Some(response)), false),
    };
    if explained.response != response {
        let m = format!(
            "{EXPLAIN_OPERATION} answered {} where validate answered {}",
            serde_json::to_string(&explained.response).unwrap_or_default(),
            serde_json::to_string(&response).unwrap_or_default()
        );
        return (eval(Class::Mismatch, m, Some(response)), true);
    }
    let denying: Vec<_> = explained
        .findings
        .iter()
        .filter(|f| f.severity == fluxgate_protocol::Severity::Deny)
        .collect();
    let pathless = denying
        .iter()
        .find(|f| !names_field_path(&f.field, &f.problem));
    if denying.is_empty() || pathless.is_some() {
        let m = match pathless {
            Some(f) => format!("[{}] field {:?}: {}", f.rule, f.field, f.problem),
            None => format!(
                "rejected without a denying finding: {}",
                response.message().unwrap_or_default()
            ),
        };
        return (eval(Class::Pathless400, m, Some(response)), true);
    }
    let class = if code == Some(400) {
        Class::BadRequest
    } else {
        Class::Denied
    };
    (eval(class, String::new(), Some(response)), true)
}

/// One policy's module, contexts and reused instances.
pub struct Target<'a> {
    pub name: String,
    runtime: &'a Runtime,
    module: Policy,
    contexts: Vec<Arc<EvaluationContext>>,
    /// The policy's `contextAwareResources`, for contexts made for one case.
    allowed: std::collections::BTreeSet<(String, String)>,
    reused: HashMap<usize, Instance>,
}

impl<'a> Target<'a> {
    pub fn new(
        runtime: &'a Runtime,
        root: &Path,
        policy: &PolicyUnderTest,
        corpus: &Corpus,
    ) -> anyhow::Result<Self> {
        let wasm = policy.wasm_path(root);
        anyhow::ensure!(
            wasm.exists(),
            "{} is missing: build the policies first (`just build`)",
            wasm.display()
        );
        let module = Policy::load(runtime, &wasm)?;
        let metadata =
            Metadata::from_yaml(&std::fs::read_to_string(policy.dir.join("metadata.yml"))?)?;
        let allowed: std::collections::BTreeSet<(String, String)> = metadata.granted_resources();
        let contexts = corpus
            .contexts
            .iter()
            .map(|c| context(&policy.name, c, &allowed))
            .collect();
        Ok(Target {
            name: policy.name.clone(),
            runtime,
            module,
            contexts,
            allowed,
            reused: HashMap::new(),
        })
    }

    /// A fresh instance for `case`: its context's, or one made for its own cluster state.
    fn instantiate(&self, case: &Case) -> Result<Instance, String> {
        let ctx = match &case.cluster {
            Some(cluster) => context(&self.name, cluster, &self.allowed),
            None => self.contexts[case.ctx].clone(),
        };
        self.runtime
            .instantiate(&self.module.module, ctx)
            .map_err(|e| format!("cannot instantiate: {e}"))
    }

    /// The case on a fresh instance, as policy-server runs every request.
    pub fn fresh(&self, case: &Case) -> Eval {
        self.fresh_payload(case, &case.payload())
    }

    fn fresh_payload(&self, case: &Case, payload: &[u8]) -> Eval {
        match self.instantiate(case) {
            Ok(mut instance) => evaluate(&mut instance, &case.host_request(), payload).0,
            Err(e) => Eval::error(e),
        }
    }

    /// The time of `validate` alone on a fresh instance, and the memory after it.
    pub fn time_validate(&self, case: &Case, payload: &[u8]) -> Result<(Duration, usize), String> {
        let mut instance = self.instantiate(case)?;
        let start = Instant::now();
        let answer = instance.call("validate", payload);
        let time = start.elapsed();
        answer.map_err(|e| e.to_string())?;
        Ok((time, instance.memory_size()))
    }

    /// The case on the reused instance of its context.
    pub fn reused(&mut self, case: &Case, payload: &[u8]) -> Eval {
        if case.cluster.is_some() {
            return self.fresh_payload(case, payload); // a context of its own
        }
        let mut instance = match self.reused.remove(&case.ctx) {
            Some(i) => i,
            None => match self.instantiate(case) {
                Ok(i) => i,
                Err(e) => return Eval::error(e),
            },
        };
        let (eval, usable) = evaluate(&mut instance, &case.host_request(), payload);
        if usable && eval.memory <= REUSED_MEMORY_LIMIT {
            self.reused.insert(case.ctx, instance);
        }
        eval
    }
}

/// What a policy's host capabilities answer from: `cluster` (a fixture's `clusterState`).
fn context(
    policy: &str,
    cluster: &Value,
    allowed: &std::collections::BTreeSet<(String, String)>,
) -> Arc<EvaluationContext> {
    Arc::new(EvaluationContext {
        policy_id: policy.to_string(),
        cluster: serde_json::from_value::<ClusterState>(cluster.clone()).unwrap_or_default(),
        allowed_resources: allowed.clone(),
        log: LogSink::Discard,
        ..Default::default()
    })
}

/// A failure kept for the report: the first of its class in a policy.
#[derive(Clone)]
pub struct Failure {
    pub case: Case,
    pub eval: Eval,
    /// Where the minimised case was written.
    pub saved: Vec<PathBuf>,
}

/// One policy's row of the report.
#[derive(Default, Clone)]
pub struct Report {
    pub policy: String,
    pub evaluations: u64,
    pub fresh: u64,
    pub counts: HashMap<Class, u64>,
    pub worst_time: Duration,
    pub worst_case: String,
    pub peak_memory: usize,
    pub failures: Vec<Failure>,
    pub elapsed: Duration,
    /// Timeouts on a reused instance that a fresh one did not repeat.
    pub retried_timeouts: u64,
}

impl Report {
    fn count(&self, class: Class) -> u64 {
        self.counts.get(&class).copied().unwrap_or(0)
    }

    pub fn failed(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(c, _)| c.failed())
            .map(|(_, n)| n)
            .sum()
    }

    fn note(&mut self, eval: &Eval, case: &Case) {
        if eval.time > self.worst_time {
            self.worst_time = eval.time;
            self.worst_case = format!("#{} {}", case.index, case.label());
        }
        self.peak_memory = self.peak_memory.max(eval.memory);
    }
}

/// Options of a run.
#[derive(Clone)]
pub struct Options {
    pub root: PathBuf,
    pub cases: u64,
    pub seed: u64,
    pub policies: Vec<String>,
    pub jobs: usize,
    pub fresh_every: u64,
    /// Only this case (printed in full).
    pub only_case: Option<u64>,
    /// A saved payload (`target/fuzz/<policy>/*.json`) to run, minimise and save again.
    pub replay: Option<PathBuf>,
    pub worst: bool,
    /// Where failing cases are written (`target/fuzz`).
    pub out: PathBuf,
    pub minimise: bool,
    /// Cases in 1,000 that also get a big mutation (100k items, 1 MB strings).
    pub big_per_mille: u32,
    pub help: bool,
}

const USAGE: &str = "usage: fluxgate-testkit fuzz [N] [--seed S] [--policy P]... [--jobs J]
       [--fresh-every K] [--big-per-mille B] [--case I] [--replay FILE] [--no-worst] [--no-minimise] [--root DIR]

  N                  cases per policy (default 10000)
  --seed S           the run's seed (default 0x666c757867617465); the same seed, the same cases
  --policy P         only these policies (repeatable)
  --jobs J           policies fuzzed at once (default: the machine's cores)
  --fresh-every K    every Kth case also on a fresh instance (default 16; failures always)
  --big-per-mille B  cases in 1000 that also get a 100k-item list or map or a 1 MB string (default 3)
  --case I           run case I alone, print it, and write its request, settings and cluster
                     to target/fuzz/<policy>/ (for `fluxgate run -r`); minimise it if it fails
  --replay FILE      the same for a payload saved under target/fuzz/ (with --policy)
  --no-worst         skip the worst cases (3 MiB UPDATE, 100k values keys, 10k rules)
  --no-minimise      save failing cases as found
";

impl Options {
    pub fn parse(args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut o = Options {
            root: PathBuf::from("."),
            cases: 10_000,
            seed: DEFAULT_SEED,
            policies: Vec::new(),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            fresh_every: 16,
            only_case: None,
            replay: None,
            worst: true,
            out: PathBuf::new(),
            minimise: true,
            big_per_mille: 3,
            help: false,
        };
        let mut args = args.peekable();
        let number = |s: Option<String>, what: &str| -> anyhow::Result<u64> {
            let s = s.ok_or_else(|| anyhow::anyhow!("{what} needs a value"))?;
            let s = s.replace(['_', ','], "");
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            }
            .map_err(|e| anyhow::anyhow!("{what} {s:?}: {e}"))
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--seed" => o.seed = number(args.next(), "--seed")?,
                "--policy" | "-p" => o.policies.push(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--policy needs a name"))?,
                ),
                "--jobs" | "-j" => o.jobs = number(args.next(), "--jobs")?.max(1) as usize,
                "--fresh-every" => o.fresh_every = number(args.next(), "--fresh-every")?.max(1),
                "--case" => o.only_case = Some(number(args.next(), "--case")?),
                "--replay" => {
                    o.replay = Some(
                        args.next()
                            .ok_or_else(|| anyhow::anyhow!("--replay needs a file"))?
                            .into(),
                    )
                }
                "--root" => {
                    o.root = args
                        .next()
                        .ok_or_else(|| anyhow::anyhow!("--root needs a directory"))?
                        .into()
                }
                "--no-worst" => o.worst = false,
                "--no-minimise" => o.minimise = false,
                "--big-per-mille" => {
                    o.big_per_mille = number(args.next(), "--big-per-mille")?.min(1000) as u32
                }
                "-h" | "--help" => o.help = true,
                n if !n.starts_with('-') => o.cases = number(Some(n.to_string()), "N")?,
                other => anyhow::bail!("fuzz: unknown argument {other:?} (see --help)"),
            }
        }
        o.out = o.root.join("target/fuzz");
        Ok(o)
    }
}

/// The `fuzz` subcommand: true when nothing failed.
pub fn run(args: impl Iterator<Item = String>) -> anyhow::Result<bool> {
    let options = Options::parse(args)?;
    if options.help {
        print!("{USAGE}");
        return Ok(true);
    }
    let root = options.root.clone();
    let policies: Vec<PolicyUnderTest> = runner::discover(&root)?
        .into_iter()
        .filter(|p| options.policies.is_empty() || options.policies.contains(&p.name))
        .collect();
    anyhow::ensure!(!policies.is_empty(), "fuzz: no policy matches");
    let schemas = runner::crd_schemas(&root)?;
    let runtime = Runtime::new(Limits::default())?;
    if options.only_case.is_some() || options.replay.is_some() {
        return replay_one(&runtime, &schemas, &policies, &options);
    }
    println!(
        "fuzz: seed {:#x}, {} cases per policy, {} policies, {} jobs, every {}th case and every failure also on a fresh instance",
        options.seed,
        options.cases,
        policies.len(),
        options.jobs,
        options.fresh_every
    );
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let reports = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.min(policies.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(policy) = policies.get(i) else { break };
                    let report = fuzz_policy(&runtime, &schemas, policy, &options);
                    if let Ok(mut r) = reports.lock() {
                        r.push(report);
                    }
                }
            });
        }
    });
    let mut reports: Vec<_> = reports
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a fuzz thread panicked"))?
        .into_iter()
        .collect::<anyhow::Result<Vec<Report>>>()?;
    reports.sort_by(|a, b| a.policy.cmp(&b.policy));
    let elapsed = started.elapsed();
    print!("{}", table(&reports));
    let failed: u64 = reports.iter().map(Report::failed).sum();
    let total: u64 = reports.iter().map(|r| r.evaluations).sum();
    let fresh: u64 = reports.iter().map(|r| r.fresh).sum();
    for r in &reports {
        for f in &r.failures {
            println!(
                "  ✗ {}: {} on case #{} ({}): {}",
                r.policy,
                f.eval.class.name(),
                f.case.index,
                f.case.label(),
                truncate(&f.eval.detail, 300)
            );
            println!(
                "      replay: fluxgate-testkit fuzz --seed {:#x} --policy {} --case {}",
                options.seed, r.policy, f.case.index
            );
            for path in &f.saved {
                println!("      saved: {}", path.display());
            }
        }
    }
    let retried: u64 = reports.iter().map(|r| r.retried_timeouts).sum();
    println!(
        "fuzz: {total} evaluations ({fresh} also on a fresh instance{}) in {:.1} s, seed {:#x}: {}",
        if retried > 0 {
            format!(", {retried} timeouts a fresh instance did not repeat")
        } else {
            String::new()
        },
        elapsed.as_secs_f64(),
        options.seed,
        if failed == 0 {
            "0 traps, 0 500s, 0 timeouts, 0 400s without a field path".to_string()
        } else {
            format!("{failed} failing")
        }
    );
    if options.worst {
        let rows = worst::run_all(&runtime, &root, &policies, 3, 1)?;
        print!("{}", worst::table(&rows));
        println!("{}", worst::summary(&rows));
        let bad: Vec<_> = rows
            .iter()
            .filter(|r| r.failure.is_some() || r.median > worst::LIMIT)
            .collect();
        for r in &bad {
            println!(
                "  ✗ {} on {}: {}",
                r.policy,
                r.case,
                r.failure.clone().unwrap_or_else(|| format!(
                    "{:.0} ms, over the {} ms limit",
                    r.median.as_secs_f64() * 1e3,
                    worst::LIMIT.as_millis()
                ))
            );
        }
        if !bad.is_empty() {
            return Ok(false);
        }
    }
    Ok(failed == 0)
}

fn fuzz_policy(
    runtime: &Runtime,
    schemas: &CrdSchemas,
    policy: &PolicyUnderTest,
    options: &Options,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let corpus = Corpus::load(&policy.fixtures()?, schemas)
        .map_err(|e| anyhow::anyhow!("{}: {e}", policy.name))?;
    let mut target = Target::new(runtime, &options.root, policy, &corpus)?;
    let mut report = Report {
        policy: policy.name.clone(),
        ..Default::default()
    };
    let progress_every = (options.cases / 10).max(1);
    for index in 0..options.cases {
        let case = case(
            &corpus,
            options.seed,
            &policy.name,
            index,
            options.big_per_mille,
        );
        let payload = case.payload();
        let reused = target.reused(&case, &payload);
        report.evaluations += 1;
        report.note(&reused, &case);
        let mut outcome = reused.clone();
        if reused.class.failed() || index % options.fresh_every == 0 {
            let fresh = target.fresh_payload(&case, &payload);
            report.fresh += 1;
            report.note(&fresh, &case);
            let same = fresh.class == reused.class && fresh.response == reused.response;
            // The deadline is wall-clock time: a timeout a fresh instance does not repeat was
            // the machine being busy, not the policy.
            let noise = reused.class == Class::Timeout && fresh.class != Class::Timeout;
            report.retried_timeouts += u64::from(noise);
            outcome = if fresh.class.failed() || same || noise {
                fresh
            } else {
                Eval {
                    class: Class::Mismatch,
                    detail: format!(
                        "a reused instance answered {} ({}), a fresh one {} ({})",
                        reused.class.name(),
                        short_response(&reused),
                        fresh.class.name(),
                        short_response(&fresh)
                    ),
                    ..fresh
                }
            };
        }
        *report.counts.entry(outcome.class).or_default() += 1;
        if outcome.class.failed()
            && !report
                .failures
                .iter()
                .any(|f| f.eval.class == outcome.class)
        {
            report.failures.push(Failure {
                case,
                eval: outcome,
                saved: Vec::new(),
            });
        }
        if options.cases >= 100_000 && (index + 1) % progress_every == 0 {
            eprintln!(
                "fuzz: {}: {} of {} cases, {:.0} s",
                policy.name,
                index + 1,
                options.cases,
                started.elapsed().as_secs_f64()
            );
        }
    }
    for failure in &mut report.failures {
        let case = if options.minimise && failure.eval.class != Class::Mismatch {
            minimise(&target, &corpus, &failure.case, &failure.eval)
        } else {
            failure.case.clone()
        };
        failure.saved = save(
            &options.out,
            &policy.name,
            options.seed,
            &case,
            &failure.eval,
            &corpus,
            schemas,
        )?;
    }
    report.elapsed = started.elapsed();
    eprintln!(
        "fuzz: {}: {} cases in {:.1} s",
        policy.name,
        options.cases,
        report.elapsed.as_secs_f64()
    );
    Ok(report)
}

fn short_response(eval: &Eval) -> String {
    match &eval.response {
        Some(r) => truncate(&serde_json::to_string(r).unwrap_or_default(), 200),
        None => truncate(&eval.detail, 200),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        s.to_string()
    } else {
        format!("{}… ({} bytes)", &s[..s.floor_char_boundary(max)], s.len())
    }
}

/// Shrinks a failing case while a fresh instance still fails it the same way: halve the
/// nesting depth, halve lists, maps and strings, drop keys and items, until nothing more
/// goes (or 4,000 tries, or 60 s).
pub fn minimise(target: &Target, corpus: &Corpus, case: &Case, failing: &Eval) -> Case {
    let want = failing.signature();
    let started = Instant::now();
    let tries = std::cell::Cell::new(0usize);
    let fails = |c: &Case| {
        tries.set(tries.get() + 1);
        target.fresh(c).signature() == want
    };
    let out_of_budget = || tries.get() >= 4000 || started.elapsed() > Duration::from_secs(60);
    // When what a fixture can say still fails the same way, shrink only the objects and
    // derive the rest of the request from them, so that the result is a fixture.
    let projected = project(case, corpus).filter(|p| fails(p));
    let as_fixture = projected.is_some();
    let mut best = projected.unwrap_or_else(|| case.clone());
    while let Some(deep) = best.deep.filter(|d| d.depth > 1) {
        let mut c = best.clone();
        c.deep = Some(Deep {
            depth: deep.depth / 2,
            ..deep
        });
        if !fails(&c) {
            break;
        }
        best = c;
    }
    // Pre-order, so a container is halved before its items are tried one by one; after
    // every success the paths are listed again and the walk goes on from where it was.
    let mut at = 0;
    loop {
        let all: Vec<mutate::Path> = mutate::paths(&best.request, &Vec::new(), usize::MAX)
            .into_iter()
            .filter(|p| {
                !as_fixture
                    || matches!(p.first(), Some(Seg::Key(k)) if k == "object" || k == "oldObject")
            })
            .collect();
        let Some(path) = all.get(at) else { break };
        at += 1;
        let Some(node) = mutate::get(&best.request, path) else {
            continue;
        };
        let mut attempts: Vec<Option<Value>> = Vec::new();
        match node {
            Value::Array(items) if items.len() > 1 => {
                let half = items.len() / 2;
                attempts.push(Some(Value::Array(items[..half].to_vec())));
                attempts.push(Some(Value::Array(items[half..].to_vec())));
            }
            Value::Object(map) if map.len() > 1 => {
                let half = map.len() / 2;
                let part = |skip: usize, take: usize| {
                    Value::Object(
                        map.iter()
                            .skip(skip)
                            .take(take)
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    )
                };
                attempts.push(Some(part(0, half)));
                attempts.push(Some(part(half, usize::MAX)));
            }
            Value::String(s) if s.len() > 8 && s != DEEP_MARKER => {
                attempts.push(Some(json!(s[..s.floor_char_boundary(s.len() / 2)])));
            }
            _ => {}
        }
        let marker = node == DEEP_MARKER;
        if !path.is_empty() && !marker && !is_skeleton(path) {
            attempts.push(None); // drop it
        }
        for attempt in attempts {
            if out_of_budget() {
                return best;
            }
            let mut c = best.clone();
            let changed = match attempt {
                Some(v) => mutate::get_mut(&mut c.request, path)
                    .map(|n| *n = v)
                    .is_some(),
                None => mutate::remove(&mut c.request, path),
            };
            let c = match (as_fixture, changed) {
                (true, true) => match project(&c, corpus) {
                    Some(p) => p,
                    None => continue,
                },
                _ => c,
            };
            if changed && fails(&c) {
                best = c;
                // The same place again: what replaced it may shrink further.
                at -= 1;
                break;
            }
        }
    }
    best
}

/// Paths the minimiser keeps so the result stays a readable request: the uid.
fn is_skeleton(path: &[Seg]) -> bool {
    matches!(path, [Seg::Key(k)] if k == "uid")
}

/// Writes a failing case: `<class>-<seed>-<index>.json` (the validate payload) and, when
/// the fixture format can say the same request, `<...>.yaml`, a draft fixture.
fn save(
    dir: &Path,
    policy: &str,
    seed: u64,
    case: &Case,
    eval: &Eval,
    corpus: &Corpus,
    schemas: &CrdSchemas,
) -> anyhow::Result<Vec<PathBuf>> {
    let dir = dir.join(policy);
    std::fs::create_dir_all(&dir)?;
    let stem = format!("{}-{seed:x}-{}", eval.class.name(), case.index);
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(&json_path, case.payload())?;
    let mut saved = vec![json_path];
    if let Some(yaml) = draft_fixture(case, eval, corpus, schemas) {
        let path = dir.join(format!("{stem}.yaml"));
        std::fs::write(&path, yaml)?;
        saved.push(path);
    }
    Ok(saved)
}

/// The case as a fixture, if the fixture format can express its request exactly.
/// The fixture a case would be read from: its operation, writer, settings, cluster and
/// objects, the rest of the request derived as `Fixture::request` derives it.
fn fixture_of(case: &Case, corpus: &Corpus) -> Option<Fixture> {
    if case.deep.is_some() {
        return None;
    }
    let r = &case.request;
    let user = r["userInfo"]["username"].as_str()?.to_string();
    let groups: Option<Vec<String>> = serde_json::from_value(r["userInfo"]["groups"].clone()).ok();
    let groups = groups.filter(|g| *g != fluxgate_protocol::admission::groups_of(&user));
    let cluster = case.cluster_state(corpus);
    Some(Fixture {
        description: String::new(),
        operation: r["operation"].as_str()?.to_string(),
        user: Some(user),
        groups,
        dry_run: r["dryRun"].as_bool(),
        settings: case.settings.clone(),
        cluster_state: (*cluster != json!({})).then(|| cluster.clone()),
        object: r.get("object").cloned().unwrap_or(Value::Null),
        old_object: r.get("oldObject").cloned().unwrap_or(Value::Null),
        malformed: None,
        expect: Expect {
            allowed: Some(false),
            message: Substrings::None,
            code: None,
            warning: None,
            rules: None,
            settings_valid: true,
        },
    })
}

/// The case with its request rebuilt from [`fixture_of`]: what a fixture can say.
fn project(case: &Case, corpus: &Corpus) -> Option<Case> {
    let fixture = fixture_of(case, corpus)?;
    let uid = case.request["uid"].as_str().unwrap_or("fuzz");
    let mut projected = case.clone();
    projected.request = serde_json::to_value(fixture.request(uid)).ok()?;
    Some(projected)
}

/// The case as a draft fixture, if the fixture format can express its request exactly.
fn draft_fixture(
    case: &Case,
    eval: &Eval,
    corpus: &Corpus,
    schemas: &CrdSchemas,
) -> Option<String> {
    let fixture = fixture_of(case, corpus)?;
    let r = &case.request;
    if serde_json::to_value(fixture.request(r["uid"].as_str()?)).ok()? != *r {
        return None;
    }
    let user = fixture.user.clone().unwrap_or_default();
    let groups = fixture.groups.clone();
    // In the order fixtures are written (a JSON map would sort the keys).
    let mut doc = Doc(serde_yaml::Mapping::new());
    doc.insert(
        "description",
        json!(format!(
            "fuzz: {} ({}), minimised; TODO: say what the case is about",
            eval.class.name(),
            case.label()
        )),
    );
    if fixture.operation != "CREATE" {
        doc.insert("operation", json!(fixture.operation));
    }
    doc.insert("user", json!(user));
    if let Some(g) = groups {
        doc.insert("groups", json!(g));
    }
    if let Some(d) = fixture.dry_run {
        doc.insert("dryRun", json!(d));
    }
    if !fixture.settings.is_null() {
        doc.insert("settings", fixture.settings.clone());
    }
    if let Some(c) = &fixture.cluster_state {
        doc.insert("clusterState", c.clone());
    }
    if !fixture.object.is_null() {
        if let Ok(errors) = schemas.validate(&fixture.object)
            && let Some(first) = errors.first()
        {
            doc.insert("malformed", json!(format!("fuzz: {first}")));
        }
        doc.insert("object", fixture.object.clone());
    }
    if !fixture.old_object.is_null() {
        doc.insert("oldObject", fixture.old_object.clone());
    }
    doc.insert(
        "expect",
        json!({"allowed": false, "rules": ["TODO: the verdict the policy should give"]}),
    );
    let yaml = serde_yaml::to_string(&doc.0).ok()?;
    Some(format!(
        "# Found by `fluxgate-testkit fuzz`: {} ({}).\n# Fix the policy, set `expect` to the verdict it should give, and move this file to\n# policies/<policy>/fixtures/{{reject,accept}}-fuzz-<what>.yaml.\n{yaml}",
        eval.class.name(),
        truncate(&eval.detail, 200).replace('\n', " ")
    ))
}

/// A YAML mapping that keeps its keys in insertion order.
struct Doc(serde_yaml::Mapping);

impl Doc {
    fn insert(&mut self, key: &str, value: Value) {
        let value = serde_yaml::to_value(value).unwrap_or(serde_yaml::Value::Null);
        self.0.insert(key.into(), value);
    }
}

/// `--case I`: one case of each selected policy, printed with its outcome.
fn replay_one(
    runtime: &Runtime,
    schemas: &CrdSchemas,
    policies: &[PolicyUnderTest],
    options: &Options,
) -> anyhow::Result<bool> {
    let saved = match &options.replay {
        Some(path) => {
            let payload: Value = serde_json::from_slice(&std::fs::read(path)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some((path.display().to_string(), payload))
        }
        None => None,
    };
    let index = options.only_case.unwrap_or(0);
    let mut ok = true;
    for policy in policies {
        let corpus = Corpus::load(&policy.fixtures()?, schemas)?;
        let target = Target::new(runtime, &options.root, policy, &corpus)?;
        let case = match &saved {
            // A saved payload runs with the empty cluster.
            Some((name, payload)) => Case {
                index,
                request: payload["request"].clone(),
                settings: payload["settings"].clone(),
                ctx: 0,
                deep: None,
                cluster: None,
                origin: name.clone(),
                mutations: Vec::new(),
            },
            None => case(
                &corpus,
                options.seed,
                &policy.name,
                index,
                options.big_per_mille,
            ),
        };
        let payload = case.payload();
        let eval = target.fresh_payload(&case, &payload);
        println!("== {} case #{index}: {}", policy.name, case.label());
        let dir = options.out.join(&policy.name);
        std::fs::create_dir_all(&dir)?;
        let stem = dir.join(format!("case-{:x}-{index}", options.seed));
        std::fs::write(stem.with_extension("request.json"), case.request_bytes())?;
        std::fs::write(
            stem.with_extension("settings.json"),
            serde_json::to_vec(&case.settings)?,
        )?;
        std::fs::write(
            stem.with_extension("cluster.json"),
            serde_json::to_vec(case.cluster_state(&corpus))?,
        )?;
        println!(
            "written: {0}.request.json, .settings.json, .cluster.json (for `fluxgate run -r`)",
            stem.display()
        );
        println!(
            "payload ({} bytes): {}",
            payload.len(),
            truncate(&String::from_utf8_lossy(&payload), 4000)
        );
        println!(
            "outcome: {} in {:.2} ms, memory {:.1} MiB{}",
            eval.class.name(),
            eval.time.as_secs_f64() * 1e3,
            eval.memory as f64 / (1 << 20) as f64,
            if eval.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", eval.detail)
            }
        );
        if let Some(r) = &eval.response {
            println!("response: {}", truncate(&serde_json::to_string(r)?, 4000));
        }
        if eval.class.failed() && options.minimise && eval.class != Class::Mismatch {
            let small = minimise(&target, &corpus, &case, &eval);
            for path in save(
                &options.out,
                &policy.name,
                options.seed,
                &small,
                &eval,
                &corpus,
                schemas,
            )? {
                println!("saved (minimised): {}", path.display());
            }
        }
        ok &= !eval.class.failed();
    }
    Ok(ok)
}

/// The report as a Markdown table, one row per policy.
pub fn table(reports: &[Report]) -> String {
    let mut out = String::from(
        "| policy | evaluations | accepted | denied by a rule | 400 (unreadable) | traps | 500s | timeouts | 400s without a field path | mismatches | worst evaluation | peak instance memory |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|\n",
    );
    for r in reports {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} ms ({}) | {:.1} MiB |\n",
            r.policy,
            r.evaluations,
            r.count(Class::Accepted),
            r.count(Class::Denied),
            r.count(Class::BadRequest),
            r.count(Class::Trap),
            r.count(Class::Error500),
            r.count(Class::Timeout),
            r.count(Class::Pathless400),
            r.count(Class::Mismatch),
            r.worst_time.as_secs_f64() * 1e3,
            truncate(&r.worst_case, 90).replace('|', "\\|"),
            r.peak_memory as f64 / (1 << 20) as f64
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// The schemas and every policy's corpus, loaded once for all the tests.
    fn corpora() -> &'static (CrdSchemas, Vec<(String, Corpus)>) {
        static LOADED: std::sync::OnceLock<(CrdSchemas, Vec<(String, Corpus)>)> =
            std::sync::OnceLock::new();
        LOADED.get_or_init(|| {
            let root = root();
            let schemas = runner::crd_schemas(&root).unwrap();
            let corpora = runner::discover(&root)
                .unwrap()
                .into_iter()
                .map(|p| {
                    let corpus = Corpus::load(&p.fixtures().unwrap(), &schemas).unwrap();
                    (p.name, corpus)
                })
                .collect();
            (schemas, corpora)
        })
    }

    #[test]
    fn a_field_path_is_anything_but_the_root() {
        assert!(names_field_path("spec.verify.mode", "invalid type"));
        assert!(names_field_path("apiVersion", "\"v9\" is not served"));
        assert!(names_field_path("metadata.labels.", "invalid type: map"));
        assert!(!names_field_path(".", "missing field `spec`"));
        assert!(!names_field_path("", "invalid"));
        let unreadable = "cannot read the admission request: ";
        assert!(names_field_path(
            "request",
            &format!("{unreadable}recursion limit exceeded at line 1 column 300")
        ));
        assert!(names_field_path(
            "request",
            &format!("{unreadable}request.operation: invalid type: integer `5`")
        ));
        assert!(names_field_path(
            "request",
            &format!("{unreadable}request: invalid type: boolean `true`, expected a map")
        ));
        assert!(!names_field_path(
            "request",
            &format!("{unreadable}invalid type: string, expected struct")
        ));
    }

    #[test]
    fn cases_are_reproducible_and_no_object_is_over_the_api_servers_limit() {
        for (policy, corpus) in &corpora().1 {
            assert!(!corpus.seeds.is_empty(), "{policy}");
            for index in 0..40 {
                // The first gets a big mutation too (made once: they are slow to make).
                let big = if index == 0 { 1000 } else { 0 };
                let a = case(corpus, DEFAULT_SEED, policy, index, big);
                if big == 0 {
                    let b = case(corpus, DEFAULT_SEED, policy, index, big);
                    assert_eq!(a.payload(), b.payload(), "{policy} #{index}");
                }
                let object = a
                    .request
                    .get("object")
                    .map_or(0, |o| serde_json::to_vec(o).map_or(0, |v| v.len()));
                assert!(
                    object <= mutate::OBJECT_LIMIT,
                    "{policy} #{index} ({}): {object} bytes",
                    a.label()
                );
                assert!(a.request.is_object(), "{policy} #{index}: {}", a.label());
            }
            let other = case(corpus, DEFAULT_SEED + 1, policy, 1, 0);
            let first = case(corpus, DEFAULT_SEED, policy, 1, 0);
            assert_ne!(
                other.payload(),
                first.payload(),
                "{policy}: the seed is not used"
            );
        }
    }

    #[test]
    fn raw_nesting_is_spliced_into_the_payload() {
        let (policy, corpus) = &corpora().1[0];
        let mut c = case(corpus, DEFAULT_SEED, policy, 3, 0);
        c.request["object"]["spec"] = json!(DEEP_MARKER);
        c.deep = Some(Deep {
            depth: 3,
            maps: false,
        });
        let payload = String::from_utf8(c.payload()).unwrap();
        assert!(payload.contains(r#""spec":[[[1]]]"#), "{payload}");
        assert!(!payload.contains("fluxgate-fuzz-deep"));
    }

    #[test]
    fn an_unmutated_fixture_case_comes_back_as_the_same_fixture() {
        let (schemas, corpora) = corpora();
        for (policy, corpus) in corpora {
            let seed = &corpus.seeds[0];
            let case = Case {
                index: 7,
                request: seed.request.clone(),
                settings: seed.settings.clone(),
                ctx: seed.ctx,
                deep: None,
                cluster: None,
                origin: seed.name.clone(),
                mutations: Vec::new(),
            };
            let eval = Eval {
                class: Class::Trap,
                detail: "wasm trap".into(),
                response: None,
                time: Duration::ZERO,
                memory: 0,
            };
            let yaml = draft_fixture(&case, &eval, corpus, schemas)
                .unwrap_or_else(|| panic!("{policy}: {} is not expressible", seed.name));
            let back = Fixture::parse(&yaml).unwrap();
            let uid = seed.request["uid"].as_str().unwrap();
            assert_eq!(
                serde_json::to_value(back.request(uid)).unwrap(),
                seed.request,
                "{policy}: {}",
                seed.name
            );
        }
    }
}
