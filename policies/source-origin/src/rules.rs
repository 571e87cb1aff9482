use crate::settings::{Settings, bounded_semver};
use crate::views::{Bucket, GitRepository, HelmRepository, OciRepository, References};
use flux_kinds::FluxKind;
use flux_kinds::source::GitRepositoryRef;
use fluxgate_admission::Ctx;
use fluxgate_admission::lockdown::{CLOUD_IDENTITY, cloud_identity, is_cloud_provider};
use fluxgate_admission::tenancy::foreign_namespace;
use fluxgate_matchers::glob;
use fluxgate_matchers::origin::Origin;
use fluxgate_rules::{Finding, KindSpec, Rule};

const GIT: KindSpec = FluxKind::GitRepository.spec();
const HELM: KindSpec = FluxKind::HelmRepository.spec();
const OCI: KindSpec = FluxKind::OciRepository.spec();
const BUCKET: KindSpec = FluxKind::Bucket.spec();
const GENERATOR: KindSpec = FluxKind::ArtifactGenerator.spec();
const EXTERNAL: KindSpec = FluxKind::ExternalArtifact.spec();
const ALL_KINDS: &[KindSpec] = &[GIT, HELM, OCI, BUCKET];

const fn rule(
    id: &'static str,
    kinds: &'static [KindSpec],
    title: &'static str,
    stops: &'static str,
    on_by_default: bool,
    setting: &'static str,
) -> Rule {
    Rule::deny(id, kinds, title, stops, setting).on_by_default(on_by_default)
}

pub const URL_MISSING: Rule = rule(
    "origin/url-missing",
    ALL_KINDS,
    "A source names where it fetches from: `spec.url` (Bucket: `spec.endpoint`).",
    "a source whose origin admission cannot judge, admitted on the strength of an empty field.",
    true,
    "",
);
pub const URL_UNPARSABLE: Rule = rule(
    "origin/url-unparsable",
    ALL_KINDS,
    "The URL parses as `scheme://host[:port]/path`: no scp-like syntax, whitespace, backslashes, \
     `.`/`..` segments or percent-encoded `.` `/` `\\`.",
    "a URL that an allowlist check and Git or Helm would read differently \
     (`https://github.com/acme/../evil/app`, `git@host:org/repo`).",
    true,
    "",
);
pub const URL_CREDENTIALS: Rule = rule(
    "origin/url-credentials",
    ALL_KINDS,
    "The URL carries no credentials, in its user part (`https://user:token@...`) or its query \
     (`?token=`, `access_token`, `sig`, `X-Amz-Signature`, any name with token, secret, \
     password, signature or credential); they belong in `spec.secretRef`.",
    "a token written into the object, where everyone who can read sources (and the audit log) \
     sees it.",
    true,
    "",
);
pub const SCHEME_NOT_ALLOWED: Rule = rule(
    "origin/scheme-not-allowed",
    ALL_KINDS,
    "The URL uses its kind's scheme: GitRepository `ssh://` or `https://` (`ssh://` only with \
     `gitSshOnly`), HelmRepository `https://` (`oci://` with `type: oci`), OCIRepository \
     `oci://`.",
    "a source fetched with a protocol the platform did not plan for (`git://`, `file://`, HTTPS \
     where only SSH deploy keys are audited).",
    true,
    "",
);
pub const PLAIN_HTTP: Rule = rule(
    "origin/plain-http",
    &[GIT, HELM, BUCKET],
    "A URL or Bucket endpoint uses `http://` only to a host in `plainHttpHosts`.",
    "a source fetched unencrypted, where anyone on the path can substitute what the cluster \
     applies.",
    true,
    "plainHttpHosts",
);
pub const INSECURE: Rule = rule(
    "origin/insecure",
    &[HELM, OCI, BUCKET],
    "`spec.insecure: true` (plain HTTP) only to a host in `plainHttpHosts`.",
    "a registry or bucket fetched unencrypted, where anyone on the path can substitute what the \
     cluster applies.",
    true,
    "plainHttpHosts",
);
pub const NOT_ALLOWED: Rule = rule(
    "origin/not-allowed",
    ALL_KINDS,
    "The origin lies under one of `allowedOrigins.<kind>`, compared by scheme, host, port, user \
     and whole path segments (a Bucket's origin is `https://<endpoint>/<bucketName>`).",
    "a tenant pulling manifests, charts or artifacts from another organisation's repository or \
     an arbitrary registry (`github.com.evil.io`, `acme-evil`).",
    false,
    "allowedOrigins",
);
pub const PASS_CREDENTIALS: Rule = rule(
    "origin/pass-credentials",
    &[HELM],
    "A HelmRepository does not set `spec.passCredentials: true`.",
    "Helm sending the repository's credentials to every chart host its index names.",
    true,
    "allowPassCredentials",
);
pub const PRIVATE_ORIGIN_SECRET_MISSING: Rule = rule(
    "origin/private-origin-secret-missing",
    &[GIT],
    "A GitRepository under `privateGitOrigins` brings its own credentials (`spec.secretRef`, or \
     `spec.provider` with `spec.serviceAccountName`).",
    "a tenant reading another team's private repository with whatever the shared \
     source-controller can reach.",
    false,
    "privateGitOrigins",
);
pub const GIT_BRANCH_NOT_ALLOWED: Rule = rule(
    "origin/git-branch-not-allowed",
    &[GIT],
    "A tracked branch (no ref means `master`) matches one of `allowedGitBranches`.",
    "a production cluster following a `staging` or feature branch anyone can push to.",
    false,
    "allowedGitBranches",
);
pub const GIT_REF_NOT_BRANCH_OR_TAG: Rule = rule(
    "origin/git-ref-not-branch-or-tag",
    &[GIT],
    "With `allowedGitBranches` or `requirePinnedGitRefs`, `spec.ref.name` is a `refs/heads/` or \
     `refs/tags/` reference.",
    "the branch rules being bypassed through another reference (`refs/pull/7/head`).",
    false,
    "allowedGitBranches",
);
pub const GIT_REF_UNPINNED: Rule = rule(
    "origin/git-ref-unpinned",
    &[GIT],
    "With `requirePinnedGitRefs`, a GitRepository follows a tag, a semver range with an upper \
     bound or a full 40/64-hex commit, never a branch.",
    "whatever is pushed next (or any future major release) reaching the cluster unreviewed.",
    false,
    "requirePinnedGitRefs",
);
pub const OCI_REF_UNPINNED: Rule = rule(
    "origin/oci-ref-unpinned",
    &[OCI],
    "With `requirePinnedOciRefs`, an OCIRepository follows a digest or a semver range with an \
     upper bound, never a tag (default `latest`).",
    "a re-pushed tag replacing what the cluster runs without any change to the object.",
    false,
    "requirePinnedOciRefs",
);

