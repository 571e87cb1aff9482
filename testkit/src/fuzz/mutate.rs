//! The mutations: each takes a case (an AdmissionRequest as JSON, plus the raw nesting to
//! splice in) and breaks it one way. [`CLASSES`] lists them with their weights.

use super::Case;
use super::generate::{Corpus, NAMESPACES, Rng, ident};
use serde_json::{Map, Value, json};

/// One step into a JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<Seg>;

/// Paths of `value` and every node under it, pre-order (at most `limit`).
pub fn paths(value: &Value, prefix: &Path, limit: usize) -> Vec<Path> {
    let mut out = Vec::new();
    let mut stack = vec![prefix.clone()];
    let root_len = prefix.len();
    while let Some(path) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        let Some(node) = get(value, &path[root_len..]) else {
            continue;
        };
        match node {
            Value::Array(items) => {
                for i in (0..items.len()).rev() {
                    let mut p = path.clone();
                    p.push(Seg::Index(i));
                    stack.push(p);
                }
            }
            Value::Object(map) => {
                for k in map.keys().rev() {
                    let mut p = path.clone();
                    p.push(Seg::Key(k.clone()));
                    stack.push(p);
                }
            }
            _ => {}
        }
        out.push(path);
    }
    out
}

pub fn get<'a>(mut value: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    for seg in path {
        value = match seg {
            Seg::Key(k) => value.as_object()?.get(k)?,
            Seg::Index(i) => value.as_array()?.get(*i)?,
        };
    }
    Some(value)
}

pub fn get_mut<'a>(mut value: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    for seg in path {
        value = match seg {
            Seg::Key(k) => value.as_object_mut()?.get_mut(k)?,
            Seg::Index(i) => value.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(value)
}

/// Removes the node at `path` from its parent; false at the root or when absent.
pub fn remove(value: &mut Value, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    match (get_mut(value, parent), last) {
        (Some(Value::Object(map)), Seg::Key(k)) => map.remove(k).is_some(),
        (Some(Value::Array(items)), Seg::Index(i)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

/// Sets `value` at `keys` under `root`, making missing (or null) levels objects; does
/// nothing when a level is some other type (an earlier mutation made it so).
pub fn put(root: &mut Value, keys: &[&str], value: Value) {
    let mut node = root;
    for key in keys {
        if node.is_null() {
            *node = json!({});
        }
        let Some(map) = node.as_object_mut() else {
            return;
        };
        node = map.entry(key.to_string()).or_insert(Value::Null);
    }
    *node = value;
}

/// The object at `keys`, if it is one.
fn object_at<'a>(root: &'a mut Value, keys: &[&str]) -> Option<&'a mut Map<String, Value>> {
    get_mut(
        root,
        &keys
            .iter()
            .map(|k| Seg::Key(k.to_string()))
            .collect::<Vec<_>>(),
    )?
    .as_object_mut()
}

/// The marker string a raw-nesting mutation leaves in the tree: the payload builder
/// replaces its JSON spelling with the nesting itself (so the host never builds, nor
/// recursively drops, a 100,000-deep `Value`).
pub const DEEP_MARKER: &str = "\u{1}fluxgate-fuzz-deep\u{1}";

/// Raw nesting spliced in where [`DEEP_MARKER`] is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deep {
    pub depth: usize,
    /// `[[...]]` or `{"a":{"a":...}}`.
    pub maps: bool,
}

impl Deep {
    pub fn text(&self) -> String {
        let (open, close) = if self.maps {
            ("{\"a\":", "}")
        } else {
            ("[", "]")
        };
        let mut s = String::with_capacity(self.depth * (open.len() + close.len()) + 4);
        for _ in 0..self.depth {
            s.push_str(open);
        }
        s.push_str(if self.maps { "\"x\"" } else { "1" });
        for _ in 0..self.depth {
            s.push_str(close);
        }
        s
    }
}

/// A mutation class: its name (as reports print it), its weight and what it does.
pub struct Class {
    pub name: &'static str,
    pub weight: u32,
    pub apply: fn(&mut Case, &Corpus, &mut Rng),
}

