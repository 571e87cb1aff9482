//! Reads a FluxInstance's `spec.kustomize.patches` the way the Flux Operator applies them, and
//! says which of them take the multi-tenancy lockdown away again.
//!
//! What the operator does (controlplaneio-fluxcd/flux-operator, `internal/builder/profiles.go`
//! and `internal/controller/fluxinstance_controller.go` `build`): with `cluster.multitenant`
//! it appends its multi-tenant profile to the kustomization it builds Flux's manifests with,
//! JSON6902 `add .../containers/0/args/-` patches that give
//!
//! * `--no-cross-namespace-refs=true` to kustomize-, helm-, notification-,
//!   image-reflector- and image-automation-controller,
//! * `--no-remote-bases=true` to kustomize-controller,
//! * `--default-service-account=<cluster.tenantDefaultServiceAccount, default "default">` to
//!   kustomize- and helm-controller,
//!
//! and only then the instance's own `kustomize.patches`. Kustomize applies patches in order,
//! so a user patch sees the lockdown flags at the end of the `manager` container's args and can
//! remove, overwrite or negate them. The controllers parse their args with spf13/pflag
//! (`flag.go` `parseLongArg`): the last occurrence of a flag wins; a bool flag alone means
//! true and never takes the next argument as its value; a string flag without `=` takes the
//! next argument; a bare `--` ends flag parsing, so every flag after it is ignored; bool values
//! are read by Go's `strconv.ParseBool` (`0 f F false FALSE False` are false).
//!
//! How kustomize reads a patch (`api/internal/builtins/PatchTransformer.go`): the trimmed
//! text is a JSON6902 patch when it decodes as a list of operations (JSON when it starts with
//! `[`, YAML otherwise), a strategic-merge patch when it is an object; a JSON6902 patch needs
//! a `target`, a strategic-merge patch without one patches the object it names. A target's
//! group, version, kind and name are regular expressions anchored as `^(?:...)$`
//! (`api/types/selector.go`). In a strategic merge, a Deployment's containers merge by
//! `name` and a container's `args` and `command` (no patch strategy in core/v1) are replaced
//! whole; `null` deletes a field; `$patch: replace|delete` and `$retainKeys` replace or drop
//! what they sit on.

use flux_kinds::operator::{KustomizePatch, PatchSelector};
use serde_json::{Map, Value};

/// What is wrong with one patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The patch removes, overwrites or negates a lockdown flag, or adds an insecure one.
    Lockdown(String),
    /// Kustomize could not read or apply the patch as written; nothing unread may pass.
    Unreadable(String),
}

/// The flags this module follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    NoCrossNamespaceRefs,
    NoRemoteBases,
    DefaultServiceAccount,
    InsecureKubeconfigExec,
    InsecureKubeconfigTls,
}

const KUSTOMIZE: &str = "kustomize-controller";
const HELM: &str = "helm-controller";
const FLAGS: [Flag; 5] = [
    Flag::NoCrossNamespaceRefs,
    Flag::NoRemoteBases,
    Flag::DefaultServiceAccount,
    Flag::InsecureKubeconfigExec,
    Flag::InsecureKubeconfigTls,
];
/// The flags the multi-tenant profile sets, which a replaced args list must keep.
const LOCKDOWN: [Flag; 3] = [
    Flag::NoCrossNamespaceRefs,
    Flag::NoRemoteBases,
    Flag::DefaultServiceAccount,
];
/// The Deployments the multi-tenant profile patches (flux-operator `profiles.go`).
const LOCKED_CONTROLLERS: [&str; 5] = [
    KUSTOMIZE,
    HELM,
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
];
/// The controller's container in every Flux Deployment (`config/manager/deployment.yaml`).
const MANAGER: &str = "manager";
/// `spec.template.spec.containers` of a Deployment, as JSON pointer tokens.
const CONTAINERS: [&str; 4] = ["spec", "template", "spec", "containers"];

