//! Files generated from a policy's `metadata.yml`, so they cannot disagree with it:
//! the `ClusterAdmissionPolicy` that deploys it and the ArtifactHub package description.
//! Field mapping follows `kwctl scaffold manifest` and `kwctl scaffold artifacthub`.

use anyhow::{Context, ensure};
use fluxgate_admission::identity::Identities;
use fluxgate_protocol::metadata::{ContextAwareResource, Metadata};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// A policy directory's publishing inputs.
pub struct PolicySource {
    pub name: String,
    pub metadata: Metadata,
    pub readme: String,
    /// Rancher questions for Kubewarden's UI, when the policy has `questions-ui.yml`.
    pub questions_ui: Option<String>,
}

impl PolicySource {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .with_context(|| format!("cannot read {}", dir.join(f).display()))
        };
        let metadata = Metadata::from_yaml(&read("metadata.yml")?)
            .with_context(|| format!("{}/metadata.yml", dir.display()))?;
        let questions_ui = match read("questions-ui.yml") {
            Ok(text) => {
                ensure!(
                    !text.trim().is_empty(),
                    "{}/questions-ui.yml is empty",
                    dir.display()
                );
                Some(text)
            }
            Err(_) => None,
        };
        let source = PolicySource {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            metadata,
            readme: read("README.md")?,
            questions_ui,
        };
        for key in [
            "io.kubewarden.policy.title",
            "io.kubewarden.policy.version",
            "io.kubewarden.policy.ociUrl",
        ] {
            source.annotation(key)?;
        }
        Ok(source)
    }

    fn annotation(&self, key: &str) -> anyhow::Result<&str> {
        self.metadata
            .annotations
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .with_context(|| format!("{}: metadata.yml lacks annotations.{key}", self.name))
    }

    fn optional(&self, key: &str) -> Option<&str> {
        self.annotation(key).ok()
    }

    pub fn version(&self) -> &str {
        self.optional("io.kubewarden.policy.version")
            .unwrap_or_default()
    }

    /// `ghcr.io/<owner>/fluxgate/<policy>:v<version>`.
    pub fn image(&self) -> String {
        format!(
            "{}:v{}",
            self.optional("io.kubewarden.policy.ociUrl")
                .unwrap_or_default(),
            self.version()
        )
    }

    /// fluxgate's release tags are per policy: `<policy>/v<version>`.
    pub fn release_tag(&self) -> String {
        format!("{}/v{}", self.name, self.version())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterAdmissionPolicy<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta<'a>,
    spec: PolicySpec<'a>,
}

#[derive(Serialize)]
struct ObjectMeta<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicySpec<'a> {
    policy_server: &'static str,
    module: String,
    mode: &'static str,
    settings: &'a Value,
    rules: &'a [Value],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    match_conditions: Vec<MatchCondition>,
    failure_policy: &'static str,
    timeout_seconds: u32,
    timeout_eval_seconds: u32,
    mutating: bool,
    background_audit: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    context_aware_resources: &'a [ContextAwareResource],
}

/// The PolicyServer the policies run on: `deploy/policy-server.yaml` (two replicas and a
/// PodDisruptionBudget, so a node drain or one crashed pod never leaves the webhooks without
/// a server).
pub const POLICY_SERVER: &str = "fluxgate";

/// `failurePolicy`. These are security policies: with `Ignore`, a policy-server that is down,
/// overloaded or cut off by a NetworkPolicy would admit every tenant write unjudged, and
/// anyone able to slow it down (many large requests) could switch the protection off. `Fail`
/// is safe for Flux itself because of the matchConditions below: the API server never calls
/// the webhook for Flux's own objects (TenantObjects policies: objects in
/// `platformNamespaces`, where `flux install`/bootstrap puts Flux's sources and
/// Kustomizations) nor for the platform's writers (tenant-cluster-scope: Flux's controllers,
/// kube-system), so Flux keeps reconciling itself, and can redeploy policy-server through
/// its own Kustomization, while the server is down. Kubewarden keeps its own namespace out of
/// every webhook (`allowInsideAdmissionControllerNamespace: false`, the default), so
/// policy-server's pods can always be recreated.
pub const FAILURE_POLICY: &str = "Fail";

