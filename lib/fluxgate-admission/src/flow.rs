//! The one admission flow. A policy declares what it is ([`Policy`]: name, rules, the kinds
//! it judges with one typed check each, its scope) and every request goes through
//! [`review`], in this order:
//!
//! 1. Only CREATE and UPDATE are judged: DELETE and CONNECT are always accepted, so a policy
//!    never leaves an object (or Flux's prune) stuck.
//! 2. A kind the policy does not judge is accepted with a warning (`admission/unjudged-kind`):
//!    its rules are misconfigured, and blocking unrelated objects would do more harm.
//! 3. A request without an object, or with an API version the kind does not serve, is
//!    rejected with 400.
//! 4. An UPDATE that leaves the judged fields as they were (`spec` of a Flux object, the
//!    rules of a role) is accepted, so objects admitted before the policy existed can still
//!    be reconciled, relabelled and deleted.
//! 5. The scope's exemptions: platform objects, or writers that are not tenants
//!    ([`crate::identity`]; a writer only the tenant label can tell apart is looked up
//!    once a rule would deny its write), then the policy's own exemptions by name.
//! 6. The typed decode: a field the check reads with the wrong type is a 400 naming its path.
//! 7. The check's findings make the verdict. A denial of a writer that only the tenant label
//!    can tell apart costs the look-up now; every denial of a tenant writer says why the
//!    writer counts as a tenant.
//!
//! A check never sees a request that its exemptions excuse: there is no other way in.

use crate::cluster::Cluster;
use crate::identity::{Identities, Tenant, TenantWriters};
use crate::request::{self, AdmissionRequest, DecodeError, Operation, json_type};
use crate::settings::{PolicySettings, Settings};
use flux_kinds::ObjectMeta;
use fluxgate_rules::{Finding, KindSpec, ObjectRef, Rule, Severity, Verdict};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

/// A policy, declared once: the export macro and the tests read it. Its rules are a
/// separate `RULES` list next to it (read by the catalogue only), so the catalogue text
/// never reaches the wasm module.
pub struct Policy<P: 'static> {
    /// The policy's name (its crate and module name).
    pub name: &'static str,
    pub scope: Scope,
    /// One typed check per judged kind.
    pub judges: &'static [&'static dyn Judge<P>],
    /// Objects the policy's own settings exempt (`exemptReleases: [ns/name]`).
    pub exempt: Option<fn(&ObjectRef, &P) -> bool>,
}

impl<P> Policy<P> {
    pub fn kinds(&self) -> Vec<KindSpec> {
        self.judges.iter().map(|j| j.kind()).collect()
    }
}

/// Whose writes a policy judges.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Objects outside the platform namespaces (`platformNamespaces`), whoever writes them:
    /// a tenant's Flux objects.
    TenantObjects,
    /// Writes by tenant identities, whatever they write: `TenantWriters(&TENANT_WRITERS)`.
    /// (The model is named here so that only policies of this scope carry its code.) The
    /// tenant label is looked up only when a rule would deny the write.
    TenantWriters(&'static TenantWriters),
    /// Every object, everywhere (RBAC grants are judged by whom they grant to).
    Everything,
}

/// What a check sees besides its typed object.
pub struct Ctx<'a, P> {
    pub request: &'a AdmissionRequest,
    pub settings: &'a P,
    pub identities: &'a Identities,
    pub object: &'a ObjectRef,
    /// `group/version` of the object.
    pub api_version: &'a str,
    pub cluster: &'a dyn Cluster,
    /// The writer, for [`Scope::TenantWriters`] policies.
    pub tenant: Option<&'a Tenant>,
}

impl<P> Ctx<'_, P> {
    /// The version part of the object's `apiVersion` (`v1beta2`).
    pub fn version(&self) -> &str {
        version_of(self.api_version)
    }

    /// The object's namespace (empty for cluster-scoped objects).
    pub fn namespace(&self) -> &str {
        &self.object.namespace
    }
}

/// One judged kind: how to decode it and what to check. Implemented by [`Typed`].
pub trait Judge<P> {
    fn kind(&self) -> KindSpec;
    /// Decodes the object (its JSON text) once and checks it.
    fn judge(&self, object: &RawValue, ctx: &Ctx<P>) -> Result<Vec<Finding>, DecodeError>;
}

/// A check over a typed view `T` of one kind.
pub struct Typed<T, P> {
    pub kind: KindSpec,
    pub check: fn(&T, &Ctx<P>) -> Vec<Finding>,
}

impl<T: DeserializeOwned, P> Judge<P> for Typed<T, P> {
    fn kind(&self) -> KindSpec {
        self.kind
    }

