use crate::settings::{Settings, UNVERIFIED_RECEIVER_TYPES};
use flux_kinds::FluxKind;
use flux_kinds::notification::{Alert, OidcProvider, Provider, Receiver};
use fluxgate_admission::Ctx;
use fluxgate_admission::lockdown::CLOUD_IDENTITY;
use fluxgate_admission::tenancy::foreign_namespace;
use fluxgate_matchers::origin::{Origin, redact_credentials};
use fluxgate_rules::{Finding, KindSpec, Rule};
use std::collections::BTreeSet;

const ALERT: KindSpec = FluxKind::Alert.spec();
const PROVIDER: KindSpec = FluxKind::Provider.spec();
const RECEIVER: KindSpec = FluxKind::Receiver.spec();

pub const RECEIVER_UNVERIFIED: Rule = Rule::deny(
    "notification/receiver-unverified",
    &[RECEIVER],
    "A tenant Receiver authenticates its callers: its type is not `generic`, `dockerhub`, \
     `quay`, `acr` or `cdevents` (which check no signature or token, only the webhook path), \
     unless `allowedUnverifiedReceiverTypes` lists it.",
    "anyone who learns the webhook URL (a proxy log, a CI job, a pasted link) triggering the \
     tenant's reconciliations at will.",
    "allowedUnverifiedReceiverTypes",
);
pub const RECEIVER_OIDC_CLAIMS: Rule = Rule::deny(
    "notification/receiver-oidc-claims-unconstrained",
    &[RECEIVER],
    "Every `oidcProviders` entry of a `generic-oidc` Receiver has a validation that reads a \
     claim of the caller's identity (`claims.repository_owner`, `claims.sub`; one of \
     `oidcIdentityClaims` when set), not only the token's own claims (`aud`, `exp`, `iss`).",
    "every workload a public issuer serves (any GitHub Actions job, any GitLab pipeline) \
     getting a valid token and triggering the Receiver: a valid signature alone authorises \
     nobody.",
    "oidcIdentityClaims",
);
pub const RECEIVER_OIDC_ISSUER_NOT_HTTPS: Rule = Rule::deny(
    "notification/receiver-oidc-issuer-not-https",
    &[RECEIVER],
    "A `generic-oidc` issuer URL is `https://` (`http://` only to a host in `plainHttpHosts`).",
    "the issuer's discovery document and signing keys fetched in clear text, so anyone on the \
     path can substitute the keys and mint tokens the Receiver accepts.",
    "plainHttpHosts",
);
pub const RECEIVER_OIDC_ISSUER_NOT_ALLOWED: Rule = Rule::deny(
    "notification/receiver-oidc-issuer-not-allowed",
    &[RECEIVER],
    "With `allowedOidcIssuers`, a `generic-oidc` Receiver trusts only the issuers listed there, \
     compared exactly as notification-controller compares the token's `iss`.",
    "a tenant trusting an issuer the platform never vetted (its own Dex, a look-alike host).",
    "allowedOidcIssuers",
)
.on_by_default(false);
pub const RECEIVER_CROSS_NAMESPACE: Rule = Rule::deny(
    "notification/receiver-cross-namespace",
    &[RECEIVER],
    "`spec.resources[].namespace` of a tenant Receiver is its own namespace or one of \
     `sharedNamespaces`.",
    "a tenant's webhook forcing reconciliations of another tenant's (or the platform's) \
     sources and Kustomizations: notification-controller's `--no-cross-namespace-refs` is \
     off by default.",
    "sharedNamespaces",
);
pub const ALERT_CROSS_NAMESPACE: Rule = Rule::deny(
    "notification/alert-cross-namespace",
    &[ALERT],
    "`spec.eventSources[].namespace` of a tenant Alert is its own namespace or one of \
     `sharedNamespaces` (its Provider is always its own: `providerRef` is name-only).",
    "a tenant subscribing to another tenant's Flux events (reconciliation errors, revisions, \
     object names) and forwarding them to a Provider of its choosing.",
    "sharedNamespaces",
);
pub const PROVIDER_NOT_HTTPS: Rule = Rule::deny(
    "notification/provider-address-not-https",
    &[PROVIDER],
    "The `spec.address` of a URL-based Provider parses as `https://host/path` (`http://` only \
     to a host in `plainHttpHosts`); `googlepubsub` (a project ID), `azureeventhub` (an Event \
     Hub name) and `nats` addresses are not web URLs.",
    "events, and the tokens and HMAC signatures sent with them, travelling in clear text past \
     whoever is on the path.",
    "plainHttpHosts",
);
pub const PROVIDER_INLINE_CREDENTIALS: Rule = Rule::deny(
    "notification/provider-inline-credentials",
    &[PROVIDER],
    "`spec.address` and `spec.proxy` carry no credentials: no user part \
     (`https://user:token@`), no credential query parameter (`token`, `key`, `sig`, ...), no \
     webhook URL whose path is its secret (Slack `hooks.slack.com/services/`, Discord \
     `/api/webhooks/`, Teams `*.webhook.office.com`, Lark, Telegram `/bot<token>`), no Event \
     Hubs `SharedAccessKey`; they belong in the Secret of `spec.secretRef` or \
     `spec.proxySecretRef`.",
    "a webhook token or password written into the object, readable by everyone who can read \
     Providers and by the audit log.",
    "",
);
pub const PROVIDER_HOST_NOT_ALLOWED: Rule = Rule::deny(
    "notification/provider-host-not-allowed",
    &[PROVIDER],
    "With `allowedProviderHosts`, a Provider's `spec.address` names a host matching one of the \
     globs, compared on the parsed host (`hooks.slack.com@evil.io` is `evil.io`).",
    "a tenant sending the cluster's events to an arbitrary endpoint, or aiming \
     notification-controller at an internal service.",
    "allowedProviderHosts",
)
.on_by_default(false);