/// `timeoutSeconds`: how long the API server waits for policy-server before applying the
/// failure policy. Kubernetes' default is 10 s and its maximum 30 s
/// (admissionregistration.k8s.io/v1 `ValidatingWebhook.timeoutSeconds`). A fluxgate policy
/// answers in 20-200 microseconds (README "Performance"), so 5 s is four orders of magnitude
/// of headroom for queueing behind policy-server's workers, TLS and a pod restart, while a
/// stalled server costs each Flux apply 5 s rather than 10: kustomize-controller applies a
/// Kustomization's objects in a few server-side-apply calls under the Kustomization's
/// `spec.timeout` (default: its interval), and the API server's own request timeout is 60 s
/// (`--request-timeout`), so a 5 s webhook fails fast with a message Flux reports instead of
/// hanging the reconciliation.
pub const TIMEOUT_SECONDS: u32 = 5;

/// `timeoutEvalSeconds`: policy-server's limit on one evaluation (its `--policy-timeout`
/// default is 2 s; Kubewarden accepts 2-30 and no more than `timeoutSeconds`). 2 s, the
/// minimum, is 10,000 times the slowest measured request, and below `timeoutSeconds`, so a
/// runaway evaluation is stopped by policy-server, which answers with a rejection that names
/// the policy, before the API server's own deadline turns it into `context deadline
/// exceeded`. (policy-server's epoch timer ticks each second, so the effective limit lies
/// between 1 and 2 s.)
pub const TIMEOUT_EVAL_SECONDS: u32 = 2;

/// Whose writes a policy judges before any rule runs: the `scope` of the policy's `POLICY`
/// (fluxgate-admission `flow::Scope`), which the generated matchConditions mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Objects outside `platformNamespaces`, whoever writes them.
    TenantObjects,
    /// Writes by the identities the identity model calls tenant candidates
    /// (`Identities::candidate`), whatever they write.
    TenantWriters,
    /// Every request: RBAC grants are judged by whom they grant to, whoever writes them.
    Everything,
}

/// fluxgate's policies and their scopes. `testkit/tests/match_conditions.rs` checks every
/// entry against the policy's own `POLICY.scope`; a policy not listed gets no matchConditions.
pub const SCOPES: [(&str, Scope); 11] = [
    ("artifact-signature-verification", Scope::TenantObjects),
    ("flux-operator-boundaries", Scope::Everything),
    ("flux-rbac-least-privilege", Scope::Everything),
    ("flux-secrets-isolation", Scope::Everything),
    ("git-commit-verification", Scope::TenantObjects),
    ("helmrelease-boundaries", Scope::TenantObjects),
    ("image-automation-guard", Scope::TenantObjects),
    ("kustomization-boundaries", Scope::TenantObjects),
    ("notification-boundaries", Scope::TenantObjects),
    ("source-origin", Scope::TenantObjects),
    ("tenant-cluster-scope", Scope::TenantWriters),
];

/// The scope of one of fluxgate's policies, by its directory name.
pub fn scope_of(policy: &str) -> Option<Scope> {
    SCOPES
        .iter()
        .find(|(name, _)| *name == policy)
        .map(|(_, scope)| *scope)
}

/// One CEL `matchConditions` entry of a webhook (admissionregistration.k8s.io/v1
/// `MatchCondition`): the API server calls the webhook only when every entry is true.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct MatchCondition {
    pub name: String,
    pub expression: String,
}