const fn class(name: &'static str, weight: u32, apply: fn(&mut Case, &Corpus, &mut Rng)) -> Class {
    Class {
        name,
        weight,
        apply,
    }
}

/// The mutation classes with their weights (per mille of the mutations drawn).
pub const CLASSES: &[Class] = &[
    class("type-flip", 130, type_flip),
    class("delete", 90, delete),
    class("null", 50, null),
    class("odd-string", 90, odd_string),
    class("unicode", 80, unicode),
    class("number-edge", 40, number_edge),
    class("unknown-key", 60, unknown_key),
    class("splice", 80, splice),
    class("repeat", 30, repeat),
    class("operation", 60, operation),
    class("user-info", 60, user_info),
    class("kind-disagree", 60, kind_disagree),
    class("api-version", 60, api_version),
    class("namespace-name", 40, namespace_name),
    class("dry-run", 10, dry_run),
    class("nesting", 30, nesting),
    class("cluster-state", 30, cluster_state),
];

/// The big ones, drawn for a fixed fraction of the cases (`--big-per-mille`), with their
/// relative weights: each costs a hundred small ones.
pub const BIG_CLASSES: &[Class] = &[
    class("100k-list", 40, big_list),
    class("100k-map", 30, big_map),
    class("1MB-string", 30, big_string),
];

/// Applies one to four mutations and, for `big_per_mille` cases in 1,000, one big one
/// after them; records their names.
pub fn mutate(case: &mut Case, corpus: &Corpus, rng: &mut Rng, big_per_mille: u32) {
    let weights: Vec<u32> = CLASSES.iter().map(|c| c.weight).collect();
    let n = 1
        + usize::from(rng.chance(0.45))
        + usize::from(rng.chance(0.2))
        + usize::from(rng.chance(0.1));
    for _ in 0..n {
        let c = &CLASSES[rng.weighted(&weights)];
        (c.apply)(case, corpus, rng);
        case.mutations.push(c.name);
    }
    if rng.below(1000) < big_per_mille as usize {
        let weights: Vec<u32> = BIG_CLASSES.iter().map(|c| c.weight).collect();
        let c = &BIG_CLASSES[rng.weighted(&weights)];
        (c.apply)(case, corpus, rng);
        case.mutations.push(c.name);
    }
}

/// A node to mutate: mostly inside the object, sometimes the old object or anywhere in the
/// request (its kind, userInfo, operation...).
fn site(case: &Case, rng: &mut Rng) -> Path {
    let root: Path = match rng.below(10) {
        0..=6 => vec![Seg::Key("object".into())],
        7 if case.request.get("oldObject").is_some() => vec![Seg::Key("oldObject".into())],
        _ => Vec::new(),
    };
    let (root, sub) = match get(&case.request, &root) {
        Some(sub) => (root, sub),
        None => (Vec::new(), &case.request),
    };
    // Never the request itself: it stays an object.
    let all: Vec<Path> = paths(sub, &root, 5000)
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if all.is_empty() {
        return vec![Seg::Key("object".into())];
    }
    rng.pick(&all).clone()
}

/// A site that holds a string (falls back to any site).
fn string_site(case: &Case, rng: &mut Rng) -> Path {
    let root: Path = if rng.chance(0.85) {
        vec![Seg::Key("object".into())]
    } else {
        Vec::new()
    };
    let Some(sub) = get(&case.request, &root) else {
        return site(case, rng);
    };
    let strings: Vec<Path> = paths(sub, &root, 5000)
        .into_iter()
        .filter(|p| get(&case.request, p).is_some_and(Value::is_string))
        .collect();
    if strings.is_empty() {
        site(case, rng)
    } else {
        rng.pick(&strings).clone()
    }
}

fn set(case: &mut Case, path: &[Seg], value: Value) {
    if let Some(node) = get_mut(&mut case.request, path) {
        *node = value;
    }
}

