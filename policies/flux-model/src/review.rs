//! The admission flow shared by policies that judge one Flux kind.

use crate::kinds::FluxKind;
use crate::object::{ObjectMeta, ObjectRef, Resource, split_api_version};
use crate::request::{AdmissionRequest, Operation};
use crate::verdict::{Verdict, Violation};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Reviews a request for one Flux kind and hands the typed object to `check`.
///
/// * Only CREATE and UPDATE are judged: DELETE and CONNECT are always accepted, so a
///   policy can never leave an object (or Flux's prune) stuck.
/// * An UPDATE that leaves `spec` as it was (finalizers, labels, status) is accepted, so
///   objects admitted before the policy existed can still be reconciled and deleted.
/// * Another kind is accepted with a warning: the policy's rules are misconfigured, and
///   blocking unrelated objects would do more harm than good.
/// * An API version the kind does not serve, or an object that does not match the typed
///   view (`spec.verify: invalid type: string "yes", expected struct ...`), is rejected
///   with the field path.
pub fn review<S, F>(request: &AdmissionRequest, kind: FluxKind, check: F) -> Verdict
where
    S: DeserializeOwned + Default,
    F: FnOnce(&Resource<S>, &ObjectRef) -> Vec<Violation>,
{
    let operation = Operation::of(request);
    if !operation.writes() {
        return Verdict::accept();
    }
    let object = &request.object;
    if !object.is_object() {
        return Verdict::reject(
            format!(
                "{kind} {}: the {operation} request carries no object (got {}); \
                 fix: send the full object in request.object",
                request.name,
                json_type(object)
            ),
            Some(400),
        );
    }

    let api_version = object
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| gvk_api_version(request));
    let object_kind = object
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or(request.kind.kind.as_str());
    let meta = object
        .get("metadata")
        .and_then(|m| ObjectMeta::deserialize(m).ok())
        .unwrap_or_default();
    let obj_ref = ObjectRef::new(kind.name(), &meta, &request.namespace, &request.name);

    if object_kind != kind.name() {
        return Verdict::accept_with_warning(format!(
            "this policy judges {kind} objects only, {object_kind:?} was passed through unchecked: \
             check the policy's rules"
        ));
    }
    if !kind.serves(&api_version) {
        return Verdict::reject(
            format!(
                "{obj_ref}: apiVersion {api_version:?} is not a served {kind} version; \
                 fix: use one of {}",
                kind.served_api_versions().join(", ")
            ),
            Some(400),
        );
    }

    if operation == Operation::Update && spec_unchanged(request) {
        return Verdict::accept();
    }

    match serde_path_to_error::deserialize::<_, Resource<S>>(object) {
        Ok(resource) => Verdict::from_violations(&obj_ref, &check(&resource, &obj_ref)),
        Err(e) => Verdict::reject(
            format!(
                "{obj_ref}: {}: {}; fix: make the object match the {kind} {} schema",
                e.path(),
                e.inner(),
                split_api_version(&api_version).1
            ),
            Some(400),
        ),
    }
}

/// For a policy judging several Flux kinds: which of `kinds` the request is about (the
/// object's `kind`, or the request's GVK when there is no object), or the verdict for any
/// other kind: accepted with a warning that the policy's rules are misconfigured.
pub fn judged_kind(
    request: &AdmissionRequest,
    policy: &str,
    kinds: &[FluxKind],
) -> Result<FluxKind, Verdict> {
    let named = request
        .object
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or(request.kind.kind.as_str());
    kinds
        .iter()
        .copied()
        .find(|k| k.name() == named)
        .ok_or_else(|| {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            Verdict::accept_with_warning(format!(
                "{policy} judges {} objects only, {named:?} was passed through unchecked: \
             check the policy's rules",
                names.join(", ")
            ))
        })
}

fn spec_unchanged(request: &AdmissionRequest) -> bool {
    let old = request.old_object.get("spec");
    old.is_some() && old == request.object.get("spec")
}

fn gvk_api_version(request: &AdmissionRequest) -> String {
    let gvk = &request.kind;
    if gvk.group.is_empty() {
        gvk.version.clone()
    } else {
        format!("{}/{}", gvk.group, gvk.version)
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::source::GitRepositorySpec;
    use serde_json::json;

    fn request(op: &str, object: serde_json::Value, old: serde_json::Value) -> AdmissionRequest {
        serde_json::from_value(json!({
            "operation": op, "namespace": "apps", "object": object, "oldObject": old,
            "kind": {"group": "source.toolkit.fluxcd.io", "version": "v1", "kind": "GitRepository"}
        }))
        .unwrap()
    }

    fn deny_all(_: &Resource<GitRepositorySpec>, _: &ObjectRef) -> Vec<Violation> {
        vec![Violation::new("spec", "always wrong", "nothing")]
    }

    fn repo(spec: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
               "metadata": {"name": "r"}, "spec": spec})
    }

    #[test]
    fn delete_is_never_judged() {
        let r = request("DELETE", json!(null), repo(json!({})));
        assert!(review(&r, FluxKind::GitRepository, deny_all).is_accepted());
    }

    #[test]
    fn update_without_spec_change_passes() {
        let r = request(
            "UPDATE",
            repo(json!({"url": "x"})),
            repo(json!({"url": "x"})),
        );
        assert!(review(&r, FluxKind::GitRepository, deny_all).is_accepted());
        let r = request(
            "UPDATE",
            repo(json!({"url": "y"})),
            repo(json!({"url": "x"})),
        );
        assert!(!review(&r, FluxKind::GitRepository, deny_all).is_accepted());
    }

    #[test]
    fn wrong_types_name_the_path() {
        let r = request("CREATE", repo(json!({"verify": {"mode": 3}})), json!(null));
        let Verdict::Reject { message, code } = review(&r, FluxKind::GitRepository, deny_all)
        else {
            panic!("expected a rejection")
        };
        assert_eq!(code, Some(400));
        assert!(
            message.starts_with("GitRepository apps/r: spec.verify.mode: invalid type"),
            "{message}"
        );
    }

    #[test]
    fn unknown_version_is_rejected() {
        let mut obj = repo(json!({}));
        obj["apiVersion"] = json!("source.toolkit.fluxcd.io/v9");
        let r = request("CREATE", obj, json!(null));
        let v = review(&r, FluxKind::GitRepository, deny_all);
        assert!(
            matches!(v, Verdict::Reject { ref message, .. } if message.contains("source.toolkit.fluxcd.io/v1beta2"))
        );
    }

    #[test]
    fn missing_object_is_rejected() {
        let r = request("CREATE", json!("text"), json!(null));
        assert!(!review(&r, FluxKind::GitRepository, deny_all).is_accepted());
    }
}