    fn judge(&self, object: &RawValue, ctx: &Ctx<P>) -> Result<Vec<Finding>, DecodeError> {
        let typed: T = request::decode(object)?;
        Ok((self.check)(&typed, ctx))
    }
}

const fn flow_rule(id: &'static str, severity: Severity, title: &'static str) -> Rule {
    let stops = "requests a policy cannot judge being admitted unjudged.";
    Rule {
        severity,
        ..Rule::deny(id, &[KindSpec::ANY], title, stops, "")
    }
}

pub const UNREADABLE_REQUEST: Rule = flow_rule(
    "admission/unreadable-request",
    Severity::Deny,
    "The validate payload must be a Kubernetes AdmissionRequest (answered with 400).",
);
pub const INVALID_SETTINGS: Rule = flow_rule(
    "admission/invalid-settings",
    Severity::Deny,
    "The policy's settings must be valid (answered with 500; `validate_settings` names the setting).",
);
pub const NO_OBJECT: Rule = flow_rule(
    "admission/no-object",
    Severity::Deny,
    "A CREATE or UPDATE must carry the object (answered with 400).",
);
pub const UNSERVED_VERSION: Rule = flow_rule(
    "admission/unserved-version",
    Severity::Deny,
    "The object's apiVersion must be one its kind serves (answered with 400).",
);
pub const INVALID_OBJECT: Rule = flow_rule(
    "admission/invalid-object",
    Severity::Deny,
    "Every field a rule reads must have its schema's type (answered with 400 and the field path).",
);
pub const UNJUDGED_KIND: Rule = Rule {
    stops: "a misconfigured policy blocking objects it has no rules for.",
    ..flow_rule(
        "admission/unjudged-kind",
        Severity::Warn,
        "A kind the policy has no rules for is admitted with a warning: check the policy's `rules`.",
    )
};

/// The flow's own rules, reported by every policy.
pub const FLOW_RULES: [&Rule; 6] = [
    &UNREADABLE_REQUEST,
    &INVALID_SETTINGS,
    &NO_OBJECT,
    &UNSERVED_VERSION,
    &INVALID_OBJECT,
    &UNJUDGED_KIND,
];

/// Reviews one request; see the module documentation for the order of the steps.
pub fn review<P>(
    policy: &Policy<P>,
    request: &AdmissionRequest,
    settings: &Settings<P>,
    cluster: &dyn Cluster,
) -> Verdict {
    let operation = Operation::of(request);
    if !operation.writes() {
        return Verdict::accept(ObjectRef::default());
    }
    let object = request.object.as_deref();
    // What names the object, read leniently: a field of the wrong type here is judged by
    // the typed decode below, with its path.
    let [kind_field, api_version_field, meta_field] = object
        .and_then(|o| request::fields(o, ["kind", "apiVersion", "metadata"]))
        .unwrap_or_default();
    let named_kind_field: Option<String> = kind_field.and_then(|k| request::decode(k).ok());
    let named_kind = named_kind_field
        .as_deref()
        .unwrap_or(request.kind.kind.as_str());
    let meta: ObjectMeta = meta_field
        .and_then(|m| request::decode(m).ok())
        .unwrap_or_default();
    let Some(judge) = policy
        .judges
        .iter()
        .find(|j| j.kind().is_any() || j.kind().kind == named_kind)
    else {
        let obj = meta.reference(named_kind, &request.namespace, &request.name);
        return Verdict::of(obj, vec![unjudged(policy, named_kind)]);
    };
    let kind = judge.kind();
    let mut obj = meta.reference(
        if kind.is_any() { named_kind } else { kind.kind },
        &request.namespace,
        &request.name,
    );
    if !kind.namespaced || (kind.is_any() && is_namespace(request)) {
        // A Namespace is cluster-scoped although its requests carry its name as namespace.
        obj.namespace.clear();
    }
    let Some(object) = object.filter(|o| request::is_map(o)) else {
        let finding = NO_OBJECT.at(
            "object",
            format!(
                "the {operation} request carries no object (got {})",
                json_type(object)
            ),
            "send the full object in request.object",
        );
        return Verdict::failed(obj, finding, 400);
    };
    let api_version: String = api_version_field
        .and_then(|v| request::decode(v).ok())
        .unwrap_or_else(|| gvk_api_version(request));
    if !kind.serves(&api_version) {
        let finding = UNSERVED_VERSION.at(
            "apiVersion",
            format!("{api_version:?} is not a served {kind} version"),
            format!("use one of {}", kind.api_versions()),
        );
        return Verdict::failed(obj, finding, 400);
    }
    if operation == Operation::Update && unchanged(kind.judged_fields, request) {
        return Verdict::accept(obj);
    }
    let (tenant, writers) = match policy.scope {
        Scope::TenantObjects if settings.identities.is_platform_namespace(&obj.namespace) => {
            return Verdict::accept(obj);
        }
        Scope::TenantWriters(w) => match (w.candidate)(&settings.identities, &request.user_info) {
            None => return Verdict::accept(obj),
            tenant => (tenant, Some(w)),
        },
        _ => (None, None),
    };
    if policy
        .exempt
        .is_some_and(|exempt| exempt(&obj, &settings.policy))
    {
        return Verdict::accept(obj);
    }
    let ctx = Ctx {
        request,
        settings: &settings.policy,
        identities: &settings.identities,
        object: &obj,
        api_version: &api_version,
        cluster,
        tenant: tenant.as_ref(),
    };
    match judge.judge(object, &ctx) {
        Ok(findings) => match (writers, tenant) {
            (Some(w), Some(tenant)) => Verdict::of(
                obj,
                as_tenant(findings, tenant, w, &settings.identities, cluster),
            ),
            _ => Verdict::of(obj, findings),
        },
        Err(e) => {
            let version = version_of(&api_version);
            let finding = INVALID_OBJECT.at(
                e.path,
                e.message,
                format!("make the object match the {} {version} schema", obj.kind),
            );
            Verdict::failed(obj, finding, 400)
        }
    }
}