/// Strings that trip parsers and matchers.
pub const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "*",
    "**",
    "?",
    ".",
    "..",
    "../..",
    "../../etc/passwd",
    "/",
    "./",
    "//",
    "\\",
    "~",
    "-",
    "0",
    "-1",
    "true",
    "null",
    "{}",
    "[]",
    "${VAR}",
    "$(id)",
    "{{ .Values.x }}",
    "https://",
    "https://github.com/fluxgate-dev/fluxgate",
    "http://169.254.169.254/latest/meta-data",
    "ssh://git@github.com/org/repo",
    "git@github.com:org/repo.git",
    "oci://ghcr.io/org/app",
    "oci://",
    "file:///etc/passwd",
    "s3://bucket",
    "gs://bucket",
    "ghcr.io/org/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "localhost:5000/a",
    "HTTPS://GITHUB.COM/ORG/REPO",
    "https://user:pass@github.com/org/repo",
    "https://github.com:99999/org",
    "https://[::1]/repo",
    "%2e%2e/%2e%2e",
    "flux-system",
    "kube-system",
    "team-a",
    "team-b",
    "cluster-admin",
    "system:masters",
    "system:serviceaccount:flux-system:kustomize-controller",
    "*/*",
    "^.*$",
    "(a+)+$",
    "[",
    "\\p{L}",
    "(?i)",
    "5m",
    "0s",
    "-5m",
    "1000000h",
    "1.2.3",
    ">=1.0.0 <2.0.0",
    "^1.x",
    "latest",
    "main",
    "refs/heads/main",
    "HEAD",
    "v1",
    "Secret",
    "ServiceAccount",
];

fn odd_string_value(corpus: &Corpus, rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=5 => rng.pick(ODD_STRINGS).to_string(),
        6..=7 => corpus.any_string(rng),
        8 => "a".repeat(*rng.pick(&[63, 64, 253, 254, 4096])),
        _ => format!("{}.{}", ident(rng), ident(rng)),
    }
}

fn random_value(corpus: &Corpus, rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => json!(rng.chance(0.5)),
        2 => json!(rng.below(10) as i64 - 2),
        3 => json!(odd_string_value(corpus, rng)),
        4 => json!([]),
        5 => json!({}),
        6 => json!([odd_string_value(corpus, rng)]),
        _ => json!({"name": ident(rng)}),
    }
}

fn type_flip(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let path = site(case, rng);
    let Some(old) = get(&case.request, &path).cloned() else {
        return;
    };
    let new = match (&old, rng.below(7)) {
        (Value::String(s), 0) => s.parse::<i64>().map(|n| json!(n)).unwrap_or(json!(7)),
        (_, 0) => json!(7),
        (Value::String(_), 1) | (_, 1) => json!(rng.chance(0.5)),
        (_, 2) => json!(old.to_string()),
        (_, 3) => json!([old]),
        (_, 4) => json!({ "value": old }),
        (_, 5) => json!(1.5),
        _ => random_value(corpus, rng),
    };
    set(case, &path, new);
}

fn delete(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let path = site(case, rng);
    remove(&mut case.request, &path);
}

fn null(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let path = site(case, rng);
    set(case, &path, Value::Null);
}

fn odd_string(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let path = string_site(case, rng);
    let s = odd_string_value(corpus, rng);
    set(case, &path, json!(s));
}

/// Look-alikes of ASCII characters (Cyrillic, fullwidth, dashes, dots, slashes).
const LOOKALIKES: &[(char, char)] = &[
    ('a', '\u{430}'),
    ('e', '\u{435}'),
    ('o', '\u{43e}'),
    ('p', '\u{440}'),
    ('c', '\u{441}'),
    ('x', '\u{445}'),
    ('i', '\u{456}'),
    ('s', '\u{455}'),
    ('l', '\u{4cf}'),
    ('y', '\u{443}'),
    ('-', '\u{2010}'),
    ('-', '\u{2212}'),
    ('.', '\u{2024}'),
    ('/', '\u{2215}'),
    (':', '\u{2236}'),
    ('a', '\u{ff41}'),
    ('*', '\u{2217}'),
];

