use crate::settings::{Settings, bounded_semver};
use crate::views::{Bucket, GitRepository, HelmRepository, OciRepository};
use flux_model::glob;
use flux_model::kinds::source::GitRepositoryRef;
use flux_model::origin::{Origin, OriginPrefix};
use flux_model::{AdmissionRequest, FluxKind, ObjectRef, Verdict, Violation};

const KINDS: [FluxKind; 4] = [
    FluxKind::GitRepository,
    FluxKind::HelmRepository,
    FluxKind::OciRepository,
    FluxKind::Bucket,
];

/// Admission entry: picks the kind from the object (or the request's GVK for DELETE) and
/// runs the shared review flow with that kind's rule.
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    let kind = match flux_model::review::judged_kind(request, "source-origin", &KINDS) {
        Ok(kind) => kind,
        Err(other_kind) => return other_kind,
    };
    let exempt = |obj: &ObjectRef| settings.platform_namespaces.contains(&obj.namespace);
    use flux_model::review::review;
    match kind {
        FluxKind::GitRepository => review(request, kind, |r: &GitRepository, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_git(r, settings)
            }
        }),
        FluxKind::HelmRepository => review(request, kind, |r: &HelmRepository, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_helm(r, settings)
            }
        }),
        FluxKind::OciRepository => review(request, kind, |r: &OciRepository, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_oci(r, settings)
            }
        }),
        _ => review(request, kind, |r: &Bucket, obj| {
            if exempt(obj) {
                Vec::new()
            } else {
                check_bucket(r, settings)
            }
        }),
    }
}

/// `https://user:***@host/...`: a rejection message must not copy a token into audit logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[end..]),
        None => url.to_string(),
    }
}

/// Parses `spec.url` and checks what every URL-based kind shares: it parses, the scheme is
/// one of `schemes` (plain `http` only for `plainHttpHosts`), no credentials, and the
/// origin is on the kind's allowlist.
fn check_url(
    field: &str,
    url: Option<&str>,
    schemes: &[&str],
    allowlist: &[String],
    settings: &Settings,
    out: &mut Vec<Violation>,
) -> Option<Origin> {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        out.push(Violation::new(
            field,
            "is missing",
            format!("set {field} to a {} URL", schemes.join(" or ")),
        ));
        return None;
    };
    let shown = redact(url);
    let origin = match Origin::parse(url) {
        Ok(o) => o,
        Err(e) => {
            out.push(Violation::new(
                field,
                format!("{shown:?} {e}"),
                format!("write {field} as {}://host/path", schemes[0]),
            ));
            return None;
        }
    };
    // plainHttpHosts relaxes TLS only where the kind would otherwise speak HTTPS, so it
    // never overrides gitSshOnly or turns an OCI URL into plain HTTP.
    let plain_http_ok = origin.scheme == "http"
        && schemes.contains(&"https")
        && settings.plain_http_allowed(&origin.host, origin.port);
    if !schemes.contains(&origin.scheme.as_str()) && !plain_http_ok {
        let problem = if origin.scheme == "http" {
            format!(
                "{shown:?} uses plain HTTP to {}, which is not in plainHttpHosts",
                origin.host_port()
            )
        } else {
            format!("{shown:?} uses scheme {:?}", origin.scheme)
        };
        out.push(Violation::new(
            field,
            problem,
            format!("use one of the schemes [{}]", schemes.join(", ")),
        ));
    }
    if origin.has_credentials() {
        out.push(Violation::new(
            field,
            format!("{shown:?} carries credentials in the URL"),
            "remove them from the URL and put them in the Secret named by spec.secretRef",
        ));
    }
    check_allowlist(field, &shown, &origin, allowlist, out);
    Some(origin)
}

fn check_allowlist(
    field: &str,
    shown: &str,
    origin: &Origin,
    allowlist: &[String],
    out: &mut Vec<Violation>,
) {
    if allowlist.is_empty() {
        return;
    }
    if !flux_model::origin::any_matches(&Settings::prefixes(allowlist), origin) {
        out.push(Violation::new(
            field,
            format!("{shown:?} is not an allowed origin"),
            format!("use a URL under one of [{}]", allowlist.join(", ")),
        ));
    }
}