/// The identity settings in a policy's `settings` (`null`: the defaults), split off and
/// validated exactly as every policy reads them (fluxgate-admission `settings::parse`).
pub fn identities(settings: &Value) -> anyhow::Result<Identities> {
    /// The policy's own settings: not read here.
    #[derive(Deserialize, Default)]
    #[serde(transparent)]
    struct Own(#[allow(dead_code)] serde_json::Map<String, Value>);
    impl fluxgate_admission::PolicySettings for Own {}
    fluxgate_admission::settings::parse::<Own>(settings)
        .map(|s| s.identities)
        .map_err(anyhow::Error::msg)
}

/// The username, `""` when the API server leaves it out (it omits empty fields).
const USERNAME: &str = "(has(request.userInfo.username) ? request.userInfo.username : \"\")";

/// The CEL matchConditions that send the policy only the requests its scope judges, so a
/// request it would accept before any rule runs never reaches policy-server (and is never
/// blocked when policy-server is down). They mirror `fluxgate_admission::flow::review` step 5
/// and `Identities::candidate` for these `identities`, and err towards sending: where they
/// differ from the policy, the policy sees more than it judges, never less.
///
/// The CEL is what both Kubernetes' matchConditions environment and the `cel` crate (the
/// testkit's check) evaluate: the standard macros `has` and `exists`, `in`, `matches` (RE2
/// syntax in Kubernetes, Rust's regex in the test: only the syntax both read, `(?s)`, `(?i)`,
/// `[^:]`, escaped metacharacters) and the variables `request`, `object` and `oldObject`
/// (kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/
/// #matching-requests-matchconditions). Kubernetes converts the AdmissionRequest to JSON with
/// its `omitempty` tags (apiserver `admission/plugin/cel/filter.go`
/// `convertObjectToUnstructured`), so an empty `namespace` or `groups` is absent: each such
/// field is read behind `has()`, and no expression can fail (with `failurePolicy: Fail` an
/// error would reject the request).
///
/// * `TenantObjects`: objects in `platformNamespaces` are accepted before any check. The API
///   server's `request.namespace` is what the flow reads; without one (cluster-scoped
///   objects) the request is sent.
/// * `TenantWriters`: a writer is judged when `Identities::candidate` finds it a tenant
///   candidate: not a `platformIdentities` glob; a `tenantIdentities` glob over the username
///   and groups when that setting is set; else a service account
///   (`system:serviceaccount:NS:NAME`, else a group `system:serviceaccounts:NS`) outside
///   `platformNamespaces`, any odd spelling of the prefix counting as a tenant. The prefix is
///   matched with `(?i)`, Unicode case folding, a superset of the ASCII-only folding of the
///   policy (`ſystem:…` is sent; the policy then accepts it). The tenant-label look-up is
///   the policy's: every candidate is sent.
/// * `Everything`: nothing is left out (an RBAC grant is judged by whom it grants to,
///   whoever writes it; a FluxInstance wherever it is), so no condition.
///
/// An UPDATE that leaves the judged fields as they were is left out by [`spec_changed`] where
/// every judged kind is judged by its `spec`. The flow's other early accepts (an unjudged
/// kind, the policy's own exemptions) are left to the policy: they depend on settings these
/// conditions do not read.
pub fn match_conditions(scope: Scope, identities: &Identities) -> Vec<MatchCondition> {
    let condition = |name: &str, expression: String| MatchCondition {
        name: name.to_string(),
        expression,
    };
    let platform = &identities.platform_namespaces;
    match scope {
        Scope::Everything => Vec::new(),
        Scope::TenantObjects if platform.is_empty() => Vec::new(),
        Scope::TenantObjects => {
            let list: Vec<String> = platform.iter().map(|ns| cel_string(ns)).collect();
            vec![condition(
                "object-outside-platform-namespaces",
                format!(
                    "!has(request.namespace) || !(request.namespace in [{}])",
                    list.join(", ")
                ),
            )]
        }
        Scope::TenantWriters => {
            let mut out = Vec::new();
            if !identities.platform_identities.is_empty() {
                let re = cel_string(&globs_regex(&identities.platform_identities));
                out.push(condition(
                    "writer-is-not-a-platform-identity",
                    format!("!{USERNAME}.matches({re})"),
                ));
            }
            if !identities.tenant_identities.is_empty() {
                let re = cel_string(&globs_regex(&identities.tenant_identities));
                out.push(condition(
                    "writer-is-named-in-tenant-identities",
                    format!(
                        "{USERNAME}.matches({re}) || (has(request.userInfo.groups) && \
                         request.userInfo.groups.exists(g, g.matches({re})))"
                    ),
                ));
                return out;
            }
            // Kubernetes never issues another spelling of the prefixes (apiserver
            // `serviceaccount.MakeUsername`, `MakeNamespaceGroupName`).
            let account = |prefix: &str| {
                let any_case = cel_string(&format!("^(?i){prefix}[^:]"));
                if platform.is_empty() {
                    return (any_case, None);
                }
                let mut namespaces = String::new();
                for (i, ns) in platform.iter().enumerate() {
                    if i > 0 {
                        namespaces.push('|');
                    }
                    quote_meta(ns, &mut namespaces);
                }
                let platform = cel_string(&format!("^{prefix}(?:{namespaces})(?::|$)"));
                (any_case, Some(platform))
            };
            let (user, platform_user) = account("system:serviceaccount:");
            let (group, platform_group) = account("system:serviceaccounts:");
            let user_judged = match &platform_user {
                Some(p) => format!("!request.userInfo.username.matches({p})"),
                None => "true".to_string(),
            };
            let group_judged = match &platform_group {
                Some(p) => format!("g.matches({group}) && !g.matches({p})"),
                None => format!("g.matches({group})"),
            };
            out.push(condition(
                "writer-is-a-service-account-outside-platform-namespaces",
                format!(
                    "(has(request.userInfo.username) && request.userInfo.username.matches({user})) \
                     ? {user_judged} \
                     : (has(request.userInfo.groups) && request.userInfo.groups.exists(g, {group_judged}))"
                ),
            ));
            out
        }
    }
}

/// Whether every kind the policy's webhook rules select is a Flux kind (API groups
/// `*.toolkit.fluxcd.io`, `source.extensions.fluxcd.io`, the Flux Operator's
/// `fluxcd.controlplane.io`): fluxgate judges those
/// by their `spec` alone (`flux_kinds` `KindSpec::judged_fields`), which
/// `testkit/tests/match_conditions.rs` checks against every policy's kinds.
pub fn spec_judged(rules: &[Value]) -> bool {
    let flux = |group: &Value| {
        group
            .as_str()
            .is_some_and(|g| g.ends_with(".fluxcd.io") || g == "fluxcd.controlplane.io")
    };
    !rules.is_empty()
        && rules.iter().all(|rule| {
            rule["apiGroups"]
                .as_array()
                .is_some_and(|groups| !groups.is_empty() && groups.iter().all(flux))
        })
}

/// Leaves out an UPDATE that keeps `spec` as it was, which the flow accepts before any rule
/// runs (`fluxgate_admission::flow::review` step 4, so objects admitted before the policy
/// can still be reconciled, relabelled and finalised). That is most of what Flux sends: every
/// reconcile dry-runs each object, and the API server calls the webhooks even when nothing
/// changes. CEL compares the two maps deeply; `oldObject` is null on CREATE and `object` on
/// DELETE, and an object with no `spec` on both sides is unchanged, as in the flow. One
/// difference: CEL's `==` compares numbers by value (1 == 1.0), the flow by their JSON form,
/// so CEL also leaves out an UPDATE that only respells a number of a spec already in the
/// cluster.
pub fn spec_changed() -> MatchCondition {
    MatchCondition {
        name: "update-changes-spec".into(),
        expression: "request.operation != \"UPDATE\" || object == null || oldObject == null || \
                     (has(object.spec) ? !has(oldObject.spec) || object.spec != oldObject.spec : has(oldObject.spec))"
            .into(),
    }
}

/// Why a manifest has the matchConditions it has, for its header.
fn match_conditions_note(scope: Option<Scope>, spec_judged: bool) -> String {
    let mut note = match scope {
        Some(Scope::TenantObjects) => {
            "# matchConditions: objects in platformNamespaces are accepted before any rule runs, so the\n\
             # API server does not send them (Flux's own objects keep applying when policy-server is down).\n"
        }
        Some(Scope::TenantWriters) => {
            "# matchConditions: only writers the identity model calls tenant candidates are judged, so the\n\
             # API server sends no other writer's request (Flux's controllers, kube-system, humans).\n"
        }
        Some(Scope::Everything) if spec_judged => {
            "# matchConditions: this policy judges every writer everywhere, so only the spec condition.\n"
        }
        Some(Scope::Everything) => {
            "# matchConditions: none. This policy judges every request, whoever writes it and wherever\n\
             # (an RBAC grant by whom it grants to): no request can be left out before it runs.\n"
        }
        None => "# matchConditions: the policy's scope is not known to `fluxgate manifest`.\n",
    }
    .to_string();
    if spec_judged {
        note.push_str(
            "# update-changes-spec: an UPDATE that keeps spec as it was is accepted before any rule runs\n\
             # (most of Flux's reconcile dry-runs), so the API server does not send it either.\n",
        );
    }
    note
}

/// Go's `regexp.QuoteMeta` set, escaped: RE2 and Rust's regex read every other character
/// outside a class as itself.
fn quote_meta(text: &str, out: &mut String) {
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Any of `globs`, matched as `fluxgate_matchers::glob::matches` does, as one regex over the
/// whole text: `*` any run of characters (newlines too: `(?s)`), `?` exactly one, every other
/// character itself.
fn globs_regex(globs: &[String]) -> String {
    let mut re = String::from("(?s)^(?:");
    for (i, glob) in globs.iter().enumerate() {
        if i > 0 {
            re.push('|');
        }
        for c in glob.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => quote_meta(c.encode_utf8(&mut [0; 4]), &mut re),
            }
        }
    }
    re.push_str(")$");
    re
}

