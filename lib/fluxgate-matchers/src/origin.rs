//! Source URLs (GitRepository, HelmRepository, OCIRepository, Bucket endpoints) split into
//! scheme, user, host, port and path, and allowlists of origin prefixes matched safely.
//!
//! Why not `startsWith`: `https://github.com/acme` is a string prefix of
//! `https://github.com/acme-evil/x` and of `https://github.com.evil.io/x`; hosts are
//! case-insensitive (`GitHub.com`); `:443` is the same origin as no port; and
//! `https://github.com@evil.io/` has host `evil.io`. Matching here compares parsed parts: the
//! host and port exactly, the path only at a `/` boundary.
//!
//! Parsing is deliberately stricter than Go's `net/url` where laxness could hide the real
//! destination: whitespace and control characters, backslashes, percent-encoded `.`, `/` or
//! `\` in the path, and `.`/`..` path segments are refused rather than interpreted.

use std::fmt;

/// A parsed source URL. `scheme` and `host` are lower-case; `host` has no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    /// The user name before `@`, if any (`git` in `ssh://git@github.com/...`).
    pub user: Option<String>,
    /// Whether a password follows the user name (`user:secret@`).
    pub has_password: bool,
    pub host: String,
    /// The explicit port; `None` when absent or empty (`host:`).
    pub port: Option<u16>,
    /// The path including its leading `/`, or empty. Query and fragment are dropped.
    pub path: String,
    /// The raw query after `?` (without the fragment), or empty.
    pub query: String,
}

/// Why a URL cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginError {
    Empty,
    /// Whitespace or a control character somewhere in the URL.
    Whitespace,
    /// `git@github.com:org/repo`: Flux refuses it; the fix is given.
    ScpLike {
        suggestion: String,
    },
    NoScheme,
    NoHost,
    BadHost(String),
    BadPort(String),
    /// `ssh://git@github.com:org/repo`: scp-like syntax inside an `ssh://` URL, where a
    /// colon introduces a port. The `ssh://…/org/repo` form is given.
    ColonPath {
        suggestion: String,
    },
    /// A path that a server might resolve somewhere else (`..`, `%2e`, `%2f`, `\`).
    AmbiguousPath(String),
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginError::Empty => f.write_str("is empty"),
            OriginError::Whitespace => f.write_str("contains whitespace or control characters"),
            OriginError::ScpLike { suggestion } => write!(
                f,
                "uses scp-like Git syntax, which Flux does not accept (write {suggestion:?})"
            ),
            OriginError::NoScheme => f.write_str("has no scheme (expected scheme://host/path)"),
            OriginError::NoHost => f.write_str("has no host"),
            OriginError::BadHost(h) => write!(f, "has an invalid host {h:?}"),
            OriginError::BadPort(p) => write!(f, "has an invalid port {p:?}"),
            OriginError::ColonPath { suggestion } => write!(
                f,
                "puts the path after a colon, which in a URL introduces a port (write {suggestion:?})"
            ),
            OriginError::AmbiguousPath(why) => write!(f, "has an ambiguous path ({why})"),
        }
    }
}