/// Characters that are invisible, reorder text, or are control characters.
const SNEAKY: &[&str] = &[
    "\u{200b}",
    "\u{200d}",
    "\u{feff}",
    "\u{202e}",
    "\u{0301}",
    "\u{0}",
    "\n",
    "\r",
    "\t",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{a0}",
    "\u{3000}",
    "\u{fffd}",
    "\u{10ffff}",
    "\u{1f600}",
];

fn unicode(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let path = string_site(case, rng);
    let Some(Value::String(s)) = get(&case.request, &path).cloned() else {
        return;
    };
    let chars: Vec<char> = s.chars().collect();
    let new: String = match rng.below(6) {
        0 | 1 => {
            // Swap one character that has a look-alike.
            let swappable: Vec<usize> = (0..chars.len())
                .filter(|i| LOOKALIKES.iter().any(|(a, _)| *a == chars[*i]))
                .collect();
            if swappable.is_empty() {
                format!("{s}\u{430}")
            } else {
                let i = *rng.pick(&swappable);
                let options: Vec<char> = LOOKALIKES
                    .iter()
                    .filter(|(a, _)| *a == chars[i])
                    .map(|(_, b)| *b)
                    .collect();
                let mut out = chars.clone();
                out[i] = *rng.pick(&options);
                out.into_iter().collect()
            }
        }
        2 | 3 => {
            let at = rng.below(chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            let sneaky: &&str = rng.pick(SNEAKY);
            out.push_str(sneaky);
            out.extend(&chars[at..]);
            out
        }
        4 => match rng.below(3) {
            0 => s.to_uppercase(),
            1 => format!(" {s} "),
            _ => s.chars().rev().collect(),
        },
        // Decomposed accents: the same text to a reader, other bytes to a matcher.
        _ => s.replace('e', "e\u{301}"),
    };
    set(case, &path, json!(new));
}

fn number_edge(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let path = site(case, rng);
    let n = match rng.below(11) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(i64::from(i32::MAX) + 1),
        3 => json!(9_007_199_254_740_993_i64),
        4 => json!(i64::MAX),
        5 => json!(u64::MAX),
        6 => json!(i64::MIN),
        7 => json!(1e308),
        8 => json!(-0.0),
        9 => json!(0.5),
        _ => json!("99999999999999999999999999"),
    };
    set(case, &path, n);
}

fn unknown_key(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let objects: Vec<Path> = {
        let root = vec![Seg::Key("object".into())];
        match get(&case.request, &root) {
            Some(sub) => paths(sub, &root, 5000)
                .into_iter()
                .filter(|p| get(&case.request, p).is_some_and(Value::is_object))
                .collect(),
            None => Vec::new(),
        }
    };
    if objects.is_empty() {
        return;
    }
    let path = rng.pick(&objects).clone();
    let key = match rng.below(6) {
        0..=3 if !corpus.keys.is_empty() => rng.pick(&corpus.keys).clone(),
        4 => rng
            .pick(&[
                "",
                "__proto__",
                "a.b",
                "spec ",
                "Spec",
                "$ref",
                "\u{0}",
                "🙂",
            ])
            .to_string(),
        _ => ident(rng),
    };
    let value = if rng.chance(0.3) {
        let donor = rng.pick(&corpus.seeds).request.clone();
        let donors = paths(&donor, &Vec::new(), 5000);
        let from: &Path = rng.pick(&donors);
        get(&donor, from).cloned().unwrap_or(Value::Null)
    } else {
        random_value(corpus, rng)
    };
    if let Some(Value::Object(map)) = get_mut(&mut case.request, &path) {
        map.insert(key, value);
    }
}

/// A subtree of another seed put in place of one of this case's.
fn splice(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let donor = &rng.pick(&corpus.seeds).request.clone();
    let root = vec![Seg::Key("object".into())];
    let donor_paths = match get(donor, &root) {
        Some(sub) => paths(sub, &root, 5000),
        None => return,
    };
    let from = rng.pick(&donor_paths).clone();
    // Same place when this case has it, else anywhere.
    let to = if get(&case.request, &from).is_some() && rng.chance(0.6) {
        from.clone()
    } else {
        site(case, rng)
    };
    if let Some(value) = get(donor, &from).cloned() {
        set(case, &to, value);
    }
}