pub const HELM_OCI_CLOUD_PROVIDER: Rule = rule(
    "origin/helm-oci-cloud-provider",
    &[HELM],
    "An OCI HelmRepository does not set a cloud `spec.provider` (`aws`, `azure`, `gcp`) without \
     `spec.secretRef`: HelmRepository has no `serviceAccountName`, so the pull would use \
     source-controller's own cloud identity; use an OCIRepository and `chartRef`.",
    "a tenant pulling charts from the platform's registries with the controller's cloud \
     identity, which no tenant object can narrow.",
    true,
    "",
);
pub const CROSS_NAMESPACE_SOURCE: Rule = rule(
    "origin/cross-namespace-source",
    &[GENERATOR, EXTERNAL],
    "An ArtifactGenerator's `spec.sources[].namespace` and an ExternalArtifact's \
     `spec.sourceRef.namespace` are empty, the object's own namespace or one of \
     `sharedSourceNamespaces`.",
    "a tenant copying another namespace's private source into an artifact of its own, or an \
     artifact claiming to come from another namespace (source-watcher follows such references \
     unless it runs with `--no-cross-namespace-refs`).",
    true,
    "sharedSourceNamespaces",
);
pub const EXTERNAL_ARTIFACT_WRITER: Rule = rule(
    "origin/external-artifact-writer",
    &[EXTERNAL],
    "An ExternalArtifact is written by the controller that produces it (Flux's source-watcher, \
     or a platform identity), not by a tenant, unless `allowTenantExternalArtifacts`.",
    "a tenant-made artifact whose `status.artifact.url` sends kustomize- and helm-controller \
     to download manifests or charts from anywhere, past every origin rule.",
    true,
    "allowTenantExternalArtifacts",
);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &URL_MISSING,
    &URL_UNPARSABLE,
    &URL_CREDENTIALS,
    &SCHEME_NOT_ALLOWED,
    &PLAIN_HTTP,
    &INSECURE,
    &NOT_ALLOWED,
    &PASS_CREDENTIALS,
    &PRIVATE_ORIGIN_SECRET_MISSING,
    &GIT_BRANCH_NOT_ALLOWED,
    &GIT_REF_NOT_BRANCH_OR_TAG,
    &GIT_REF_UNPINNED,
    &OCI_REF_UNPINNED,
    &CLOUD_IDENTITY,
    &HELM_OCI_CLOUD_PROVIDER,
    &CROSS_NAMESPACE_SOURCE,
    &EXTERNAL_ARTIFACT_WRITER,
];