fn check_insecure(
    insecure: Option<bool>,
    origin: Option<&Origin>,
    settings: &Settings,
    out: &mut Vec<Violation>,
) {
    if insecure != Some(true) {
        return;
    }
    if origin.is_some_and(|o| settings.plain_http_allowed(&o.host, o.port)) {
        return;
    }
    let host = origin.map_or_else(|| "the host".to_string(), Origin::host_port);
    out.push(Violation::new(
        "spec.insecure",
        format!("is true: the source would be fetched over plain HTTP from {host}, which is not in plainHttpHosts"),
        "remove spec.insecure and serve the source over TLS",
    ));
}

/// Every rule a GitRepository breaks.
pub fn check_git(repo: &GitRepository, settings: &Settings) -> Vec<Violation> {
    let spec = &repo.spec;
    let mut out = Vec::new();
    let schemes: &[&str] = if settings.git_ssh_only {
        &["ssh"]
    } else {
        &["ssh", "https"]
    };
    let origin = check_url(
        "spec.url",
        spec.url.as_deref(),
        schemes,
        &settings.allowed_origins.git_repository,
        settings,
        &mut out,
    );
    if let Some(origin) = &origin {
        let private = Settings::prefixes(&settings.private_git_origins);
        let own_identity = spec.provider.as_deref().is_some_and(|p| p != "generic")
            && spec
                .service_account_name
                .as_deref()
                .is_some_and(|s| !s.is_empty());
        if spec.secret_ref.is_none()
            && !own_identity
            && let Some(p) = private.iter().find(|p| p.matches(origin))
        {
            out.push(Violation::new(
                "spec.secretRef",
                format!(
                    "is missing for the private origin {:?} (privateGitOrigins), so the fetch would rely on whatever the shared source-controller can reach",
                    p.as_str()
                ),
                "set spec.secretRef to this namespace's own deploy key or token Secret, or spec.provider with spec.serviceAccountName",
            ));
        }
    }
    check_git_ref(spec.reference.as_ref(), settings, &mut out);
    out
}

/// The ref source-controller checks out: `commit` wins over `name`, `semver`, `tag`,
/// `branch`; no ref means the `master` branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRef {
    Commit(String),
    Tag(String),
    Semver(String),
    Branch {
        name: String,
        field: &'static str,
    },
    /// A `spec.ref.name` that is neither a branch nor a tag (`refs/pull/1/head`).
    Other(String),
}

pub fn effective_git_ref(reference: Option<&GitRepositoryRef>) -> GitRef {
    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.trim().is_empty())
    }
    let Some(r) = reference else {
        return GitRef::Branch {
            name: "master".into(),
            field: "spec.ref",
        };
    };
    if let Some(c) = set(&r.commit) {
        return GitRef::Commit(c.into());
    }
    if let Some(n) = set(&r.name) {
        if let Some(b) = n.strip_prefix("refs/heads/") {
            return GitRef::Branch {
                name: b.into(),
                field: "spec.ref.name",
            };
        }
        if let Some(t) = n.strip_prefix("refs/tags/") {
            return GitRef::Tag(t.into());
        }
        return GitRef::Other(n.into());
    }
    if let Some(s) = set(&r.semver) {
        return GitRef::Semver(s.into());
    }
    if let Some(t) = set(&r.tag) {
        return GitRef::Tag(t.into());
    }
    GitRef::Branch {
        name: set(&r.branch).unwrap_or("master").into(),
        field: if set(&r.branch).is_some() {
            "spec.ref.branch"
        } else {
            "spec.ref"
        },
    }
}

fn is_full_sha(c: &str) -> bool {
    (c.len() == 40 || c.len() == 64) && c.chars().all(|ch| ch.is_ascii_hexdigit())
}