/// A list made longer with copies of its own items (duplicate rules, subjects, refs).
fn repeat(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let root = vec![Seg::Key("object".into())];
    let lists: Vec<Path> = match get(&case.request, &root) {
        Some(sub) => paths(sub, &root, 5000)
            .into_iter()
            .filter(|p| {
                get(&case.request, p)
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty())
            })
            .collect(),
        None => Vec::new(),
    };
    if lists.is_empty() {
        return;
    }
    let path = rng.pick(&lists).clone();
    let times = *rng.pick(&[1, 2, 10, 100, 1000]);
    let room = room(case);
    if let Some(Value::Array(items)) = get_mut(&mut case.request, &path) {
        let copy = items.clone();
        let unit = json_len(&Value::Array(copy.clone())).max(1);
        for _ in 0..times.min(room / unit) {
            items.extend(copy.iter().cloned());
            if items.len() > 5000 {
                break;
            }
        }
    }
}

fn operation(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let r = &mut case.request;
    let object = r.get("object").cloned().unwrap_or(Value::Null);
    match rng.below(20) {
        0..=6 => {
            put(r, &["operation"], json!("UPDATE"));
            let old = match rng.below(4) {
                // Unchanged: the flow's early accept.
                0 => object.clone(),
                // Another seed's object: judged fields differ.
                1 => rng.pick(&corpus.seeds).request["object"].clone(),
                2 => Value::Null,
                _ => {
                    let mut old = object.clone();
                    if let Some(spec) = old.get_mut("spec") {
                        *spec = json!({});
                    } else if let Some(rules) = old.get_mut("rules") {
                        *rules = json!([]);
                    }
                    old
                }
            };
            put(r, &["oldObject"], old);
        }
        7..=9 => {
            put(r, &["operation"], json!("DELETE"));
            put(r, &["oldObject"], object);
            match rng.below(3) {
                0 => {
                    r.as_object_mut().map(|m| m.remove("object"));
                }
                1 => put(r, &["object"], Value::Null),
                _ => {}
            }
        }
        10..=11 => put(r, &["operation"], json!("CREATE")),
        12 => put(r, &["operation"], json!("CONNECT")),
        13 => {
            // A CREATE without its object.
            put(r, &["operation"], json!("CREATE"));
            r.as_object_mut().map(|m| m.remove("object"));
        }
        _ => {
            let odd = *rng.pick(&[
                "",
                "create",
                "Update",
                "PATCH",
                "UPDATE\u{0}",
                " CREATE",
                "CREATE,UPDATE",
                "*",
                "DELETECOLLECTION",
            ]);
            put(r, &["operation"], json!(odd));
        }
    }
}

/// Usernames that are almost, or not at all, what they look like.
const ODD_USERS: &[&str] = &[
    "",
    "system:anonymous",
    "system:admin",
    "kubernetes-admin",
    "system:serviceaccount:",
    "system:serviceaccount::",
    "system:serviceaccount:team-a:",
    "system:serviceaccount::flux",
    "system:serviceaccount:team-a:flux:extra",
    "system:serviceaccount:team-a:flux",
    "system:serviceaccount:flux-system:kustomize-controller",
    "system:serviceaccount:flux-system:helm-controller",
    "system:serviceaccount:kube-system:clusterrole-aggregation-controller",
    "System:ServiceAccount:flux-system:kustomize-controller",
    "system:serviceaccount:flux-system:kustomize-controller ",
    " system:serviceaccount:flux-system:kustomize-controller",
    "system:serviceaccount:flux-system:kustomize\u{2010}controller",
    "system:serviceaccount:flux\u{200b}-system:kustomize-controller",
    "\u{455}ystem:serviceaccount:flux-system:kustomize-controller",
    "system:serviceaccount:FLUX-SYSTEM:kustomize-controller",
    "system:serviceaccount:flux-system:*",
    "system:serviceaccount:*:*",
    "system:node:worker-1",
    "system:kube-controller-manager",
    "gotk:team-a:reconciler",
    "system:serviceaccount:team-a:flux\n",
];

