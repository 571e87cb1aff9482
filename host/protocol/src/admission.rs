//! The policy-evaluator layer: AdmissionRequest in, AdmissionResponse out, with the same
//! payloads, post-processing and error mapping as Kubewarden (`kubewarden-contract.md` §2).

use crate::sdk::ValidationResponse;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Kubernetes `admission/v1` AdmissionRequest, serialized as policy-evaluator does:
/// camelCase, optional fields left out when absent.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub operation: String,
    pub user_info: UserInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_object: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    pub version: String,
    pub kind: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    pub version: String,
    pub resource: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct UserInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<HashMap<String, Vec<String>>>,
}

impl AdmissionRequest {
    /// Reads an AdmissionReview (its `request` is used) or a bare AdmissionRequest, as JSON
    /// or YAML, like `kwctl run -r`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(json_err) => serde_yaml::from_str(text).map_err(|yaml_err| {
                anyhow::anyhow!("not valid JSON ({json_err}) nor YAML ({yaml_err})")
            })?,
        };
        if value.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
            value = value
                .get_mut("request")
                .map(Value::take)
                .ok_or_else(|| anyhow::anyhow!("the AdmissionReview has no `request`"))?;
        }
        serde_path_to_error_like(value)
    }
}

impl AdmissionRequest {
    /// The CREATE of `object` by `username`, as the API server sends it to an admission
    /// webhook: kind and resource from the object, the groups Kubernetes gives the user.
    pub fn create(uid: &str, object: &Value, username: &str) -> AdmissionRequest {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let api_version = text(&object["apiVersion"]);
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
        let kind = text(&object["kind"]);
        let non_empty = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
        // The API server fills a Namespace's request.namespace with its own name, on CREATE
        // as on every other operation (kubernetes/kubernetes#95012, Kubernetes 1.20).
        let namespace = if group.is_empty() && kind == "Namespace" {
            non_empty(&object["metadata"]["name"])
        } else {
            non_empty(&object["metadata"]["namespace"])
        };
        AdmissionRequest {
            uid: uid.to_string(),
            kind: GroupVersionKind {
                group: group.to_string(),
                version: version.to_string(),
                kind: kind.clone(),
            },
            resource: GroupVersionResource {
                group: group.to_string(),
                version: version.to_string(),
                resource: resource_of(&kind),
            },
            name: non_empty(&object["metadata"]["name"]),
            namespace,
            operation: "CREATE".into(),
            user_info: UserInfo {
                username: Some(username.to_string()),
                groups: Some(groups_of(username)),
                ..Default::default()
            },
            object: Some(object.clone()),
            ..Default::default()
        }
    }
}

/// The resource name of a kind, by Kubernetes' English rules (`PriorityClass` →
/// `priorityclasses`, `NetworkPolicy` → `networkpolicies`, `GitRepository` →
/// `gitrepositories`).
pub fn resource_of(kind: &str) -> String {
    let lower = kind.to_lowercase();
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{lower}es")
    } else if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// The groups Kubernetes gives a user: a service account also gets its namespace's group.
pub fn groups_of(username: &str) -> Vec<String> {
    let namespace = username
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'))
        .map(|(ns, _)| ns);
    match namespace {
        Some(ns) => vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
        None => vec!["system:authenticated".into()],
    }
}

fn serde_path_to_error_like(value: Value) -> anyhow::Result<AdmissionRequest> {
    serde_json::from_value(value).map_err(|e| anyhow::anyhow!("not a valid AdmissionRequest: {e}"))
}

/// Kubernetes `admission/v1` AdmissionResponse, as `kwctl run` prints it.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionResponseStatus>,
    pub audit_annotations: Option<HashMap<String, String>>,
    pub warnings: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionResponseStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

