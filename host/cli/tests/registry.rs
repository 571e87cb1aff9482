//! Publishing against a real OCI registry: Debian's `docker-registry` (the CNCF distribution
//! registry) started on 127.0.0.1 for each test, and `skopeo` as an independent client.
//! `./scripts/setup.sh` installs both; the policies must be built (`just build`).
//!
//! Every policy is annotated, pushed by tag and pulled back byte for byte; the manifest is
//! read with skopeo; a tampered blob, a stopped registry, wrong credentials, an unannotated or
//! corrupt module are all refused with a clear error and a non-zero exit.

use fluxgate_cli::annotate::{self, AnnotateInput};
use fluxgate_cli::oci::{self, RegistryOptions, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use fluxgate_protocol::metadata::Metadata;
use fluxgate_runtime::runtime::{Limits, Runtime};
use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A registry process on a free loopback port, its storage in a temporary directory.
struct Registry {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Registry {
    fn start(name: &str, htpasswd: Option<(&str, &str)>) -> Self {
        let dir =
            std::env::temp_dir().join(format!("fluxgate-registry-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        if let Some((user, password)) = htpasswd {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd (Debian apache2-utils) is missing: run ./scripts/setup.sh");
            std::fs::write(dir.join("htpasswd"), &out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd: {{realm: fluxgate-test, path: {}}}\n",
                dir.join("htpasswd").display()
            ));
        }
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (Debian package) is missing: run ./scripts/setup.sh");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry { child, port, dir }
    }

    fn uri(&self, path: &str) -> String {
        format!("registry://127.0.0.1:{}/{path}", self.port)
    }

    /// The file holding a blob in the registry's filesystem storage.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const INSECURE: RegistryOptions = RegistryOptions { insecure: true };

/// Every policy crate (a directory with fixtures) and its built module.
fn policies() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("policies")).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("fixtures").is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, dir));
        }
    }
    out.sort();
    assert!(out.len() >= 3, "publishing needs the policies");
    out
}

fn wasm_of(name: &str) -> Vec<u8> {
    let path = repo_root()
        .join("target/policies")
        .join(format!("{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run `just build` first", path.display()))
}