/// `name=value` pairs of a query, split on `&` as Go's `url.ParseQuery` does (`;` is no
/// separator since Go 1.17).
fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// A query component as Go's `url.QueryUnescape` reads it: `+` is a space, `%XX` a byte
/// (an invalid escape is kept as written: Go would refuse the whole query).
fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a query parameter name carries a credential: a known name (Git hosts' and
/// registries' tokens, S3/GCS presigned URLs, Azure SAS `sig`) or any name containing
/// token, secret, password, signature or credential, whatever its case.
pub fn is_credential_param(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    const NAMES: [&str; 10] = [
        "sig",
        "key",
        "apikey",
        "api_key",
        "api-key",
        "auth",
        "authorization",
        "pass",
        "pwd",
        "jwt",
    ];
    const PARTS: [&str; 6] = [
        "token",
        "secret",
        "passw",
        "signature",
        "credential",
        "session",
    ];
    NAMES.contains(&name.as_str()) || PARTS.iter().any(|p| name.contains(p))
}

/// `url` with its secrets masked for messages: the user part as `***@`, and the value of
/// every credential query parameter as `***`.
pub fn redact_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => rest[..end].to_string(),
    };
    let tail = &rest[end..];
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (tail, None),
    };
    let mut out = format!("{scheme}://{authority}");
    match before_fragment.split_once('?') {
        None => out.push_str(before_fragment),
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if is_credential_param(&decode_component(name)) => {
                        format!("{name}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&masked.join("&"));
        }
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The port a scheme uses when none is given, so `https://h:443/` and `https://h/` compare equal.
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" | "oci" => Some(443),
        "ssh" => Some(22),
        _ => None,
    }
}

impl Origin {
    /// Parses `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`.
    pub fn parse(url: &str) -> Result<Origin, OriginError> {
        if url.is_empty() {
            return Err(OriginError::Empty);
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(OriginError::Whitespace);
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            if let Some(suggestion) = scp_like(url) {
                return Err(OriginError::ScpLike { suggestion });
            }
            return Err(OriginError::NoScheme);
        };
        if scheme.is_empty()
            || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(OriginError::NoScheme);
        }
        // The authority ends at the first `/`, `?` or `#`; `@` in the path is just a character.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let path = tail.split(['?', '#']).next().unwrap_or("");
        let query = tail
            .split('#')
            .next()
            .and_then(|t| t.split_once('?'))
            .map_or("", |(_, q)| q);
        if authority.contains('\\') || path.contains('\\') {
            return Err(OriginError::AmbiguousPath("a backslash".into()));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, has_password) = match userinfo {
            None => (None, false),
            Some(u) => match u.split_once(':') {
                Some((name, _)) => (Some(name.to_string()), true),
                None => (Some(u.to_string()), false),
            },
        };
        let (host, port) = split_host_port(hostport).map_err(|e| match e {
            OriginError::BadPort(p) if p.starts_with(|c: char| !c.is_ascii_digit()) => {
                let (name, _) = authority.rsplit_once(':').unwrap_or((authority, ""));
                OriginError::ColonPath {
                    suggestion: format!("{scheme}://{name}/{p}{tail}"),
                }
            }
            e => e,
        })?;
        check_path(path)?;
        Ok(Origin {
            scheme: scheme.to_ascii_lowercase(),
            user,
            has_password,
            host,
            port,
            path: path.to_string(),
            query: query.to_string(),
        })
    }

    /// The query parameters that carry a secret (`?token=`, `access_token`, `sig`,
    /// `X-Amz-Signature`, ...), by their decoded names. The fetcher sends the query along
    /// (source-controller keeps it when it downloads an index or an artifact), so a
    /// credential there is as exposed as one in the user part.
    pub fn credential_params(&self) -> Vec<String> {
        query_pairs(&self.query)
            .map(|(name, _)| decode_component(name))
            .filter(|name| is_credential_param(name))
            .collect()
    }

    /// The port in use: the explicit one or the scheme's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or_else(|| default_port(&self.scheme))
    }

    /// Whether the URL carries a secret: a password, or for schemes other than `ssh` any
    /// user name at all (`https://ghp_token@github.com/` puts the token in the user part).
    /// `ssh://git@host/` names a login, not a secret.
    pub fn has_credentials(&self) -> bool {
        self.has_password || (self.user.is_some() && self.scheme != "ssh")
    }

    /// `host` or `host:port` (IPv6 hosts keep their brackets), with the default port dropped.
    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) if Some(p) != default_port(&self.scheme) => format!("{}:{p}", self.host),
            _ => self.host.clone(),
        }
    }
}

