//! Read-only view of the cluster for context-aware policies.
//!
//! Rules take a `&dyn Cluster` instead of calling the host, so the same rule runs in the wasm
//! policy ([`HostCluster`], Kubewarden's `kubernetes/*` host capabilities), in native tests
//! and in offline tools ([`MemoryCluster`], objects read from fixtures or a GitOps checkout).
//!
//! Objects come back as JSON text, decoded by the rules into typed views as request objects
//! are ([`crate::request::decode`]): one deserializer per type in a module, and no
//! `serde_json::Value` tree of a listed object's fields that no rule reads.

use crate::request::{self, fields};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

/// Which object to fetch: `namespace` is `None` for cluster-scoped kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectKey<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl fmt::Display for ObjectKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Why a lookup gave no object. Policies decide per setting what a missing object means;
/// a failed lookup (capability not granted, API error) is reported with the host's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    NotFound,
    Failed(String),
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NotFound => f.write_str("not found"),
            LookupError::Failed(why) => f.write_str(why),
        }
    }
}

/// The look-ups Kubewarden offers a policy (`get_resource`, `list_resources_*`).
pub trait Cluster {
    fn get(&self, key: &ObjectKey) -> Result<Box<RawValue>, LookupError>;
    /// Objects of a kind, in one namespace or (with `None`) everywhere.
    fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<Box<RawValue>>, LookupError>;
}

/// Fetches an object and decodes it into a typed view; a decode failure is a `Failed`
/// naming the field, since the cluster returned something the policy cannot judge.
pub fn get_as<T: DeserializeOwned>(
    cluster: &dyn Cluster,
    key: &ObjectKey,
) -> Result<T, LookupError> {
    let object = cluster.get(key)?;
    request::decode(&object)
        .map_err(|e| LookupError::Failed(format!("{key}: {}: {}", e.path, e.message)))
}

/// Objects held in memory: fixtures' `clusterState`, native tests, offline scans.
#[derive(Debug, Default, Clone)]
pub struct MemoryCluster {
    objects: Vec<Value>,
}

impl MemoryCluster {
    pub fn new(objects: Vec<Value>) -> Self {
        Self { objects }
    }

    fn of_type<'a>(
        &'a self,
        api_version: &'a str,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a Value> {
        self.objects.iter().filter(move |o| {
            o.get("apiVersion").and_then(Value::as_str) == Some(api_version)
                && o.get("kind").and_then(Value::as_str) == Some(kind)
        })
    }
}

fn meta_str<'a>(object: &'a Value, field: &str) -> &'a str {
    object
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// An object as the host hands it over: JSON text.
fn text_of(object: &Value) -> Result<Box<RawValue>, LookupError> {
    serde_json::value::to_raw_value(object).map_err(|e| LookupError::Failed(e.to_string()))
}

impl Cluster for MemoryCluster {
    fn get(&self, key: &ObjectKey) -> Result<Box<RawValue>, LookupError> {
        let object = self
            .of_type(key.api_version, key.kind)
            .find(|o| {
                meta_str(o, "name") == key.name
                    && meta_str(o, "namespace") == key.namespace.unwrap_or("")
            })
            .ok_or(LookupError::NotFound)?;
        text_of(object)
    }

    fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<Box<RawValue>>, LookupError> {
        self.of_type(api_version, kind)
            .filter(|o| namespace.is_none_or(|ns| meta_str(o, "namespace") == ns))
            .map(text_of)
            .collect()
    }
}

/// The cluster of a policy that declares no look-ups: every look-up fails, so anything that
/// depends on one fails closed.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCluster;

impl Cluster for NoCluster {
    fn get(&self, key: &ObjectKey) -> Result<Box<RawValue>, LookupError> {
        Err(LookupError::Failed(format!(
            "this policy declares no context-aware resources, so {key} cannot be looked up"
        )))
    }

    fn list(
        &self,
        _: &str,
        kind: &str,
        _: Option<&str>,
    ) -> Result<Vec<Box<RawValue>>, LookupError> {
        Err(LookupError::Failed(format!(
            "this policy declares no context-aware resources, so {kind} objects cannot be listed"
        )))
    }
}