fn user_info(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    if !case.request["userInfo"].is_object() {
        put(&mut case.request, &["userInfo"], json!({}));
    }
    let Some(user) = case.request.get_mut("userInfo") else {
        return;
    };
    match rng.below(10) {
        0..=3 => {
            let name = if rng.chance(0.05) {
                format!("system:serviceaccount:team-a:{}", "a".repeat(10_000))
            } else {
                rng.pick(ODD_USERS).to_string()
            };
            put(user, &["username"], json!(name));
            if rng.chance(0.5) {
                put(
                    user,
                    &["groups"],
                    json!(fluxgate_protocol::admission::groups_of(&name)),
                );
            }
        }
        4 => {
            user.as_object_mut().map(|m| m.remove("username"));
        }
        5 => {
            let groups = match rng.below(6) {
                0 => json!([]),
                1 => json!(["system:masters"]),
                2 => json!(["system:serviceaccounts:flux-system", "system:authenticated"]),
                3 => json!((0..1000).map(|i| format!("group-{i}")).collect::<Vec<_>>()),
                4 => Value::Null,
                _ => json!(["system:serviceaccounts:team-a", ""]),
            };
            put(user, &["groups"], groups);
        }
        6 => {
            user.as_object_mut().map(|m| m.remove("groups"));
        }
        7 => put(
            user,
            &["uid"],
            json!(*rng.pick(&["", "0", "\u{0}", "00000000-0000-0000-0000-000000000000"])),
        ),
        8 => {
            let extra = match rng.below(3) {
                0 => json!({"authentication.kubernetes.io/pod-name": ["x"]}),
                1 => json!({"": []}),
                _ => json!({"k": ["v", "v", "v"]}),
            };
            put(user, &["extra"], extra);
        }
        _ => *user = json!({}),
    }
}

fn kind_disagree(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let other = match rng.below(5) {
        0..=2 if !corpus.kinds.is_empty() => rng.pick(&corpus.kinds).clone(),
        3 => {
            let k = case.request["object"]["kind"].as_str().unwrap_or("Kind");
            match rng.below(3) {
                0 => k.to_lowercase(),
                1 => k.to_uppercase(),
                _ => k.replacen('o', "\u{43e}", 1),
            }
        }
        _ => rng
            .pick(&[
                "",
                "List",
                "Secret",
                "Namespace",
                "ClusterRole",
                "Role",
                "RoleBinding",
                "ConfigMap",
                "Deployment",
                "ServiceAccount",
                "CustomResourceDefinition",
            ])
            .to_string(),
    };
    let r = &mut case.request;
    match rng.below(6) {
        0 | 1 => put(r, &["object", "kind"], json!(other)),
        2 => put(r, &["kind", "kind"], json!(other)),
        3 => {
            let group = r["kind"]["group"].clone();
            put(
                r,
                &["requestKind"],
                json!({"group": group, "version": "v1", "kind": other}),
            );
        }
        4 => {
            let group = *rng.pick(&[
                "",
                "rbac.authorization.k8s.io",
                "source.toolkit.fluxcd.io",
                "example.com",
            ]);
            put(r, &["kind", "group"], json!(group));
        }
        _ => {
            if let Some(o) = object_at(r, &["object"]) {
                o.remove("kind");
            }
        }
    }
}