/// A CEL string literal of `text`: printable ASCII as itself (`"` and `\` escaped), every
/// other character as a `\u` or `\U` escape, so any setting value round-trips exactly.
fn cel_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// The `ClusterAdmissionPolicy` (policies.kubewarden.io/v1) that runs the policy in
/// `protect` mode with `settings` on the [`POLICY_SERVER`], granting exactly its declared
/// context-aware resources, with the [`match_conditions`] of its scope for these settings.
pub fn cluster_admission_policy(source: &PolicySource, settings: &Value) -> anyhow::Result<String> {
    let m = &source.metadata;
    let annotations = [
        "io.kubewarden.policy.severity",
        "io.kubewarden.policy.category",
    ]
    .into_iter()
    .filter_map(|k| source.optional(k).map(|v| (k, v)))
    .collect();
    let settings_or_empty = if settings.is_null() {
        &Value::Object(Default::default())
    } else {
        settings
    };
    let scope = scope_of(&source.name);
    let identities = identities(settings).with_context(|| format!("{}: settings", source.name))?;
    let policy = ClusterAdmissionPolicy {
        api_version: "policies.kubewarden.io/v1",
        kind: "ClusterAdmissionPolicy",
        metadata: ObjectMeta {
            name: source.annotation("io.kubewarden.policy.title")?,
            annotations,
        },
        spec: PolicySpec {
            policy_server: POLICY_SERVER,
            module: format!("registry://{}", source.image()),
            mode: "protect",
            settings: settings_or_empty,
            rules: &m.rules,
            match_conditions: scope
                .map(|s| match_conditions(s, &identities))
                .unwrap_or_default()
                .into_iter()
                .chain(spec_judged(&m.rules).then(spec_changed))
                .collect(),
            failure_policy: FAILURE_POLICY,
            timeout_seconds: TIMEOUT_SECONDS,
            timeout_eval_seconds: TIMEOUT_EVAL_SECONDS,
            mutating: m.mutating,
            background_audit: m.background_audit,
            context_aware_resources: &m.context_aware_resources,
        },
    };
    Ok(format!(
        "# Generated from policies/{}/metadata.yml by `just manifests`; do not edit.\n{}{}",
        source.name,
        match_conditions_note(scope, spec_judged(&m.rules)),
        serde_yaml::to_string(&policy)?
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactHubPackage<'a> {
    version: &'a str,
    name: &'a str,
    display_name: &'a str,
    created_at: &'a str,
    description: &'a str,
    license: &'a str,
    #[serde(rename = "homeURL")]
    home_url: &'a str,
    containers_images: Vec<BTreeMap<&'static str, String>>,
    keywords: Vec<&'a str>,
    links: Vec<BTreeMap<&'static str, String>>,
    install: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    maintainers: Vec<BTreeMap<&'static str, &'a str>>,
    provider: BTreeMap<&'static str, &'static str>,
    recommendations: Vec<BTreeMap<&'static str, &'static str>>,
    annotations: BTreeMap<&'static str, String>,
}

/// `artifacthub-pkg.yml` for the policy. `created_at` is RFC 3339; callers keep the previous
/// value while the version is unchanged, so regenerating is idempotent.
pub fn artifacthub_package(source: &PolicySource, created_at: &str) -> anyhow::Result<String> {
    let m = &source.metadata;
    let a = |k| source.annotation(k);
    let url = a("io.kubewarden.policy.url")?;
    let repo = a("io.kubewarden.policy.source")?;
    let mut links = Vec::new();
    if repo.starts_with("https://github.com/") {
        links.push(BTreeMap::from([
            ("name", "policy".to_string()),
            (
                "url",
                format!(
                    "{repo}/releases/download/{}/policy.wasm",
                    source.release_tag().replace('/', "%2F")
                ),
            ),
        ]));
    }
    links.push(BTreeMap::from([
        ("name", "source".to_string()),
        ("url", repo.to_string()),
    ]));

    let mut annotations = BTreeMap::from([
        ("kubewarden/mutation", m.mutating.to_string()),
        ("kubewarden/rules", serde_yaml::to_string(&m.rules)?),
    ]);
    if let Some(resources) = source.optional("io.artifacthub.resources") {
        annotations.insert("kubewarden/resources", resources.to_string());
    }
    if !m.context_aware_resources.is_empty() {
        annotations.insert(
            "kubewarden/contextAwareResources",
            serde_yaml::to_string(&m.context_aware_resources)?,
        );
    }
    if let Some(questions) = &source.questions_ui {
        annotations.insert("kubewarden/questions-ui", questions.clone());
    }
    if let Some(hidden) = source.optional("io.kubewarden.hidden-ui") {
        annotations.insert("kubewarden/hidden-ui", hidden.to_string());
    }

    let image = source.image();
    let package = ArtifactHubPackage {
        version: source.version(),
        name: a("io.kubewarden.policy.title")?,
        display_name: a("io.artifacthub.displayName")?,
        created_at,
        description: a("io.kubewarden.policy.description")?,
        license: a("io.kubewarden.policy.license")?,
        home_url: url,
        containers_images: vec![BTreeMap::from([
            ("name", "policy".into()),
            ("image", image.clone()),
        ])],
        keywords: source
            .optional("io.artifacthub.keywords")
            .map(|k| {
                k.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        links,
        install: install_notes(&image),
        maintainers: maintainers(a("io.kubewarden.policy.author")?),
        provider: BTreeMap::from([("name", "kubewarden")]),
        recommendations: vec![BTreeMap::from([(
            "url",
            "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller",
        )])],
        annotations,
    };
    Ok(format!(
        "# Generated from policies/{}/metadata.yml by `just artifacthub`; do not edit.\n{}",
        source.name,
        serde_yaml::to_string(&package)?
    ))
}

fn install_notes(image: &str) -> String {
    format!(
        "Fetch the policy with [`kwctl`](https://github.com/kubewarden/kwctl):\n\
         ```console\nkwctl pull {image}\n```\n\
         then write a ClusterAdmissionPolicy for it and adjust its settings:\n\
         ```console\nkwctl scaffold manifest -t ClusterAdmissionPolicy --allow-context-aware registry://{image}\n```\n"
    )
}

/// `Name <email>` entries (comma-separated); ArtifactHub wants both, so bare names are left out.
fn maintainers(author: &str) -> Vec<BTreeMap<&'static str, &str>> {
    author
        .split(',')
        .filter_map(|entry| {
            let (name, rest) = entry.split_once('<')?;
            let email = rest.strip_suffix('>').or_else(|| rest.split('>').next())?;
            Some(BTreeMap::from([
                ("name", name.trim()),
                ("email", email.trim()),
            ]))
        })
        .collect()
}

/// `version = "x.y.z"` of a policy crate's `Cargo.toml` (its `[package]` version).
pub fn crate_version(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .map(str::to_string)
}

/// The `createdAt` already in a package file, when it describes the same version.
pub fn previous_created_at(existing: &str, version: &str) -> Option<String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(existing).ok()?;
    (doc.get("version")?.as_str()? == version)
        .then(|| doc.get("createdAt")?.as_str().map(str::to_string))
        .flatten()
}

/// Now, as RFC 3339 UTC (`2026-11-22T07:00:00Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_332_245), "2026-11-22T07:24:05Z");
    }

    #[test]
    fn maintainers_need_an_email() {
        assert!(maintainers("fluxgate developers").is_empty());
        let m = maintainers("Ana <ana@example.org>, Bo <bo@example.org>");
        assert_eq!(m.len(), 2);
        assert_eq!(m[1]["email"], "bo@example.org");
    }

    /// The names, each a Kubernetes qualified name as the API server requires of a
    /// matchCondition's name (at most 63 characters, alphanumeric at both ends, `-_.` inside).
    fn names(conditions: &[MatchCondition]) -> Vec<&str> {
        for c in conditions {
            let name = c.name.as_bytes();
            let inner = |b: &u8| b.is_ascii_alphanumeric() || b"-_.".contains(b);
            assert!(
                name.len() <= 63
                    && name.first().is_some_and(u8::is_ascii_alphanumeric)
                    && name.last().is_some_and(u8::is_ascii_alphanumeric)
                    && name.iter().all(inner),
                "{}",
                c.name
            );
        }
        conditions.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn globs_become_anchored_regexes_with_metacharacters_escaped() {
        let globs = [
            "system:serviceaccount:team-*:*",
            "a.b?(c)+[d]{e}|^$\\",
            "ünï",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            globs_regex(&globs),
            r"(?s)^(?:system:serviceaccount:team-.*:.*|a\.b.\(c\)\+\[d\]\{e\}\|\^\$\\|ünï)$"
        );
    }

    #[test]
    fn cel_strings_escape_quotes_backslashes_and_everything_unprintable() {
        assert_eq!(cel_string("flux-system"), r#""flux-system""#);
        assert_eq!(
            cel_string("a\"b\\c\né\u{1F600}"),
            r#""a\"b\\c\u000a\u00e9\U0001f600""#
        );
    }

    #[test]
    fn only_rules_of_flux_groups_alone_are_spec_judged() {
        let rules = |groups: &[&[&str]]| -> Vec<Value> {
            groups
                .iter()
                .map(|g| serde_json::json!({"apiGroups": g, "resources": ["x"]}))
                .collect()
        };
        assert!(spec_judged(&rules(&[
            &["source.toolkit.fluxcd.io"],
            &["source.extensions.fluxcd.io", "fluxcd.controlplane.io"],
        ])));
        assert!(!spec_judged(&rules(&[&["source.toolkit.fluxcd.io", ""]])));
        assert!(!spec_judged(&rules(&[&["rbac.authorization.k8s.io"]])));
        assert!(!spec_judged(&rules(&[&["*"]])));
        assert!(!spec_judged(&rules(&[&[]])));
        assert!(!spec_judged(&[]));
    }

    #[test]
    fn default_settings_give_one_condition_per_judging_scope() {
        let ids = identities(&Value::Null).unwrap();
        assert_eq!(ids, Identities::default());
        assert!(match_conditions(Scope::Everything, &ids).is_empty());
        let objects = match_conditions(Scope::TenantObjects, &ids);
        assert_eq!(
            objects,
            [MatchCondition {
                name: "object-outside-platform-namespaces".into(),
                expression: r#"!has(request.namespace) || !(request.namespace in ["flux-system", "kube-system", "kubewarden"])"#.into(),
            }]
        );
        let writers = match_conditions(Scope::TenantWriters, &ids);
        assert_eq!(
            names(&writers),
            ["writer-is-a-service-account-outside-platform-namespaces"]
        );
        assert_eq!(
            writers[0].expression,
            r#"(has(request.userInfo.username) && request.userInfo.username.matches("^(?i)system:serviceaccount:[^:]")) ? !request.userInfo.username.matches("^system:serviceaccount:(?:flux-system|kube-system|kubewarden)(?::|$)") : (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g.matches("^(?i)system:serviceaccounts:[^:]") && !g.matches("^system:serviceaccounts:(?:flux-system|kube-system|kubewarden)(?::|$)")))"#
        );
    }

    #[test]
    fn identity_settings_shape_the_conditions() {
        let ids = identities(&serde_json::json!({
            "platformIdentities": ["admin*"],
            "tenantIdentities": ["alice", "team:*"],
            "allowedModes": ["Tag"],
        }))
        .unwrap();
        let writers = match_conditions(Scope::TenantWriters, &ids);
        assert_eq!(
            names(&writers),
            [
                "writer-is-not-a-platform-identity",
                "writer-is-named-in-tenant-identities"
            ]
        );
        assert!(
            writers[1]
                .expression
                .contains(r#"g.matches("(?s)^(?:alice|team:.*)$")"#),
            "{}",
            writers[1].expression
        );
        // No platform namespace: nothing is exempt by namespace.
        let none = identities(&serde_json::json!({"platformNamespaces": []})).unwrap();
        assert!(match_conditions(Scope::TenantObjects, &none).is_empty());
        let writers = match_conditions(Scope::TenantWriters, &none);
        assert!(!writers[0].expression.contains("flux-system"));
        // The policies' own validation applies.
        let blank = identities(&serde_json::json!({"tenantIdentities": [" "]}));
        assert!(
            blank
                .unwrap_err()
                .to_string()
                .contains("tenantIdentities[0]")
        );
    }

    #[test]
    fn every_fluxgate_policy_has_a_scope() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies"));
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("fixtures").is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        found.sort();
        let listed: Vec<&str> = SCOPES.iter().map(|(name, _)| *name).collect();
        assert_eq!(found, listed, "package::SCOPES must list every policy");
    }

    #[test]
    fn created_at_is_kept_for_the_same_version_only() {
        let file = "version: 0.1.0\ncreatedAt: '2026-01-01T00:00:00Z'\n";
        assert_eq!(
            previous_created_at(file, "0.1.0").as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!(previous_created_at(file, "0.2.0"), None);
    }
}