impl Flag {
    fn name(self) -> &'static str {
        match self {
            Flag::NoCrossNamespaceRefs => "no-cross-namespace-refs",
            Flag::NoRemoteBases => "no-remote-bases",
            Flag::DefaultServiceAccount => "default-service-account",
            Flag::InsecureKubeconfigExec => "insecure-kubeconfig-exec",
            Flag::InsecureKubeconfigTls => "insecure-kubeconfig-tls",
        }
    }

    /// The controllers where the flag matters: those the profile gives it to, and for the
    /// insecure kubeconfig flags the two controllers that have them (fluxcd/pkg
    /// `runtime/client` `KubeConfigOptions`, bound by kustomize- and helm-controller).
    fn controllers(self) -> &'static [&'static str] {
        match self {
            Flag::NoCrossNamespaceRefs => &LOCKED_CONTROLLERS,
            Flag::NoRemoteBases => &[KUSTOMIZE],
            _ => &[KUSTOMIZE, HELM],
        }
    }

    fn is_bool(self) -> bool {
        self != Flag::DefaultServiceAccount
    }

    /// How the lockdown wants it written.
    fn secure(self) -> &'static str {
        match self {
            Flag::NoCrossNamespaceRefs => "--no-cross-namespace-refs=true",
            Flag::NoRemoteBases => "--no-remote-bases=true",
            Flag::DefaultServiceAccount => "--default-service-account=<name>",
            Flag::InsecureKubeconfigExec => "--insecure-kubeconfig-exec=false",
            Flag::InsecureKubeconfigTls => "--insecure-kubeconfig-tls=false",
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// One value a followed flag got, at argument `at`.
#[derive(Debug)]
struct Setting {
    flag: Flag,
    /// The index of the argument that names the flag.
    at: usize,
    /// The value as pflag reads it; `None` for a string flag at the end of the arguments
    /// seen, whose value is the next argument, which the patch does not show.
    value: Option<String>,
}

/// The followed flags in `args`, in order, as pflag parses them, and the index of the bare
/// `--` that ended parsing, if one did.
fn parse_args(args: &[&str]) -> (Vec<Setting>, Option<usize>) {
    let mut settings = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let (at, arg) = (i, args[i]);
        i += 1;
        if arg == "--" {
            return (settings, Some(at));
        }
        let Some(long) = arg.strip_prefix("--") else {
            continue;
        };
        let (name, inline) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (long, None),
        };
        let Some(flag) = FLAGS.iter().copied().find(|f| f.name() == name) else {
            continue;
        };
        let value = match inline {
            Some(v) => Some(v.to_string()),
            None if flag.is_bool() => Some("true".to_string()),
            None => {
                let next = args.get(i).map(|s| s.to_string());
                i += 1;
                next
            }
        };
        settings.push(Setting { flag, at, value });
    }
    (settings, None)
}

/// Why one setting weakens the lockdown on the controllers `on`, if it does.
fn weakens(setting: &Setting, on: &str) -> Option<String> {
    let name = setting.flag.name();
    match (setting.flag, setting.value.as_deref()) {
        (Flag::DefaultServiceAccount, None) => Some(format!(
            "sets --{name} on {on} without a value, so it takes the argument after it, which the patch does not show"
        )),
        (Flag::DefaultServiceAccount, Some(v)) if v.trim().is_empty() => Some(format!(
            "sets --{name} to an empty value on {on}: tenant objects without a service account are then applied with the controller's own identity"
        )),
        (Flag::DefaultServiceAccount, Some(_)) => None,
        (Flag::NoCrossNamespaceRefs | Flag::NoRemoteBases, Some(v)) => {
            (parse_bool(v) != Some(true)).then(|| format!("sets --{name}={v} on {on}, switching the lockdown flag off"))
        }
        (Flag::InsecureKubeconfigExec | Flag::InsecureKubeconfigTls, Some(v)) => {
            (parse_bool(v) != Some(false)).then(|| format!("adds --{name}={v} on {on}, letting a tenant's kubeconfig run commands or skip TLS verification"))
        }
        (_, None) => None,
    }
}

/// Whether a kustomize selector field (an anchored regular expression) may match `value`.
/// Only a literal or an alternation of literals (`(a|b)`, `^a$`) is read; anything else is
/// taken to match, so an unreadable pattern never hides a target.
fn may_match(pattern: Option<&str>, value: &str) -> bool {
    literal_alternatives(pattern).is_none_or(|alts| alts.iter().any(|a| a == value))
}

/// Whether a target's `name` may select the Deployment of `controller`. Kustomize also
/// selects a resource by the name it had before a prefix or suffix (`resmap` `Select` looks
/// at the original and previous ids), and the operator's shards are suffixed copies
/// (`kustomize-controller-shard1`), which the lockdown patches reach too: a literal that
/// contains the controller's name counts as selecting it.
fn may_match_name(pattern: Option<&str>, controller: &str) -> bool {
    literal_alternatives(pattern).is_none_or(|alts| alts.iter().any(|a| a.contains(controller)))
}

/// The literal strings an anchored selector pattern stands for, or `None` when it is empty
/// (matches anything) or uses any regex construct beyond `|`, one outer group and `\.`.
fn literal_alternatives(pattern: Option<&str>) -> Option<Vec<String>> {
    let pattern = pattern.filter(|p| !p.is_empty())?;
    let mut p = pattern;
    p = p.strip_prefix('^').unwrap_or(p);
    p = p.strip_suffix('$').unwrap_or(p);
    if let Some(inner) = p
        .strip_prefix("(?:")
        .or_else(|| p.strip_prefix('('))
        .and_then(|i| i.strip_suffix(')'))
    {
        p = inner;
    }
    let mut alternatives = Vec::new();
    for alt in p.split('|') {
        let mut literal = String::new();
        let mut chars = alt.chars();
        while let Some(c) = chars.next() {
            match c {
                c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => literal.push(c),
                // `\.` is a literal dot; a bare `.` is a wildcard.
                '\\' => match chars.next() {
                    Some(e @ ('.' | '-' | '_' | '/')) => literal.push(e),
                    _ => return None,
                },
                _ => return None,
            }
        }
        alternatives.push(literal);
    }
    Some(alternatives)
}

