//! Container image references (`ImageRepository.spec.image`, Pod images) in their normal
//! form, and allowlists of registry/repository prefixes matched safely.
//!
//! The first path component is a registry when it contains `.` or `:` or is `localhost`
//! (go-containerregistry's rule, which Flux uses); otherwise the image is on Docker Hub.
//! So `nginx`, `library/nginx`, `docker.io/nginx` and `index.docker.io/library/nginx` are
//! one repository, `docker.io/library/nginx`. Registry hosts compare case-insensitively with
//! `:443` dropped; repository paths are case-sensitive (and must be lower-case anyway).

use std::fmt;

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Lower-case `host[:port]`, Docker Hub spelt `docker.io`, `:443` dropped.
    pub registry: String,
    /// `library/nginx`, `acme/app/api`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRefError(pub String);

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ImageRefError> {
    Err(ImageRefError(msg.into()))
}

impl ImageRef {
    /// Parses `[registry[:port]/]path[:tag][@digest]`.
    pub fn parse(text: &str) -> Result<ImageRef, ImageRefError> {
        if text.is_empty() {
            return err("is empty");
        }
        if text.len() > 1024 {
            return err("is longer than 1024 characters");
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("contains whitespace or control characters");
        }
        if text.contains("://") {
            return err("has a URL scheme; an image reference has none (ghcr.io/org/app)");
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                check_digest(d)?;
                (r, Some(d.to_string()))
            }
            None => (text, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &rest[last_slash + i + 1..];
                check_tag(tag)?;
                (&rest[..last_slash + i], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        let (registry, path) = split_registry(name)?;
        check_repository(&path)?;
        Ok(ImageRef {
            registry,
            repository: path,
            tag,
            digest,
        })
    }

    /// `registry/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Splits off and normalises the registry; adds `library/` to one-part Docker Hub names.
fn split_registry(name: &str) -> Result<(String, String), ImageRefError> {
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (normalise_registry(first)?, rest.to_string())
        }
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    };
    let path = if registry == DOCKER_HUB && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    Ok((registry, path))
}

/// Lower-cases a `host[:port]`, drops `:443`, and spells Docker Hub's aliases `docker.io`.
pub fn normalise_registry(registry: &str) -> Result<String, ImageRefError> {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inside, after)) => (format!("[{inside}]"), after.strip_prefix(':')),
            None => return err(format!("registry {registry:?} is not a valid host")),
        }
    } else {
        match registry.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (registry.to_string(), None),
        }
    };
    let host = host.to_ascii_lowercase();
    let valid_host = if host.starts_with('[') {
        host.len() > 2
            && host[1..host.len() - 1]
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':')
    } else {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    if !valid_host {
        return err(format!("registry {registry:?} is not a valid host"));
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => {
            match p.parse::<u16>() {
                // `:443` is the default port, but only a host that still reads as a registry
                // without it may lose it: `a:443/x` is registry `a`, while `a/x` is Docker
                // Hub's `a/x` (the first component is a registry when it has `.` or `:` or
                // is `localhost`, distribution/reference's `splitDockerDomain`).
                Ok(443) if host.contains('.') || host == "localhost" || host.starts_with('[') => {
                    None
                }
                Ok(n) => Some(n),
                Err(_) => return err(format!("registry {registry:?} has an invalid port")),
            }
        }
        Some(_) => return err(format!("registry {registry:?} has an invalid port")),
    };
    let host = match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    };
    Ok(match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// Path components: lower-case alphanumerics joined by `.`, `_`, `__` or runs of `-`.
fn check_repository(path: &str) -> Result<(), ImageRefError> {
    if path.is_empty() {
        return err("names no repository");
    }
    for component in path.split('/') {
        let ok = !component.is_empty()
            && component.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && !component.contains("..")
            && !component.contains("___")
            && !component.contains("._")
            && !component.contains("_.");
        if !ok {
            return err(format!(
                "has an invalid repository path component {component:?} (lower-case letters, digits and . _ - only)"
            ));
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), ImageRefError> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        err(format!("has an invalid tag {tag:?}"))
    }
}

fn check_digest(digest: &str) -> Result<(), ImageRefError> {
    let ok = digest.split_once(':').is_some_and(|(alg, hex)| {
        !alg.is_empty()
            && alg
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
            && hex.len() >= 32
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        err(format!("has an invalid digest {digest:?}"))
    }
}

/// One allowlist entry: a whole registry (`ghcr.io`, `registry.acme.io:5000/`) or a
/// repository prefix (`ghcr.io/acme`, `nginx` = `docker.io/library/nginx`, while
/// `docker.io/bitnami/` with its trailing slash is the `bitnami` namespace). A prefix matches
/// the repository itself and everything below it at a `/` boundary, never `acme-evil`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePrefix {
    registry: String,
    /// Empty: the whole registry.
    path: String,
    text: String,
}

impl ImagePrefix {
    pub fn parse(text: &str) -> Result<ImagePrefix, ImageRefError> {
        let trimmed = text.trim_end_matches('/');
        if trimmed.is_empty() {
            return err("is empty");
        }
        if trimmed.contains('@') {
            return err("names a digest; list registries or repositories");
        }
        let first = trimmed.split('/').next().unwrap_or(trimmed);
        let registry_only = !trimmed.contains('/')
            && (first.contains(['.', ':']) || first == "localhost" || text.ends_with('/'));
        if registry_only {
            return Ok(ImagePrefix {
                registry: normalise_registry(first)?,
                path: String::new(),
                text: text.to_string(),
            });
        }
        let r = ImageRef::parse(trimmed)?;
        if r.tag.is_some() {
            return err("names a tag; list registries or repositories");
        }
        // `docker.io/bitnami/` (trailing slash) is the `bitnami` namespace on Docker Hub, not
        // the official image `library/bitnami` that `docker.io/bitnami` would name.
        let path = match r.repository.strip_prefix("library/") {
            Some(p) if text.ends_with('/') && !trimmed.contains("library/") => p.to_string(),
            _ => r.repository,
        };
        Ok(ImagePrefix {
            registry: r.registry,
            path,
            text: text.to_string(),
        })
    }

    /// The entry as written, for messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The normal form, e.g. `docker.io/library/nginx` or `ghcr.io/` for a whole registry.
    pub fn normal(&self) -> String {
        format!("{}/{}", self.registry, self.path)
    }

    pub fn matches(&self, image: &ImageRef) -> bool {
        self.registry == image.registry
            && crate::origin::path_within(
                &format!("/{}", image.repository),
                &format!("/{}", self.path),
            )
    }
}

/// Parses a list of prefixes from settings, naming the first bad one.
pub fn parse_prefixes(setting: &str, list: &[String]) -> Result<Vec<ImagePrefix>, String> {
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            ImagePrefix::parse(t).map_err(|e| format!("settings.{setting}[{i}]: {t:?} {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> String {
        ImageRef::parse(s).unwrap().name()
    }

    fn allows(prefix: &str, image: &str) -> bool {
        ImagePrefix::parse(prefix)
            .unwrap()
            .matches(&ImageRef::parse(image).unwrap())
    }

    #[test]
    fn docker_hub_spellings_are_one_repository() {
        for s in [
            "nginx",
            "library/nginx",
            "docker.io/nginx",
            "docker.io/library/nginx",
            "index.docker.io/library/nginx",
            "Docker.IO/nginx:1.27",
            "docker.io:443/nginx",
        ] {
            assert_eq!(name(s), "docker.io/library/nginx", "{s}");
        }
        assert_eq!(name("bitnami/redis"), "docker.io/bitnami/redis");
        assert_eq!(name("localhost/app"), "localhost/app");
        assert_eq!(
            name("registry.acme.io:5000/team/app"),
            "registry.acme.io:5000/team/app"
        );
        assert_eq!(name("GHCR.io/acme/app"), "ghcr.io/acme/app");
    }

    #[test]
    fn tags_digests_and_errors() {
        let r =
            ImageRef::parse("ghcr.io:5000/acme/app:v1.2@sha256:0123456789abcdef0123456789abcdef")
                .unwrap();
        assert_eq!(r.registry, "ghcr.io:5000");
        assert_eq!(r.tag.as_deref(), Some("v1.2"));
        assert!(r.digest.is_some());
        for bad in [
            "",
            "ghcr.io/Acme/app",
            "ghcr.io/acme//app",
            "https://ghcr.io/acme",
            " ghcr.io/acme",
            "ghcr.io/acme/app:",
            "ghcr.io/acme/app@sha256:xyz",
            "ghcr.io:99999/a",
            "-bad.io/a",
            "ghcr.io/",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_match_at_boundaries() {
        assert!(allows("ghcr.io/acme", "ghcr.io/acme/app"));
        assert!(allows("ghcr.io/acme/", "GHCR.IO/acme/app"));
        assert!(allows("ghcr.io/acme/", "ghcr.io:443/acme/app"));
        assert!(!allows("ghcr.io/acme/", "ghcr.io/acme-evil/app"));
        assert!(!allows("ghcr.io/acme", "ghcr.io.evil.io/acme/app"));
        assert!(!allows("ghcr.io/acme", "ghcr.io:5000/acme/app"));
        assert!(allows("ghcr.io", "ghcr.io/anything/at/all"));
        assert!(allows("nginx", "index.docker.io/library/nginx"));
        assert!(!allows("nginx", "docker.io/library/nginx-evil"));
        assert!(allows("docker.io/bitnami/", "bitnami/redis"));
        assert!(allows("docker.io/", "redis"));
        // A dotless registry keeps its default port: without it, it would read as Docker Hub.
        assert_eq!(name("A:443/a"), "a:443/a");
        assert!(!allows("docker.io/a/", "a:443/a"));
        assert!(allows("a:443/", "A:443/a/b"));
        assert!(ImagePrefix::parse("ghcr.io/acme/app:v1").is_err());
        assert!(ImagePrefix::parse("/").is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(s in "\\PC{0,60}", p in "\\PC{0,30}") {
                let r = ImageRef::parse(&s);
                if let (Ok(r), Ok(p)) = (&r, ImagePrefix::parse(&p)) {
                    let _ = p.matches(r);
                    let _ = r.to_string();
                }
            }

            #[test]
            fn normal_form_is_stable(s in "([a-zA-Z.]{1,8}(:[0-9]{1,5})?/)?[a-z0-9]{1,6}(/[a-z0-9._-]{1,6}){0,2}(:[a-z0-9]{1,5})?") {
                if let Ok(r) = ImageRef::parse(&s) {
                    let again = ImageRef::parse(&r.name()).unwrap();
                    prop_assert_eq!(again.name(), r.name());
                }
            }
        }
    }
}