/// `[user@]host:path` with no scheme: the scp-like form. Returns the `ssh://` equivalent.
fn scp_like(url: &str) -> Option<String> {
    let (authority, path) = url.split_once(':')?;
    if authority.is_empty() || authority.contains('/') || path.starts_with("//") {
        return None;
    }
    let path = path.trim_start_matches('/');
    Some(format!("ssh://{authority}/{path}"))
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), OriginError> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| OriginError::BadHost(hostport.to_string()))?;
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(OriginError::BadHost(hostport.to_string()));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| OriginError::BadHost(hostport.to_string()))?,
            ),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (hostport.to_ascii_lowercase(), None),
        }
    };
    // A single trailing dot names the same DNS host (`github.com.`).
    let host = host.strip_suffix('.').map(str::to_string).unwrap_or(host);
    if host.is_empty() {
        return Err(OriginError::NoHost);
    }
    if !host.starts_with('[') && !valid_hostname(&host) {
        return Err(OriginError::BadHost(host));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) if p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => Some(
            p.parse::<u16>()
                .map_err(|_| OriginError::BadPort(p.to_string()))?,
        ),
        Some(p) => return Err(OriginError::BadPort(p.to_string())),
    };
    Ok((host, port))
}

/// Lower-case DNS names (letters, digits, `-`, `_`, dots between non-empty labels).
fn valid_hostname(host: &str) -> bool {
    host.split('.').all(|label| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    })
}

fn check_path(path: &str) -> Result<(), OriginError> {
    let lower = path.to_ascii_lowercase();
    for encoded in ["%2e", "%2f", "%5c", "%00"] {
        if lower.contains(encoded) {
            return Err(OriginError::AmbiguousPath(format!(
                "percent-encoded {encoded}"
            )));
        }
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Err(OriginError::AmbiguousPath("a . or .. segment".into()));
    }
    Ok(())
}

/// One allowlist entry, e.g. `ssh://git@github.com/acme/` or `oci://ghcr.io/acme/charts`.
///
/// A URL matches when scheme, host and effective port are equal, the entry's user (if it
/// names one) is the URL's user, and the entry's path is the URL's path or a whole-segment
/// prefix of it: `/acme` and `/acme/` both match `/acme/app` but never `/acme-evil/app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPrefix {
    origin: Origin,
    text: String,
}

impl OriginPrefix {
    pub fn parse(text: &str) -> Result<OriginPrefix, OriginError> {
        let origin = Origin::parse(text)?;
        Ok(OriginPrefix {
            origin,
            text: text.to_string(),
        })
    }

    /// The entry as written, for messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, url: &Origin) -> bool {
        let p = &self.origin;
        p.scheme == url.scheme
            && p.host == url.host
            && p.effective_port() == url.effective_port()
            && p.user.as_ref().is_none_or(|u| url.user.as_ref() == Some(u))
            && path_within(&url.path, &p.path)
    }
}