/// Every rule of the policy, in README order.
pub const RULES: &[&Rule] = &[
    &RECEIVER_UNVERIFIED,
    &RECEIVER_OIDC_CLAIMS,
    &RECEIVER_OIDC_ISSUER_NOT_HTTPS,
    &RECEIVER_OIDC_ISSUER_NOT_ALLOWED,
    &RECEIVER_CROSS_NAMESPACE,
    &ALERT_CROSS_NAMESPACE,
    &PROVIDER_NOT_HTTPS,
    &PROVIDER_INLINE_CREDENTIALS,
    &PROVIDER_HOST_NOT_ALLOWED,
    &CLOUD_IDENTITY,
];

/// ` or in [a, b]` when there are shared namespaces.
fn also_shared(shared: &[String]) -> String {
    if shared.is_empty() {
        String::new()
    } else {
        format!(" or in [{}]", shared.join(", "))
    }
}

/// Every rule an Alert breaks.
pub fn check_alert(alert: &Alert, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let own = ctx.namespace();
    let shared = &ctx.settings.shared_namespaces;
    let sources = alert.spec.event_sources.as_deref().unwrap_or_default();
    sources
        .iter()
        .enumerate()
        .filter_map(|(i, source)| {
            // notification-controller: an empty namespace is the Alert's own, any other is
            // compared exactly with the event's (server/event_handlers.go).
            let ns = foreign_namespace(source.namespace.as_deref(), own, shared)?;
            Some(ALERT_CROSS_NAMESPACE.at(
                format!("spec.eventSources[{i}].namespace"),
                format!(
                    "{ns:?} is another namespace: the Alert would forward the events of {} {:?} there to this tenant's Provider",
                    source.kind, source.name
                ),
                format!(
                    "select event sources in {own}{} (or leave namespace out)",
                    also_shared(shared)
                ),
            ))
        })
        .collect()
}

/// Every rule a Receiver breaks.
pub fn check_receiver(receiver: &Receiver, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let spec = &receiver.spec;
    let mut out = Vec::new();
    let kind = spec.receiver_type.as_deref().unwrap_or("");
    if UNVERIFIED_RECEIVER_TYPES.contains(&kind) && !settings.unverified_allowed(kind) {
        // receiver_handlers.go `validate`: `generic` returns nil at once; dockerhub, quay
        // and acr only decode the body; cdevents only validates the CloudEvent schema.
        let what = match kind {
            "generic" => "checks no signature or token",
            "cdevents" => "only checks the CloudEvents schema",
            _ => "only decodes the request body (the sender cannot sign its webhooks)",
        };
        let fix = if kind == "generic" {
            "use generic-hmac (an X-Signature HMAC of the body keyed with the secretRef token) or generic-oidc"
        } else {
            "use a type whose sender signs or authenticates (github, gitlab, bitbucket, harbor, nexus, gcr, generic-hmac, generic-oidc)"
        };
        out.push(RECEIVER_UNVERIFIED.at(
            "spec.type",
            format!(
                "{kind:?} {what}, so anyone who learns the webhook URL triggers reconciliations of spec.resources"
            ),
            format!("{fix}, or list {kind:?} in allowedUnverifiedReceiverTypes"),
        ));
    }
    for (i, provider) in spec.oidc_providers.iter().flatten().enumerate() {
        check_oidc_provider(i, provider, settings, &mut out);
    }
    let own = ctx.namespace();
    let shared = &settings.shared_namespaces;
    for (i, r) in spec.resources.iter().flatten().enumerate() {
        // receiver_handlers.go `requestReconciliation`: an empty namespace is the Receiver's.
        if let Some(ns) = foreign_namespace(r.namespace.as_deref(), own, shared) {
            out.push(RECEIVER_CROSS_NAMESPACE.at(
                format!("spec.resources[{i}].namespace"),
                format!(
                    "{ns:?} is another namespace: the webhook would trigger reconciliations of {} {:?} there",
                    r.kind, r.name
                ),
                format!(
                    "reconcile objects in {own}{} (or leave namespace out)",
                    also_shared(shared)
                ),
            ));
        }
    }
    out
}

