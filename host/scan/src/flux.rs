//! Flux's own graph, offline: the Kustomizations a checkout holds, built the way
//! kustomize-controller builds them, each object with the identity Flux applies it with and
//! the file and line it came from.
//!
//! Behaviour copied from kustomize-controller (fluxcd/kustomize-controller
//! `internal/controller/kustomization_controller.go` and fluxcd/pkg `kustomize`): the build
//! runs kustomize with no load restrictor and no plugins, on a generated kustomization when
//! the directory has none; the Kustomization's `targetNamespace`, `namePrefix`, `nameSuffix`,
//! `patches`, `images`, `components` and `commonMetadata` are applied on top; `postBuild`
//! substitution follows; objects are applied as `serviceAccountName` (impersonation), else
//! the controllers' `--default-service-account`, else kustomize-controller itself.

use crate::repo::{self, Document};
use crate::report::Error;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

pub const CONTROLLER: &str = "system:serviceaccount:flux-system:kustomize-controller";
const ORIGIN: &str = "config.kubernetes.io/origin";
const SUBSTITUTE: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// An object as the API server would receive it from Flux.
#[derive(Debug, Clone)]
pub struct Applied {
    pub object: Value,
    pub file: String,
    pub line: usize,
    /// The username Flux writes it as.
    pub user: String,
    /// Which Flux Kustomization built it (`ns/name`), `None` for plain YAML.
    pub via: Option<String>,
}

/// How the scan finds the checkout's sources.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--source NAME=PATH`: a GitRepository (`ns/name` or `name`) whose tree is at PATH.
    pub mapped: BTreeMap<String, PathBuf>,
    /// The checkout's `origin` remote and branch, when it is a git work tree.
    pub remote: Option<String>,
    pub branch: Option<String>,
}

impl Sources {
    /// Reads the checkout's remote and branch with git (absent outside a work tree).
    pub fn of_checkout(root: &Path, mapped: BTreeMap<String, PathBuf>) -> Sources {
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|s| !s.is_empty())
        };
        // Only the top of a work tree is a checkout; a folder inside another repository is not.
        let top = git(&["rev-parse", "--show-toplevel"])
            .and_then(|t| Path::new(&t).canonicalize().ok())
            .filter(|t| root.canonicalize().is_ok_and(|r| &r == t));
        let (remote, branch) = match top {
            Some(_) => (
                git(&["remote", "get-url", "origin"]),
                git(&["rev-parse", "--abbrev-ref", "HEAD"]),
            ),
            None => (None, None),
        };
        Sources {
            mapped,
            remote,
            branch,
        }
    }
}

/// A Flux Kustomization to build: from the checkout, or the implicit `flux-system` one of a
/// `flux bootstrap` layout.
#[derive(Debug, Clone)]
struct Job {
    namespace: String,
    name: String,
    spec: Value,
    /// Root of the source tree its `spec.path` is relative to.
    root: PathBuf,
    user: String,
}

pub struct Graph<'a> {
    root: &'a Path,
    sources: &'a Sources,
    docs: &'a [Document],
    default_account: Option<String>,
    pub errors: Vec<Error>,
    /// Files some build read, relative to the checkout root.
    pub used: BTreeSet<String>,
    pub applied: Vec<Applied>,
    /// ExternalArtifacts an ArtifactGenerator makes from this checkout, materialised in
    /// temporary directories: `ns/name` → (directory, copied file → checkout file).
    artifacts: BTreeMap<String, (PathBuf, BTreeMap<PathBuf, PathBuf>)>,
}