/// The lockdown controllers a patch may change: those its target selects, or for a
/// strategic-merge patch without target the one object it names.
fn selection(
    target: Option<&PatchSelector>,
    own: Option<&Map<String, Value>>,
) -> Vec<&'static str> {
    let deployment = |group: Option<&str>, version: Option<&str>, kind: Option<&str>| {
        may_match(group, "apps") && may_match(version, "v1") && may_match(kind, "Deployment")
    };
    match (target, own) {
        (Some(t), _) => {
            if !deployment(t.group.as_deref(), t.version.as_deref(), t.kind.as_deref()) {
                return Vec::new();
            }
            // Namespace, label and annotation selectors are not evaluated: every Flux
            // Deployment lives in the instance's namespace and carries Flux's labels.
            LOCKED_CONTROLLERS
                .iter()
                .copied()
                .filter(|c| may_match_name(t.name.as_deref(), c))
                .collect()
        }
        (None, Some(doc)) => {
            let api_version = doc.get("apiVersion").and_then(Value::as_str);
            let kind = doc.get("kind").and_then(Value::as_str);
            let name = doc
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str);
            let is_deployment = api_version.is_none_or(|v| v == "apps/v1")
                && kind.is_none_or(|k| k == "Deployment");
            if !is_deployment {
                return Vec::new();
            }
            LOCKED_CONTROLLERS
                .iter()
                .copied()
                .filter(|c| name.is_none_or(|n| n.contains(*c)))
                .collect()
        }
        (None, None) => Vec::new(),
    }
}

/// What the patch may change, and where its findings go.
struct Judge {
    /// The lockdown controllers the patch may reach.
    controllers: Vec<&'static str>,
    found: Vec<Problem>,
}

impl Judge {
    fn relevant(&self, flag: Flag) -> bool {
        flag.controllers()
            .iter()
            .any(|c| self.controllers.contains(c))
    }

    fn reached(&self) -> String {
        self.controllers.join(", ")
    }

    /// The reached controllers where `flag` matters.
    fn reached_for(&self, flag: Flag) -> String {
        let on: Vec<&str> = self
            .controllers
            .iter()
            .copied()
            .filter(|c| flag.controllers().contains(c))
            .collect();
        on.join(", ")
    }

    fn lockdown(&mut self, what: String) {
        self.found.push(Problem::Lockdown(what));
    }

    /// A whole args list that replaces the manager's: it must set every lockdown flag the
    /// reached controllers get, securely (the last occurrence counts), before any `--`.
    fn replaced_args(&mut self, at: &str, args: &Value) {
        let Some(items) = args.as_array() else {
            self.lockdown(format!(
                "{at} replaces the manager container's args with {}, dropping the lockdown flags",
                kind_of(args)
            ));
            return;
        };
        let args: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
        let (settings, ended) = parse_args(&args);
        let last = |flag: Flag| settings.iter().rev().find(|s| s.flag == flag);
        let mut missing = Vec::new();
        for flag in LOCKDOWN.into_iter().filter(|f| self.relevant(*f)) {
            if last(flag).is_none_or(|s| weakens(s, "").is_some()) {
                missing.push(flag.secure());
            }
        }
        if !missing.is_empty() {
            let after = if ended.is_some() {
                " before its `--`"
            } else {
                ""
            };
            self.lockdown(format!(
                "{at} replaces the manager container's args of {} with a list that does not set {}{after}, dropping the lockdown the operator appended",
                self.reached(),
                missing.join(", ")
            ));
        }
        for flag in [Flag::InsecureKubeconfigExec, Flag::InsecureKubeconfigTls] {
            if !self.relevant(flag) {
                continue;
            }
            if let Some(why) = last(flag).and_then(|s| weakens(s, &self.reached_for(flag))) {
                self.lockdown(format!("{at} {why}"));
            }
        }
    }

    /// Arguments a patch inserts (each with the operation that inserts it): any of them
    /// that negates a lockdown flag, adds an insecure one or ends flag parsing is a finding,
    /// wherever it lands.
    fn added_args(&mut self, added: &[(String, &str)]) {
        let args: Vec<&str> = added.iter().map(|(_, a)| *a).collect();
        let (settings, ended) = parse_args(&args);
        let by = |i: usize| added.get(i).map_or("", |(op, _)| op.as_str());
        if let Some(end) = ended {
            self.lockdown(format!(
                "{} adds `--`, which ends flag parsing: the lockdown flags after it are ignored by {}",
                by(end),
                self.reached()
            ));
        }
        for setting in &settings {
            if self.relevant(setting.flag)
                && let Some(why) = weakens(setting, &self.reached_for(setting.flag))
            {
                self.lockdown(format!("{} {why}", by(setting.at)));
            }
        }
    }

    /// A container object that replaces the manager (or a list of containers, whose manager
    /// is the one named `manager`, else the first).
    fn replaced_container(&mut self, at: &str, container: &Value) {
        let Some(map) = container.as_object() else {
            self.lockdown(format!(
                "{at} replaces the manager container with {}",
                kind_of(container)
            ));
            return;
        };
        if map.get("command").is_some_and(|c| !c.is_null()) {
            self.command(at);
        }
        match map.get("args") {
            Some(args) => self.replaced_args(at, args),
            None => self.replaced_args(at, &Value::Array(Vec::new())),
        }
    }

