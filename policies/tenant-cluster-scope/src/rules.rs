use crate::identity::{Identity, tenant_of};
use crate::settings::Settings;
use flux_model::{AdmissionRequest, ObjectMeta, ObjectRef, Operation, Verdict, Violation};
use serde::Deserialize;

/// What a request writes, in plain terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub group: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl Write {
    /// A Namespace is cluster-scoped even though admission requests for it may carry its
    /// own name in `namespace`.
    pub fn is_cluster_scoped(&self) -> bool {
        self.namespace.is_empty() || (self.group.is_empty() && self.kind == "Namespace")
    }

    fn object(&self) -> ObjectRef {
        let namespace = if self.is_cluster_scoped() {
            ""
        } else {
            &self.namespace
        };
        ObjectRef::new(&self.kind, &ObjectMeta::default(), namespace, &self.name)
    }
}

/// Admission entry: CREATE and UPDATE of any kind; everything else passes.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    if !Operation::of(request).writes() {
        return Verdict::accept();
    }
    let Some(tenant) = tenant_of(&request.user_info, settings) else {
        return Verdict::accept();
    };
    let write = write_of(request);
    Verdict::from_violations(&write.object(), &check(&tenant, &write, settings))
}

fn write_of(request: &AdmissionRequest) -> Write {
    let meta = request
        .object
        .get("metadata")
        .and_then(|m| ObjectMeta::deserialize(m).ok())
        .unwrap_or_default();
    let name = meta
        .name
        .filter(|n| !n.is_empty())
        .or_else(|| meta.generate_name.map(|g| format!("{g}<generated>")))
        .unwrap_or_else(|| request.name.clone());
    Write {
        group: request.kind.group.clone(),
        kind: request.kind.kind.clone(),
        namespace: request.namespace.clone(),
        name,
    }
}

/// Why `tenant` may not perform `write`, if it may not.
pub fn check(tenant: &Identity, write: &Write, settings: &Settings) -> Vec<Violation> {
    if write.is_cluster_scoped() {
        if settings.allows_cluster_scoped(&write.group, &write.kind) {
            return Vec::new();
        }
        let api_group = if write.group.is_empty() {
            "core"
        } else {
            write.group.as_str()
        };
        return vec![Violation::new(
            "kind",
            format!(
                "{} ({api_group}) is cluster-scoped and reaches every namespace, but it is written by the tenant identity {} of namespace {}",
                write.kind, tenant.name, tenant.namespace
            ),
            format!(
                "apply it from the platform's Flux repository, or allow the kind in settings.allowedClusterScopedKinds ({}/{})",
                write.group, write.kind
            ),
        )];
    }
    if write.namespace != tenant.namespace {
        return vec![Violation::new(
            "metadata.namespace",
            format!(
                "{:?} is outside the tenant's namespace {:?} (identity {})",
                write.namespace, tenant.namespace, tenant.name
            ),
            format!(
                "keep the tenant's objects in namespace {}",
                tenant.namespace
            ),
        )];
    }
    Vec::new()
}
