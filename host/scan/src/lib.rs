//! `fluxgate scan`: the policies' own wasm modules, run offline over a Flux GitOps checkout,
//! with every finding reported at the file and line a person edits.
//!
//! The checkout is read as Flux reads it (`flux`): from the bootstrap roots or the Flux
//! Kustomizations it holds, each Kustomization whose source is this checkout is built with
//! kustomize and Flux's overlay, and its objects are judged as the identity Flux applies
//! them with; YAML no Kustomization builds is judged as written. `evaluate` runs the same
//! modules the cluster runs (not a native re-link of the rules).

pub mod catalogue;
pub mod evaluate;
pub mod flux;
pub mod output;
pub mod repo;
pub mod report;

use flux::{Applied, Graph, Sources};
use report::Report;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to scan and with which modules.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The checkout.
    pub path: PathBuf,
    /// `--source NAME=PATH` mappings.
    pub sources: BTreeMap<String, PathBuf>,
    /// Evaluations run at the same time (at least 1).
    pub threads: usize,
    /// The Flux CRDs: Flux objects are checked against the schema of their apiVersion, as
    /// the API server checks them before any admission policy sees them.
    pub schemas: Option<std::sync::Arc<fluxgate_schema::CrdSchemas>>,
    /// A progress bar on stderr (the CLI asks for it on a terminal, for long scans).
    pub progress: bool,
}

/// Reads, builds and judges the checkout with `modules`.
pub fn scan(
    runtime: &fluxgate_runtime::runtime::Runtime,
    modules: &[evaluate::Module],
    options: &Options,
) -> Report {
    let root = options
        .path
        .canonicalize()
        .unwrap_or_else(|_| options.path.clone());
    let mut errors = Vec::new();
    let files = repo::yaml_files(&root, &mut errors);
    let docs: Vec<repo::Document> = files
        .iter()
        .flat_map(|f| repo::documents(&root, f, &mut errors))
        .collect();
    let sources = Sources::of_checkout(&root, options.sources.clone());
    let mut graph = Graph::new(&root, &sources, &docs);
    graph.follow();
    errors.append(&mut graph.errors);
    let mut applied = std::mem::take(&mut graph.applied);
    applied.extend(plain(&root, &docs, &graph.used));
    // Worth a bar only when the evaluations take a while (a few thousand take a second).
    let long = applied.len() * modules.len() > 2_000;
    let mut findings = evaluate::evaluate(
        runtime,
        modules,
        &applied,
        options.threads,
        options.progress && long,
    );
    if let Some(schemas) = &options.schemas {
        findings.extend(applied.iter().flat_map(|a| schema_findings(schemas, a)));
    }
    // Two clusters of one repository often apply the same file: say each thing once.
    let mut seen = std::collections::BTreeSet::new();
    findings.retain(|f| seen.insert(format!("{f:?}")));
    let mut seen = std::collections::BTreeSet::new();
    errors.retain(|e| seen.insert(format!("{e:?}")));
    let rules = catalogue::rules_for(&findings);
    Report {
        objects: applied.len(),
        findings,
        errors,
        rules,
    }
}

/// What the API server would refuse in a Flux object (`*.fluxcd.io`) before admission:
/// fields its CRD schema does not declare, wrong types, versions no CRD serves.
fn schema_findings(schemas: &fluxgate_schema::CrdSchemas, a: &Applied) -> Vec<report::Finding> {
    let (api_version, kind, _, _) = repo::identity(&a.object);
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if !group.ends_with(".fluxcd.io") {
        return Vec::new();
    }
    let problems = match schemas.validate(&a.object) {
        Ok(errors) => errors,
        Err(unknown) => vec![unknown],
    };
    problems
        .into_iter()
        .map(|problem| {
            let (field, message) = problem
                .split_once(": ")
                .map_or((String::new(), problem.clone()), |(f, m)| {
                    (f.to_string(), m.to_string())
                });
            let message = format!(
                "{message}; fix: make the object match the {kind} {api_version} CRD schema"
            );
            report::Finding::about(
                a,
                "crd-schema",
                "schema/crd-invalid",
                report::Level::Deny,
                field,
                message,
            )
        })
        .collect()
}

/// Objects in files no build read and no kustomization owns, judged as written (applied by
/// kustomize-controller, as a sync without impersonation would).
fn plain(
    root: &Path,
    docs: &[repo::Document],
    used: &std::collections::BTreeSet<String>,
) -> Vec<Applied> {
    docs.iter()
        .filter(|d| !used.contains(&d.file) && !in_kustomize_dir(root, &d.file))
        .filter(|d| d.value["apiVersion"].is_string() && d.value["kind"].is_string())
        .filter(|d| {
            !d.value["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
        })
        .map(|d| Applied {
            object: d.value.clone(),
            file: d.file.clone(),
            line: d.line,
            user: flux::CONTROLLER.to_string(),
            via: None,
        })
        .collect()
}

/// Whether `file` sits in a directory with a kustomization (a base or overlay input: its
/// documents may be partial patches, judged only through a build).
fn in_kustomize_dir(root: &Path, file: &str) -> bool {
    let mut dir = root.join(file);
    while dir.pop() && dir.starts_with(root) {
        if ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .any(|k| dir.join(k).is_file())
        {
            return true;
        }
    }
    false
}