    fn replaced_containers(&mut self, at: &str, containers: &Value) {
        let Some(list) = containers.as_array() else {
            self.lockdown(format!(
                "{at} replaces the containers with {}, dropping the manager's lockdown flags",
                kind_of(containers)
            ));
            return;
        };
        let manager = list
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(MANAGER))
            .or_else(|| list.first());
        match manager {
            Some(m) => self.replaced_container(at, m),
            None => self.lockdown(format!(
                "{at} leaves the Deployment without the manager container"
            )),
        }
    }

    fn command(&mut self, at: &str) {
        self.lockdown(format!(
            "{at} overrides the manager container's command on {}: the controller then runs with whatever arguments the command passes, not the lockdown flags",
            self.reached()
        ));
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Where a JSON pointer lands relative to the manager container's args.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A strict ancestor of `spec/template/spec/containers` (the root too): how many of its
    /// tokens the pointer has.
    Above(usize),
    Containers,
    Container,
    Args,
    Arg,
    Command,
    Elsewhere,
}

/// Every container index counts: an earlier operation may have moved the manager.
fn place(tokens: &[String]) -> Place {
    let n = tokens.len();
    let prefix = n.min(4);
    if tokens[..prefix].iter().zip(CONTAINERS).any(|(t, c)| t != c) {
        return Place::Elsewhere;
    }
    match (n, tokens.get(5).map(String::as_str)) {
        (0..=3, _) => Place::Above(n),
        (4, _) => Place::Containers,
        (5, _) => Place::Container,
        (6, Some("args")) => Place::Args,
        (_, Some("args")) => Place::Arg,
        (_, Some("command")) => Place::Command,
        _ => Place::Elsewhere,
    }
}

/// RFC 6901: `/a/b~1c` is `["a", "b/c"]`; `""` is the whole document.
fn pointer(text: &str) -> Option<Vec<String>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let rest = text.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Judges one `kustomize.patches[]` entry.
pub fn judge(patch: &KustomizePatch) -> Vec<Problem> {
    let text = patch.patch.as_deref().unwrap_or("").trim();
    if text.is_empty() {
        return vec![Problem::Unreadable(
            "is empty: kustomize refuses a patch without text".into(),
        )];
    }
    let documents = if text.starts_with('[') {
        serde_json::from_slice::<Value>(text.as_bytes())
            .map(|v| vec![v])
            .map_err(|e| e.to_string())
    } else {
        fluxgate_yaml::documents(text)
            .map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect())
            .map_err(|e| e.to_string())
    };
    let documents: Vec<Value> = match documents {
        Ok(d) => d,
        Err(why) => {
            return vec![Problem::Unreadable(format!(
                "cannot be read as YAML or JSON ({why})"
            ))];
        }
    };
    if documents.is_empty() {
        return vec![Problem::Unreadable(
            "holds no document: kustomize refuses it".into(),
        )];
    }
    let mut found = Vec::new();
    for document in &documents {
        match document {
            Value::Array(ops) => found.extend(json6902(ops, patch.target.as_ref())),
            Value::Object(map) => found.extend(strategic(map, patch.target.as_ref())),
            other => found.push(Problem::Unreadable(format!(
                "is {}, neither a strategic-merge patch (an object) nor a JSON6902 patch (a list of operations)",
                kind_of(other)
            ))),
        }
    }
    found
}