/// `https://user:***@host/...`: a rejection message must not copy a token into audit logs.
fn redact(url: &str) -> String {
    fluxgate_matchers::origin::redact_credentials(url)
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
    out: &mut Vec<Finding>,
) -> Option<Origin> {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        out.push(URL_MISSING.at(
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
            out.push(URL_UNPARSABLE.at(
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
        let fix = format!("use one of the schemes [{}]", schemes.join(", "));
        if origin.scheme == "http" {
            let problem = format!(
                "{shown:?} uses plain HTTP to {}, which is not in plainHttpHosts",
                origin.host_port()
            );
            // Only a kind that speaks HTTPS can be relaxed by plainHttpHosts; for the others
            // plain HTTP is just a scheme they never use.
            out.push(if schemes.contains(&"https") {
                PLAIN_HTTP.at(field, problem, fix)
            } else {
                SCHEME_NOT_ALLOWED.at(field, problem, fix)
            });
        } else {
            let problem = format!("{shown:?} uses scheme {:?}", origin.scheme);
            out.push(SCHEME_NOT_ALLOWED.at(field, problem, fix));
        }
    }
    if origin.has_credentials() {
        out.push(URL_CREDENTIALS.at(
            field,
            format!("{shown:?} carries credentials in the URL"),
            "remove them from the URL and put them in the Secret named by spec.secretRef",
        ));
    }
    query_credentials(field, &shown, &origin, out);
    check_allowlist(field, &shown, &origin, allowlist, out);
    Some(origin)
}

/// A credential in the query (`?token=`, `sig=`, `X-Amz-Signature=`): the fetcher sends it
/// with every request, like a password in the user part.
fn query_credentials(field: &str, shown: &str, origin: &Origin, out: &mut Vec<Finding>) {
    let params = origin.credential_params();
    if !params.is_empty() {
        out.push(URL_CREDENTIALS.at(
            field,
            format!(
                "{shown:?} carries credentials in its query ({})",
                params.join(", ")
            ),
            "remove them from the URL and put them in the Secret named by spec.secretRef",
        ));
    }
}

fn check_allowlist(
    field: &str,
    shown: &str,
    origin: &Origin,
    allowlist: &[String],
    out: &mut Vec<Finding>,
) {
    if allowlist.is_empty() {
        return;
    }
    if !fluxgate_matchers::origin::any_matches(&Settings::prefixes(allowlist), origin) {
        out.push(NOT_ALLOWED.at(
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
    out: &mut Vec<Finding>,
) {
    if insecure != Some(true) {
        return;
    }
    if origin.is_some_and(|o| settings.plain_http_allowed(&o.host, o.port)) {
        return;
    }
    let host = origin.map_or_else(|| "the host".to_string(), Origin::host_port);
    out.push(INSECURE.at(
        "spec.insecure",
        format!("is true: the source would be fetched over plain HTTP from {host}, which is not in plainHttpHosts"),
        "remove spec.insecure and serve the source over TLS",
    ));
}

/// Every rule a GitRepository breaks.
pub fn check_git(repo: &GitRepository, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
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
            out.push(PRIVATE_ORIGIN_SECRET_MISSING.at(
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
    // `azure` (and `aws`, which the Flux 2.9 CRD adds) take credentials from workload
    // identity whether or not `secretRef` is set (internal/controller/gitrepository_controller.go
    // getAuthOpts); `github` reads a GitHub App from `secretRef` and `generic` static
    // credentials, neither is a cloud identity.
    out.extend(cloud_identity(
        ctx,
        spec.provider.as_deref(),
        "spec.provider",
        spec.service_account_name.as_deref(),
        "spec.serviceAccountName",
        "source-controller",
    ));
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
    out: &mut Vec<Finding>,
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
                out.push(GIT_REF_UNPINNED.at(
                    field,
                    format!("tracks the branch {name:?}{default}, which moves under the cluster"),
                    pinned_fix,
                ));
            } else if !branches.is_empty() && !glob::any_matches(branches, &name) {
                out.push(GIT_BRANCH_NOT_ALLOWED.at(
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
                out.push(GIT_REF_NOT_BRANCH_OR_TAG.at(
                    "spec.ref.name",
                    format!("{name:?} is neither a branch nor a tag reference"),
                    "use refs/tags/<tag>, or refs/heads/<branch> for an allowed branch",
                ));
            }
        }
        GitRef::Commit(c) => {
            if settings.require_pinned_git_refs && !is_full_sha(&c) {
                out.push(GIT_REF_UNPINNED.at(
                    "spec.ref.commit",
                    format!("{c:?} is not a full 40- or 64-character commit SHA"),
                    "write the full commit SHA",
                ));
            }
        }
        GitRef::Semver(range) => {
            if settings.require_pinned_git_refs && !bounded_semver(&range) {
                out.push(GIT_REF_UNPINNED.at(
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
pub fn check_helm(repo: &HelmRepository, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
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
    // source-controller logs in with the cloud provider only for `type: oci` without
    // `secretRef`, and without any service account of the object's: controller-level
    // identity (helmrepository_controller_oci.go and the HelmChart build, `oidcAuth`).
    if let Some(provider) = spec
        .provider
        .as_deref()
        .filter(|p| oci && spec.secret_ref.is_none() && is_cloud_provider(Some(p)))
    {
        out.push(HELM_OCI_CLOUD_PROVIDER.at(
            "spec.provider",
            format!(
                "is {provider:?} on an OCI HelmRepository without spec.secretRef: HelmRepository has no spec.serviceAccountName, so source-controller pulls the charts with its own {provider} identity, which can reach the platform's registries"
            ),
            "pull the chart with an OCIRepository (spec.provider with spec.serviceAccountName) referenced by the HelmRelease's spec.chartRef, or set spec.secretRef to this namespace's registry credentials",
        ));
    }
    if spec.pass_credentials == Some(true) && !settings.allow_pass_credentials {
        out.push(PASS_CREDENTIALS.at(
            "spec.passCredentials",
            "is true: the repository credentials are sent to every host the index points charts at",
            "remove spec.passCredentials, or host the charts on the repository's own domain",
        ));
    }
    out
}

/// Every rule an OCIRepository breaks.
pub fn check_oci(repo: &OciRepository, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
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
    // The cloud provider logs in only when the keychain built from the object's credentials
    // (`secretRef`) is anonymous, with `serviceAccountName` as the object's own identity
    // (internal/controller/ocirepository_controller.go, the `soci.Anonymous` check).
    if spec.secret_ref.is_none() {
        out.extend(
            cloud_identity(
                ctx,
                spec.provider.as_deref(),
                "spec.provider",
                spec.service_account_name.as_deref(),
                "spec.serviceAccountName",
                "source-controller",
            )
            .map(|f| or_secret(f, "registry credentials")),
        );
    }
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
                Some(range) if !bounded_semver(&range) => out.push(OCI_REF_UNPINNED.at(
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
                    out.push(OCI_REF_UNPINNED.at(
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
pub fn check_bucket(bucket: &Bucket, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let spec = &bucket.spec;
    let mut out = Vec::new();
    let endpoint = spec.endpoint.as_deref().unwrap_or("");
    let name = spec.bucket_name.as_deref().unwrap_or("");
    if endpoint.is_empty() {
        out.push(URL_MISSING.at(
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
            out.push(URL_UNPARSABLE.at(
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
        out.push(PLAIN_HTTP.at(
            "spec.endpoint",
            format!(
                "{endpoint:?} uses plain HTTP to {}, which is not in plainHttpHosts",
                origin.host_port()
            ),
            "use an https endpoint",
        ));
    } else if !matches!(origin.scheme.as_str(), "http" | "https") {
        out.push(SCHEME_NOT_ALLOWED.at(
            "spec.endpoint",
            format!("{endpoint:?} uses scheme {:?}", origin.scheme),
            "write the endpoint as host or host:port",
        ));
    }
    if origin.has_credentials() {
        out.push(URL_CREDENTIALS.at(
            "spec.endpoint",
            format!("{:?} carries credentials", redact(endpoint)),
            "remove them and put them in the Secret named by spec.secretRef",
        ));
    }
    query_credentials("spec.endpoint", &redact(endpoint), &origin, &mut out);
    check_insecure(spec.insecure, Some(&origin), settings, &mut out);
    check_sts(spec.sts.as_ref(), settings, &mut out);
    check_bucket_identity(bucket, ctx, &mut out);
    check_allowlist(
        "spec.endpoint",
        &redact(&url),
        &origin,
        &settings.allowed_origins.bucket,
        &mut out,
    );
    out
}

/// A Bucket with a cloud provider and neither `secretRef` (static credentials) nor
/// `serviceAccountName` uses the controller's identity ("Controller-Level Workload Identity"
/// in docs/spec/v1/buckets.md; the CRD keeps the two fields exclusive). Only v1 has
/// `serviceAccountName`, so a v1beta1 or v1beta2 Bucket can only bring a Secret.
fn check_bucket_identity(bucket: &Bucket, ctx: &Ctx<Settings>, out: &mut Vec<Finding>) {
    let spec = &bucket.spec;
    if spec.secret_ref.is_some() {
        return;
    }
    let finding = cloud_identity(
        ctx,
        spec.provider.as_deref(),
        "spec.provider",
        spec.service_account_name.as_deref(),
        "spec.serviceAccountName",
        "source-controller",
    );
    out.extend(finding.map(|mut f| {
        if ctx.version() == "v1" {
            or_secret(f, "storage credentials")
        } else {
            f.problem = format!(
                "{} ({} has no spec.serviceAccountName)",
                f.problem,
                ctx.api_version
            );
            f.fix = "set spec.secretRef to this namespace's own storage credentials, or write the Bucket as source.toolkit.fluxcd.io/v1 with spec.serviceAccountName (Flux 2.6+ object-level workload identity), or declare controllerLockdown.defaultServiceAccount when source-controller runs with --default-service-account".into();
            f
        }
    }));
}

/// The shared cloud-identity fix, plus the Secret a Bucket or OCIRepository may bring instead.
fn or_secret(mut finding: Finding, what: &str) -> Finding {
    finding.fix = format!(
        "{}; or set spec.secretRef to this namespace's own {what}",
        finding.fix
    );
    finding
}

/// An ArtifactGenerator copies its sources' artifacts into ExternalArtifacts of its own
/// namespace; a source in another namespace is read with source-watcher's rights.
pub fn check_artifact_generator(generator: &References, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let own = ctx.namespace();
    let shared = &ctx.settings.shared_source_namespaces;
    generator
        .spec
        .sources
        .iter()
        .enumerate()
        .filter_map(|(i, source)| {
            let ns = foreign_namespace(source.namespace.as_deref(), own, shared)?;
            let what = format!("{} {ns}/{}", source.kind, source.name);
            Some(cross_namespace(
                format!("spec.sources[{i}].namespace"),
                ns,
                format!("the generator would copy {what}, a source this tenant does not own, into its own artifact"),
                own,
                shared,
            ))
        })
        .collect()
}

/// An ExternalArtifact is made by a controller (source-watcher for ArtifactGenerators, or a
/// third-party source controller) that writes `status.artifact`; kustomize- and
/// helm-controller download whatever URL it names. RFC-0012 ("Policy Enforcement") has
/// admission keep the writers to trusted controllers.
pub fn check_external_artifact(artifact: &References, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let mut out = Vec::new();
    let user = &ctx.request.user_info;
    // Who is a tenant is the identity model's call, with its look-up of the writer's
    // Namespace and ServiceAccount: an operator found without the tenant label is not one,
    // and a look-up that cannot be made counts as a tenant (fail closed).
    let judged = !ctx.settings.allow_tenant_external_artifacts
        && !ctx.identities.is_flux_controller(&user.username);
    if let Some(tenant) = judged
        .then(|| ctx.identities.tenant_of(user, ctx.cluster))
        .flatten()
    {
        let why = &tenant.reason;
        out.push(EXTERNAL_ARTIFACT_WRITER.at(
            "kind",
            format!(
                "is written by {} ({why}): an ExternalArtifact tells kustomize- and helm-controller where to download an artifact (status.artifact.url), so a tenant-made one bypasses every source rule",
                tenant.name
            ),
            "let an ArtifactGenerator (source-watcher) or the platform's own controller produce ExternalArtifacts; list such a controller in platformIdentities, or set allowTenantExternalArtifacts when tenants run their own producer",
        ));
    }
    let own = ctx.namespace();
    let shared = &ctx.settings.shared_source_namespaces;
    if let Some(r) = &artifact.spec.source_ref
        && let Some(ns) = foreign_namespace(r.namespace.as_deref(), own, shared)
    {
        out.push(cross_namespace(
            "spec.sourceRef.namespace".into(),
            ns,
            format!(
                "the artifact would claim to be generated from {} {ns}/{}, an object this tenant does not own",
                r.kind, r.name
            ),
            own,
            shared,
        ));
    }
    out
}

fn cross_namespace(
    field: String,
    ns: &str,
    effect: String,
    own: &str,
    shared: &[String],
) -> Finding {
    let also = if shared.is_empty() {
        String::new()
    } else {
        format!(" or in [{}]", shared.join(", "))
    };
    CROSS_NAMESPACE_SOURCE.at(
        field,
        format!("{ns:?} is another namespace: {effect}"),
        format!("use a source in {own}{also}"),
    )
}

/// `spec.sts.endpoint` is where source-controller exchanges the Bucket's identity (the LDAP
/// user and password of `sts.secretRef`, or the AWS credentials) for temporary ones: over
/// plain HTTP those travel in clear text. The CRD allows `http://` and `https://`.
fn check_sts(sts: Option<&crate::views::BucketSts>, settings: &Settings, out: &mut Vec<Finding>) {
    let Some(endpoint) = sts.and_then(|s| s.endpoint.as_deref()) else {
        return;
    };
    let field = "spec.sts.endpoint";
    let shown = redact(endpoint);
    let origin = match Origin::parse(endpoint) {
        Ok(o) => o,
        Err(e) => {
            out.push(URL_UNPARSABLE.at(
                field,
                format!("{shown:?} {e}"),
                "write spec.sts.endpoint as https://host[:port]/path",
            ));
            return;
        }
    };
    if origin.scheme != "https" && !settings.plain_http_allowed(&origin.host, origin.port) {
        out.push(PLAIN_HTTP.at(
            field,
            format!(
                "{shown:?} sends the STS credentials over {} to {}, which is not in plainHttpHosts",
                origin.scheme,
                origin.host_port()
            ),
            "use an https:// STS endpoint",
        ));
    }
    if origin.has_credentials() {
        out.push(URL_CREDENTIALS.at(
            field,
            format!("{shown:?} carries credentials in the URL"),
            "remove them and put them in the Secret named by spec.sts.secretRef",
        ));
    }
    query_credentials(field, &shown, &origin, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
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
    fn redaction_hides_userinfo_and_query_credentials() {
        assert_eq!(
            redact("https://u:tok@github.com/a@b"),
            "https://***@github.com/a@b"
        );
        assert_eq!(redact("https://github.com/a"), "https://github.com/a");
        assert_eq!(redact("https://h/i?token=x"), "https://h/i?token=***");
        assert_eq!(redact("no scheme@x"), "no scheme@x");
    }

    /// The rule ids a `kind` source with `spec` gets under `settings`, through the whole flow.
    fn rules(kind: &str, spec: serde_json::Value, settings: serde_json::Value) -> Vec<String> {
        let source = json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind,
            "metadata": {"name": "s", "namespace": "team-a"}, "spec": spec
        });
        let tenant = "system:serviceaccount:team-a:flux";
        let verdict = review_create(&POLICY, source, tenant, settings);
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    #[test]
    fn bucket_origin_is_endpoint_and_bucket() {
        let settings = json!({"allowedOrigins": {"bucket": ["https://s3.amazonaws.com/acme"]}});
        let bucket = |endpoint: &str, name: &str| {
            let spec = json!({"endpoint": endpoint, "bucketName": name});
            rules("Bucket", spec, settings.clone())
        };
        assert!(bucket("S3.amazonaws.com:443", "acme").is_empty());
        assert_eq!(
            bucket("s3.amazonaws.com", "acme-evil"),
            ["origin/not-allowed"]
        );
        assert_eq!(
            bucket("s3.amazonaws.com", "acme/../x"),
            ["origin/url-unparsable"]
        );
        assert_eq!(
            bucket("http://s3.amazonaws.com", "acme"),
            ["origin/plain-http", "origin/not-allowed"]
        );
        assert_eq!(bucket("", "acme"), ["origin/url-missing"]);
        assert_eq!(
            bucket("ftp://s3.amazonaws.com", "acme"),
            ["origin/scheme-not-allowed", "origin/not-allowed"]
        );
        let insecure = json!({"endpoint": "minio.local", "bucketName": "b", "insecure": true});
        assert_eq!(
            rules("Bucket", insecure.clone(), json!(null)),
            ["origin/insecure"]
        );
        let minio = json!({"plainHttpHosts": ["minio.local"]});
        assert!(rules("Bucket", insecure, minio).is_empty());
    }

    #[test]
    fn git_urls() {
        let git = |url: &str, settings: serde_json::Value| {
            rules("GitRepository", json!({"url": url}), settings)
        };
        assert!(git("ssh://git@github.com/acme/app", json!(null)).is_empty());
        assert_eq!(git("", json!(null)), ["origin/url-missing"]);
        assert_eq!(
            git("git@github.com:acme/app.git", json!(null)),
            ["origin/url-unparsable"]
        );
        assert_eq!(
            git("https://u:t@github.com/acme/app", json!(null)),
            ["origin/url-credentials"]
        );
        assert_eq!(
            git("http://gitea.local/acme/app", json!(null)),
            ["origin/plain-http"]
        );
        assert!(
            git(
                "http://gitea.local/acme/app",
                json!({"plainHttpHosts": ["gitea.local"]})
            )
            .is_empty()
        );
        let ssh_only = json!({"gitSshOnly": true, "plainHttpHosts": ["gitea.local"]});
        assert_eq!(
            git("https://github.com/acme/app", ssh_only.clone()),
            ["origin/scheme-not-allowed"]
        );
        assert_eq!(
            git("http://gitea.local/acme/app", ssh_only),
            ["origin/scheme-not-allowed"]
        );
        let acme = json!({"allowedOrigins": {"gitRepository": ["https://github.com/acme/"]}});
        assert_eq!(
            git("https://github.com/acme-evil/app", acme),
            ["origin/not-allowed"]
        );
        let private = json!({"privateGitOrigins": ["https://github.com/acme/"]});
        assert_eq!(
            git("https://github.com/acme/app", private.clone()),
            ["origin/private-origin-secret-missing"]
        );
        let with_secret =
            json!({"url": "https://github.com/acme/app", "secretRef": {"name": "key"}});
        assert!(rules("GitRepository", with_secret, private).is_empty());
    }

    #[test]
    fn git_refs() {
        let git = |reference: serde_json::Value, settings: serde_json::Value| {
            let spec = json!({"url": "https://github.com/acme/app", "ref": reference});
            rules("GitRepository", spec, settings)
        };
        let main_only = json!({"allowedGitBranches": ["main", "release-*"]});
        assert!(git(json!({"branch": "release-1"}), main_only.clone()).is_empty());
        assert_eq!(
            git(json!({"branch": "staging"}), main_only.clone()),
            ["origin/git-branch-not-allowed"]
        );
        assert_eq!(
            git(json!({"name": "refs/pull/7/head"}), main_only.clone()),
            ["origin/git-ref-not-branch-or-tag"]
        );
        assert!(git(json!({"tag": "v1"}), main_only).is_empty());
        assert!(git(json!({"name": "refs/pull/7/head"}), json!(null)).is_empty());
        let pinned = json!({"requirePinnedGitRefs": true});
        assert_eq!(
            git(json!({"branch": "main"}), pinned.clone()),
            ["origin/git-ref-unpinned"]
        );
        assert_eq!(
            git(json!({"commit": "abc123"}), pinned.clone()),
            ["origin/git-ref-unpinned"]
        );
        assert_eq!(
            git(json!({"semver": ">=1.0.0"}), pinned.clone()),
            ["origin/git-ref-unpinned"]
        );
        assert!(git(json!({"semver": "~1.2"}), pinned.clone()).is_empty());
        assert!(git(json!({"commit": "a".repeat(40)}), pinned).is_empty());
    }

    #[test]
    fn helm_and_oci() {
        let helm = json!({"url": "https://charts.acme.io/", "passCredentials": true});
        assert_eq!(
            rules("HelmRepository", helm.clone(), json!(null)),
            ["origin/pass-credentials"]
        );
        assert!(
            rules(
                "HelmRepository",
                helm,
                json!({"allowPassCredentials": true})
            )
            .is_empty()
        );
        let oci_url = json!({"url": "oci://ghcr.io/acme/charts"});
        assert_eq!(
            rules("HelmRepository", oci_url, json!(null)),
            ["origin/scheme-not-allowed"]
        );
        let insecure = json!({"url": "oci://ghcr.io/acme/app", "insecure": true});
        assert_eq!(
            rules("OCIRepository", insecure, json!(null)),
            ["origin/insecure"]
        );
        let plain = json!({"url": "http://ghcr.io/acme/app"});
        let hosts = json!({"plainHttpHosts": ["ghcr.io"]});
        assert_eq!(
            rules("OCIRepository", plain, hosts),
            ["origin/scheme-not-allowed"]
        );
        let pinned = json!({"requirePinnedOciRefs": true});
        let tag = json!({"url": "oci://ghcr.io/acme/app", "ref": {"tag": "latest"}});
        assert_eq!(
            rules("OCIRepository", tag, pinned.clone()),
            ["origin/oci-ref-unpinned"]
        );
        let digest = json!({"url": "oci://ghcr.io/acme/app", "ref": {"digest": "sha256:0"}});
        assert!(rules("OCIRepository", digest, pinned).is_empty());
    }

    #[test]
    fn platform_namespaces_are_exempt() {
        let source = json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "s", "namespace": "flux-system"}, "spec": {"url": "http://x/y"}
        });
        let verdict = review_create(&POLICY, source, "admin", json!(null));
        assert!(verdict.findings.is_empty());
    }

    /// The rule ids `object` gets from `username` under `settings`.
    fn rules_of(
        object: serde_json::Value,
        username: &str,
        settings: serde_json::Value,
    ) -> Vec<String> {
        let verdict = review_create(&POLICY, object, username, settings);
        verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect()
    }

    #[test]
    fn cloud_providers_need_an_identity_of_their_own() {
        let lockdown = json!({"controllerLockdown": {"defaultServiceAccount": true}});
        let git = |spec: serde_json::Value, settings: serde_json::Value| {
            let mut spec = spec;
            spec["url"] = json!("https://dev.azure.com/acme/app/_git/app");
            rules("GitRepository", spec, settings)
        };
        assert_eq!(
            git(json!({"provider": "azure"}), json!(null)),
            ["identity/controller-cloud-identity"]
        );
        // A Secret does not replace the workload identity of a Git provider.
        assert_eq!(
            git(
                json!({"provider": "aws", "secretRef": {"name": "k"}}),
                json!(null)
            ),
            ["identity/controller-cloud-identity"]
        );
        assert!(
            git(
                json!({"provider": "azure", "serviceAccountName": "git"}),
                json!(null)
            )
            .is_empty()
        );
        assert!(
            git(
                json!({"provider": "azure", "serviceAccountName": " "}),
                lockdown.clone()
            )
            .is_empty()
        );
        assert!(
            git(
                json!({"provider": "github", "secretRef": {"name": "app"}}),
                json!(null)
            )
            .is_empty()
        );
        assert!(git(json!({"provider": "generic"}), json!(null)).is_empty());
        assert_eq!(
            git(
                json!({"provider": "azure", "serviceAccountName": ""}),
                json!(null)
            ),
            ["identity/controller-cloud-identity"]
        );

        let oci = |spec: serde_json::Value| {
            let mut spec = spec;
            spec["url"] = json!("oci://123.dkr.ecr.eu-west-1.amazonaws.com/app");
            rules("OCIRepository", spec, json!(null))
        };
        assert_eq!(
            oci(json!({"provider": "aws"})),
            ["identity/controller-cloud-identity"]
        );
        assert!(oci(json!({"provider": "aws", "secretRef": {"name": "ecr"}})).is_empty());
        assert!(oci(json!({"provider": "gcp", "serviceAccountName": "pull"})).is_empty());
        assert!(oci(json!({})).is_empty());

        let bucket = |version: &str, spec: serde_json::Value| {
            let mut spec = spec;
            spec["endpoint"] = json!("s3.amazonaws.com");
            spec["bucketName"] = json!("acme");
            let object = json!({
                "apiVersion": format!("source.toolkit.fluxcd.io/{version}"), "kind": "Bucket",
                "metadata": {"name": "b", "namespace": "team-a"}, "spec": spec
            });
            let verdict = review_create(
                &POLICY,
                object,
                "system:serviceaccount:team-a:flux",
                json!(null),
            );
            verdict.findings
        };
        let found = bucket("v1", json!({"provider": "aws"}));
        assert_eq!(found[0].rule, "identity/controller-cloud-identity");
        assert!(found[0].fix.contains("spec.secretRef"), "{}", found[0].fix);
        let found = bucket("v1beta2", json!({"provider": "azure"}));
        assert!(
            found[0]
                .problem
                .contains("v1beta2 has no spec.serviceAccountName"),
            "{}",
            found[0].problem
        );
        assert!(
            found[0].fix.contains("source.toolkit.fluxcd.io/v1"),
            "{}",
            found[0].fix
        );
        assert!(
            bucket(
                "v1beta1",
                json!({"provider": "gcp", "secretRef": {"name": "key"}})
            )
            .is_empty()
        );
        assert!(
            bucket(
                "v1",
                json!({"provider": "gcp", "serviceAccountName": "gcs"})
            )
            .is_empty()
        );
        assert!(bucket("v1", json!({"provider": "generic"})).is_empty());
    }

    #[test]
    fn oci_helm_repositories_cannot_use_a_cloud_provider() {
        let helm = |spec: serde_json::Value| rules("HelmRepository", spec, json!(null));
        let ecr = "oci://123.dkr.ecr.eu-west-1.amazonaws.com/charts";
        assert_eq!(
            helm(json!({"url": ecr, "type": "oci", "provider": "aws"})),
            ["origin/helm-oci-cloud-provider"]
        );
        // The lockdown gives a HelmRepository no identity: it has no service account field.
        let lockdown = json!({"controllerLockdown": {"defaultServiceAccount": true}});
        assert_eq!(
            rules(
                "HelmRepository",
                json!({"url": ecr, "type": "oci", "provider": "gcp"}),
                lockdown
            ),
            ["origin/helm-oci-cloud-provider"]
        );
        assert!(
            helm(
                json!({"url": ecr, "type": "oci", "provider": "aws", "secretRef": {"name": "ecr"}})
            )
            .is_empty()
        );
        assert!(helm(json!({"url": ecr, "type": "oci", "provider": "generic"})).is_empty());
        // Without `type: oci` the provider is not read.
        assert!(helm(json!({"url": "https://charts.acme.io", "provider": "azure"})).is_empty());
    }

    #[test]
    fn artifact_generators_read_their_own_namespace() {
        let generator = |sources: serde_json::Value, settings: serde_json::Value| {
            let object = json!({
                "apiVersion": "source.extensions.fluxcd.io/v1beta1", "kind": "ArtifactGenerator",
                "metadata": {"name": "g", "namespace": "team-a"},
                "spec": {"sources": sources, "artifacts": [{"name": "a", "copy": [{"from": "@x/**", "to": "@artifact/"}]}]}
            });
            rules_of(object, "system:serviceaccount:team-a:flux", settings)
        };
        let source = |ns: serde_json::Value| json!([{"alias": "x", "kind": "GitRepository", "name": "app", "namespace": ns}]);
        assert!(generator(source(json!(null)), json!(null)).is_empty());
        assert!(generator(source(json!("team-a")), json!(null)).is_empty());
        assert_eq!(
            generator(source(json!("flux-system")), json!(null)),
            ["origin/cross-namespace-source"]
        );
        assert!(
            generator(
                source(json!("shared")),
                json!({"sharedSourceNamespaces": ["shared"]})
            )
            .is_empty()
        );
        let two = json!([
            {"alias": "a", "kind": "OCIRepository", "name": "a", "namespace": "team-b"},
            {"alias": "b", "kind": "Bucket", "name": "b"},
            {"alias": "c", "kind": "ExternalArtifact", "name": "c", "namespace": "team-c"}
        ]);
        let object = json!({
            "apiVersion": "source.extensions.fluxcd.io/v1beta1", "kind": "ArtifactGenerator",
            "metadata": {"name": "g", "namespace": "team-a"}, "spec": {"sources": two}
        });
        let verdict = review_create(&POLICY, object, "u", json!(null));
        let fields: Vec<&str> = verdict.findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["spec.sources[0].namespace", "spec.sources[2].namespace"]
        );
        // The platform's own generators are not judged.
        let platform = json!({
            "apiVersion": "source.extensions.fluxcd.io/v1beta1", "kind": "ArtifactGenerator",
            "metadata": {"name": "g", "namespace": "flux-system"}, "spec": {"sources": source(json!("team-a"))}
        });
        assert!(rules_of(platform, "u", json!(null)).is_empty());
    }

    #[test]
    fn external_artifacts_are_written_by_controllers() {
        let artifact = |source_ref: serde_json::Value| {
            json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "ExternalArtifact",
                "metadata": {"name": "a", "namespace": "team-a"}, "spec": {"sourceRef": source_ref}
            })
        };
        let generated = artifact(json!({"apiVersion": "source.extensions.fluxcd.io/v1beta1",
            "kind": "ArtifactGenerator", "name": "g", "namespace": "team-a"}));
        let watcher = "system:serviceaccount:flux-system:source-watcher";
        assert!(rules_of(generated.clone(), watcher, json!(null)).is_empty());
        // Flux's controllers are known even outside the platform namespaces.
        let flux_only = json!({"platformNamespaces": []});
        assert!(rules_of(generated.clone(), watcher, flux_only).is_empty());
        assert!(
            rules_of(
                generated.clone(),
                "system:serviceaccount:kube-system:release-controller",
                json!(null)
            )
            .is_empty()
        );
        let tenant = "system:serviceaccount:team-a:flux";
        assert_eq!(
            rules_of(generated.clone(), tenant, json!(null)),
            ["origin/external-artifact-writer"]
        );
        let operator = "system:serviceaccount:release-system:release-controller";
        assert_eq!(
            rules_of(generated.clone(), operator, json!(null)),
            ["origin/external-artifact-writer"]
        );
        let named = json!({"platformIdentities": [operator]});
        assert!(rules_of(generated.clone(), operator, named).is_empty());
        let allowed = json!({"allowTenantExternalArtifacts": true});
        assert!(rules_of(generated, tenant, allowed.clone()).is_empty());
        let elsewhere =
            artifact(json!({"kind": "GitHubRelease", "name": "r", "namespace": "team-b"}));
        assert_eq!(
            rules_of(elsewhere.clone(), tenant, allowed),
            ["origin/cross-namespace-source"]
        );
        assert_eq!(
            rules_of(elsewhere, tenant, json!(null)),
            [
                "origin/external-artifact-writer",
                "origin/cross-namespace-source"
            ]
        );
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        for (i, rule) in RULES.iter().enumerate() {
            // The cloud-identity rule is the one every policy with cloud providers shares.
            let shared = rule.id == CLOUD_IDENTITY.id;
            assert!(rule.id.starts_with("origin/") || shared, "{}", rule.id);
            assert!(RULES[..i].iter().all(|r| r.id != rule.id), "{}", rule.id);
        }
    }
}