impl Drop for Graph<'_> {
    fn drop(&mut self) {
        for (dir, _) in self.artifacts.values() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl<'a> Graph<'a> {
    pub fn new(root: &'a Path, sources: &'a Sources, docs: &'a [Document]) -> Self {
        Graph {
            root,
            sources,
            docs,
            default_account: default_service_account(root, docs),
            errors: Vec::new(),
            used: BTreeSet::new(),
            applied: Vec::new(),
            artifacts: BTreeMap::new(),
        }
    }

    /// Builds every Kustomization reachable from the bootstrap roots and from the Flux
    /// Kustomizations the checkout holds.
    pub fn follow(&mut self) {
        let mut queue: VecDeque<Job> = VecDeque::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for dir in bootstrap_roots(self.root, self.docs) {
            // `flux bootstrap` syncs `clusters/<name>` with the flux-system Kustomization
            // (whose own manifest is in gotk-sync.yaml, or only in the cluster).
            let path = format!("./{}", repo::relative(self.root, &dir));
            queue.push_back(Job {
                namespace: "flux-system".into(),
                name: "flux-system".into(),
                spec: json!({"path": path, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}),
                root: self.root.to_path_buf(),
                user: CONTROLLER.into(),
            });
        }
        if queue.is_empty() {
            for doc in self.docs {
                if is_flux_kustomization(&doc.value)
                    && let Some(job) = self.job_for(&doc.value, &doc.file)
                {
                    queue.push_back(job);
                }
            }
        }
        while let Some(job) = queue.pop_front() {
            // Two clusters of one repository each have a flux-system Kustomization.
            let path = job.spec["path"].as_str().unwrap_or_default();
            let path = path.trim_start_matches("./").trim_end_matches('/');
            let key = format!("{}/{}@{path}", job.namespace, job.name);
            if !seen.insert(key.clone()) {
                continue;
            }
            let built = self.build(&job);
            for item in &built {
                if is_flux_kustomization(&item.object)
                    && let Some(next) = self.job_for(&item.object, &item.file)
                {
                    queue.push_back(next);
                }
            }
            self.applied.extend(built);
        }
    }

    /// The build of a Kustomization found at `file`, when its source is this checkout;
    /// otherwise the reason is reported.
    fn job_for(&mut self, k: &Value, file: &str) -> Option<Job> {
        let (_, _, ns, name) = repo::identity(k);
        let namespace = if ns.is_empty() { "default" } else { ns }.to_string();
        let spec = k["spec"].clone();
        let source = &spec["sourceRef"];
        let kind = source["kind"].as_str().unwrap_or("GitRepository");
        let source_name = source["name"].as_str().unwrap_or_default();
        let source_ns = source["namespace"]
            .as_str()
            .unwrap_or(&namespace)
            .to_string();
        let who = format!("Kustomization {namespace}/{name}");
        let unresolved = |why: String| Error {
            file: file.to_string(),
            line: None,
            message: format!("{who} is not built: {why}"),
        };
        let mapped = self
            .sources
            .mapped
            .get(&format!("{source_ns}/{source_name}"))
            .or_else(|| self.sources.mapped.get(source_name));
        let root = if let Some(path) = mapped {
            path.clone()
        } else if kind == "ExternalArtifact" {
            match self.external_artifact(&source_ns, source_name, file) {
                Ok(dir) => dir,
                Err(why) => {
                    self.errors.push(unresolved(why));
                    return None;
                }
            }
        } else if kind != "GitRepository" {
            self.errors.push(unresolved(format!(
                "its source is {kind} {source_ns}/{source_name}, not a Git checkout (map a local copy with --source {source_ns}/{source_name}=PATH)"
            )));
            return None;
        } else {
            match self.checkout_is(&source_ns, source_name) {
                Ok(()) => self.root.to_path_buf(),
                Err(why) => {
                    self.errors.push(unresolved(why));
                    return None;
                }
            }
        };
        let user = match spec["serviceAccountName"]
            .as_str()
            .filter(|s| !s.is_empty())
        {
            Some(sa) => format!("system:serviceaccount:{namespace}:{sa}"),
            None => match &self.default_account {
                Some(sa) => format!("system:serviceaccount:{namespace}:{sa}"),
                None => CONTROLLER.to_string(),
            },
        };
        Some(Job {
            namespace,
            name: name.to_string(),
            spec,
            root,
            user,
        })
    }

    /// Whether GitRepository `ns/name` is this checkout, and why not when it is not: never
    /// build a tree a source does not track.
    fn checkout_is(&self, ns: &str, name: &str) -> Result<(), String> {
        let repository = self
            .docs
            .iter()
            .map(|d| &d.value)
            .chain(self.applied.iter().map(|a| &a.object))
            .find(|o| {
                o["kind"] == "GitRepository"
                    && o["metadata"]["name"] == name
                    && o["metadata"]["namespace"].as_str().unwrap_or("default") == ns
            });
        let bootstrap = ns == "flux-system" && name == "flux-system";
        let Some(repository) = repository else {
            return if bootstrap {
                Ok(()) // the bootstrap source: the repository this layout lives in
            } else {
                Err(format!(
                    "its source GitRepository {ns}/{name} is not in the checkout (map it with --source {ns}/{name}=PATH)"
                ))
            };
        };
        let url = repository["spec"]["url"].as_str().unwrap_or_default();
        // Messages never carry a credential the URL holds.
        let shown = fluxgate_matchers::origin::redact_credentials(url);
        let branch = repository["spec"]["ref"]["branch"].as_str();
        let pinned = ["tag", "semver", "commit", "name"]
            .iter()
            .find(|k| repository["spec"]["ref"][**k].is_string());
        let same_repository = self
            .sources
            .remote
            .as_deref()
            .is_some_and(|r| same_remote(r, url));
        // The bootstrap source is this checkout: a GitRepository with its URL and branch is too.
        let like_bootstrap = !bootstrap
            && self.bootstrap_source().is_some_and(|(u, b)| {
                same_remote(&u, url) && b.as_deref() == branch && pinned.is_none()
            });
        if like_bootstrap {
            return Ok(());
        }
        if !same_repository {
            if bootstrap {
                return Ok(());
            }
            let checkout = self
                .sources
                .remote
                .as_deref()
                .map_or("this checkout (no git remote)".to_string(), |r| {
                    format!("this checkout ({r})")
                });
            return Err(format!(
                "its source GitRepository {ns}/{name} tracks {shown}{}; {checkout} is not known to be it (map it with --source {ns}/{name}=PATH)",
                branch.map(|b| format!(" branch {b}")).unwrap_or_default()
            ));
        }
        if let Some(k) = pinned {
            return Err(format!(
                "its source GitRepository {ns}/{name} is pinned by ref.{k}, which the scan does not check out (map it with --source)"
            ));
        }
        match (branch, self.sources.branch.as_deref()) {
            (Some(b), Some(current)) if b != current => Err(format!(
                "its source GitRepository {ns}/{name} tracks branch {b}, the checkout is on {current}"
            )),
            _ => Ok(()),
        }
    }

    /// The tree of ExternalArtifact `ns/name` when an ArtifactGenerator in the checkout makes
    /// it from this checkout: its `copy` operations replayed into a temporary directory
    /// (fluxcd/source-watcher `ArtifactGenerator`: `from: "@alias/<glob>"` copies the
    /// matching files, keeping their paths below the glob's literal prefix, to `to: "@artifact/<dir>"`).
    /// `wanted_by` is the file of the Kustomization that needs it: each cluster directory of a
    /// repository has its own generator, so the one nearest to it wins.
    fn external_artifact(
        &mut self,
        ns: &str,
        name: &str,
        wanted_by: &str,
    ) -> Result<PathBuf, String> {
        let key = format!("{ns}/{name}");
        let near = |file: &str| {
            let dir = |f: &str| {
                f.rsplit_once('/')
                    .map_or(String::new(), |(d, _)| d.to_string())
            };
            let (a, b) = (dir(file), dir(wanted_by));
            a.split('/')
                .zip(b.split('/'))
                .take_while(|(x, y)| x == y)
                .count()
        };
        let mut candidates: Vec<(usize, String, Value, Value)> = self
            .docs
            .iter()
            .map(|d| (&d.value, d.file.as_str()))
            .chain(self.applied.iter().map(|a| (&a.object, a.file.as_str())))
            .filter(|(o, _)| {
                o["kind"] == "ArtifactGenerator"
                    && o["metadata"]["namespace"].as_str().unwrap_or("default") == ns
            })
            .filter_map(|(g, file)| {
                let artifact = g["spec"]["artifacts"]
                    .as_array()?
                    .iter()
                    .find(|a| a["name"] == name)?;
                Some((near(file), file.to_string(), g.clone(), artifact.clone()))
            })
            .collect();
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        let Some((_, generator_file, generator, artifact)) = candidates.into_iter().next() else {
            return Err(format!(
                "its source ExternalArtifact {key} comes from no ArtifactGenerator in the checkout (map it with --source {key}=PATH)"
            ));
        };
        let mut aliases = BTreeMap::new();
        for source in generator["spec"]["sources"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let alias = source["alias"].as_str().unwrap_or_default();
            let kind = source["kind"].as_str().unwrap_or_default();
            let source_name = source["name"].as_str().unwrap_or_default();
            let source_ns = source["namespace"].as_str().unwrap_or(ns);
            if kind == "GitRepository" && self.checkout_is(source_ns, source_name).is_ok() {
                aliases.insert(alias.to_string(), ());
            }
        }
        let key = format!("{key}@{generator_file}");
        if let Some((dir, _)) = self.artifacts.get(&key) {
            return Ok(dir.clone());
        }
        let dir = tempdir()?;
        let mut copied = BTreeMap::new();
        for op in artifact["copy"].as_array().into_iter().flatten() {
            let from = op["from"].as_str().unwrap_or_default();
            let to = op["to"].as_str().unwrap_or_default();
            let Some((alias, pattern)) = from.strip_prefix('@').and_then(|f| f.split_once('/'))
            else {
                continue;
            };
            if !aliases.contains_key(alias) {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!(
                    "its source ExternalArtifact {key} copies from @{alias}, which is not this checkout"
                ));
            }
            let dest = to
                .strip_prefix("@artifact/")
                .or(to.strip_prefix("@artifact"))
                .unwrap_or(to);
            let literal: String = pattern
                .chars()
                .take_while(|c| !matches!(c, '*' | '?' | '['))
                .collect();
            let base = literal.rsplit_once('/').map_or("", |(b, _)| b);
            for file in repo::yaml_files(self.root, &mut Vec::new()) {
                let rel = repo::relative(self.root, &file);
                if !glob_matches(pattern, &rel) {
                    continue;
                }
                let below = rel
                    .strip_prefix(base)
                    .unwrap_or(&rel)
                    .trim_start_matches('/');
                let target = if pattern == literal && !to.ends_with('/') {
                    dir.join(dest)
                } else {
                    dir.join(dest).join(below)
                };
                if let Some(parent) = target.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                if std::fs::copy(&file, &target).is_ok() {
                    copied.insert(normalise(&target), file);
                }
            }
        }
        self.artifacts.insert(key, (dir.clone(), copied));
        Ok(dir)
    }

    /// A built file's place in the checkout (files of an ExternalArtifact map back to the
    /// checkout files they were copied from).
    fn checkout_file(&self, path: &Path) -> String {
        let path = normalise(path);
        for (key, (dir, copied)) in &self.artifacts {
            if let Some(original) = copied.get(&path) {
                return repo::relative(self.root, original);
            }
            if let Ok(inside) = path.strip_prefix(dir) {
                let artifact = key.split('@').next().unwrap_or(key);
                return format!(
                    "ExternalArtifact {artifact}:/{}",
                    repo::relative(Path::new(""), inside)
                );
            }
        }
        repo::relative(self.root, &path)
    }

    /// URL and branch of the `flux-system/flux-system` GitRepository, when the checkout has it.
    fn bootstrap_source(&self) -> Option<(String, Option<String>)> {
        self.docs
            .iter()
            .map(|d| &d.value)
            .chain(self.applied.iter().map(|a| &a.object))
            .find(|o| {
                o["kind"] == "GitRepository"
                    && o["metadata"]["name"] == "flux-system"
                    && o["metadata"]["namespace"] == "flux-system"
            })
            .map(|o| {
                (
                    o["spec"]["url"].as_str().unwrap_or_default().to_string(),
                    o["spec"]["ref"]["branch"].as_str().map(str::to_string),
                )
            })
    }

    /// Builds one Kustomization: kustomize over a wrapper that applies the Flux overlay.
    fn build(&mut self, job: &Job) -> Vec<Applied> {
        let who = format!("Kustomization {}/{}", job.namespace, job.name);
        let path = job.spec["path"].as_str().unwrap_or("./");
        let Some(dir) = within(&job.root, path) else {
            self.errors.push(Error {
                file: path.to_string(),
                line: None,
                message: format!("{who}: spec.path {path:?} leaves the source tree"),
            });
            return Vec::new();
        };
        let file_of_dir = self.checkout_file(&dir);
        if !dir.is_dir() {
            self.errors.push(Error {
                file: file_of_dir,
                line: None,
                message: format!("{who}: spec.path {path:?} is not a directory of the source"),
            });
            return Vec::new();
        }
        if let Some(direct) = self.without_kustomize(&dir, job) {
            return direct;
        }
        let (output, work) = match kustomize(&dir, &job.spec) {
            Ok(built) => built,
            Err(why) => {
                self.errors.push(Error {
                    file: file_of_dir,
                    line: None,
                    message: format!("{who}: kustomize build failed: {why}"),
                });
                return Vec::new();
            }
        };
        let variables = self.variables(job);
        let mut out = Vec::new();
        for (_, text) in repo::chunks(&output) {
            let object = match fluxgate_yaml::parse(&text) {
                Ok(v) if v.is_object() => v,
                Ok(_) => continue,
                Err(e) => {
                    self.errors.push(Error {
                        file: file_of_dir.clone(),
                        line: None,
                        message: format!("{who}: cannot read kustomize's output: {e}"),
                    });
                    continue;
                }
            };
            let origin = object["metadata"]["annotations"][ORIGIN]
                .as_str()
                .and_then(|o| fluxgate_yaml::parse(o).ok())
                .and_then(|o| o["path"].as_str().map(str::to_string));
            let file = origin
                .map(|o| self.checkout_file(&work.join(o)))
                .unwrap_or_else(|| file_of_dir.clone());
            self.used.insert(file.clone());
            let mut object = self.substituted(object, &text, &file, &who, variables.as_ref());
            take_origin(&mut object);
            let line = self.line_of(&file, &object, &job.spec);
            out.push(Applied {
                object,
                file,
                line,
                user: job.user.clone(),
                via: Some(format!("{}/{}", job.namespace, job.name)),
            });
        }
        out
    }

    /// A directory without a kustomization, built by a Kustomization that sets none of the
    /// fields kustomize would apply, builds to exactly the manifests Flux's generator lists:
    /// read them as they are (with their own lines), without running kustomize.
    fn without_kustomize(&mut self, dir: &Path, job: &Job) -> Option<Vec<Applied>> {
        const OVERLAY: [&str; 7] = [
            "targetNamespace",
            "namePrefix",
            "nameSuffix",
            "patches",
            "images",
            "components",
            "commonMetadata",
        ];
        let has_kustomization = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .any(|f| dir.join(f).is_file());
        // postBuild substitutes on the YAML that kustomize writes (go-yaml leaves `${n}` plain,
        // so `3` becomes a number whatever the source's quoting): that needs kustomize's output.
        if has_kustomization
            || OVERLAY.iter().any(|k| !job.spec[*k].is_null())
            || !job.spec["postBuild"].is_null()
        {
            return None;
        }
        let resources = generated_resources(dir);
        if resources.iter().any(|p| p.is_dir()) || job.root != self.root {
            return None;
        }
        let files: BTreeSet<String> = resources
            .iter()
            .map(|p| repo::relative(self.root, p))
            .collect();
        let mut out = Vec::new();
        let docs: Vec<Document> = self
            .docs
            .iter()
            .filter(|d| files.contains(&d.file))
            .cloned()
            .collect();
        for doc in docs {
            self.used.insert(doc.file.clone());
            out.push(Applied {
                object: doc.value,
                file: doc.file,
                line: doc.line,
                user: job.user.clone(),
                via: Some(format!("{}/{}", job.namespace, job.name)),
            });
        }
        Some(out)
    }

    /// `postBuild` substitution of one object, on its YAML text as Flux does it (so
    /// `replicas: ${count}` becomes a number), unresolved variables reported as warnings.
    fn substituted(
        &mut self,
        object: Value,
        text: &str,
        file: &str,
        who: &str,
        variables: Option<&BTreeMap<String, String>>,
    ) -> Value {
        let Some(vars) = variables else {
            return object;
        };
        if substitution_disabled(&object) {
            return object;
        }
        let mut unresolved = BTreeSet::new();
        let rewritten = substitute_text(text, vars, &mut unresolved);
        let object = match fluxgate_yaml::parse(&rewritten) {
            Ok(v) if v.is_object() => v,
            _ => {
                self.errors.push(Error {
                    file: file.to_string(),
                    line: None,
                    message: format!(
                        "{who}: after postBuild substitution the object is no longer YAML (Flux would fail to apply it); judged with each string substituted instead"
                    ),
                });
                substitute(&object, vars, &mut BTreeSet::new())
            }
        };
        for name in unresolved {
            self.errors.push(Error {
                file: file.to_string(),
                line: None,
                message: format!(
                    "warning: {who}: ${{{name}}} has no value in postBuild (Flux substitutes an empty string)"
                ),
            });
        }
        object
    }

    /// The variables `postBuild` defines (`substitute`, then `substituteFrom` ConfigMaps and
    /// Secrets the checkout holds, later entries winning, as Flux merges them); `None`
    /// without postBuild.
    fn variables(&mut self, job: &Job) -> Option<BTreeMap<String, String>> {
        let post = job.spec.get("postBuild")?;
        let mut vars = BTreeMap::new();
        for from in post["substituteFrom"].as_array().into_iter().flatten() {
            let kind = from["kind"].as_str().unwrap_or_default();
            let name = from["name"].as_str().unwrap_or_default();
            let found = self.docs.iter().map(|d| &d.value).find(|o| {
                o["kind"] == kind
                    && o["metadata"]["name"] == name
                    && o["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or(&job.namespace)
                        == job.namespace
            });
            match found {
                Some(o) => {
                    for key in ["data", "stringData"] {
                        for (k, v) in o[key].as_object().into_iter().flatten() {
                            let value = match (kind, key) {
                                ("Secret", "data") => decode_base64(v.as_str().unwrap_or_default()),
                                _ => v.as_str().map(str::to_string),
                            };
                            if let Some(value) = value {
                                vars.insert(k.clone(), value);
                            }
                        }
                    }
                }
                None if from["optional"] == true => {}
                None => self.errors.push(Error {
                    file: String::new(),
                    line: None,
                    message: format!(
                        "warning: Kustomization {}/{}: postBuild.substituteFrom {kind} {name} is not in the checkout (it may exist only in the cluster); its variables are unknown",
                        job.namespace, job.name
                    ),
                }),
            }
        }
        for (k, v) in post["substitute"].as_object().into_iter().flatten() {
            if let Some(v) = v.as_str() {
                vars.insert(k.clone(), v.to_string());
            }
        }
        Some(vars)
    }

    /// The line of the document in `file` the object was built from: same kind, and a name
    /// that the Kustomization's prefix and suffix turn into the built one.
    fn line_of(&self, file: &str, object: &Value, spec: &Value) -> usize {
        let (_, kind, _, name) = repo::identity(object);
        let prefix = spec["namePrefix"].as_str().unwrap_or_default();
        let suffix = spec["nameSuffix"].as_str().unwrap_or_default();
        let in_file: Vec<&Document> = self
            .docs
            .iter()
            .filter(|d| d.file == file && d.value["kind"] == kind)
            .collect();
        in_file
            .iter()
            .find(|d| {
                let original = d.value["metadata"]["name"].as_str().unwrap_or_default();
                original == name || format!("{prefix}{original}{suffix}") == name
            })
            .or(in_file.first())
            .map_or(1, |d| d.line)
    }
}

fn is_flux_kustomization(o: &Value) -> bool {
    o["kind"] == "Kustomization"
        && o["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("kustomize.toolkit.fluxcd.io/"))
}

/// `clusters/<name>` of a `flux bootstrap` layout: the parent of a `flux-system` directory
/// holding `gotk-sync.yaml` or `gotk-components.yaml`.
fn bootstrap_roots(root: &Path, docs: &[Document]) -> Vec<PathBuf> {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files: BTreeSet<String> = docs.iter().map(|d| d.file.clone()).collect();
    // gotk files may hold nothing but a comment until bootstrap fills them in.
    for path in repo::yaml_files(root, &mut Vec::new()) {
        files.insert(repo::relative(root, &path));
    }
    for file in files {
        let parts: Vec<&str> = file.split('/').collect();
        if let [dirs_before @ .., "flux-system", name] = parts.as_slice()
            && (*name == "gotk-sync.yaml" || *name == "gotk-components.yaml")
        {
            dirs.insert(root.join(dirs_before.join("/")));
        }
    }
    dirs.into_iter().collect()
}

/// `--default-service-account=NAME` as the checkout's controller patches set it.
fn default_service_account(root: &Path, docs: &[Document]) -> Option<String> {
    let mut files: BTreeSet<&str> = docs.iter().map(|d| d.file.as_str()).collect();
    let all = repo::yaml_files(root, &mut Vec::new());
    let rels: Vec<String> = all.iter().map(|p| repo::relative(root, p)).collect();
    files.extend(rels.iter().map(String::as_str));
    for file in files {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        if let Some(at) = text.find("--default-service-account=") {
            let rest = &text[at + "--default-service-account=".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}

/// `root/path`, lexically normalised, when it stays inside `root`.
fn within(root: &Path, path: &str) -> Option<PathBuf> {
    let joined = normalise(&root.join(path.trim_start_matches('/')));
    joined.starts_with(normalise(root)).then_some(joined)
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `kubectl kustomize` over a wrapper kustomization in a temporary directory that applies the
/// Flux Kustomization's overlay to `dir` and asks kustomize for each object's origin.
/// Returns the output and the wrapper's directory (gone by then), which kustomize's origin
/// paths are relative to.
fn kustomize(dir: &Path, spec: &Value) -> Result<(String, PathBuf), String> {
    let work = tempdir()?;
    let result = (|| {
        let rel = |p: &Path| relative_from(&work, p);
        let mut k = Map::new();
        k.insert(
            "apiVersion".into(),
            json!("kustomize.config.k8s.io/v1beta1"),
        );
        k.insert("kind".into(), json!("Kustomization"));
        let has_kustomization = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .any(|f| dir.join(f).is_file());
        let resources: Vec<Value> = if has_kustomization {
            vec![json!(rel(dir))]
        } else {
            generated_resources(dir)
                .iter()
                .map(|p| json!(rel(p)))
                .collect()
        };
        k.insert("resources".into(), Value::Array(resources));
        if let Some(ns) = spec["targetNamespace"].as_str().filter(|s| !s.is_empty()) {
            k.insert("namespace".into(), json!(ns));
        }
        for key in ["namePrefix", "nameSuffix", "patches", "images"] {
            if !spec[key].is_null() {
                k.insert(key.into(), spec[key].clone());
            }
        }
        if let Some(components) = spec["components"].as_array() {
            let paths: Vec<Value> = components
                .iter()
                .filter_map(Value::as_str)
                .map(|c| json!(rel(&normalise(&dir.join(c)))))
                .collect();
            k.insert("components".into(), Value::Array(paths));
        }
        let meta = &spec["commonMetadata"];
        if let Some(labels) = meta["labels"].as_object() {
            k.insert(
                "labels".into(),
                json!([{"pairs": labels, "includeSelectors": false}]),
            );
        }
        if let Some(annotations) = meta["annotations"].as_object() {
            k.insert("commonAnnotations".into(), json!(annotations));
        }
        k.insert("buildMetadata".into(), json!(["originAnnotations"]));
        let text = serde_json::to_string_pretty(&Value::Object(k)).map_err(|e| e.to_string())?;
        std::fs::write(work.join("kustomization.yaml"), text).map_err(|e| e.to_string())?;
        let out = Command::new("kubectl")
            .args(["kustomize", "--load-restrictor=LoadRestrictionsNone"])
            .arg(&work)
            .output()
            .map_err(|e| {
                format!("kubectl kustomize could not run ({e}): install kubectl (it embeds Kustomize v5)")
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(stderr.lines().last().unwrap_or("failed").trim().to_string());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result.map(|text| (text, work))
}

/// What kustomize-controller's generator lists for a directory without a kustomization:
/// its manifests and, recursively, those of its subdirectories, a subdirectory with its own
/// kustomization counting as one resource (fluxcd/pkg `kustomize/kustomize_generator.go`).
fn generated_resources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || path.is_symlink() && path.is_dir() {
            continue;
        }
        if path.is_dir() {
            if ["kustomization.yaml", "kustomization.yml", "Kustomization"]
                .iter()
                .any(|f| path.join(f).is_file())
            {
                out.push(path);
            } else {
                out.extend(generated_resources(&path));
            }
        } else if repo::is_yaml(&path) && is_manifest(&path) {
            out.push(path);
        }
    }
    out
}

/// A file whose documents are Kubernetes objects (a values file or a comment-only stub is not).
fn is_manifest(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    fluxgate_yaml::documents(&text).is_ok_and(|docs| {
        let objects: Vec<&Value> = docs.iter().filter(|d| !d.is_null()).collect();
        !objects.is_empty()
            && objects
                .iter()
                .all(|d| d["apiVersion"].is_string() && d["kind"].is_string())
    })
}

fn tempdir() -> Result<PathBuf, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "fluxgate-scan-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// `to` as a path relative to the directory `from` (both absolute).
fn relative_from(from: &Path, to: &Path) -> String {
    let from = normalise(from);
    let to = normalise(to);
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// Removes kustomize's origin annotation (and an emptied annotations map); returns its path.
fn take_origin(object: &mut Value) -> Option<String> {
    let annotations = object
        .get_mut("metadata")?
        .get_mut("annotations")?
        .as_object_mut()?;
    let origin = annotations.remove(ORIGIN)?;
    if annotations.is_empty()
        && let Some(meta) = object["metadata"].as_object_mut()
    {
        meta.remove("annotations");
    }
    let text = origin.as_str()?;
    let parsed = fluxgate_yaml::parse(text).ok()?;
    parsed["path"].as_str().map(str::to_string)
}

fn substitution_disabled(o: &Value) -> bool {
    let meta = &o["metadata"];
    meta["annotations"][SUBSTITUTE] == "disabled" || meta["labels"][SUBSTITUTE] == "disabled"
}

/// Flux's post-build substitution on every string of `value`: `${var}`, `${var:=default}`
/// and `${var:-default}`, with `$${` escaping a literal `${` (kustomize-controller
/// `internal/controller` `substituteVariables`, drone/envsubst). A variable without a value
/// becomes empty, as Flux does outside strict mode; its name is collected.
pub fn substitute(
    value: &Value,
    vars: &BTreeMap<String, String>,
    unresolved: &mut BTreeSet<String>,
) -> Value {
    match value {
        Value::String(s) => Value::String(substitute_text(s, vars, unresolved)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, vars, unresolved))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        substitute_text(k, vars, unresolved),
                        substitute(v, vars, unresolved),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn substitute_text(
    s: &str,
    vars: &BTreeMap<String, String>,
    unresolved: &mut BTreeSet<String>,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
            continue;
        }
        let Some(body) = tail.strip_prefix("${") else {
            out.push('$');
            rest = &tail[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            out.push_str(tail);
            return out;
        };
        let expr = &body[..end];
        let name_len = expr
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(expr.len());
        let (name, op) = expr.split_at(name_len);
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !valid {
            out.push_str(&tail[..2 + end + 1]);
        } else {
            let default = op.strip_prefix(":=").or_else(|| op.strip_prefix(":-"));
            match (vars.get(name), default) {
                (Some(v), _) => out.push_str(v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    unresolved.insert(name.to_string());
                }
            }
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Standard base64 (a Secret's `data`); `None` when it is not.
fn decode_base64(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// A source-watcher copy pattern: `*` within a path segment, `**` across segments, `?` one
/// character.
fn glob_matches(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p {
            [] => s.is_empty(),
            [b'*', b'*', rest @ ..] => {
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=s.len())
                    .any(|i| (i == 0 || s[i - 1] == b'/' || rest.is_empty()) && go(rest, &s[i..]))
            }
            [b'*', rest @ ..] => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != b'/')
                .any(|i| go(rest, &s[i..])),
            [b'?', rest @ ..] => !s.is_empty() && s[0] != b'/' && go(rest, &s[1..]),
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

/// Whether two Git URLs name the same repository (scheme, `.git`, SSH and HTTPS forms aside).
fn same_remote(a: &str, b: &str) -> bool {
    fn key(url: &str) -> String {
        let url = url.trim().trim_end_matches('/').trim_end_matches(".git");
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        // scp-like `git@host:owner/repo`
        let rest = match rest.split_once('@') {
            Some((_, r)) => r,
            None => rest,
        };
        let rest = rest.replacen(':', "/", usize::from(!url.contains("://")));
        let (host, path) = rest.split_once('/').unwrap_or((&rest, ""));
        let host = host.split(':').next().unwrap_or(host);
        format!("{}/{}", host.to_ascii_lowercase(), path)
    }
    !a.is_empty() && !b.is_empty() && key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flux_substitution() {
        let vars: BTreeMap<String, String> = [("cluster".into(), "prod".into())].into();
        let mut unresolved = BTreeSet::new();
        let got = substitute_text(
            "${cluster}-${region:=eu}-${zone:-a}-$${literal}-${missing}-$x-${1bad}",
            &vars,
            &mut unresolved,
        );
        assert_eq!(got, "prod-eu-a-${literal}--$x-${1bad}");
        assert_eq!(unresolved.into_iter().collect::<Vec<_>>(), ["missing"]);
    }

    #[test]
    fn copy_globs() {
        assert!(glob_matches(
            "apps/base/**",
            "apps/base/podinfo/release.yaml"
        ));
        assert!(glob_matches("infrastructure/**", "infrastructure/a.yaml"));
        assert!(!glob_matches("apps/base/**", "apps/production/x.yaml"));
        assert!(glob_matches("apps/*.yaml", "apps/x.yaml"));
        assert!(!glob_matches("apps/*.yaml", "apps/a/x.yaml"));
    }

    #[test]
    fn remotes() {
        assert!(same_remote(
            "git@github.com:acme/fleet.git",
            "https://github.com/acme/fleet"
        ));
        assert!(same_remote(
            "ssh://git@github.com/acme/fleet",
            "https://GitHub.com/acme/fleet.git/"
        ));
        assert!(!same_remote(
            "https://github.com/acme/fleet",
            "https://github.com/acme/other"
        ));
        assert!(!same_remote("", ""));
    }

    #[test]
    fn paths() {
        let root = Path::new("/r/repo");
        assert_eq!(
            within(root, "./apps/../apps/x"),
            Some(PathBuf::from("/r/repo/apps/x"))
        );
        assert_eq!(within(root, "../other"), None);
        assert_eq!(
            relative_from(Path::new("/tmp/w"), Path::new("/r/repo/a")),
            "../../r/repo/a"
        );
        assert_eq!(decode_base64("cHJvZA==").as_deref(), Some("prod"));
    }
}