/// A [`Scope::TenantWriters`] check's findings, once it is known whether the writer is a
/// tenant: only a finding that denies is worth a look-up of the tenant label, and an
/// unlabelled writer (an operator) has nothing judged. A denial says why the writer counts
/// as a tenant: the identity model's reason is added to each one here, so the check, which
/// never needs it to decide, runs once.
fn as_tenant(
    mut findings: Vec<Finding>,
    candidate: Tenant,
    writers: &TenantWriters,
    identities: &Identities,
    cluster: &dyn Cluster,
) -> Vec<Finding> {
    if !findings.iter().any(Finding::denies) {
        return findings;
    }
    let Some(tenant) = (writers.confirm)(identities, candidate, cluster) else {
        return Vec::new();
    };
    for finding in findings.iter_mut().filter(|f| f.denies()) {
        finding.problem.push_str(" (");
        finding.problem.push_str(&tenant.reason);
        finding.problem.push(')');
    }
    findings
}

/// Reviews `object` as a CREATE by `username`, with `settings` as a policy receives them
/// (JSON, `null` for the defaults) and no cluster to look up: how unit tests and native tools
/// call a policy without a host. Unusable settings give the flow's 500 verdict.
pub fn review_create<P: PolicySettings>(
    policy: &Policy<P>,
    object: Value,
    username: &str,
    settings: Value,
) -> Verdict {
    let payload = serde_json::json!({
        "request": {
            "operation": "CREATE",
            "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or_else(|| "".into()),
            "kind": {"kind": object.get("kind").cloned().unwrap_or_default()},
            "userInfo": {"username": username},
            "object": object,
        },
        "settings": settings,
    });
    let bytes = serde_json::to_vec(&payload).unwrap_or_default();
    crate::entry::judge(policy, &bytes, &crate::cluster::NoCluster)
}

fn unjudged<P>(policy: &Policy<P>, named: &str) -> Finding {
    // `A`, `A and B`, `A, B and C`
    let mut list = String::new();
    let count = policy.judges.len();
    for (i, judge) in policy.judges.iter().enumerate() {
        if i > 0 {
            list.push_str(if i + 1 == count { " and " } else { ", " });
        }
        list.push_str(judge.kind().kind);
    }
    UNJUDGED_KIND.at(
        "kind",
        format!("this policy judges {list} objects only, {named:?} was passed through unchecked"),
        "check the policy's rules",
    )
}

/// `v1` of `group/v1` (and of a core `v1`).
fn version_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or(api_version, |(_, v)| v)
}

fn is_namespace(request: &AdmissionRequest) -> bool {
    request.kind.group.is_empty() && request.kind.kind == "Namespace"
}

/// Whether an UPDATE leaves every judged field (a dotted path: `metadata.labels`) as it
/// was. With no judged fields (a policy of any kind), every UPDATE is judged.
fn unchanged(fields: &[&str], request: &AdmissionRequest) -> bool {
    // The API server writes both objects the same way, so equal fields are almost always
    // equal text; text that differs is compared as JSON (key order, spacing, escapes).
    fn same(old: Option<&RawValue>, new: Option<&RawValue>) -> bool {
        match (old, new) {
            (None, None) => true,
            (Some(old), Some(new)) if old.get() == new.get() => true,
            (Some(old), Some(new)) => {
                let parse = |r: &RawValue| serde_json::from_slice::<Value>(r.get().as_bytes()).ok();
                matches!((parse(old), parse(new)), (Some(a), Some(b)) if a == b)
            }
            _ => false,
        }
    }
    let (Some(old), Some(new)) = (request.old_object.as_deref(), request.object.as_deref()) else {
        return false;
    };
    !fields.is_empty()
        && request::is_map(old)
        && fields.iter().all(|f| {
            same(
                request::at(old, f.split('.')),
                request::at(new, f.split('.')),
            )
        })
}

