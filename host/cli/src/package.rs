//! Files generated from a policy's `metadata.yml`, so they cannot disagree with it:
//! the `ClusterAdmissionPolicy` that deploys it and the ArtifactHub package description.
//! Field mapping follows `kwctl scaffold manifest` and `kwctl scaffold artifacthub`.

use anyhow::{Context, ensure};
use fluxgate_protocol::metadata::{ContextAwareResource, Metadata};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
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
    module: String,
    mode: &'static str,
    settings: &'a Value,
    rules: &'a [Value],
    mutating: bool,
    background_audit: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    context_aware_resources: &'a [ContextAwareResource],
}

/// The `ClusterAdmissionPolicy` (policies.kubewarden.io/v1) that runs the policy in
/// `protect` mode with `settings`, granting exactly its declared context-aware resources.
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
    let policy = ClusterAdmissionPolicy {
        api_version: "policies.kubewarden.io/v1",
        kind: "ClusterAdmissionPolicy",
        metadata: ObjectMeta {
            name: source.annotation("io.kubewarden.policy.title")?,
            annotations,
        },
        spec: PolicySpec {
            module: format!("registry://{}", source.image()),
            mode: "protect",
            settings: settings_or_empty,
            rules: &m.rules,
            mutating: m.mutating,
            background_audit: m.background_audit,
            context_aware_resources: &m.context_aware_resources,
        },
    };
    Ok(format!(
        "# Generated from policies/{}/metadata.yml by `just manifests`; do not edit.\n{}",
        source.name,
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