/// A JSON6902 patch: the operations in order.
fn json6902(ops: &[Value], target: Option<&PatchSelector>) -> Vec<Problem> {
    let mut unreadable = Vec::new();
    let mut parsed = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str);
        let path = op.get("path").and_then(Value::as_str).and_then(pointer);
        let from = op.get("from").and_then(Value::as_str).and_then(pointer);
        match (name, path) {
            (Some(n @ ("add" | "replace" | "test")), Some(p)) if op.get("value").is_some() => {
                parsed.push((i, n, p, None, op.get("value")))
            }
            (Some("remove"), Some(p)) => parsed.push((i, "remove", p, None, None)),
            (Some(n @ ("move" | "copy")), Some(p)) if from.is_some() => {
                parsed.push((i, n, p, from, None))
            }
            _ => unreadable.push(Problem::Unreadable(format!(
                "operation {i} is not a JSON6902 operation kustomize applies (op add, remove, replace, move, copy or test, with its path, value or from)"
            ))),
        }
    }
    if !unreadable.is_empty() {
        return unreadable;
    }
    let Some(target) = target else {
        return vec![Problem::Unreadable(
            "is a JSON6902 patch without a target, which kustomize refuses".into(),
        )];
    };
    let mut judge = Judge {
        controllers: selection(Some(target), None),
        found: Vec::new(),
    };
    if judge.controllers.is_empty() {
        return Vec::new();
    }
    let mut added: Vec<(String, &str)> = Vec::new();
    for (i, op, path, from, value) in parsed {
        let shown = format!("operation {i} ({op} /{})", path.join("/"));
        let at = place(&path);
        if let Some(from) = from.as_deref()
            && op == "move"
            && !matches!(place(from), Place::Elsewhere | Place::Command)
        {
            judge.lockdown(format!(
                "{shown} moves /{} away, taking the lockdown flags of {} with it",
                from.join("/"),
                judge.reached()
            ));
            continue;
        }
        match (op, at) {
            ("test", _) | (_, Place::Elsewhere) => {}
            ("remove", Place::Command) => {}
            (_, Place::Command) => judge.command(&shown),
            ("remove", Place::Arg) => judge.lockdown(format!(
                "{shown} removes an argument of {}: the lockdown flags are the last arguments, so a positional removal can drop one",
                judge.reached()
            )),
            ("remove", Place::Args) => judge.lockdown(format!(
                "{shown} removes the manager container's args on {}, and the lockdown flags with them",
                judge.reached()
            )),
            ("remove", _) => judge.lockdown(format!(
                "{shown} removes the object that holds the manager container's args on {}, and the lockdown flags with them",
                judge.reached()
            )),
            ("move" | "copy", _) => judge.lockdown(format!(
                "{shown} writes a value copied from elsewhere into the manager container's args on {}, which this policy cannot judge",
                judge.reached()
            )),
            (_, Place::Arg) => {
                let text = value.and_then(Value::as_str);
                if op == "replace" {
                    judge.lockdown(format!(
                        "{shown} overwrites an argument of {}: the lockdown flags are the last arguments, so a positional replace can drop one",
                        judge.reached()
                    ));
                }
                if let Some(text) = text {
                    added.push((shown.clone(), text));
                }
            }
            (_, Place::Args) => {
                judge.replaced_args(&shown, value.unwrap_or(&Value::Null));
            }
            ("add", Place::Container) => {} // an insertion: the manager stays as it is
            (_, Place::Container) => judge.replaced_container(&shown, value.unwrap_or(&Value::Null)),
            (_, Place::Containers) => judge.replaced_containers(&shown, value.unwrap_or(&Value::Null)),
            (_, Place::Above(n)) => {
                let containers = CONTAINERS[n..]
                    .iter()
                    .try_fold(value.unwrap_or(&Value::Null), |v, k| v.get(*k));
                match containers {
                    Some(c) => judge.replaced_containers(&shown, c),
                    None => judge.lockdown(format!(
                        "{shown} replaces /{} without the manager container, dropping the lockdown flags of {}",
                        path.join("/"),
                        judge.reached()
                    )),
                }
            }
        }
    }
    if !added.is_empty() {
        judge.added_args(&added);
    }
    judge.found
}

/// A strategic-merge patch document.
fn strategic(doc: &Map<String, Value>, target: Option<&PatchSelector>) -> Vec<Problem> {
    let mut judge = Judge {
        controllers: selection(target, Some(doc)),
        found: Vec::new(),
    };
    if judge.controllers.is_empty() {
        return Vec::new();
    }
    let mut level = doc;
    let mut path = String::new();
    for key in &CONTAINERS[..3] {
        directives(
            &mut judge,
            level,
            if path.is_empty() {
                "the patch root"
            } else {
                &path
            },
        );
        path = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match level.get(*key) {
            None => return judge.found,
            Some(Value::Object(next)) => level = next,
            Some(other) => {
                judge.lockdown(format!(
                    "{path}: {} replaces it, dropping the manager container's lockdown flags on {}",
                    describe_replacement(other),
                    judge.reached()
                ));
                return judge.found;
            }
        }
    }
    directives(&mut judge, level, &path);
    let containers_path = format!("{path}.containers");
    let containers = match level.get("containers") {
        None => return judge.found,
        Some(Value::Array(items)) => items,
        Some(other) => {
            judge.lockdown(format!(
                "{containers_path}: {} replaces the containers, dropping the manager's lockdown flags on {}",
                describe_replacement(other),
                judge.reached()
            ));
            return judge.found;
        }
    };
    for (i, item) in containers.iter().enumerate() {
        let at = format!("{containers_path}[{i}]");
        let Some(container) = item.as_object() else {
            judge.found.push(Problem::Unreadable(format!(
                "{at} is {}, not a container: kustomize cannot merge it",
                kind_of(item)
            )));
            continue;
        };
        let name = container.get("name").and_then(Value::as_str);
        if let Some(p) = container.get("$patch").and_then(Value::as_str)
            && p != "merge"
            && (p == "replace" || name.is_none_or(|n| n == MANAGER))
        {
            judge.lockdown(format!(
                "{at}: `$patch: {p}` {} the manager container of {}, dropping its lockdown flags",
                if p == "replace" {
                    "replaces the containers and with them"
                } else {
                    "deletes"
                },
                judge.reached()
            ));
            continue;
        }
        match name {
            None => judge.found.push(Problem::Unreadable(format!(
                "{at} has no name: containers merge by name, so kustomize cannot place it"
            ))),
            Some(MANAGER) => {
                directives(&mut judge, container, &at);
                if container.get("command").is_some() {
                    judge.command(&format!("{at}.command"));
                }
                if let Some(args) = container.get("args") {
                    let at = format!("{at}.args");
                    if args.is_null() {
                        judge.lockdown(format!(
                            "{at}: null deletes the manager container's args on {}, and the lockdown flags with them",
                            judge.reached()
                        ));
                    } else {
                        // A strategic merge replaces a container's args whole.
                        judge.replaced_args(&at, args);
                    }
                }
            }
            Some(_) => {} // another container: a sidecar, not the controller
        }
    }
    judge.found
}