/// One `oidcProviders` entry: notification-controller (receiver_oidc.go) picks it by the
/// token's unverified `iss`, verifies the signature, `aud` and `exp` against the issuer's
/// discovery document, then requires every validation to hold (receiver_claims.go).
fn check_oidc_provider(i: usize, p: &OidcProvider, settings: &Settings, out: &mut Vec<Finding>) {
    let field = format!("spec.oidcProviders[{i}].issuerURL");
    let issuer = p.issuer_url.as_deref().unwrap_or("");
    let shown = redact_credentials(issuer);
    match Origin::parse(issuer) {
        Err(e) => out.push(RECEIVER_OIDC_ISSUER_NOT_HTTPS.at(
            &field,
            format!("{shown:?} {e}"),
            "write the issuer as its tokens' iss claim names it (https://host/path)",
        )),
        Ok(o) if o.scheme == "https" => {}
        Ok(o) if o.scheme == "http" && settings.plain_http_allowed(&o.host, o.port) => {}
        Ok(o) => out.push(RECEIVER_OIDC_ISSUER_NOT_HTTPS.at(
            &field,
            format!(
                "{shown:?} would fetch the issuer's signing keys over {} from {}{}, so anyone on the path could mint accepted tokens",
                o.scheme,
                o.host_port(),
                if o.scheme == "http" {
                    " (not in plainHttpHosts)"
                } else {
                    ""
                }
            ),
            "use the issuer's https:// URL",
        )),
    }
    let allowed = &settings.allowed_oidc_issuers;
    if !allowed.is_empty() && !allowed.iter().any(|a| a == issuer) {
        out.push(RECEIVER_OIDC_ISSUER_NOT_ALLOWED.at(
            &field,
            format!("{shown:?} is not an allowed issuer"),
            format!(
                "trust one of [{}] (exact URLs: notification-controller compares them with the token's iss as written)",
                allowed.join(", ")
            ),
        ));
    }
    let read = claims_read(p);
    if !read.iter().any(|c| settings.is_identity_claim(c)) {
        let what = if read.is_empty() {
            "no validation reads a claim".to_string()
        } else {
            let names: Vec<&str> = read.iter().map(String::as_str).collect();
            let none = if settings.oidc_identity_claims.is_empty() {
                "none of them the caller's identity"
            } else {
                "none of them in oidcIdentityClaims"
            };
            format!("the validations read only [{}], {none}", names.join(", "))
        };
        let example = settings
            .oidc_identity_claims
            .first()
            .map_or("repository_owner", String::as_str);
        let fix = if settings.oidc_identity_claims.is_empty() {
            "add a validation on the caller's identity, e.g. claims.repository_owner == 'acme' (GitHub Actions) or claims.sub == '...'".to_string()
        } else {
            format!(
                "add a validation on one of [{}] (oidcIdentityClaims), e.g. claims.{example} == '...'",
                settings.oidc_identity_claims.join(", ")
            )
        };
        out.push(RECEIVER_OIDC_CLAIMS.at(
            format!("spec.oidcProviders[{i}].validations"),
            format!(
                "{what}: any workload that gets a token from {shown:?} (public issuers serve everyone, with the audience they ask for) would trigger the Receiver"
            ),
            fix,
        ));
    }
}

/// The claims the validations of `p` read, directly or through the variables they use.
/// Only validations gate a request (receiver_claims.go `Evaluate`): a variable nobody
/// validates constrains nothing.
fn claims_read(p: &OidcProvider) -> BTreeSet<String> {
    let mut claims = BTreeSet::new();
    let mut pending = Vec::new();
    for v in p.validations.iter().flatten() {
        let (c, vars) = cel_references(v.expression.as_deref().unwrap_or(""));
        claims.extend(c);
        pending.extend(vars);
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for var in p.variables.iter().flatten() {
            if var.name.as_deref() == Some(name.as_str()) {
                let (c, vars) = cel_references(var.expression.as_deref().unwrap_or(""));
                claims.extend(c);
                pending.extend(vars);
            }
        }
    }
    claims
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Ident(&'a str),
    Str(String),
    Punct(char),
}

/// Splits a CEL expression into identifiers, string literals and punctuation; numbers and
/// the contents of strings never read as identifiers (CEL spec, lexical structure: quoted,
/// triple-quoted, raw and bytes literals).
fn cel_tokens(expr: &str) -> Vec<Token<'_>> {
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // A string literal, perhaps prefixed: r"..", b'..', rb"..", R'''..'''.
        let mut j = i;
        let mut raw = false;
        while j < bytes.len() && j - i < 2 && matches!(bytes[j], b'r' | b'R' | b'b' | b'B') {
            raw |= matches!(bytes[j], b'r' | b'R');
            j += 1;
        }
        if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
            let quote = bytes[j];
            let triple = bytes.get(j..j + 3) == Some(&[quote, quote, quote][..]);
            let start = j + if triple { 3 } else { 1 };
            let mut k = start;
            let mut end = bytes.len();
            while k < bytes.len() {
                if bytes[k] == b'\\' && !raw {
                    k += 2;
                    continue;
                }
                let closes = if triple {
                    bytes.get(k..k + 3) == Some(&[quote, quote, quote][..])
                } else {
                    bytes[k] == quote
                };
                if closes {
                    end = k;
                    break;
                }
                k += 1;
            }
            let end = end.min(bytes.len());
            out.push(Token::Str(
                String::from_utf8_lossy(&bytes[start.min(end)..end]).into_owned(),
            ));
            i = if end == bytes.len() {
                end
            } else {
                end + if triple { 3 } else { 1 }
            };
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Token::Ident(&expr[start..i]));
            continue;
        }
        if c.is_ascii_digit() {
            // 1, 1.5, 0x1F, 1u, 1e3: none of it is a name.
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            continue;
        }
        // Any other character, multi-byte ones included, stands for itself.
        let ch = expr[i..].chars().next().unwrap_or(' ');
        out.push(Token::Punct(ch));
        i += ch.len_utf8();
    }
    out
}