/// A `kubewarden`/`kubernetes` host call: operation and JSON payload in, the host's answer or
/// its error text out.
pub type HostCall<'a> = &'a dyn Fn(&str, &[u8]) -> Result<Vec<u8>, String>;

/// Kubewarden's host capabilities, reached through waPC's `__host_call`. Outside wasm there
/// is no host: every call fails.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostCluster;

impl Cluster for HostCluster {
    fn get(&self, key: &ObjectKey) -> Result<Box<RawValue>, LookupError> {
        CallingCluster(&wapc_host_call).get(key)
    }

    fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<Box<RawValue>>, LookupError> {
        CallingCluster(&wapc_host_call).list(api_version, kind, namespace)
    }
}

/// The host capabilities over any transport: [`HostCluster`] in wasm, and natively the
/// host's own answers (`fluxgate_protocol::capabilities::dispatch`), so native fixture
/// replays take the very path the module takes, payloads and error texts included.
#[derive(Clone, Copy)]
pub struct CallingCluster<'a>(pub HostCall<'a>);

impl CallingCluster<'_> {
    fn call(
        &self,
        operation: &str,
        request: &impl serde::Serialize,
    ) -> Result<Box<RawValue>, String> {
        let payload = serde_json::to_vec(request).map_err(|e| e.to_string())?;
        let raw = (self.0)(operation, &payload)?;
        serde_json::from_slice(&raw)
            .map_err(|e| format!("cannot decode the host's {operation} answer: {e}"))
    }
}

impl Cluster for CallingCluster<'_> {
    fn get(&self, key: &ObjectKey) -> Result<Box<RawValue>, LookupError> {
        // Kubewarden's `KubernetesGetResource` request (snake_case fields).
        #[derive(serde::Serialize)]
        struct GetResource<'a> {
            api_version: &'a str,
            kind: &'a str,
            name: &'a str,
            namespace: Option<&'a str>,
            disable_cache: bool,
        }
        let request = GetResource {
            api_version: key.api_version,
            kind: key.kind,
            name: key.name,
            namespace: key.namespace,
            disable_cache: false,
        };
        self.call("get_resource", &request).map_err(|why| {
            // policy-server passes the API server's 404 text through; so does fluxgate's host.
            if mentions(&why, b"not found") || mentions(&why, b"NotFound") {
                LookupError::NotFound
            } else {
                LookupError::Failed(why)
            }
        })
    }

    fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<Box<RawValue>>, LookupError> {
        let (operation, request) = match namespace {
            Some(ns) => (
                "list_resources_by_namespace",
                serde_json::json!({"api_version": api_version, "kind": kind, "namespace": ns}),
            ),
            None => (
                "list_resources_all",
                serde_json::json!({"api_version": api_version, "kind": kind}),
            ),
        };
        let list = self
            .call(operation, &request)
            .map_err(LookupError::Failed)?;
        let non_list =
            || LookupError::Failed(format!("{kind} list from the host has a non-list `items`"));
        match fields(&list, ["items"]).ok_or_else(non_list)? {
            [None] => Ok(Vec::new()),
            [Some(items)] if items.get() == "null" => Ok(Vec::new()),
            [Some(items)] if items.get().starts_with('[') => {
                serde_json::from_slice(items.get().as_bytes()).map_err(|_| non_list())
            }
            [Some(_)] => Err(non_list()),
        }
    }
}

/// Whether `text` contains `word` (a plain scan: the modules need no substring searcher;
/// the first byte is compared before the rest, so most positions cost no slice compare).
fn mentions(text: &str, word: &[u8]) -> bool {
    let Some((&first, rest)) = word.split_first() else {
        return true;
    };
    let text = text.as_bytes();
    (0..text.len()).any(|i| text[i] == first && text[i + 1..].starts_with(rest))
}

#[cfg(target_arch = "wasm32")]
fn wapc_host_call(operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
    kubewarden_policy_sdk::wapc_guest::host_call("kubewarden", "kubernetes", operation, payload)
        .map_err(|e| e.to_string())
}