fn describe_replacement(v: &Value) -> String {
    if v.is_null() {
        "null deletes it and".into()
    } else {
        format!("{} in its place", kind_of(v))
    }
}

/// Strategic-merge directives on the way to the manager container: `$patch: replace` or
/// `delete` and `$retainKeys` replace or drop the object they sit on, and
/// `$deleteFromPrimitiveList/...` removes list items. `$patch: merge` is the default, and
/// `$setElementOrder/...` only orders what is there.
fn directives(judge: &mut Judge, map: &Map<String, Value>, at: &str) {
    for (key, value) in map {
        if !key.starts_with('$')
            || key.starts_with("$setElementOrder/")
            || (key == "$patch" && value.as_str() == Some("merge"))
        {
            continue;
        }
        let shown = match value.as_str() {
            Some(v) if key == "$patch" => format!("`$patch: {v}`"),
            _ => format!("`{key}`"),
        };
        judge.lockdown(format!(
            "{at}: the strategic-merge directive {shown} can replace or drop the manager container's args on {}, and the lockdown flags with them",
            judge.reached()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(text: &str, target: Option<Value>) -> KustomizePatch {
        KustomizePatch {
            patch: Some(text.to_string()),
            target: target.map(|t| serde_json::from_value(t).unwrap()),
        }
    }

    fn deployments() -> Option<Value> {
        Some(serde_json::json!({"kind": "Deployment"}))
    }

    fn lockdown(found: &[Problem]) -> usize {
        found
            .iter()
            .filter(|p| matches!(p, Problem::Lockdown(_)))
            .count()
    }

    #[test]
    fn messages_name_what_replaced_the_field() {
        let kinds: Vec<&str> = [
            serde_json::json!(null),
            serde_json::json!(true),
            serde_json::json!(1),
            serde_json::json!("x"),
            serde_json::json!([]),
            serde_json::json!({}),
        ]
        .iter()
        .map(kind_of)
        .collect();
        assert_eq!(
            kinds,
            [
                "null",
                "a boolean",
                "a number",
                "a string",
                "a list",
                "an object"
            ]
        );
    }

    #[test]
    fn pflag_semantics() {
        let (s, ended) = parse_args(&[
            "--no-cross-namespace-refs",
            "false",
            "--default-service-account",
            "",
            "--log-level=info",
        ]);
        assert_eq!(ended, None);
        assert_eq!((s[0].at, s[1].at), (0, 2));
        assert_eq!(s.len(), 2);
        // A bool flag alone is true and leaves "false" as a positional argument.
        assert!(weakens(&s[0], "x").is_none());
        // A string flag takes the next argument, here empty.
        assert!(weakens(&s[1], "x").is_some());
        let (s, _) = parse_args(&["--default-service-account"]);
        assert!(weakens(&s[0], "x").unwrap().contains("without a value"));
        for off in ["0", "f", "F", "false", "FALSE", "False", "no"] {
            let arg = format!("--no-remote-bases={off}");
            let (s, _) = parse_args(&[&arg]);
            assert!(weakens(&s[0], "x").is_some(), "{off}");
        }
        let (s, _) = parse_args(&["--insecure-kubeconfig-tls"]);
        assert!(weakens(&s[0], "x").is_some());
        let (s, _) = parse_args(&["--insecure-kubeconfig-exec=false"]);
        assert!(weakens(&s[0], "x").is_none());
        let (_, ended) = parse_args(&["-v", "--", "--no-cross-namespace-refs=true"]);
        assert_eq!(ended, Some(1));
        // A single dash is a pflag shorthand, not one of these flags.
        assert!(parse_args(&["-no-cross-namespace-refs=false"]).0.is_empty());
    }

    #[test]
    fn selectors_as_anchored_regexes() {
        assert!(may_match(None, "kustomize-controller"));
        assert!(may_match(
            Some("kustomize-controller"),
            "kustomize-controller"
        ));
        assert!(!may_match(Some("kustomize"), "kustomize-controller"));
        assert!(may_match(
            Some("(kustomize-controller|helm-controller)"),
            HELM
        ));
        assert!(!may_match(Some("(source-controller|source-watcher)"), HELM));
        assert!(may_match(Some("^helm-controller$"), HELM));
        assert!(may_match(Some(".*-controller"), HELM));
        assert!(may_match(Some("helm.controller"), HELM));
        assert!(may_match(Some("(?i)HELM-CONTROLLER"), HELM));
        assert!(may_match(Some("kustomize-controller|helm-[a-z]+"), HELM));
        let only_source = serde_json::json!({"kind": "Deployment", "name": "source-controller"});
        assert!(selection(Some(&serde_json::from_value(only_source).unwrap()), None).is_empty());
        let shard =
            serde_json::json!({"kind": "Deployment", "name": "kustomize-controller-shard1"});
        assert_eq!(
            selection(Some(&serde_json::from_value(shard).unwrap()), None),
            [KUSTOMIZE]
        );
        let services = serde_json::json!({"kind": "Service"});
        assert!(selection(Some(&serde_json::from_value(services).unwrap()), None).is_empty());
        let by_label = serde_json::json!({"labelSelector": "app.kubernetes.io/part-of=flux"});
        assert_eq!(
            selection(Some(&serde_json::from_value(by_label).unwrap()), None).len(),
            5
        );
    }

    #[test]
    fn json6902_bypasses() {
        for (text, n) in [
            (
                "- op: remove\n  path: /spec/template/spec/containers/0/args\n",
                1,
            ),
            (
                "- op: replace\n  path: /spec/template/spec/containers/0/args\n  value: [--log-level=debug]\n",
                1,
            ),
            (
                "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-cross-namespace-refs=false\n",
                1,
            ),
            (
                "- {op: add, path: /spec/template/spec/containers/0/args/0, value: '--'}",
                1,
            ),
            (
                "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --default-service-account\n- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: ''\n",
                1,
            ),
            (
                "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --insecure-kubeconfig-exec\n",
                1,
            ),
            (
                "- op: remove\n  path: /spec/template/spec/containers/0/args/7\n",
                1,
            ),
            (
                "- op: move\n  from: /spec/template/spec/containers/0/args\n  path: /metadata/annotations/x\n",
                1,
            ),
            (
                "- op: replace\n  path: /spec/template/spec/containers\n  value: [{name: manager, image: x}]\n",
                1,
            ),
            (
                "- op: replace\n  path: /spec/template/spec/containers/0\n  value: {name: manager, image: x, args: [--no-cross-namespace-refs=true]}\n",
                1,
            ),
            (
                "- op: add\n  path: /spec/template/spec/containers/0/command\n  value: [sh, -c, kustomize-controller]\n",
                1,
            ),
            ("- op: remove\n  path: /spec/template\n", 1),
            (
                r#"[{"op": "remove", "path": "/spec/template/spec/containers/0/args"}]"#,
                1,
            ),
        ] {
            let found = judge(&patch(text, deployments()));
            assert_eq!(lockdown(&found), n, "{text}: {found:?}");
        }
    }

    #[test]
    fn findings_name_the_operation() {
        let text = "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=5\n- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-remote-bases=false\n";
        let found = judge(&patch(text, deployments()));
        assert_eq!(
            found,
            [Problem::Lockdown(
                "operation 1 (add /spec/template/spec/containers/0/args/-) sets --no-remote-bases=false on kustomize-controller, switching the lockdown flag off".into()
            )]
        );
    }

    #[test]
    fn json6902_harmless() {
        for text in [
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=20\n",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-cross-namespace-refs=true\n",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --default-service-account=flux\n",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-cross-namespace-refs\n- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: 'false'\n",
            "- op: replace\n  path: /spec/template/spec/containers/0/resources/limits/memory\n  value: 2Gi\n",
            "- op: add\n  path: /spec/template/spec/containers/1\n  value: {name: sidecar, image: x}\n",
            "- op: test\n  path: /spec/template/spec/containers/0/args\n  value: []\n",
        ] {
            let found = judge(&patch(text, deployments()));
            assert!(found.is_empty(), "{text}: {found:?}");
        }
        // The same removal only on source-controller, which the lockdown never touches.
        let only = Some(serde_json::json!({"kind": "Deployment", "name": "source-controller"}));
        let removal = "- op: remove\n  path: /spec/template/spec/containers/0/args\n";
        assert!(judge(&patch(removal, only)).is_empty());
        // --no-remote-bases=false on helm-controller alone: helm-controller has no such flag.
        let helm = Some(serde_json::json!({"kind": "Deployment", "name": "helm-controller"}));
        let remote = "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --no-remote-bases=false\n";
        assert!(judge(&patch(remote, helm)).is_empty());
    }

    #[test]
    fn full_args_lists_must_keep_the_lockdown() {
        let notif =
            Some(serde_json::json!({"kind": "Deployment", "name": "notification-controller"}));
        let keeps = "- op: replace\n  path: /spec/template/spec/containers/0/args\n  value: [--watch-all-namespaces, --no-cross-namespace-refs=true]\n";
        assert!(judge(&patch(keeps, notif.clone())).is_empty());
        let negated_later = "- op: replace\n  path: /spec/template/spec/containers/0/args\n  value: [--no-cross-namespace-refs=true, --no-cross-namespace-refs=false]\n";
        assert_eq!(lockdown(&judge(&patch(negated_later, notif.clone()))), 1);
        let after_end = "- op: replace\n  path: /spec/template/spec/containers/0/args\n  value: ['--', --no-cross-namespace-refs=true]\n";
        assert_eq!(lockdown(&judge(&patch(after_end, notif))), 1);
    }

    #[test]
    fn strategic_merge_bypasses() {
        let manager_args = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args: [--log-level=debug]\n";
        assert_eq!(lockdown(&judge(&patch(manager_args, None))), 1);
        for text in [
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args: null\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - {$patch: replace}\n      - {name: manager, image: x}\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: manager, $patch: delete}\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      $retainKeys: [volumes]\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    $patch: replace\n    spec: {containers: [{name: manager, image: x}]}\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template: null\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        $deleteFromPrimitiveList/args: [--no-remote-bases=true]\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        command: [/bin/sh]\n",
        ] {
            let found = judge(&patch(text, deployments()));
            assert!(lockdown(&found) >= 1, "{text}: {found:?}");
        }
        // Without a target, the patch patches the Deployment it names: source-controller is
        // not locked down.
        let source = manager_args.replace("kustomize-controller", "source-controller");
        assert!(judge(&patch(&source, None)).is_empty());
    }

    #[test]
    fn strategic_merge_harmless() {
        for text in [
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: all\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        resources:\n          limits: {cpu: 2000m, memory: 2Gi}\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      nodeSelector: {role: flux}\n      containers:\n      - name: sidecar\n        args: [--anything]\n",
            "kind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    $patch: merge\n    spec:\n      $setElementOrder/containers: [{name: manager}]\n",
        ] {
            let found = judge(&patch(text, deployments()));
            assert!(found.is_empty(), "{text}: {found:?}");
        }
    }

    #[test]
    fn unreadable_patches() {
        for text in [
            "",
            "  ",
            "spec: [unclosed",
            "[not json",
            "just a string",
            "- 1\n- 2\n",
        ] {
            let found = judge(&patch(text, deployments()));
            assert!(
                matches!(found.first(), Some(Problem::Unreadable(_))),
                "{text:?}: {found:?}"
            );
        }
        // An add without its value, a move without its from: kustomize refuses both.
        for text in [
            "- op: add\n  path: /spec/replicas\n",
            "- op: move\n  path: /spec/replicas\n",
        ] {
            let found = judge(&patch(text, deployments()));
            assert!(
                matches!(found[..], [Problem::Unreadable(_)]),
                "{text:?}: {found:?}"
            );
        }
        let targetless = "- op: add\n  path: /spec/replicas\n  value: 2\n";
        assert!(matches!(
            judge(&patch(targetless, None))[0],
            Problem::Unreadable(_)
        ));
    }

    #[test]
    fn strategic_merge_directives_on_the_manager() {
        let manager = |extra: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: kustomize-controller}}\n\
                 spec: {{template: {{spec: {{containers: [{{name: manager{extra}}}]}}}}}}"
            )
        };
        let messages = |text: String| -> Vec<String> {
            judge(&patch(&text, None))
                .into_iter()
                .map(|p| match p {
                    Problem::Lockdown(m) | Problem::Unreadable(m) => m,
                })
                .collect()
        };
        // `$patch: merge` is the default: nothing dropped.
        assert_eq!(messages(manager(", $patch: merge")), Vec::<String>::new());
        let deleted = messages(manager(", $patch: delete"));
        assert!(
            deleted.len() == 1
                && deleted[0].contains("`$patch: delete` deletes the manager container"),
            "{deleted:?}"
        );
        let retained = messages(manager(", $retainKeys: [name]"));
        assert!(
            retained.len() == 1 && retained[0].contains("directive `$retainKeys`"),
            "{retained:?}"
        );
        // A directive above the manager, named as written.
        let above = messages(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kustomize-controller}\n\
             spec: {template: {$patch: replace, spec: {$retainKeys: containers, containers: [{name: manager}]}}}"
                .to_string(),
        );
        assert!(
            above
                .iter()
                .any(|m| m.contains("directive `$patch: replace`"))
                && above.iter().any(|m| m.contains("directive `$retainKeys`")),
            "{above:?}"
        );
        // What stands where the pod spec or the containers should be is named.
        let replaced = |body: &str| {
            messages(format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: kustomize-controller}}\nspec: {body}"
            ))
        };
        let null_template = replaced("{template: null}");
        assert!(
            null_template[0].contains("null deletes it and replaces it"),
            "{null_template:?}"
        );
        let string_containers = replaced("{template: {spec: {containers: x}}}");
        assert!(
            string_containers[0].contains("a string in its place replaces the containers"),
            "{string_containers:?}"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let _ = judge(&patch(&deep, deployments()));
        for text in [
            "- op: add\n  path: ''\n  value: {spec: 1}\n",
            "- op: add\n  path: /spec\n  value: null\n",
            "- op: replace\n  path: /spec/template/spec/containers/0/args\n  value: 3\n",
            "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: [nested]\n",
            "- op: copy\n  from: /a\n  path: /spec/template/spec/containers/0/args/0\n",
            "spec: {template: {spec: {containers: [1, {image: x}]}}}",
        ] {
            let _ = judge(&patch(text, deployments()));
        }
    }
}