/// The claim names (`claims.sub`, `claims["repo"]`, `claims.?sub`) and variable names
/// (`vars.owner`) a CEL expression reads, in order. A name inside a string literal is not
/// read; `claims` used whole (`'sub' in claims`) names no claim.
pub fn cel_references(expr: &str) -> (Vec<String>, Vec<String>) {
    let tokens = cel_tokens(expr);
    let (mut claims, mut vars) = (Vec::new(), Vec::new());
    for (i, t) in tokens.iter().enumerate() {
        let Token::Ident(root @ ("claims" | "vars")) = t else {
            continue;
        };
        if i > 0 && tokens[i - 1] == Token::Punct('.') {
            continue; // `x.claims` is a field of something else
        }
        let name = match tokens.get(i + 1..) {
            Some([Token::Punct('.'), Token::Ident(n), ..])
            | Some([Token::Punct('.'), Token::Punct('?'), Token::Ident(n), ..]) => {
                Some(n.to_string())
            }
            Some([Token::Punct('['), Token::Str(s), Token::Punct(']'), ..])
            | Some(
                [
                    Token::Punct('['),
                    Token::Punct('?'),
                    Token::Str(s),
                    Token::Punct(']'),
                    ..,
                ],
            ) => Some(s.clone()),
            _ => None,
        };
        if let Some(name) = name {
            if *root == "claims" {
                claims.push(name);
            } else {
                vars.push(name);
            }
        }
    }
    (claims, vars)
}

/// Cloud behind a Provider type that authenticates with a workload identity: the CRD's
/// `serviceAccountName` lists azureeventhub, azuredevops and googlepubsub (Flux 2.6+); with
/// no account and no static credentials they take notification-controller's own
/// (notifier/azure_eventhub.go `newManagedIdentityToken`, google_helpers.go
/// `buildGCPClientOptions`).
fn cloud_of(provider_type: &str) -> Option<&'static str> {
    match provider_type {
        "azureeventhub" | "azuredevops" => Some("azure"),
        "googlepubsub" => Some("gcp"),
        _ => None,
    }
}

/// Webhook URLs whose path is their secret: `(host glob, path prefix, what it is)`.
/// Flux's provider docs put these in the Secret's `address` key (Slack legacy, Teams,
/// Discord, Lark); `*.webhook.office.com` is the host notification-controller itself takes
/// for a Teams connector.
const SECRET_PATH_WEBHOOKS: [(&str, &str, &str); 10] = [
    ("hooks.slack.com", "/services/", "a Slack incoming webhook"),
    ("hooks.slack.com", "/triggers/", "a Slack workflow webhook"),
    ("hooks.slack.com", "/workflows/", "a Slack workflow webhook"),
    ("discord.com", "/api/webhooks/", "a Discord webhook"),
    ("*.discord.com", "/api/webhooks/", "a Discord webhook"),
    ("discordapp.com", "/api/webhooks/", "a Discord webhook"),
    (
        "*.webhook.office.com",
        "/",
        "a Microsoft Teams connector webhook",
    ),
    ("open.feishu.cn", "/open-apis/bot/", "a Lark bot webhook"),
    (
        "open.larksuite.com",
        "/open-apis/bot/",
        "a Lark bot webhook",
    ),
    ("api.telegram.org", "/bot", "a Telegram bot URL"),
];

/// The prefix and description of a secret-path webhook URL.
fn secret_path(o: &Origin) -> Option<(&'static str, &'static str)> {
    let path = o.path.to_ascii_lowercase();
    SECRET_PATH_WEBHOOKS
        .iter()
        .find(|(host, prefix, _)| {
            fluxgate_matchers::glob::matches(host, &o.host)
                && path.starts_with(prefix)
                && path.len() > prefix.len()
        })
        .map(|(_, prefix, what)| (*prefix, *what))
}

/// `url` for a message: credentials masked, and the path of a URL that cannot be parsed
/// (so a webhook secret in it cannot be recognised) left out.
fn shown_unparsed(url: &str) -> String {
    let redacted = redact_credentials(url);
    let (scheme, rest) = match redacted.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r.to_string()),
        None => (String::new(), redacted),
    };
    match rest.find(['/', '?', '#']) {
        Some(at) => format!("{scheme}{}/…", &rest[..at]),
        None => format!("{scheme}{rest}"),
    }
}