#[cfg(not(target_arch = "wasm32"))]
fn wapc_host_call(operation: &str, _payload: &[u8]) -> Result<Vec<u8>, String> {
    Err(format!(
        "kubernetes/{operation} is only available inside a Kubewarden host; use MemoryCluster"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cluster() -> MemoryCluster {
        MemoryCluster::new(vec![
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view"}}),
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository", "metadata": {"name": "charts", "namespace": "apps"}, "spec": {"type": "oci"}}),
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository", "metadata": {"name": "other", "namespace": "web"}}),
        ])
    }

    #[test]
    fn get_matches_type_namespace_and_name() {
        let c = cluster();
        let key = ObjectKey {
            api_version: "source.toolkit.fluxcd.io/v1",
            kind: "HelmRepository",
            namespace: Some("apps"),
            name: "charts",
        };
        let got: Value = serde_json::from_str(c.get(&key).unwrap().get()).unwrap();
        assert_eq!(got["spec"]["type"], "oci");
        let elsewhere = ObjectKey {
            namespace: Some("web"),
            ..key
        };
        assert_eq!(c.get(&elsewhere).unwrap_err(), LookupError::NotFound);
        let cluster_scoped = ObjectKey {
            api_version: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            namespace: None,
            name: "view",
        };
        assert!(c.get(&cluster_scoped).is_ok());
    }

    #[test]
    fn list_filters_by_namespace() {
        let c = cluster();
        assert_eq!(
            c.list("source.toolkit.fluxcd.io/v1", "HelmRepository", None)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            c.list("source.toolkit.fluxcd.io/v1", "HelmRepository", Some("web"))
                .unwrap()
                .len(),
            1
        );
        assert!(c.list("v1", "Secret", None).unwrap().is_empty());
    }

    #[test]
    fn host_lists_are_read_from_their_items() {
        let answers = [
            (
                r#"{"items":[{"a":1},{"b":[2]}],"metadata":{}}"#,
                Ok(vec![r#"{"a":1}"#, r#"{"b":[2]}"#]),
            ),
            (r#"{"items":null}"#, Ok(vec![])),
            (r#"{"kind":"List"}"#, Ok(vec![])),
            (r#"{"items":{"a":1}}"#, Err(())),
            (r#"[1]"#, Err(())),
        ];
        for (answer, want) in answers {
            let host = |_: &str, _: &[u8]| Ok(answer.as_bytes().to_vec());
            let got = CallingCluster(&host).list("v1", "Namespace", None);
            let got = got
                .map(|items| {
                    items
                        .iter()
                        .map(|i| i.get().to_string())
                        .collect::<Vec<_>>()
                })
                .map_err(|e| assert!(e.to_string().contains("non-list `items`"), "{e}"));
            assert_eq!(
                got,
                want.map(|w| w.iter().map(|s| s.to_string()).collect()),
                "{answer}"
            );
        }
    }

    #[test]
    fn get_as_names_the_bad_field() {
        #[derive(serde::Deserialize, Debug)]
        struct Repo {
            #[allow(dead_code)]
            spec: Spec,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Spec {
            #[allow(dead_code)]
            r#type: u8,
        }
        let c = cluster();
        let key = ObjectKey {
            api_version: "source.toolkit.fluxcd.io/v1",
            kind: "HelmRepository",
            namespace: Some("apps"),
            name: "charts",
        };
        let err = get_as::<Repo>(&c, &key).unwrap_err();
        assert!(
            matches!(err, LookupError::Failed(ref m) if m.starts_with("HelmRepository apps/charts: spec.type:")),
            "{err:?}"
        );
    }

    #[test]
    fn mentions_finds_a_word_anywhere() {
        assert!(mentions("v1/Namespace a not found", b"not found"));
        assert!(mentions("NotFound", b"NotFound"));
        assert!(!mentions("not foun", b"not found"));
        assert!(!mentions("nnot fou", b"not found"));
        assert!(mentions("x", b""));
        assert!(!mentions("", b"n"));
    }

    #[test]
    fn native_host_cluster_fails_clearly() {
        let key = ObjectKey {
            api_version: "v1",
            kind: "Namespace",
            namespace: None,
            name: "x",
        };
        assert!(
            matches!(HostCluster.get(&key), Err(LookupError::Failed(m)) if m.contains("MemoryCluster"))
        );
    }
}