fn gvk_api_version(request: &AdmissionRequest) -> String {
    let gvk = &request.kind;
    if gvk.group.is_empty() {
        gvk.version.clone()
    } else {
        format!("{}/{}", gvk.group, gvk.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::MemoryCluster;
    use crate::settings::PolicySettings;
    use flux_kinds::FluxKind;
    use flux_kinds::source::GitRepository;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Default, Debug, PartialEq)]
    struct Own {}
    impl PolicySettings for Own {}

    const ALWAYS: Rule = Rule {
        id: "t/always",
        severity: Severity::Deny,
        kinds: &[FluxKind::GitRepository.spec()],
        title: "",
        stops: "",
        on_by_default: true,
        setting: "",
    };

    fn deny_all(_: &GitRepository, _: &Ctx<Own>) -> Vec<Finding> {
        vec![ALWAYS.at("spec", "always wrong", "nothing")]
    }

    const POLICY: Policy<Own> = Policy {
        name: "test",
        scope: Scope::TenantObjects,
        judges: &[&Typed {
            kind: FluxKind::GitRepository.spec(),
            check: deny_all,
        }],
        exempt: None,
    };

    fn request(op: &str, object: Value, old: Value) -> AdmissionRequest {
        serde_json::from_value(json!({
            "operation": op, "namespace": "apps", "object": object, "oldObject": old,
            "kind": {"group": "source.toolkit.fluxcd.io", "version": "v1", "kind": "GitRepository"}
        }))
        .unwrap()
    }

    fn repo(spec: Value) -> Value {
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
               "metadata": {"name": "r"}, "spec": spec})
    }

    fn run(r: &AdmissionRequest) -> Verdict {
        review(&POLICY, r, &Settings::default(), &MemoryCluster::default())
    }

    #[test]
    fn delete_is_never_judged() {
        assert!(run(&request("DELETE", json!(null), repo(json!({})))).is_accepted());
    }

    #[test]
    fn update_without_spec_change_passes() {
        let same = request(
            "UPDATE",
            repo(json!({"url": "x"})),
            repo(json!({"url": "x"})),
        );
        assert!(run(&same).is_accepted());
        let changed = request(
            "UPDATE",
            repo(json!({"url": "y"})),
            repo(json!({"url": "x"})),
        );
        let v = run(&changed);
        assert_eq!(v.findings[0].rule, "t/always");
    }

    #[test]
    fn wrong_types_name_the_path() {
        let v = run(&request(
            "CREATE",
            repo(json!({"verify": {"mode": 3}})),
            json!(null),
        ));
        assert_eq!(v.code, Some(400));
        assert_eq!(v.findings[0].rule, INVALID_OBJECT.id);
        let message = v.message().unwrap();
        assert!(
            message.starts_with("GitRepository apps/r: spec.verify.mode: invalid type"),
            "{message}"
        );
    }

    #[test]
    fn unknown_version_is_rejected() {
        let mut obj = repo(json!({}));
        obj["apiVersion"] = json!("source.toolkit.fluxcd.io/v9");
        let v = run(&request("CREATE", obj, json!(null)));
        assert_eq!(v.findings[0].rule, UNSERVED_VERSION.id);
        assert!(
            v.message()
                .unwrap()
                .contains("source.toolkit.fluxcd.io/v1beta2")
        );
    }

    #[test]
    fn missing_object_and_other_kinds() {
        let v = run(&request("CREATE", json!("text"), json!(null)));
        assert_eq!(
            (v.code, v.findings[0].rule.as_ref()),
            (Some(400), NO_OBJECT.id)
        );
        let mut other = repo(json!({}));
        other["kind"] = json!("Deployment");
        let v = run(&request("CREATE", other, json!(null)));
        assert!(v.is_accepted());
        assert!(v.warnings()[0].contains("this policy judges GitRepository objects only"));
    }

    #[test]
    fn platform_objects_are_exempt_by_the_request_namespace() {
        let mut r = request("CREATE", repo(json!({})), json!(null));
        r.namespace = "flux-system".into();
        assert!(run(&r).is_accepted());
        // metadata.namespace is what the client wrote; the API server's namespace wins
        let mut claimed = repo(json!({}));
        claimed["metadata"]["namespace"] = json!("flux-system");
        assert!(!run(&request("CREATE", claimed, json!(null))).is_accepted());
    }
}