fn check_git_ref(
    reference: Option<&GitRepositoryRef>,
    settings: &Settings,
    out: &mut Vec<Violation>,
) {
    let pinned_fix =
        "pin spec.ref.tag, a bounded spec.ref.semver range or a full spec.ref.commit SHA";
    match effective_git_ref(reference) {
        GitRef::Branch { name, field } => {
            let branches = &settings.allowed_git_branches;
            let default = if field == "spec.ref" {
                " (Flux's default when no ref is set)"
            } else {
                ""
            };
            if settings.require_pinned_git_refs {
                out.push(Violation::new(
                    field,
                    format!("tracks the branch {name:?}{default}, which moves under the cluster"),
                    pinned_fix,
                ));
            } else if !branches.is_empty() && !glob::any_matches(branches, &name) {
                out.push(Violation::new(
                    field,
                    format!("tracks the branch {name:?}{default}, which is not allowed"),
                    format!(
                        "track one of the branches [{}], or pin a tag, semver range or commit",
                        branches.join(", ")
                    ),
                ));
            }
        }
        GitRef::Other(name) => {
            if settings.require_pinned_git_refs || !settings.allowed_git_branches.is_empty() {
                out.push(Violation::new(
                    "spec.ref.name",
                    format!("{name:?} is neither a branch nor a tag reference"),
                    "use refs/tags/<tag>, or refs/heads/<branch> for an allowed branch",
                ));
            }
        }
        GitRef::Commit(c) => {
            if settings.require_pinned_git_refs && !is_full_sha(&c) {
                out.push(Violation::new(
                    "spec.ref.commit",
                    format!("{c:?} is not a full 40- or 64-character commit SHA"),
                    "write the full commit SHA",
                ));
            }
        }
        GitRef::Semver(range) => {
            if settings.require_pinned_git_refs && !bounded_semver(&range) {
                out.push(Violation::new(
                    "spec.ref.semver",
                    format!("{range:?} is not a semver range with an upper bound, so any future release is taken"),
                    "bound the range above, e.g. \">=1.2.0 <2.0.0\" or \"~1.2\"",
                ));
            }
        }
        GitRef::Tag(_) => {}
    }
}

/// Every rule a HelmRepository breaks.
pub fn check_helm(repo: &HelmRepository, settings: &Settings) -> Vec<Violation> {
    let spec = &repo.spec;
    let mut out = Vec::new();
    let oci = spec.repository_type.as_deref() == Some("oci");
    let schemes: &[&str] = if oci { &["oci"] } else { &["https"] };
    let origin = check_url(
        "spec.url",
        spec.url.as_deref(),
        schemes,
        &settings.allowed_origins.helm_repository,
        settings,
        &mut out,
    );
    check_insecure(spec.insecure, origin.as_ref(), settings, &mut out);
    if spec.pass_credentials == Some(true) && !settings.allow_pass_credentials {
        out.push(Violation::new(
            "spec.passCredentials",
            "is true: the repository credentials are sent to every host the index points charts at",
            "remove spec.passCredentials, or host the charts on the repository's own domain",
        ));
    }
    out
}

/// Every rule an OCIRepository breaks.
pub fn check_oci(repo: &OciRepository, settings: &Settings) -> Vec<Violation> {
    let spec = &repo.spec;
    let mut out = Vec::new();
    let origin = check_url(
        "spec.url",
        spec.url.as_deref(),
        &["oci"],
        &settings.allowed_origins.oci_repository,
        settings,
        &mut out,
    );
    check_insecure(spec.insecure, origin.as_ref(), settings, &mut out);
    if settings.require_pinned_oci_refs {
        let r = spec.reference.clone().unwrap_or_default();
        let set = |v: &Option<String>| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        };
        // source-controller's precedence: digest, then semver, then tag (default `latest`).
        if set(&r.digest).is_none() {
            match set(&r.semver) {
                Some(range) if !bounded_semver(&range) => out.push(Violation::new(
                    "spec.ref.semver",
                    format!("{range:?} is not a semver range with an upper bound, so any future release is taken"),
                    "bound the range above, or pin spec.ref.digest",
                )),
                Some(_) => {}
                None => {
                    let (field, tag) = match set(&r.tag) {
                        Some(t) => ("spec.ref.tag", t),
                        None => ("spec.ref", "latest".to_string()),
                    };
                    out.push(Violation::new(
                        field,
                        format!("follows the mutable tag {tag:?}"),
                        "pin spec.ref.digest (sha256:...) or a bounded spec.ref.semver range",
                    ));
                }
            }
        }
    }
    out
}