/// Whether `path` is `prefix` or lies below it, comparing whole segments (case-sensitive).
pub fn path_within(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Whether any entry of `allowed` matches `url`.
pub fn any_matches(allowed: &[OriginPrefix], url: &Origin) -> bool {
    allowed.iter().any(|p| p.matches(url))
}

/// Parses a list of prefixes from settings, naming the first bad one:
/// `settings.allowedOrigins.gitRepository[2]: "github.com/acme" has no scheme ...`.
pub fn parse_prefixes(setting: &str, list: &[String]) -> Result<Vec<OriginPrefix>, String> {
    list.iter()
        .enumerate()
        .map(|(i, text)| {
            let p = OriginPrefix::parse(text)
                .map_err(|e| format!("settings.{setting}[{i}]: {text:?} {e}"))?;
            if p.origin.has_credentials() {
                return Err(format!(
                    "settings.{setting}[{i}]: {text:?} carries credentials; write the origin without them"
                ));
            }
            Ok(p)
        })
        .collect()
}

/// `host[:port]` as written in settings (`gitea.internal:3000`), lower-cased, default port
/// (`:80` for plain HTTP hosts) left in place for the caller to compare via [`Origin`].
pub fn parse_host_port(text: &str) -> Result<(String, Option<u16>), OriginError> {
    if text.is_empty() {
        return Err(OriginError::Empty);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(OriginError::Whitespace);
    }
    if text.contains(['/', '@', '?', '#', '\\']) {
        return Err(OriginError::BadHost(text.to_string()));
    }
    split_host_port(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_in_every_spelling_go_reads() {
        let params = |url: &str| Origin::parse(url).unwrap().credential_params();
        for url in [
            "https://charts.example.com/index?token=abc",
            "https://example.com/repo.git?access_token=abc",
            "https://bucket.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4&X-Amz-Signature=ff",
            "https://acct.blob.core.windows.net/c?sv=2022&sig=abc",
            "https://example.com/x?%74oken=abc",
            "https://gitlab.example.com/a.git?private_token=abc",
            "https://example.com/x?a=1&Api_Key=2",
            "https://example.com/x?X-Goog-Credential=a",
        ] {
            assert!(!params(url).is_empty(), "{url}");
        }
        for url in [
            "https://example.com/x?ref=main&version=1",
            "https://example.com/x#token=abc",
            "https://example.com/x",
        ] {
            assert!(params(url).is_empty(), "{url}");
        }
        assert_eq!(params("https://e.com/x?a=1&%74oken=2"), ["token"]);
    }

    #[test]
    fn redaction_masks_user_and_credential_values() {
        assert_eq!(
            redact_credentials("https://u:tok@github.com/a@b"),
            "https://***@github.com/a@b"
        );
        assert_eq!(
            redact_credentials("https://e.com/x?ref=main&token=s3cr3t#frag"),
            "https://e.com/x?ref=main&token=***#frag"
        );
        assert_eq!(
            redact_credentials("https://github.com/a"),
            "https://github.com/a"
        );
        assert_eq!(redact_credentials("no scheme@x"), "no scheme@x");
    }

    fn o(url: &str) -> Origin {
        Origin::parse(url).unwrap()
    }

    fn allows(prefix: &str, url: &str) -> bool {
        OriginPrefix::parse(prefix).unwrap().matches(&o(url))
    }

    #[test]
    fn parses_parts() {
        let u = o("ssh://git@GitHub.com:22/acme/app.git");
        assert_eq!(u.scheme, "ssh");
        assert_eq!(u.user.as_deref(), Some("git"));
        assert_eq!(u.host, "github.com");
        assert_eq!(u.port, Some(22));
        assert_eq!(u.path, "/acme/app.git");
        assert!(!u.has_credentials());
        let u = o("HTTPS://user:tok@[::1]:8443/x?y#z");
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port),
            ("https", "[::1]", Some(8443))
        );
        assert_eq!(u.path, "/x");
        assert!(u.has_credentials());
        assert!(o("https://ghp_abc@github.com/acme").has_credentials());
        assert!(o("ssh://git:pw@github.com/acme").has_credentials());
        assert_eq!(o("oci://ghcr.io").path, "");
        assert_eq!(o("https://h:/x").port, None);
    }

    #[test]
    fn refuses_ambiguous_urls() {
        assert!(matches!(
            Origin::parse("git@github.com:acme/app.git"),
            Err(OriginError::ScpLike { suggestion }) if suggestion == "ssh://git@github.com/acme/app.git"
        ));
        assert_eq!(Origin::parse("github.com/acme"), Err(OriginError::NoScheme));
        assert_eq!(
            Origin::parse(" https://github.com/acme"),
            Err(OriginError::Whitespace)
        );
        assert_eq!(Origin::parse("https:///acme"), Err(OriginError::NoHost));
        assert!(Origin::parse("https://github.com:99999/").is_err());
        assert!(Origin::parse("https://github.com:22x/").is_err());
        assert_eq!(
            Origin::parse("ssh://git@github.com:acme/app.git"),
            Err(OriginError::ColonPath {
                suggestion: "ssh://git@github.com/acme/app.git".into()
            })
        );
        assert!(Origin::parse("https://github.com/acme/../evil").is_err());
        assert!(Origin::parse("https://github.com/acme/%2E%2E/evil").is_err());
        assert!(Origin::parse("https://github.com/acme%2fevil").is_err());
        assert!(Origin::parse("https://github.com\\@evil.io/").is_err());
        assert!(Origin::parse("https://git hub.com/").is_err());
        assert!(Origin::parse("https://exa$mple.com/").is_err());
    }

    #[test]
    fn prefixes_match_at_boundaries() {
        assert!(allows(
            "ssh://git@github.com/acme/",
            "ssh://git@github.com/acme/app"
        ));
        assert!(allows(
            "ssh://git@github.com/acme",
            "ssh://git@github.com/acme/app"
        ));
        assert!(allows(
            "ssh://git@github.com/acme/",
            "ssh://git@GITHUB.COM:22/acme/app"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme/",
            "ssh://git@github.com/acme-evil/app"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme",
            "ssh://git@github.com/acme-evil"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme/",
            "ssh://git@github.com/Acme/app"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme/",
            "ssh://git@github.com.evil.io/acme/app"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme/",
            "ssh://git@github.com:2222/acme/app"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme/",
            "ssh://root@github.com/acme/app"
        ));
        assert!(!allows(
            "ssh://git@github.com/acme/",
            "https://github.com/acme/app"
        ));
        assert!(allows(
            "https://github.com/acme/",
            "https://github.com:443/acme/x"
        ));
        assert!(allows(
            "https://github.com:443/acme/",
            "https://github.com/acme/x"
        ));
        assert!(allows(
            "https://github.com/",
            "https://github.com./anything"
        ));
        assert!(!allows(
            "https://github.com/acme/",
            "https://github.com@evil.io/acme/x"
        ));
        assert!(allows(
            "oci://ghcr.io/acme/charts",
            "oci://ghcr.io/acme/charts"
        ));
        assert!(!allows(
            "oci://ghcr.io/acme/charts",
            "oci://ghcr.io/acme/charts2"
        ));
    }

    #[test]
    fn settings_prefixes_are_checked() {
        assert!(parse_prefixes("p", &["ssh://git@github.com/acme/".into()]).is_ok());
        let e = parse_prefixes("p", &["ok://h/".into(), "github.com/acme".into()]).unwrap_err();
        assert!(
            e.starts_with("settings.p[1]: \"github.com/acme\" has no scheme"),
            "{e}"
        );
        assert!(parse_prefixes("p", &["https://u:p@h/".into()]).is_err());
        assert_eq!(
            parse_host_port("Gitea.local:3000"),
            Ok(("gitea.local".into(), Some(3000)))
        );
        assert!(parse_host_port("http://x").is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(url in "\\PC{0,60}", prefix in "\\PC{0,40}") {
                let parsed = Origin::parse(&url);
                if let (Ok(u), Ok(p)) = (&parsed, OriginPrefix::parse(&prefix)) {
                    let _ = p.matches(u);
                    let _ = u.host_port();
                }
                let _ = parse_host_port(&url);
            }

            #[test]
            fn urlish_never_panics(url in "(ssh|https|oci|HTTP)://[a-zA-Z0-9@:.\\[\\]%/_-]{0,40}") {
                if let Ok(u) = Origin::parse(&url) {
                    prop_assert_eq!(u.host.to_ascii_lowercase(), u.host.clone());
                }
            }

            #[test]
            fn sibling_orgs_never_match(org in "[a-z]{1,8}", suffix in "[a-z0-9-]{1,8}") {
                let p = OriginPrefix::parse(&format!("https://github.com/{org}/")).unwrap();
                let u = Origin::parse(&format!("https://github.com/{org}{suffix}/repo")).unwrap();
                prop_assert!(!p.matches(&u));
            }
        }
    }
}