fn api_version(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let current = case.request["object"]["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let group = current.rsplit_once('/').map_or("", |(g, _)| g).to_string();
    let same_group: Vec<&String> = corpus
        .api_versions
        .iter()
        .filter(|v| v.rsplit_once('/').is_some_and(|(g, _)| g == group))
        .collect();
    let new = match rng.below(8) {
        // Another served (often deprecated) version of the same group.
        0..=2 if !same_group.is_empty() => rng.pick(&same_group).to_string(),
        3 => format!(
            "{group}/{}",
            rng.pick(&["v9", "v1beta3", "v0", "V1", "v1alpha1", "v2beta3", ""])
        ),
        4 => group.clone(),
        5 => rng.pick(&corpus.api_versions).clone(),
        6 => current.replace("fluxcd", "fIuxcd").replace("k8s", "k8ѕ"),
        _ => rng
            .pick(&[
                "",
                "/",
                "v1",
                "/v1",
                "a/b/c",
                "source.toolkit.fluxcd.io/v1/",
                "rbac.authorization.k8s.io/v1",
            ])
            .to_string(),
    };
    let r = &mut case.request;
    put(r, &["object", "apiVersion"], json!(new));
    if rng.chance(0.5) {
        // The request's kind follows (the API server converts to the version it was asked
        // for); otherwise the two disagree.
        let (g, v) = new.rsplit_once('/').unwrap_or(("", &new));
        put(r, &["kind", "group"], json!(g));
        put(r, &["kind", "version"], json!(v));
    }
}

fn namespace_name(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let odd = [
        "",
        "flux-system",
        "kube-system",
        "Team-A",
        "team-a ",
        "kube-system\u{0}",
        "..",
        "*",
        "default",
        "kubewarden",
    ];
    let value = if rng.chance(0.6) {
        rng.pick(&NAMESPACES).to_string()
    } else if rng.chance(0.1) {
        "a".repeat(64)
    } else {
        rng.pick(&odd).to_string()
    };
    let r = &mut case.request;
    match rng.below(6) {
        0 => put(r, &["namespace"], json!(value)),
        1 => put(r, &["object", "metadata", "namespace"], json!(value)),
        2 => {
            put(r, &["namespace"], json!(value));
            put(r, &["object", "metadata", "namespace"], json!(value));
        }
        3 => put(r, &["name"], json!(value)),
        4 => {
            if let Some(m) = object_at(r, &["object", "metadata"]) {
                m.remove("name");
                m.insert("generateName".into(), json!(format!("{value}-")));
            }
        }
        _ => {
            if !r["object"]["metadata"]["labels"].is_object() {
                put(r, &["object", "metadata", "labels"], json!({}));
            }
            put(
                r,
                &["object", "metadata", "labels", "toolkit.fluxcd.io/tenant"],
                json!(value),
            );
        }
    }
}

fn dry_run(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let value = match rng.below(3) {
        0 => json!(true),
        1 => json!(false),
        _ => json!("yes"),
    };
    put(&mut case.request, &["dryRun"], value);
}

/// What the host's capabilities answer broken: a field of an object the policy looks up
/// (a Namespace's labels, a Role's rules, a source's spec) with another type, absent, null or
/// an odd string, or the object twice. The case then runs with a context of its own.
fn cluster_state(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    let mut cluster = case.cluster_state(corpus).clone();
    let has_resources = cluster["resources"]
        .as_array()
        .is_some_and(|r| !r.is_empty());
    if !has_resources {
        let donors: Vec<&Value> = corpus
            .contexts
            .iter()
            .filter_map(|c| c["resources"].as_array())
            .flatten()
            .collect();
        if donors.is_empty() {
            return;
        }
        let donor = (*rng.pick(&donors)).clone();
        put(&mut cluster, &["resources"], json!([donor]));
    }
    let root = vec![Seg::Key("resources".into())];
    // Inside one object: `resources[i].<field>...`.
    let inside: Vec<Path> = paths(&cluster["resources"], &root, 5000)
        .into_iter()
        .filter(|p| p.len() > 2)
        .collect();
    if inside.is_empty() {
        return;
    }
    let path = rng.pick(&inside).clone();
    match rng.below(6) {
        0 => {
            if let Some(n) = get_mut(&mut cluster, &path) {
                *n = Value::Null;
            }
        }
        1 => {
            remove(&mut cluster, &path);
        }
        2 | 3 => {
            let v = random_value(corpus, rng);
            if let Some(n) = get_mut(&mut cluster, &path) {
                *n = v;
            }
        }
        4 => {
            let s = odd_string_value(corpus, rng);
            if let Some(n) = get_mut(&mut cluster, &path) {
                *n = json!(s);
            }
        }
        _ => {
            if let Some(object) = get(&cluster, &path[..2]).cloned()
                && let Some(list) = cluster["resources"].as_array_mut()
            {
                list.push(object);
            }
        }
    }
    case.cluster = Some(cluster);
}

fn nesting(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    // Around serde_json's recursion limit (128, counted from the payload's root, which is
    // three levels above the object), far past it, and deep enough for a stack.
    let depth = *rng.pick(&[
        16, 100, 120, 123, 124, 125, 126, 127, 128, 200, 1000, 100_000,
    ]);
    let path = site(case, rng);
    if path.is_empty() {
        return;
    }
    set(case, &path, json!(DEEP_MARKER));
    case.deep = Some(Deep {
        depth,
        maps: rng.chance(0.5),
    });
}

/// The API server refuses a request body over 3 MiB (`maxRequestBodyBytes`): no object a
/// policy is sent can be larger, so the big mutations stay under it.
pub const OBJECT_LIMIT: usize = 3 << 20;

fn json_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// What is left of the object's size budget.
fn room(case: &Case) -> usize {
    let used = case.request.get("object").map_or(0, json_len);
    OBJECT_LIMIT.saturating_sub(used + 1024)
}

/// `item`, or a smaller value of its shape, whose JSON is at most `budget` bytes.
fn small_item(item: &Value, budget: usize, rng: &mut Rng) -> Value {
    if json_len(item) <= budget {
        return item.clone();
    }
    let smaller = match item {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<&String> = map.keys().collect();
            let key = *rng.pick(&keys);
            let inner = small_item(&map[key], budget.saturating_sub(key.len() + 5), rng);
            json!({ key.clone(): inner })
        }
        Value::Array(items) if !items.is_empty() => {
            json!([small_item(&items[0], budget.saturating_sub(2), rng)])
        }
        Value::String(s) => {
            let keep = budget.saturating_sub(2).min(s.len());
            json!(s[..s.floor_char_boundary(keep)])
        }
        _ => json!(1),
    };
    if json_len(&smaller) <= budget {
        smaller
    } else {
        json!(1)
    }
}

