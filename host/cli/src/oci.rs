//! Kubewarden policies as OCI artifacts: `fluxgate push` / `fluxgate pull`.
//!
//! The artifact is what `kwctl push` makes (policy-fetcher on oci-client, the same crate and
//! version used here): one layer `application/vnd.wasm.content.layer.v1+wasm` holding the
//! annotated module, the config blob `{}` typed `application/vnd.wasm.config.v1+json`, and the
//! metadata's single-line annotations on the manifest. Pull accepts only that layer type and
//! checks the layer's sha256 against the manifest.

use anyhow::{Context, bail, ensure};
use fluxgate_protocol::metadata::Metadata;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::OciImageManifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::IpAddr;

pub const WASM_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+wasm";
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v1+json";

/// Environment variables that take precedence over the docker config.
pub const USERNAME_ENV: &str = "FLUXGATE_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "FLUXGATE_REGISTRY_PASSWORD";

/// How to reach the registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Plain HTTP. Allowed only for a loopback registry (a local test registry): credentials
    /// and modules must never cross a network unencrypted.
    pub insecure: bool,
}

/// The outcome of a push: `repository@sha256:…`, the reference nothing can move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub immutable_ref: String,
    pub digest: String,
}

#[derive(Debug, Clone)]
pub struct Pulled {
    pub wasm: Vec<u8>,
    pub manifest_digest: String,
    pub layer_digest: String,
}

/// `registry://ghcr.io/o/p:v1` or `ghcr.io/o/p:v1` → a reference (Kubewarden's URI scheme is
/// optional here, like kwctl's).
pub fn parse_reference(uri: &str) -> anyhow::Result<Reference> {
    let bare = uri.strip_prefix("registry://").unwrap_or(uri);
    ensure!(
        !bare.contains("://"),
        "{uri}: only registry:// references are supported"
    );
    bare.parse::<Reference>()
        .with_context(|| format!("{uri}: not an OCI reference (registry/repository:tag)"))
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The manifest annotations kwctl derives from the metadata: single-line values only
/// (the README in `usage` is dropped), trimmed, plus `org.opencontainers.image.source`.
pub fn manifest_annotations(metadata: &Metadata) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = metadata
        .annotations
        .iter()
        .filter(|(_, v)| !v.trim().contains('\n'))
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    if let Some(source) = out.get("io.kubewarden.policy.source").cloned() {
        out.entry("org.opencontainers.image.source".into())
            .or_insert(source);
    }
    out
}

/// Pushes an annotated policy module by tag and returns its digest.
pub fn push(wasm: &[u8], uri: &str, options: &RegistryOptions) -> anyhow::Result<Pushed> {
    let metadata = Metadata::from_module(wasm)?.context(
        "the module is not annotated: run `fluxgate annotate` first (policy-server refuses \
         unannotated modules)",
    )?;
    let reference = parse_reference(uri)?;
    ensure!(
        reference.digest().is_none(),
        "{uri}: push by tag, not by digest"
    );
    let (client, auth) = connect(&reference, options)?;
    let layers = [ImageLayer::new(
        wasm.to_vec(),
        WASM_LAYER_MEDIA_TYPE.into(),
        None,
    )];
    let config = Config::new(b"{}".to_vec(), WASM_CONFIG_MEDIA_TYPE.into(), None);
    let manifest = OciImageManifest::build(&layers, &config, Some(manifest_annotations(&metadata)));
    block_on(async {
        client
            .push(&reference, &layers, config, &auth, Some(manifest))
            .await
            .with_context(|| format!("pushing to {}", reference.whole()))?;
        let digest = client
            .fetch_manifest_digest(&reference, &auth)
            .await
            .with_context(|| format!("reading back the digest of {}", reference.whole()))?;
        Ok(Pushed {
            immutable_ref: format!(
                "{}/{}@{digest}",
                reference.registry(),
                reference.repository()
            ),
            digest,
        })
    })
}