/// Every rule a Bucket breaks. Its origin is `https://<endpoint>/<bucketName>`
/// (`http://` with `insecure: true`), which is what `allowedOrigins.bucket` lists.
pub fn check_bucket(bucket: &Bucket, settings: &Settings) -> Vec<Violation> {
    let spec = &bucket.spec;
    let mut out = Vec::new();
    let endpoint = spec.endpoint.as_deref().unwrap_or("");
    let name = spec.bucket_name.as_deref().unwrap_or("");
    if endpoint.is_empty() {
        out.push(Violation::new(
            "spec.endpoint",
            "is missing",
            "set spec.endpoint to the storage host",
        ));
        return out;
    }
    let scheme = if spec.insecure == Some(true) {
        "http"
    } else {
        "https"
    };
    // Some clients accept a scheme in the endpoint; judge it as written then.
    let url = if endpoint.contains("://") {
        format!("{endpoint}/{name}")
    } else {
        format!("{scheme}://{endpoint}/{name}")
    };
    let origin = match Origin::parse(&url) {
        Ok(o) => o,
        Err(e) => {
            out.push(Violation::new(
                "spec.endpoint",
                format!("{:?} with bucket {name:?} {e}", redact(endpoint)),
                "set spec.endpoint to host or host:port and spec.bucketName to the bucket",
            ));
            return out;
        }
    };
    if origin.scheme == "http"
        && spec.insecure != Some(true)
        && !settings.plain_http_allowed(&origin.host, origin.port)
    {
        out.push(Violation::new(
            "spec.endpoint",
            format!(
                "{endpoint:?} uses plain HTTP to {}, which is not in plainHttpHosts",
                origin.host_port()
            ),
            "use an https endpoint",
        ));
    } else if !matches!(origin.scheme.as_str(), "http" | "https") {
        out.push(Violation::new(
            "spec.endpoint",
            format!("{endpoint:?} uses scheme {:?}", origin.scheme),
            "write the endpoint as host or host:port",
        ));
    }
    if origin.has_credentials() {
        out.push(Violation::new(
            "spec.endpoint",
            format!("{:?} carries credentials", redact(endpoint)),
            "remove them and put them in the Secret named by spec.secretRef",
        ));
    }
    check_insecure(spec.insecure, Some(&origin), settings, &mut out);
    check_allowlist(
        "spec.endpoint",
        &redact(&url),
        &origin,
        &settings.allowed_origins.bucket,
        &mut out,
    );
    out
}

/// Re-exported for tools that match URLs against a policy's settings without admission.
pub fn origin_allowed(allowlist: &[String], url: &str) -> bool {
    Origin::parse(url).is_ok_and(|o| {
        allowlist.is_empty()
            || Settings::prefixes(allowlist)
                .iter()
                .any(|p: &OriginPrefix| p.matches(&o))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn git_ref(v: serde_json::Value) -> GitRef {
        effective_git_ref(Some(&serde_json::from_value(v).unwrap()))
    }

    #[test]
    fn effective_ref_follows_source_controller_precedence() {
        assert_eq!(
            effective_git_ref(None),
            GitRef::Branch {
                name: "master".into(),
                field: "spec.ref"
            }
        );
        assert_eq!(
            git_ref(json!({"branch": "main", "commit": "abc"})),
            GitRef::Commit("abc".into())
        );
        assert_eq!(
            git_ref(json!({"tag": "v1", "name": "refs/heads/dev"})),
            GitRef::Branch {
                name: "dev".into(),
                field: "spec.ref.name"
            }
        );
        assert_eq!(
            git_ref(json!({"semver": "1.x", "tag": "v1"})),
            GitRef::Semver("1.x".into())
        );
        assert_eq!(
            git_ref(json!({"branch": " "})),
            GitRef::Branch {
                name: "master".into(),
                field: "spec.ref"
            }
        );
        assert_eq!(
            git_ref(json!({"name": "refs/tags/v2"})),
            GitRef::Tag("v2".into())
        );
    }

    #[test]
    fn redaction_hides_userinfo_only() {
        assert_eq!(
            redact("https://u:tok@github.com/a@b"),
            "https://***@github.com/a@b"
        );
        assert_eq!(redact("https://github.com/a"), "https://github.com/a");
        assert_eq!(redact("no scheme@x"), "no scheme@x");
    }

    #[test]
    fn bucket_origin_is_endpoint_and_bucket() {
        let settings: Settings = serde_json::from_value(json!({
            "allowedOrigins": {"bucket": ["https://s3.amazonaws.com/acme"]}
        }))
        .unwrap();
        let bucket = |endpoint: &str, name: &str| -> Bucket {
            serde_json::from_value(json!({"spec": {"endpoint": endpoint, "bucketName": name}}))
                .unwrap()
        };
        assert!(check_bucket(&bucket("S3.amazonaws.com:443", "acme"), &settings).is_empty());
        assert_eq!(
            check_bucket(&bucket("s3.amazonaws.com", "acme-evil"), &settings).len(),
            1
        );
        assert_eq!(
            check_bucket(&bucket("s3.amazonaws.com", "acme/../x"), &settings).len(),
            1
        );
        assert_eq!(
            check_bucket(&bucket("http://s3.amazonaws.com", "acme"), &settings).len(),
            2
        );
    }
}