fn big_list(case: &mut Case, corpus: &Corpus, rng: &mut Rng) {
    const N: usize = 100_000;
    let path = site(case, rng);
    let item = match get(&case.request, &path) {
        Some(Value::Array(items)) if !items.is_empty() => rng.pick(items).clone(),
        Some(v) if rng.chance(0.5) => v.clone(),
        _ => json!(odd_string_value(corpus, rng)),
    };
    // Items small enough for 100,000 of them in what is left of the 3 MiB.
    let budget = (room(case) / N).saturating_sub(1).max(1);
    let varied = rng.chance(0.5) && item.is_string() && budget > 10;
    let item = small_item(&item, if varied { budget - 8 } else { budget }, rng);
    let items: Vec<Value> = (0..N)
        .map(|i| match &item {
            Value::String(s) if varied => json!(format!("{s}-{i}")),
            _ => item.clone(),
        })
        .collect();
    set(case, &path, Value::Array(items));
}

fn big_map(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    const N: usize = 100_000;
    let path = site(case, rng);
    let value = get(&case.request, &path)
        .filter(|v| !v.is_object() && !v.is_array())
        .cloned()
        .unwrap_or(json!("v"));
    // `"k99999":` and a comma: 10 bytes a key.
    let budget = (room(case) / N).saturating_sub(10).max(1);
    let value = small_item(&value, budget, rng);
    let mut map = Map::new();
    for i in 0..N {
        map.insert(format!("k{i}"), value.clone());
    }
    set(case, &path, Value::Object(map));
}

fn big_string(case: &mut Case, _: &Corpus, rng: &mut Rng) {
    let path = string_site(case, rng);
    let unit = match get(&case.request, &path) {
        Some(Value::String(s)) if !s.is_empty() && s.len() < 1024 && rng.chance(0.5) => s.clone(),
        _ => rng
            .pick(&["a", "é", "/", "\u{1f600}", "a.", "../"])
            .to_string(),
    };
    let len = (1usize << 20).min(room(case));
    let s = unit.repeat(len / unit.len() + 1);
    set(case, &path, json!(s));
}