/// Pulls a policy module and verifies its layer against the manifest (and the manifest
/// against the reference's digest, when it has one).
pub fn pull(uri: &str, options: &RegistryOptions) -> anyhow::Result<Pulled> {
    let reference = parse_reference(uri)?;
    let (client, auth) = connect(&reference, options)?;
    let image = block_on(async {
        client
            .pull(&reference, &auth, vec![WASM_LAYER_MEDIA_TYPE])
            .await
            .with_context(|| format!("pulling {}", reference.whole()))
    })?;
    let manifest = image
        .manifest
        .context("the registry returned no manifest")?;
    ensure!(
        manifest.layers.len() == 1 && image.layers.len() == 1,
        "{}: a Kubewarden policy has exactly one layer, this artifact has {}",
        reference.whole(),
        manifest.layers.len()
    );
    let layer = image
        .layers
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!());
    let expected = &manifest.layers[0].digest;
    let actual = sha256_digest(&layer.data);
    if &actual != expected {
        bail!(
            "{}: the layer's content is {actual} but the manifest says {expected}: refusing a \
             tampered or corrupt module",
            reference.whole()
        );
    }
    let manifest_digest = image.digest.unwrap_or_default();
    if let Some(wanted) = reference.digest() {
        ensure!(
            manifest_digest == wanted,
            "{}: the registry served manifest {manifest_digest}",
            reference.whole()
        );
    }
    Ok(Pulled {
        wasm: layer.data.to_vec(),
        manifest_digest,
        layer_digest: actual,
    })
}

fn connect(
    reference: &Reference,
    options: &RegistryOptions,
) -> anyhow::Result<(Client, RegistryAuth)> {
    let registry = reference.resolve_registry().to_string();
    let protocol = if options.insecure {
        ensure!(
            is_loopback(&registry),
            "--insecure (plain HTTP) is allowed only for a registry on this machine \
             (localhost, 127.0.0.0/8, [::1]); {registry} is not"
        );
        ClientProtocol::HttpsExcept(vec![registry.clone()])
    } else {
        ClientProtocol::Https
    };
    let client = Client::new(ClientConfig {
        protocol,
        ..Default::default()
    });
    Ok((client, credentials(&registry)?))
}

/// Host part of `host[:port]`, with IPv6 brackets.
fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Credentials: `FLUXGATE_REGISTRY_USERNAME`/`_PASSWORD`, else the docker config
/// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, credential helpers included),
/// else anonymous.
fn credentials(registry: &str) -> anyhow::Result<RegistryAuth> {
    match (std::env::var(USERNAME_ENV), std::env::var(PASSWORD_ENV)) {
        (Ok(user), Ok(password)) => return Ok(RegistryAuth::Basic(user, password)),
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
            bail!("set both {USERNAME_ENV} and {PASSWORD_ENV}, or neither")
        }
        _ => {}
    }
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    let config = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")))
        .map(|dir| dir.join("config.json"));
    if !config.is_some_and(|c| c.exists()) {
        return Ok(RegistryAuth::Anonymous);
    }
    match docker_credential::get_credential(registry) {
        Ok(DockerCredential::UsernamePassword(user, password)) => {
            Ok(RegistryAuth::Basic(user, password))
        }
        Ok(DockerCredential::IdentityToken(_)) => bail!(
            "the docker config holds an identity token for {registry}; log in with a username \
             and password (or token) instead"
        ),
        Err(E::NoCredentialConfigured | E::ConfigNotFound) => Ok(RegistryAuth::Anonymous),
        Err(e) => bail!("reading docker credentials for {registry}: {e}"),
    }
}

fn block_on<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_accept_kubewardens_scheme() {
        let r = parse_reference("registry://ghcr.io/fluxgate-dev/fluxgate/source-origin:v0.1.0")
            .unwrap();
        assert_eq!(r.registry(), "ghcr.io");
        assert_eq!(r.repository(), "fluxgate-dev/fluxgate/source-origin");
        assert_eq!(r.tag(), Some("v0.1.0"));
        assert!(parse_reference("https://ghcr.io/x:y").is_err());
        assert!(parse_reference("registry://UPPER/Case:tag").is_err());
    }

    #[test]
    fn only_loopback_registries_may_be_insecure() {
        for ok in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.9.9.9",
            "[::1]:5000",
            "LOCALHOST",
        ] {
            assert!(is_loopback(ok), "{ok}");
        }
        for no in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.evil.io:5000",
            "[::2]:1",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn manifest_annotations_drop_multiline_values_and_add_the_oci_source() {
        let mut metadata = Metadata::default();
        metadata.annotations.insert(
            "io.kubewarden.policy.usage".into(),
            "# README\n\ntext".into(),
        );
        metadata.annotations.insert(
            "io.kubewarden.policy.title".into(),
            " source-origin ".into(),
        );
        metadata.annotations.insert(
            "io.kubewarden.policy.source".into(),
            "https://github.com/o/r".into(),
        );
        let a = manifest_annotations(&metadata);
        assert!(!a.contains_key("io.kubewarden.policy.usage"));
        assert_eq!(a["io.kubewarden.policy.title"], "source-origin");
        assert_eq!(
            a["org.opencontainers.image.source"],
            "https://github.com/o/r"
        );
    }

    #[test]
    fn digests_are_sha256_of_the_bytes() {
        assert_eq!(
            sha256_digest(b"{}"),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