fn annotated(runtime: &Runtime, name: &str, dir: &Path) -> Vec<u8> {
    let metadata = std::fs::read_to_string(dir.join("metadata.yml")).unwrap();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let input = AnnotateInput {
        metadata_yaml: &metadata,
        usage: Some(&readme),
        crate_version: None,
    };
    annotate::annotate(runtime, &wasm_of(name), &input).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

fn skopeo_raw_manifest(registry: &Registry, path: &str) -> Vec<u8> {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://127.0.0.1:{}/{path}", registry.port))
        .output()
        .expect("skopeo (Debian package) is missing: run ./scripts/setup.sh");
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn fluxgate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fluxgate"));
    cmd.args(args)
        .env_remove(oci::USERNAME_ENV)
        .env_remove(oci::PASSWORD_ENV);
    // No developer's docker config leaks into the tests.
    cmd.env(
        "DOCKER_CONFIG",
        std::env::temp_dir().join("fluxgate-no-docker-config"),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn every_policy_round_trips_through_a_real_registry() {
    let registry = Registry::start("roundtrip", None);
    let runtime = Runtime::new(Limits::default()).unwrap();
    for (name, dir) in policies() {
        let module = annotated(&runtime, &name, &dir);
        let path = format!("fluxgate/{name}:v0.1.0");
        let pushed = oci::push(&module, &registry.uri(&path), &INSECURE)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(
            pushed.immutable_ref,
            format!(
                "127.0.0.1:{}/fluxgate/{name}@{}",
                registry.port, pushed.digest
            )
        );

        // An independent client sees the manifest kwctl would have pushed.
        let raw = skopeo_raw_manifest(&registry, &path);
        assert_eq!(
            oci::sha256_digest(&raw),
            pushed.digest,
            "{name}: digest of the manifest bytes"
        );
        let manifest: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(manifest["schemaVersion"], 2);
        assert!(manifest.get("mediaType").is_none() && manifest.get("artifactType").is_none());
        assert_eq!(manifest["config"]["mediaType"], WASM_CONFIG_MEDIA_TYPE);
        assert_eq!(manifest["config"]["size"], 2);
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1, "{name}");
        assert_eq!(layers[0]["mediaType"], WASM_LAYER_MEDIA_TYPE);
        assert_eq!(layers[0]["digest"], oci::sha256_digest(&module));
        assert_eq!(layers[0]["size"], module.len());
        let annotations = &manifest["annotations"];
        assert_eq!(annotations["io.kubewarden.policy.title"], name.as_str());
        assert!(
            annotations.get("io.kubewarden.policy.usage").is_none(),
            "multi-line README dropped"
        );
        assert_eq!(
            annotations["org.opencontainers.image.source"],
            annotations["io.kubewarden.policy.source"]
        );

        // Pulled back by tag and by digest: the same bytes, still annotated.
        for uri in [
            registry.uri(&path),
            format!("registry://{}", pushed.immutable_ref),
        ] {
            let pulled = oci::pull(&uri, &INSECURE).unwrap_or_else(|e| panic!("{uri}: {e:#}"));
            assert_eq!(pulled.wasm, module, "{uri}");
            assert_eq!(pulled.manifest_digest, pushed.digest);
            let metadata = Metadata::from_module(&pulled.wasm).unwrap().unwrap();
            assert_eq!(metadata.protocol_version.as_deref(), Some("v1"));
        }
    }
}

#[test]
fn a_tampered_layer_is_refused_on_pull() {
    let registry = Registry::start("tamper", None);
    let runtime = Runtime::new(Limits::default()).unwrap();
    let (name, dir) = policies().remove(0);
    let module = annotated(&runtime, &name, &dir);
    let uri = registry.uri("fluxgate/tampered:v1");
    oci::push(&module, &uri, &INSECURE).unwrap();

    let blob = registry.blob_file(&oci::sha256_digest(&module));
    let mut bytes = std::fs::read(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();

    let out = fluxgate(&["pull", &uri, "--insecure", "-o", "/dev/null"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Invalid digest") || stderr.contains("tampered"),
        "{stderr}"
    );
}

#[test]
fn credentials_are_required_and_checked() {
    let registry = Registry::start("auth", Some(("ci", "s3cret")));
    let runtime = Runtime::new(Limits::default()).unwrap();
    let (name, dir) = policies().remove(0);
    let module_path =
        std::env::temp_dir().join(format!("fluxgate-auth-{}.wasm", std::process::id()));
    std::fs::write(&module_path, annotated(&runtime, &name, &dir)).unwrap();
    let module = module_path.to_str().unwrap();
    let uri = registry.uri("fluxgate/private:v1");

    let anonymous = fluxgate(&["push", module, &uri, "--insecure"], &[]);
    let wrong = fluxgate(
        &["push", module, &uri, "--insecure"],
        &[(oci::USERNAME_ENV, "ci"), (oci::PASSWORD_ENV, "wrong")],
    );
    for out in [&anonymous, &wrong] {
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("pushing to") && stderr.contains("401")
                || stderr.contains("nauthorized"),
            "{stderr}"
        );
    }

    let right = [(oci::USERNAME_ENV, "ci"), (oci::PASSWORD_ENV, "s3cret")];
    let ok = fluxgate(&["push", module, &uri, "--insecure", "--json"], &right);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let printed: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert!(
        printed["immutable_ref"]
            .as_str()
            .unwrap()
            .contains("/fluxgate/private@sha256:")
    );

    // The same credentials from a docker config file.
    let config_dir =
        std::env::temp_dir().join(format!("fluxgate-docker-config-{}", std::process::id()));
    std::fs::create_dir_all(&config_dir).unwrap();
    let auth = base64_basic("ci", "s3cret");
    std::fs::write(
        config_dir.join("config.json"),
        format!(
            r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "{auth}"}}}}}}"#,
            registry.port
        ),
    )
    .unwrap();
    let pulled = std::env::temp_dir().join(format!("fluxgate-pulled-{}.wasm", std::process::id()));
    let out = fluxgate(
        &["pull", &uri, "--insecure", "-o", pulled.to_str().unwrap()],
        &[("DOCKER_CONFIG", config_dir.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&pulled).unwrap(),
        std::fs::read(&module_path).unwrap()
    );
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn bad_input_gives_clear_errors_and_a_failing_exit() {
    let registry = Registry::start("errors", None);
    let plain = repo_root().join("target/policies/git-commit-verification.wasm");
    let plain = plain.to_str().unwrap();

    // An unannotated module: policy-server would refuse it, so push does too.
    let out = fluxgate(&["push", plain, &registry.uri("x/y:v1"), "--insecure"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not annotated"));

    // A corrupt module cannot be annotated.
    let corrupt =
        std::env::temp_dir().join(format!("fluxgate-corrupt-{}.wasm", std::process::id()));
    let mut bytes = std::fs::read(plain).unwrap();
    bytes.truncate(bytes.len() / 3);
    std::fs::write(&corrupt, bytes).unwrap();
    let metadata = repo_root().join("policies/git-commit-verification/metadata.yml");
    let out = fluxgate(
        &[
            "annotate",
            corrupt.to_str().unwrap(),
            "-m",
            metadata.to_str().unwrap(),
            "-o",
            "/dev/null",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A tag that does not exist, and a registry that is down.
    let out = fluxgate(
        &[
            "pull",
            &registry.uri("fluxgate/nothing:v9"),
            "--insecure",
            "-o",
            "/dev/null",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("manifest unknown")
            || String::from_utf8_lossy(&out.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let down = registry.uri("fluxgate/x:v1");
    drop(registry);
    let out = fluxgate(&["pull", &down, "--insecure", "-o", "/dev/null"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Connection refused"));

    // Plain HTTP to a remote registry is never allowed.
    let out = fluxgate(
        &[
            "pull",
            "registry://ghcr.io/x/y:v1",
            "--insecure",
            "-o",
            "/dev/null",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only for a registry on this machine"));

    // A policy directory that does not exist.
    let out = fluxgate(&["manifest", "policies/no-such-policy"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-policy/metadata.yml"));
}