/// Every rule a Provider breaks.
pub fn check_provider(provider: &Provider, ctx: &Ctx<Settings>) -> Vec<Finding> {
    let settings = ctx.settings;
    let spec = &provider.spec;
    let mut out = Vec::new();
    let kind = spec.provider_type.as_deref().unwrap_or("");
    let address = spec.address.as_deref().filter(|a| !a.trim().is_empty());
    // azure_eventhub.go `isSASAuth`: an address with a SharedAccessKey is a connection string.
    let sas = kind == "azureeventhub"
        && address.is_some_and(|a| a.to_ascii_lowercase().contains("sharedaccesskey"));
    match (kind, address) {
        (_, None) | ("googlepubsub", _) => {}
        ("azureeventhub", Some(_)) => {
            if sas {
                out.push(PROVIDER_INLINE_CREDENTIALS.at(
                    "spec.address",
                    "is an Event Hubs connection string with its SharedAccessKey",
                    "put the connection string in the Secret named by spec.secretRef (key address), or use workload identity (spec.serviceAccountName) with the Event Hub name as address",
                ));
            }
        }
        ("nats", Some(a)) => {
            // nats.go: a comma-separated server list, `nats://`, `tls://` or bare host:port.
            for server in a.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let url = if server.contains("://") {
                    server.to_string()
                } else {
                    format!("nats://{server}")
                };
                match Origin::parse(&url) {
                    Ok(o) => {
                        url_credentials("spec.address", &o, &mut out);
                        host_allowed(&o, settings, &mut out);
                    }
                    Err(_) if server.contains('@') => out.push(PROVIDER_INLINE_CREDENTIALS.at(
                        "spec.address",
                        format!("{:?} carries credentials", shown_unparsed(server)),
                        "put the user and password in the Secret named by spec.secretRef (keys username, password)",
                    )),
                    Err(_) => {}
                }
            }
        }
        (_, Some(a)) => web_address(a, settings, &mut out),
    }
    if let Some(proxy) = spec.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
        check_proxy(proxy, &mut out);
    }
    if let Some(cloud) = cloud_of(kind) {
        let account = spec
            .service_account_name
            .as_deref()
            .is_some_and(|a| !a.trim().is_empty());
        let static_ok = settings.allow_static_cloud_credentials && spec.secret_ref.is_some();
        if !sas
            && !account
            && !static_ok
            && !ctx.identities.controller_lockdown.default_service_account
        {
            let secret = if spec.secret_ref.is_some() {
                " (spec.secretRef may hold static credentials, but admission cannot read it and a Secret without them falls back to that identity; allowStaticCloudCredentials accepts it)"
            } else {
                ""
            };
            out.push(CLOUD_IDENTITY.at(
                "spec.serviceAccountName",
                format!(
                    "is missing while spec.type is {kind:?}, so notification-controller authenticates with its own {cloud} identity, which can reach the platform's resources{secret}"
                ),
                "set spec.serviceAccountName (Provider v1beta3, feature gate ObjectLevelWorkloadIdentity) to a service account of this namespace bound to the tenant's own cloud identity, or declare controllerLockdown.defaultServiceAccount when notification-controller runs with --default-service-account",
            ));
        }
    }
    out
}

/// A web address (every type but googlepubsub, azureeventhub and nats): HTTPS, no
/// credentials, an allowed host.
fn web_address(address: &str, settings: &Settings, out: &mut Vec<Finding>) {
    let field = "spec.address";
    let o = match Origin::parse(address) {
        Ok(o) => o,
        Err(e) => {
            out.push(PROVIDER_NOT_HTTPS.at(
                field,
                format!("{:?} {e}", shown_unparsed(address)),
                "write spec.address as https://host/path, or put it in the Secret named by spec.secretRef (key address)",
            ));
            return;
        }
    };
    let shown = match secret_path(&o) {
        Some((prefix, _)) => format!("{}://{}{prefix}***", o.scheme, o.host_port()),
        None => redact_credentials(address),
    };
    let plain_ok = o.scheme == "http" && settings.plain_http_allowed(&o.host, o.port);
    if o.scheme != "https" && !plain_ok {
        let problem = if o.scheme == "http" {
            format!(
                "{shown:?} sends events over plain HTTP to {}, which is not in plainHttpHosts",
                o.host_port()
            )
        } else {
            format!("{shown:?} uses scheme {:?}, not https", o.scheme)
        };
        out.push(PROVIDER_NOT_HTTPS.at(field, problem, "use an https:// address"));
    }
    url_credentials(field, &o, out);
    if let Some((_, what)) = secret_path(&o) {
        out.push(PROVIDER_INLINE_CREDENTIALS.at(
            field,
            format!("{shown:?} is {what}, whose path is its secret"),
            "put the URL in the Secret named by spec.secretRef (key address) and leave spec.address out",
        ));
    }
    host_allowed(&o, settings, out);
}

/// Credentials in the user part or the query of a parsed address.
fn url_credentials(field: &str, o: &Origin, out: &mut Vec<Finding>) {
    let host = o.host_port();
    if o.has_credentials() {
        out.push(PROVIDER_INLINE_CREDENTIALS.at(
            field,
            format!("the address of {host} carries credentials in its user part"),
            "remove them and put them in the Secret named by spec.secretRef (the whole address under key address, or token, username, password)",
        ));
    }
    let params = o.credential_params();
    if !params.is_empty() {
        out.push(PROVIDER_INLINE_CREDENTIALS.at(
            field,
            format!(
                "the address of {host} carries credentials in its query ({})",
                params.join(", ")
            ),
            "put the whole address in the Secret named by spec.secretRef (key address)",
        ));
    }
}

fn host_allowed(o: &Origin, settings: &Settings, out: &mut Vec<Finding>) {
    if !settings.provider_host_allowed(&o.host, o.effective_port()) {
        out.push(PROVIDER_HOST_NOT_ALLOWED.at(
            "spec.address",
            format!(
                "sends events to {}, which is not in allowedProviderHosts",
                o.host_port()
            ),
            format!(
                "use a host matching one of [{}]",
                settings.allowed_provider_hosts.join(", ")
            ),
        ));
    }
}