impl AdmissionResponse {
    pub fn reject(uid: &str, message: String, code: u16) -> Self {
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: false,
            status: Some(AdmissionResponseStatus {
                message: Some(message),
                code: Some(code),
            }),
            ..Default::default()
        }
    }

    pub fn reject_internal_server_error(uid: &str, message: impl std::fmt::Display) -> Self {
        Self::reject(uid, format!("internal server error: {message}"), 500)
    }

    /// The message a user sees, if any.
    pub fn message(&self) -> Option<&str> {
        self.status.as_ref()?.message.as_deref()
    }

    /// Builds the response from the policy's answer (`from_policy_validation_response`).
    pub fn from_policy(uid: &str, object: Option<&Value>, answer: &ValidationResponse) -> Self {
        let patch = match (&answer.mutated_object, object) {
            (Some(_), None) => {
                return AdmissionResponse {
                    uid: uid.to_string(),
                    allowed: false,
                    status: Some(AdmissionResponseStatus {
                        message: Some(
                            "Incoming object is null, which happens only with DELETE operations, \
                             but the policy is attempting a mutation. This is not allowed"
                                .into(),
                        ),
                        code: None,
                    }),
                    ..Default::default()
                };
            }
            (Some(mutated), Some(original)) => {
                let diff = json_patch::diff(original, mutated);
                (!diff.0.is_empty()).then(|| {
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::to_string(&diff).unwrap_or_default())
                })
            }
            (None, _) => None,
        };
        let status =
            (answer.message.is_some() || answer.code.is_some()).then(|| AdmissionResponseStatus {
                message: answer.message.clone(),
                code: answer.code,
            });
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: answer.accepted,
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_string()),
            patch,
            status,
            audit_annotations: answer.audit_annotations.clone(),
            warnings: answer.warnings.clone(),
        }
    }
}

/// The `validate` payload, serialized straight from borrowed parts.
#[derive(Serialize)]
struct ValidatePayload<'a> {
    request: &'a AdmissionRequest,
    settings: &'a Value,
}

/// Settings as policy-server passes them: absent (null) settings are `{}`.
pub fn settings_or_empty(settings: &Value) -> &Value {
    static EMPTY: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| json!({}));
    if settings.is_null() { &EMPTY } else { settings }
}

/// The bytes of a `validate` (or `fluxgate_explain`) call.
pub fn validate_payload(request: &AdmissionRequest, settings: &Value) -> Result<Vec<u8>, String> {
    serde_json::to_vec(&ValidatePayload {
        request,
        settings: settings_or_empty(settings),
    })
    .map_err(|e| e.to_string())
}

/// The AdmissionResponse for the bytes a policy answered to `validate`.
pub fn response_from_answer(request: &AdmissionRequest, bytes: &[u8]) -> AdmissionResponse {
    match serde_json::from_slice::<ValidationResponse>(bytes) {
        Ok(answer) => {
            AdmissionResponse::from_policy(&request.uid, request.object.as_ref(), &answer)
        }
        Err(e) => AdmissionResponse::reject_internal_server_error(
            &request.uid,
            format!("cannot deserialize policy response: {e}"),
        ),
    }
}

/// The answer policy-server gives when a policy runs out of time.
pub fn deadline_response(request: &AdmissionRequest) -> AdmissionResponse {
    AdmissionResponse::reject(
        &request.uid,
        "Policy execution interrupted because it exceeded the allowed execution time".into(),
        500,
    )
}

#[cfg(test)]
mod request_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_and_groups_as_kubernetes_names_them() {
        for (kind, resource) in [
            ("GitRepository", "gitrepositories"),
            ("ImagePolicy", "imagepolicies"),
            ("Gateway", "gateways"),
            ("Ingress", "ingresses"),
            ("Namespace", "namespaces"),
            ("PriorityClass", "priorityclasses"),
            (
                "MutatingWebhookConfiguration",
                "mutatingwebhookconfigurations",
            ),
        ] {
            assert_eq!(resource_of(kind), resource, "{kind}");
        }
        assert_eq!(
            groups_of("system:serviceaccount:apps:dev-team"),
            [
                "system:serviceaccounts",
                "system:serviceaccounts:apps",
                "system:authenticated"
            ]
        );
        assert_eq!(groups_of("alice"), ["system:authenticated"]);
        let r = AdmissionRequest::create(
            "u",
            &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "b", "namespace": "apps"}}),
            "alice",
        );
        assert_eq!(
            (
                r.resource.group.as_str(),
                r.resource.resource.as_str(),
                r.namespace.as_deref()
            ),
            ("rbac.authorization.k8s.io", "rolebindings", Some("apps"))
        );
        // A Namespace's request carries its own name as namespace; a look-alike kind of
        // another group does not.
        let ns = |api: &str| {
            AdmissionRequest::create(
                "u",
                &json!({"apiVersion": api, "kind": "Namespace", "metadata": {"name": "team-a"}}),
                "alice",
            )
            .namespace
        };
        assert_eq!(ns("v1").as_deref(), Some("team-a"));
        assert_eq!(ns("example.com/v1"), None);
    }
}
