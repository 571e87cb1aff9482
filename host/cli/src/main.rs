//! `fluxgate`: run, check and measure Kubewarden policies locally.
//!
//! Exit codes: 0 the policy was evaluated (whatever its verdict), 1 bad input (missing
//! file, unreadable request, invalid settings, module that cannot load), 2 usage error.

use clap::{Args, Parser, Subcommand};
use fluxgate_cli::bench::{self, BenchOptions};
use fluxgate_cli::package::{self, PolicySource};
use fluxgate_cli::{annotate, oci};
use fluxgate_protocol::admission::AdmissionRequest;
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::capabilities::{ClusterState, EvaluationContext, LogSink};
use fluxgate_runtime::policy::{self, Policy};
use fluxgate_runtime::runtime::{Limits, Runtime};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "fluxgate",
    version,
    about = "Run Kubewarden waPC policies the way policy-server does"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one admission request and print the AdmissionResponse (like `kwctl run`).
    Run {
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Evaluate one request and print {"response": <what `run` prints>, "findings": [...]}:
    /// every finding with its policy, rule id, severity, field, problem and fix.
    Explain {
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Measure compile, instantiate and validate costs for one request.
    Bench {
        #[command(flatten)]
        eval: EvalArgs,
        /// Measured iterations per phase.
        #[arg(long, default_value_t = 2000)]
        iterations: usize,
        /// Unmeasured iterations before each phase.
        #[arg(long, default_value_t = 200)]
        warmup: usize,
        /// Also measure throughput: requests per second on this many threads sharing the
        /// compiled module, each request on a fresh instance (policy-server's model).
        #[arg(long)]
        threads: Option<usize>,
        /// The floor module (`just floor`: target/bench/floor.wasm): the same request goes
        /// through it in the same run and the report adds the policy's ratios to it.
        #[arg(long)]
        floor: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the policy's settings validation and print {"valid", "message"}.
    ValidateSettings {
        policy: PathBuf,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Print the waPC protocol version the policy reports.
    ProtocolVersion { policy: PathBuf },
    /// Embed metadata.yml (and the README as usage) into a module, like `kwctl annotate`.
    Annotate {
        /// The unannotated module.
        policy: PathBuf,
        #[arg(long, short = 'm')]
        metadata_path: PathBuf,
        /// README embedded as io.kubewarden.policy.usage.
        #[arg(long, short = 'u')]
        usage_path: Option<PathBuf>,
        /// The annotated module to write.
        #[arg(long, short = 'o')]
        output_path: PathBuf,
    },
    /// Push an annotated module as a Kubewarden OCI artifact and print its immutable reference.
    Push {
        policy: PathBuf,
        /// registry://host/repository:tag (the scheme is optional).
        uri: String,
        #[command(flatten)]
        registry: RegistryArgs,
        /// Print {"immutable_ref": ...} like `kwctl push -o json`.
        #[arg(long)]
        json: bool,
    },
    /// Pull a policy, verify its layer digest and write the module.
    Pull {
        uri: String,
        #[arg(long, short = 'o')]
        output_path: PathBuf,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Print the ClusterAdmissionPolicy that deploys a policy.
    Manifest {
        /// A policy name (looked up under policies/) or its directory.
        policy_dir: PathBuf,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Judge a Flux GitOps checkout with the policy modules, as admission would after a merge:
    /// exit 0 when nothing at --fail-on was found, 1 when something was, 2 on bad usage.
    Scan(ScanArgs),
    /// Print a policy's artifacthub-pkg.yml.
    Artifacthub {
        /// A policy name (looked up under policies/) or its directory.
        policy_dir: PathBuf,
        /// The committed artifacthub-pkg.yml, whose createdAt is kept while the version is unchanged.
        #[arg(long)]
        previous: Option<PathBuf>,
    },
}

#[derive(Args)]
struct ScanArgs {
    /// The checkout to scan.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Only this policy (repeatable); default: every module in --modules.
    #[arg(long = "policy")]
    policies: Vec<String>,
    /// Directory of policy modules (`<name>.wasm`); default: $FLUXGATE_MODULES, else the
    /// `target/policies` beside this binary's build.
    #[arg(long)]
    modules: Option<PathBuf>,
    /// Judge as a cluster deployed with these Kubewarden manifests (ClusterAdmissionPolicy /
    /// AdmissionPolicy, e.g. deploy/policies/): their settings, rules and grants, and their
    /// `registry://` modules pulled (cached by digest), or taken from --modules by policy name.
    #[arg(long)]
    policies_dir: Option<PathBuf>,
    /// Plain HTTP for the registries of --policies-dir (loopback test registries only).
    #[arg(long)]
    insecure_registry: bool,
    /// Where `<name>/metadata.yml` is found for modules without embedded metadata; default:
    /// the `policies/` of the checkout this binary was built in.
    #[arg(long)]
    metadata_dir: Option<PathBuf>,
    /// table, json, sarif, junit or github.
    #[arg(long, default_value = "table")]
    format: fluxgate_scan::output::Format,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// deny, warn or never: which findings make the exit status 1.
    #[arg(long, default_value = "deny")]
    fail_on: FailOn,
    /// A GitRepository (`ns/name` or `name`) whose tree is the directory PATH (repeatable).
    #[arg(long = "source", value_name = "NAME=PATH")]
    sources: Vec<String>,
    /// Evaluations at the same time; default: the machine's cores.
    #[arg(long)]
    threads: Option<usize>,
    /// Directory of Flux CRDs (with an optional `legacy/` for retired versions) that Flux
    /// objects are checked against; default: the testkit's copy in the checkout this binary
    /// was built in.
    #[arg(long)]
    crds: Option<PathBuf>,
    /// Compile the modules afresh instead of using the cache ($FLUXGATE_CACHE_DIR, else
    /// $XDG_CACHE_HOME/fluxgate or ~/.cache/fluxgate).
    #[arg(long)]
    no_cache: bool,
}

/// The policies of `--policies-dir`, each module pulled from its registry (or read from
/// `--modules` when given) and loaded with the manifest's settings, rules and grants.
fn deployed_modules(
    runtime: &Runtime,
    dir: &Path,
    args: &ScanArgs,
    cache: Option<&Path>,
) -> anyhow::Result<Vec<fluxgate_scan::evaluate::Module>> {
    let mut modules = Vec::new();
    for deployed in fluxgate_scan::evaluate::deployed_policies(dir)? {
        if !args.policies.is_empty() && !args.policies.contains(&deployed.name) {
            continue;
        }
        let policy = match &args.modules {
            Some(local) => {
                // The repository's last path segment names the module (`…/source-origin:v1`).
                let repo = deployed.module.rsplit('/').next().unwrap_or_default();
                let name = repo.split([':', '@']).next().unwrap_or_default();
                let path = local.join(format!("{name}.wasm"));
                match cache {
                    Some(c) => Policy::load_cached(runtime, &path, c)?,
                    None => Policy::load(runtime, &path)?,
                }
            }
            None => {
                let wasm = pull_cached(&deployed, args.insecure_registry, cache)?;
                let module = match cache {
                    Some(c) => runtime.compile_cached(&wasm, c)?,
                    None => runtime.compile(&wasm)?,
                };
                Policy {
                    id: deployed.name.clone(),
                    module,
                    metadata: Metadata::from_module(&wasm)?,
                    wasm_size: wasm.len(),
                }
            }
        };
        modules.push(deployed.load(runtime, policy)?);
    }
    Ok(modules)
}

/// A deployed policy's module: from the cache when its reference is a digest already pulled
/// (digests never move), else pulled, verified and kept under its manifest digest. Tags are
/// always pulled again: they can move.
fn pull_cached(
    deployed: &fluxgate_scan::evaluate::Deployed,
    insecure: bool,
    cache: Option<&Path>,
) -> anyhow::Result<Vec<u8>> {
    let pulled_dir = cache.map(|c| c.join("pulled"));
    let by_digest = |digest: &str| {
        pulled_dir
            .as_ref()
            .map(|d| d.join(format!("{}.wasm", digest.replace(':', "-"))))
    };
    if let Some((_, digest)) = deployed.module.rsplit_once('@')
        && let Some(path) = by_digest(digest)
        && let Ok(wasm) = std::fs::read(&path)
    {
        return Ok(wasm);
    }
    let pulled = oci::pull(&deployed.module, &oci::RegistryOptions { insecure }).map_err(|e| {
        anyhow::anyhow!(
            "{}: policy {}: {e:#}",
            deployed.file.display(),
            deployed.name
        )
    })?;
    if let Some(path) = by_digest(&pulled.manifest_digest) {
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")));
        let _ = std::fs::write(&path, &pulled.wasm);
    }
    Ok(pulled.wasm)
}

/// Where compiled modules are kept across scans.
fn cache_dir(disabled: bool) -> Option<PathBuf> {
    if disabled {
        return None;
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("FLUXGATE_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("fluxgate")))
        .or_else(|| env("HOME").map(|h| h.join(".cache/fluxgate")))
        .map(|d| d.join("modules"))
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    Deny,
    Warn,
    Never,
}

#[derive(Args)]
struct RegistryArgs {
    /// Plain HTTP, for a registry on this machine only.
    #[arg(long)]
    insecure: bool,
}

impl RegistryArgs {
    fn options(&self) -> oci::RegistryOptions {
        oci::RegistryOptions {
            insecure: self.insecure,
        }
    }
}

#[derive(Args)]
struct SettingsArgs {
    /// Policy settings as inline JSON.
    #[arg(long, conflicts_with = "settings_path")]
    settings_json: Option<String>,
    /// Policy settings file (JSON or YAML).
    #[arg(long)]
    settings_path: Option<PathBuf>,
}

#[derive(Args)]
struct EvalArgs {
    /// The policy module (.wasm).
    policy: PathBuf,
    /// AdmissionReview or AdmissionRequest (JSON or YAML).
    #[arg(long, short = 'r')]
    request_path: PathBuf,
    #[command(flatten)]
    settings: SettingsArgs,
    /// Cluster state served to host capabilities (`resources:` and `canI:`, JSON or YAML).
    #[arg(long)]
    cluster_state: Option<PathBuf>,
    /// Grant the policy's contextAwareResources (from the module's metadata or --metadata-path).
    #[arg(long)]
    allow_context_aware: bool,
    /// metadata.yml to use when the module is not annotated.
    #[arg(long)]
    metadata_path: Option<PathBuf>,
    /// Evaluation deadline in seconds (policy-server's default is 2).
    #[arg(long, default_value_t = 2.0)]
    timeout_seconds: f64,
    /// No deadline at all (like `kwctl run`): a looping policy then hangs.
    #[arg(long)]
    disable_timeout_protection: bool,
    /// Largest linear memory a policy instance may use, in MiB.
    #[arg(long, default_value_t = 256)]
    memory_limit_mib: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Scan(args) = &cli.command {
        return match scan(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("fluxgate scan: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fluxgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `fluxgate scan`: 0 clean, 1 findings at --fail-on, 2 (by the caller) for usage errors.
fn scan(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    use fluxgate_scan::report::Level;
    use std::io::IsTerminal;
    anyhow::ensure!(
        args.path.is_dir(),
        "{} is not a directory",
        args.path.display()
    );
    let built = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf)); // target/
    let modules_dir = args
        .modules
        .clone()
        .or_else(|| std::env::var_os("FLUXGATE_MODULES").map(PathBuf::from))
        .or_else(|| built.as_ref().map(|t| t.join("policies")))
        .ok_or_else(|| anyhow::anyhow!("give --modules DIR"))?;
    let metadata_dir = args
        .metadata_dir
        .clone()
        .or_else(|| {
            built
                .as_ref()
                .and_then(|t| t.parent())
                .map(|r| r.join("policies"))
        })
        .filter(|d| d.is_dir());
    let mut sources = std::collections::BTreeMap::new();
    for mapping in &args.sources {
        let (name, path) = mapping
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--source {mapping}: expected NAME=PATH"))?;
        sources.insert(name.to_string(), PathBuf::from(path));
    }
    let runtime = Runtime::new(Limits::default())?;
    let cache = cache_dir(args.no_cache);
    let modules = match &args.policies_dir {
        None => fluxgate_scan::evaluate::load_modules(
            &runtime,
            &modules_dir,
            metadata_dir.as_deref(),
            &args.policies,
            cache.as_deref(),
        )?,
        Some(dir) => deployed_modules(&runtime, dir, args, cache.as_deref())?,
    };
    anyhow::ensure!(
        !modules.is_empty(),
        "no policy modules in {}",
        modules_dir.display()
    );
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    // --crds DIR (and DIR/legacy), or the project's own: Flux's CRDs, the retired versions,
    // and the schemas written for the Flux Operator's kinds.
    let crd_dirs: Vec<std::path::PathBuf> = match (&args.crds, &built) {
        (Some(dir), _) => vec![dir.clone(), dir.join("legacy")],
        (None, Some(t)) => t.parent().map_or(Vec::new(), |root| {
            let crds = root.join("testkit/crds");
            vec![
                crds.join("flux"),
                crds.join("flux/legacy"),
                crds.join("flux-operator"),
            ]
        }),
        (None, None) => Vec::new(),
    };
    let crd_dirs: Vec<&std::path::Path> = crd_dirs
        .iter()
        .map(|d| d.as_path())
        .filter(|d| d.is_dir())
        .collect();
    let schemas = match crd_dirs.first() {
        Some(_) => Some(std::sync::Arc::new(fluxgate_schema::CrdSchemas::load(
            &crd_dirs,
        )?)),
        None => {
            eprintln!(
                "fluxgate scan: no Flux CRDs found (--crds DIR): Flux objects are not checked against their schemas"
            );
            None
        }
    };
    let options = fluxgate_scan::Options {
        path: args.path.clone(),
        sources,
        threads,
        schemas,
        progress: std::io::stderr().is_terminal(),
    };
    let report = fluxgate_scan::scan(&runtime, &modules, &options);
    let color = args.output.is_none() && std::io::stdout().is_terminal();
    let text = fluxgate_scan::output::render(&report, args.format, color);
    match &args.output {
        Some(path) => std::fs::write(path, text)?,
        None => print!("{text}"),
    }
    let fail_on = match args.fail_on {
        FailOn::Deny => Some(Level::Deny),
        FailOn::Warn => Some(Level::Warn),
        FailOn::Never => None,
    };
    Ok(if report.fails(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Scan(_) => unreachable!("handled in main"),
        Command::Run { eval } => {
            let session = Session::open(&eval)?;
            session.check_settings()?;
            let response = policy::validate(
                &session.runtime,
                &session.policy,
                session.ctx.clone(),
                &session.request,
                &session.settings,
            );
            println!("{}", serde_json::to_string(&response)?);
        }
        Command::Explain { eval } => {
            let session = Session::open(&eval)?;
            session.check_settings()?;
            let explained = policy::explain(
                &session.runtime,
                &session.policy,
                session.ctx.clone(),
                &session.request,
                &session.settings,
            );
            println!("{}", serde_json::to_string(&explained)?);
        }
        Command::Bench {
            eval,
            iterations,
            warmup,
            threads,
            floor,
            json,
        } => {
            let session = Session::open(&eval)?;
            let floor = floor.as_deref().map(read).transpose()?;
            session.check_settings()?;
            let wasm = read(&eval.policy)?;
            let ctx = Arc::new(EvaluationContext {
                log: LogSink::Discard,
                ..session.context()?
            });
            let opts = BenchOptions {
                iterations,
                warmup,
                threads,
                floor: floor.as_deref(),
                ..BenchOptions::default()
            };
            let report = bench::run(
                &session.runtime,
                &wasm,
                &session.policy.id,
                ctx,
                &session.request,
                &session.settings,
                opts,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
        }
        Command::ValidateSettings { policy, settings } => {
            let runtime = Runtime::new(Limits::default())?;
            let policy = Policy::load(&runtime, &policy)?;
            let settings = settings.load()?;
            let answer =
                policy::validate_settings(&runtime, &policy, Default::default(), &settings);
            println!("{}", serde_json::to_string(&answer)?);
        }
        Command::ProtocolVersion { policy } => {
            let runtime = Runtime::new(Limits::default())?;
            let policy = Policy::load(&runtime, &policy)?;
            println!(
                "{}",
                policy::protocol_version(&runtime, &policy, Default::default())?
            );
        }
        Command::Annotate {
            policy,
            metadata_path,
            usage_path,
            output_path,
        } => {
            let wasm = read(&policy)?;
            let metadata_yaml = read_text(&metadata_path)?;
            let usage = usage_path.as_deref().map(read_text).transpose()?;
            // A policy crate's version lives beside its metadata.yml.
            let crate_version = metadata_path
                .parent()
                .map(|dir| dir.join("Cargo.toml"))
                .filter(|p| p.exists())
                .map(|p| crate_version(&p))
                .transpose()?;
            let runtime = Runtime::new(Limits::default())?;
            let input = annotate::AnnotateInput {
                metadata_yaml: &metadata_yaml,
                usage: usage.as_deref(),
                crate_version: crate_version.as_deref(),
            };
            let annotated = annotate::annotate(&runtime, &wasm, &input)
                .map_err(|e| anyhow::anyhow!("{}: {e:#}", policy.display()))?;
            std::fs::write(&output_path, annotated)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output_path.display()))?;
        }
        Command::Push {
            policy,
            uri,
            registry,
            json,
        } => {
            let pushed = oci::push(&read(&policy)?, &uri, &registry.options())?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"immutable_ref": pushed.immutable_ref})
                );
            } else {
                println!("{}", pushed.immutable_ref);
            }
        }
        Command::Pull {
            uri,
            output_path,
            registry,
        } => {
            let pulled = oci::pull(&uri, &registry.options())?;
            std::fs::write(&output_path, &pulled.wasm)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output_path.display()))?;
            println!("{} {}", pulled.manifest_digest, output_path.display());
        }
        Command::Manifest {
            policy_dir,
            settings,
        } => {
            let source = PolicySource::load(&policy_dir_of(&policy_dir))?;
            print!(
                "{}",
                package::cluster_admission_policy(&source, &settings.load()?)?
            );
        }
        Command::Artifacthub {
            policy_dir,
            previous,
        } => {
            let source = PolicySource::load(&policy_dir_of(&policy_dir))?;
            let created_at = previous
                .filter(|p| p.exists())
                .map(|p| read_text(&p))
                .transpose()?
                .and_then(|text| package::previous_created_at(&text, source.version()))
                .unwrap_or_else(package::now_rfc3339);
            print!("{}", package::artifacthub_package(&source, &created_at)?);
        }
    }
    Ok(())
}

/// `source-origin` means `policies/source-origin` when there is no such directory here.
fn policy_dir_of(arg: &Path) -> PathBuf {
    let under_policies = Path::new("policies").join(arg);
    if !arg.exists() && arg.components().count() == 1 && under_policies.is_dir() {
        under_policies
    } else {
        arg.to_path_buf()
    }
}

/// `version = "x.y.z"` of a policy crate's manifest.
fn crate_version(manifest: &Path) -> anyhow::Result<String> {
    package::crate_version(&read_text(manifest)?)
        .ok_or_else(|| anyhow::anyhow!("{}: no version line", manifest.display()))
}

/// Everything `run` and `bench` need, loaded and checked up front so that input errors
/// are reported before anything is evaluated.
struct Session {
    runtime: Runtime,
    policy: Policy,
    request: AdmissionRequest,
    settings: Value,
    ctx: Arc<EvaluationContext>,
    cluster: ClusterState,
    granted: std::collections::BTreeSet<(String, String)>,
}

impl Session {
    fn open(args: &EvalArgs) -> anyhow::Result<Self> {
        let timeout = if args.disable_timeout_protection {
            None
        } else {
            anyhow::ensure!(
                args.timeout_seconds.is_finite() && args.timeout_seconds > 0.0,
                "--timeout-seconds must be a positive number"
            );
            Some(Duration::from_secs_f64(args.timeout_seconds))
        };
        let runtime = Runtime::new(Limits {
            timeout,
            max_memory_bytes: args.memory_limit_mib.saturating_mul(1 << 20),
        })?;
        let request_text = read_text(&args.request_path)?;
        let request = AdmissionRequest::parse(&request_text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.request_path.display()))?;
        let settings = args.settings.load()?;
        let cluster = match &args.cluster_state {
            Some(path) => ClusterState::parse(&read_text(path)?)
                .map_err(|e| anyhow::anyhow!("{}: invalid cluster state: {e}", path.display()))?,
            None => ClusterState::default(),
        };
        let policy = Policy::load(&runtime, &args.policy)?;
        let granted = if args.allow_context_aware {
            let metadata = match &args.metadata_path {
                Some(path) => Some(Metadata::from_yaml(&read_text(path)?)?),
                None => policy.metadata.clone(),
            };
            let metadata = metadata.ok_or_else(|| {
                anyhow::anyhow!(
                    "--allow-context-aware needs metadata: annotate the module or pass --metadata-path"
                )
            })?;
            metadata.granted_resources()
        } else {
            Default::default()
        };
        let mut session = Session {
            runtime,
            policy,
            request,
            settings,
            ctx: Arc::default(),
            cluster,
            granted,
        };
        session.ctx = Arc::new(session.context()?);
        Ok(session)
    }

    fn context(&self) -> anyhow::Result<EvaluationContext> {
        Ok(EvaluationContext {
            policy_id: self.policy.id.clone(),
            cluster: self.cluster.clone(),
            allowed_resources: self.granted.clone(),
            log: LogSink::Stderr,
            ..Default::default()
        })
    }

    /// kwctl validates settings before every run; so does fluxgate.
    fn check_settings(&self) -> anyhow::Result<()> {
        let answer = policy::validate_settings(
            &self.runtime,
            &self.policy,
            self.ctx.clone(),
            &self.settings,
        );
        anyhow::ensure!(
            answer.valid,
            "Provided settings are not valid: {}",
            answer.message.unwrap_or_default()
        );
        Ok(())
    }
}

impl SettingsArgs {
    fn load(&self) -> anyhow::Result<Value> {
        if let Some(json) = &self.settings_json {
            return serde_json::from_str(json)
                .map_err(|e| anyhow::anyhow!("--settings-json is not valid JSON: {e}"));
        }
        match &self.settings_path {
            Some(path) => serde_yaml::from_str(&read_text(path)?).map_err(|e| {
                anyhow::anyhow!(
                    "{}: settings are not valid JSON or YAML: {e}",
                    path.display()
                )
            }),
            None => Ok(Value::Null),
        }
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}