/// `spec.proxy` (deprecated for `proxySecretRef` in v1beta3): a proxy login belongs in a
/// Secret. Plain `http://` is normal for a proxy: TLS runs end to end through CONNECT.
fn check_proxy(proxy: &str, out: &mut Vec<Finding>) {
    let fix = "move the proxy to spec.proxySecretRef (keys address, username, password; Provider v1beta3)";
    match Origin::parse(proxy) {
        Ok(o) => {
            if o.has_credentials() || !o.credential_params().is_empty() {
                out.push(PROVIDER_INLINE_CREDENTIALS.at(
                    "spec.proxy",
                    format!("the proxy {} carries credentials", o.host_port()),
                    fix,
                ));
            }
        }
        Err(_) => {
            let authority = proxy.split_once("://").map_or(proxy, |(_, r)| r);
            let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
            if authority.contains('@') {
                out.push(PROVIDER_INLINE_CREDENTIALS.at(
                    "spec.proxy",
                    format!("{:?} carries credentials", shown_unparsed(proxy)),
                    fix,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::POLICY;
    use fluxgate_admission::flow::review_create;
    use serde_json::{Value, json};

    #[test]
    fn cel_string_literals_in_every_spelling() {
        use Token::{Ident, Punct, Str};
        let s = |t: &str| Str(t.to_string());
        // Raw: a backslash escapes nothing, so the first quote closes the string.
        assert_eq!(
            cel_tokens(r#"r"a\" == x"#),
            [s(r"a\"), Punct('='), Punct('='), Ident("x")]
        );
        // Prefixes (at most two letters: r, b, either case), anywhere in the expression.
        assert_eq!(
            cel_tokens(r#"x + rb'\d' + B"y""#),
            [Ident("x"), Punct('+'), s(r"\d"), Punct('+'), s("y")]
        );
        // Three letters are a name, then a string.
        assert_eq!(cel_tokens(r#"brr"x""#), [Ident("brr"), s("x")]);
        // Triple quotes, also at the very start, hold single quotes.
        assert_eq!(cel_tokens(r#""""a"b""""#), [s(r#"a"b"#)]);
        assert_eq!(cel_tokens("R'''it's'''"), [s("it's")]);
        // Outside raw strings a backslash escapes the quote.
        assert_eq!(cel_tokens(r#""a\"b" y"#), [s(r#"a\"b"#), Ident("y")]);
        assert_eq!(
            cel_tokens(r#"x == "ab\"c" && y"#),
            [
                Ident("x"),
                Punct('='),
                Punct('='),
                s(r#"ab\"c"#),
                Punct('&'),
                Punct('&'),
                Ident("y")
            ]
        );
        // Numbers, with their dots and suffixes, are no names.
        assert_eq!(
            cel_tokens("1.5e3 + 0x1Fu + x"),
            [Punct('+'), Punct('+'), Ident("x")]
        );
    }

    fn rules_of(kind: &str, version: &str, spec: Value, settings: Value) -> Vec<String> {
        let object = json!({
            "apiVersion": format!("notification.toolkit.fluxcd.io/{version}"), "kind": kind,
            "metadata": {"name": "n", "namespace": "team-a"}, "spec": spec
        });
        let verdict = review_create(
            &POLICY,
            object,
            "system:serviceaccount:team-a:flux",
            settings,
        );
        let mut ids: Vec<String> = verdict
            .findings
            .iter()
            .map(|f| f.rule.to_string())
            .collect();
        ids.dedup();
        ids
    }

    fn provider(spec: Value, settings: Value) -> Vec<String> {
        rules_of("Provider", "v1beta3", spec, settings)
    }

    #[test]
    fn cel_references_skip_strings_and_follow_forms() {
        let refs = |e: &str| cel_references(e);
        assert_eq!(refs("claims.sub == 'x'").0, ["sub"]);
        assert_eq!(
            refs("claims['repository_owner'] == \"acme\"").0,
            ["repository_owner"]
        );
        assert_eq!(refs("claims.?email.orValue('') != ''").0, ["email"]);
        assert!(refs("'claims.sub' != ''").0.is_empty());
        assert!(refs("r\"claims.sub\" == claims2.sub").0.is_empty());
        assert!(refs("'''claims.sub ''' == x.claims.sub").0.is_empty());
        assert!(refs("'sub' in claims").0.is_empty());
        assert_eq!(
            refs("vars.owner == 'acme' && claims.aud == 'x'"),
            (vec!["aud".into()], vec!["owner".into()])
        );
        assert_eq!(refs("'a\\'claims.x' == claims.y").0, ["y"]);
        assert!(refs("1.5e3 > 0 && \"unterminated claims.sub").0.is_empty());
        assert!(refs("").0.is_empty());
    }

    #[test]
    fn receivers() {
        let r = |version: &str, spec: Value, settings: Value| {
            rules_of("Receiver", version, spec, settings)
        };
        let res = json!([{"kind": "GitRepository", "name": "app"}]);
        let spec = |t: &str| json!({"type": t, "secretRef": {"name": "t"}, "resources": res});
        assert_eq!(
            r("v1", spec("generic"), json!(null)),
            ["notification/receiver-unverified"]
        );
        assert_eq!(
            r("v1beta1", spec("dockerhub"), json!(null)),
            ["notification/receiver-unverified"]
        );
        assert!(r("v1", spec("generic-hmac"), json!(null)).is_empty());
        assert!(
            r(
                "v1beta2",
                spec("quay"),
                json!({"allowedUnverifiedReceiverTypes": ["quay"]})
            )
            .is_empty()
        );
        let cross = json!({"type": "github", "secretRef": {"name": "t"},
            "resources": [{"kind": "GitRepository", "name": "app", "namespace": "team-b"},
                          {"kind": "GitRepository", "name": "app", "namespace": "team-a"},
                          {"kind": "GitRepository", "name": "app", "namespace": "shared"}]});
        assert_eq!(
            r("v1", cross.clone(), json!(null)),
            ["notification/receiver-cross-namespace"]
        );
        let v = review_create(
            &POLICY,
            json!({"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
                   "metadata": {"name": "n", "namespace": "team-a"}, "spec": cross}),
            "x",
            json!({"sharedNamespaces": ["shared"]}),
        );
        assert_eq!(v.findings.len(), 1);
        assert_eq!(v.findings[0].field, "spec.resources[0].namespace");
    }

    #[test]
    fn oidc_receivers() {
        let oidc = |issuer: &str, validations: Value, variables: Value, settings: Value| {
            rules_of(
                "Receiver",
                "v1",
                json!({"type": "generic-oidc", "resources": [{"kind": "GitRepository", "name": "app"}],
                       "oidcProviders": [{"issuerURL": issuer, "validations": validations, "variables": variables}]}),
                settings,
            )
        };
        let gh = "https://token.actions.githubusercontent.com";
        let v = |e: &str| json!([{"expression": e, "message": "m"}]);
        assert!(
            oidc(
                gh,
                v("claims.repository_owner == 'acme'"),
                json!([]),
                json!(null)
            )
            .is_empty()
        );
        assert_eq!(
            oidc(
                gh,
                v("claims.aud == 'flux' && claims.exp > 0"),
                json!([]),
                json!(null)
            ),
            ["notification/receiver-oidc-claims-unconstrained"]
        );
        assert_eq!(
            oidc(gh, v("true"), json!([]), json!(null)),
            ["notification/receiver-oidc-claims-unconstrained"]
        );
        let owner = json!([{"name": "owner", "expression": "claims.repository_owner"}]);
        assert!(oidc(gh, v("vars.owner == 'acme'"), owner.clone(), json!(null)).is_empty());
        assert_eq!(
            oidc(gh, v("claims.aud == 'x'"), owner, json!(null)),
            ["notification/receiver-oidc-claims-unconstrained"]
        );
        let loops =
            json!([{"name": "a", "expression": "vars.b"}, {"name": "b", "expression": "vars.a"}]);
        assert_eq!(
            oidc(gh, v("vars.a"), loops, json!(null)),
            ["notification/receiver-oidc-claims-unconstrained"]
        );
        let only_owner = json!({"oidcIdentityClaims": ["repository_owner"]});
        assert_eq!(
            oidc(gh, v("claims.sub != ''"), json!([]), only_owner.clone()),
            ["notification/receiver-oidc-claims-unconstrained"]
        );
        assert!(
            oidc(
                gh,
                v("claims.repository_owner == 'acme'"),
                json!([]),
                only_owner
            )
            .is_empty()
        );
        assert_eq!(
            oidc(
                "http://dex.auth.svc:5556",
                v("claims.sub == 'x'"),
                json!([]),
                json!(null)
            ),
            ["notification/receiver-oidc-issuer-not-https"]
        );
        assert!(
            oidc(
                "http://dex.auth.svc:5556",
                v("claims.sub == 'x'"),
                json!([]),
                json!({"plainHttpHosts": ["dex.auth.svc:5556"]})
            )
            .is_empty()
        );
        let allowed = json!({"allowedOidcIssuers": [gh]});
        assert!(oidc(gh, v("claims.sub == 'x'"), json!([]), allowed.clone()).is_empty());
        assert_eq!(
            oidc(
                "https://token.actions.githubusercontent.com/",
                v("claims.sub == 'x'"),
                json!([]),
                allowed
            ),
            ["notification/receiver-oidc-issuer-not-allowed"]
        );
    }

    #[test]
    fn alerts() {
        let a = |version: &str, ns: Value| {
            rules_of(
                "Alert",
                version,
                json!({"providerRef": {"name": "p"}, "eventSources": [{"kind": "Kustomization", "name": "*", "namespace": ns}]}),
                json!({"sharedNamespaces": ["shared"]}),
            )
        };
        assert!(a("v1beta3", json!("team-a")).is_empty());
        assert!(a("v1beta1", json!(null)).is_empty());
        assert!(a("v1beta2", json!("shared")).is_empty());
        assert_eq!(
            a("v1beta3", json!("team-b")),
            ["notification/alert-cross-namespace"]
        );
        assert_eq!(
            a("v1beta1", json!("*")),
            ["notification/alert-cross-namespace"]
        );
    }

    #[test]
    fn provider_addresses() {
        let web = |a: &str| provider(json!({"type": "generic", "address": a}), json!(null));
        assert!(web("https://example.com/hook").is_empty());
        assert_eq!(
            web("http://example.com/hook"),
            ["notification/provider-address-not-https"]
        );
        assert_eq!(
            web("HTTP://example.com/hook"),
            ["notification/provider-address-not-https"]
        );
        assert_eq!(
            web("example.com/hook"),
            ["notification/provider-address-not-https"]
        );
        assert_eq!(
            web("ftp://example.com/hook"),
            ["notification/provider-address-not-https"]
        );
        assert_eq!(
            web("https://u:p@example.com/hook"),
            ["notification/provider-inline-credentials"]
        );
        assert_eq!(
            web("https://example.com/hook?token=x"),
            ["notification/provider-inline-credentials"]
        );
        assert_eq!(
            web("https://HOOKS.slack.com./services/T/B/X"),
            ["notification/provider-inline-credentials"]
        );
        assert!(web("https://hooks.slack.com/services/").is_empty());
        assert_eq!(
            web("https://ptb.discord.com/api/webhooks/1/x"),
            ["notification/provider-inline-credentials"]
        );
        assert!(
            provider(
                json!({"type": "alertmanager", "address": "http://am.mon:9093/api/v2/alerts"}),
                json!({"plainHttpHosts": ["am.mon:9093"]})
            )
            .is_empty()
        );
        let hosts = json!({"allowedProviderHosts": ["hooks.slack.com", "*.acme.io"]});
        let allow = |a: &str| {
            provider(
                json!({"type": "slack", "address": a, "secretRef": {"name": "s"}}),
                hosts.clone(),
            )
        };
        assert!(allow("https://grafana.acme.io/api").is_empty());
        assert_eq!(
            allow("https://evil.io/x"),
            ["notification/provider-host-not-allowed"]
        );
        assert_eq!(
            allow("https://hooks.slack.com@evil.io/x"),
            [
                "notification/provider-inline-credentials",
                "notification/provider-host-not-allowed"
            ]
        );
        assert!(
            provider(
                json!({"type": "googlepubsub", "address": "my-project", "channel": "t",
            "serviceAccountName": "sa"}),
                hosts.clone()
            )
            .is_empty()
        );
        assert_eq!(
            provider(
                json!({"type": "nats", "address": "nats://u:p@a:4222, nats://evil.io:4222"}),
                hosts
            ),
            [
                "notification/provider-inline-credentials",
                "notification/provider-host-not-allowed"
            ]
        );
        assert_eq!(
            provider(
                json!({"type": "generic", "address": "https://example.com", "proxy": "http://u:p@proxy:3128"}),
                json!(null)
            ),
            ["notification/provider-inline-credentials"]
        );
        assert!(provider(json!({"type": "generic", "address": "https://example.com", "proxy": "http://proxy:3128"}), json!(null)).is_empty());
    }

    #[test]
    fn messages_do_not_repeat_secrets() {
        let object = json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
            "metadata": {"name": "n", "namespace": "team-a"},
            "spec": {"type": "slack", "address": "http://hooks.slack.com/services/T0/B0/SECRET1?token=SECRET2",
                     "proxy": "http://user:SECRET3@proxy:3128"}});
        let v = review_create(&POLICY, object, "x", json!(null));
        let text = v.message().unwrap();
        assert!(!text.contains("SECRET"), "{text}");
        let object = json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
            "metadata": {"name": "n", "namespace": "team-a"},
            "spec": {"type": "generic", "address": "https://hooks.example.com/a b/SECRET1"}});
        let v = review_create(&POLICY, object, "x", json!(null));
        assert!(!v.message().unwrap().contains("SECRET"));
    }

    #[test]
    fn cloud_identity() {
        let hub = json!({"type": "azureeventhub", "address": "events", "channel": "ns"});
        assert_eq!(
            provider(hub.clone(), json!(null)),
            ["identity/controller-cloud-identity"]
        );
        assert!(
            provider(
                hub.clone(),
                json!({"controllerLockdown": {"defaultServiceAccount": true}})
            )
            .is_empty()
        );
        let mut with_sa = hub.clone();
        with_sa["serviceAccountName"] = json!("tenant");
        assert!(provider(with_sa, json!(null)).is_empty());
        let mut with_secret = hub;
        with_secret["secretRef"] = json!({"name": "s"});
        assert_eq!(
            provider(with_secret.clone(), json!(null)),
            ["identity/controller-cloud-identity"]
        );
        assert!(provider(with_secret, json!({"allowStaticCloudCredentials": true})).is_empty());
        let sas = json!({"type": "azureeventhub",
            "address": "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=SECRET"});
        assert_eq!(
            provider(sas, json!(null)),
            ["notification/provider-inline-credentials"]
        );
        assert_eq!(
            rules_of(
                "Provider",
                "v1beta2",
                json!({"type": "googlepubsub", "address": "p", "channel": "t"}),
                json!(null)
            ),
            ["identity/controller-cloud-identity"]
        );
        assert_eq!(
            rules_of(
                "Provider",
                "v1beta1",
                json!({"type": "azuredevops",
                "address": "https://dev.azure.com/o/p/_git/r"}),
                json!(null)
            ),
            ["identity/controller-cloud-identity"]
        );
        assert!(
            provider(
                json!({"type": "github", "address": "https://github.com/acme/app",
            "secretRef": {"name": "s"}}),
                json!(null)
            )
            .is_empty()
        );
    }

    #[test]
    fn platform_namespaces_are_exempt() {
        let object = json!({"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
            "metadata": {"name": "n", "namespace": "flux-system"},
            "spec": {"type": "generic", "resources": [{"kind": "GitRepository", "name": "x", "namespace": "team-b"}]}});
        assert!(
            review_create(&POLICY, object, "admin", json!(null))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(
                rule.id.starts_with("notification/")
                    || rule.id == "identity/controller-cloud-identity",
                "{}",
                rule.id
            );
            assert!(RULES[..i].iter().all(|r| r.id != rule.id), "{}", rule.id);
        }
    }
}
