//! Where fuzz cases come from: a small deterministic PRNG, the seeds (every fixture of a
//! policy, as the request it sends), and objects generated from the real CRD schemas of the
//! kinds the policy judges.

use crate::fixture::Fixture;
use crate::schema::CrdSchemas;
use fluxgate_protocol::admission::AdmissionRequest;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// SplitMix64: tiny, fast, and the same sequence on every machine.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The generator of one case: independent of every other case, so one case can be
    /// regenerated alone (`fuzz --case I`).
    pub fn for_case(seed: u64, policy: &str, case: u64) -> Self {
        let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in policy.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = Rng(h ^ case.wrapping_mul(0xd1b5_4a32_d192_ed03));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index chosen by weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// One starting point: a fixture's request with its settings and cluster.
#[derive(Clone)]
pub struct Seed {
    /// The fixture file name.
    pub name: String,
    pub settings: Value,
    /// Index of the evaluation context (the fixture's cluster state) in [`Corpus::contexts`].
    pub ctx: usize,
    /// The AdmissionRequest the fixture sends, as JSON.
    pub request: Value,
}

/// A kind the policy judges that has a CRD schema, with every served version's schema.
pub struct SchemaKind {
    pub group: String,
    pub kind: String,
    /// `(version, openAPIV3Schema)`, sorted by version.
    pub versions: Vec<(String, Value)>,
}

/// Everything one policy's cases are made from.
pub struct Corpus {
    pub seeds: Vec<Seed>,
    /// Distinct cluster states of the seeds (index 0: the empty cluster).
    pub contexts: Vec<Value>,
    pub schema_kinds: Vec<SchemaKind>,
    /// Strings seen in the fixtures under each key (`url` → the URLs the fixtures use).
    pub strings_by_key: BTreeMap<String, Vec<String>>,
    /// Every key of the fixtures' objects and of the CRD schemas' properties.
    pub keys: Vec<String>,
    /// Every kind any schema or fixture names, for kind confusion.
    pub kinds: Vec<String>,
    /// Every `group/version` a schema serves, for apiVersion confusion.
    pub api_versions: Vec<String>,
}

impl Corpus {
    /// The seeds of one policy from its fixture files; fixtures whose settings are meant to
    /// be refused are left out (they never reach `validate`).
    pub fn load(fixtures: &[std::path::PathBuf], schemas: &CrdSchemas) -> anyhow::Result<Self> {
        let mut seeds = Vec::new();
        let mut contexts = vec![json!({})];
        let mut judged = BTreeSet::new();
        let mut strings_by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut keys = BTreeSet::new();
        let mut kinds = BTreeSet::new();
        for file in fixtures {
            let text = std::fs::read_to_string(file)?;
            let fixture =
                Fixture::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if !fixture.expect.settings_valid {
                continue;
            }
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let cluster = fixture.cluster_state.clone().unwrap_or_else(|| json!({}));
            let ctx = match contexts.iter().position(|c| *c == cluster) {
                Some(i) => i,
                None => {
                    contexts.push(cluster);
                    contexts.len() - 1
                }
            };
            for object in [&fixture.object, &fixture.old_object] {
                collect_strings(object, "", &mut strings_by_key, &mut keys);
                if let (Some(api), Some(kind)) =
                    (object["apiVersion"].as_str(), object["kind"].as_str())
                {
                    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
                    judged.insert((group.to_string(), kind.to_string()));
                    kinds.insert(kind.to_string());
                }
            }
            let request = serde_json::to_value(fixture.request(&name))?;
            seeds.push(Seed {
                name,
                settings: fixture.settings.clone(),
                ctx,
                request,
            });
        }
        anyhow::ensure!(!seeds.is_empty(), "no fixture reaches validate");
        let mut by_kind: BTreeMap<(String, String), Vec<(String, Value)>> = BTreeMap::new();
        let mut api_versions = BTreeSet::new();
        for ((group, version, kind), schema) in schemas.iter() {
            api_versions.insert(format!("{group}/{version}"));
            kinds.insert(kind.clone());
            collect_schema_keys(schema, &mut keys, 0);
            if judged.contains(&(group.clone(), kind.clone())) {
                by_kind
                    .entry((group.clone(), kind.clone()))
                    .or_default()
                    .push((version.clone(), schema.clone()));
            }
        }
        let schema_kinds = by_kind
            .into_iter()
            .map(|((group, kind), mut versions)| {
                versions.sort_by(|a, b| a.0.cmp(&b.0));
                SchemaKind {
                    group,
                    kind,
                    versions,
                }
            })
            .collect();
        Ok(Corpus {
            seeds,
            contexts,
            schema_kinds,
            strings_by_key: strings_by_key
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
            keys: keys.into_iter().collect(),
            kinds: kinds.into_iter().collect(),
            api_versions: api_versions.into_iter().collect(),
        })
    }

    /// A string the fixtures use under `key`, if any.
    pub fn string_for(&self, key: &str, rng: &mut Rng) -> Option<String> {
        let seen = self.strings_by_key.get(key)?;
        Some(rng.pick(seen).clone())
    }

    /// Any string some fixture uses.
    pub fn any_string(&self, rng: &mut Rng) -> String {
        let keys: Vec<&String> = self.strings_by_key.keys().collect();
        if keys.is_empty() {
            return "x".into();
        }
        let key = *rng.pick(&keys);
        rng.pick(&self.strings_by_key[key]).clone()
    }
}

fn collect_strings(
    value: &Value,
    key: &str,
    out: &mut BTreeMap<String, BTreeSet<String>>,
    keys: &mut BTreeSet<String>,
) {
    match value {
        Value::String(s) if !key.is_empty() => {
            out.entry(key.to_string()).or_default().insert(s.clone());
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_strings(v, key, out, keys)),
        Value::Object(map) => {
            for (k, v) in map {
                keys.insert(k.clone());
                collect_strings(v, k, out, keys);
            }
        }
        _ => {}
    }
}

fn collect_schema_keys(schema: &Value, keys: &mut BTreeSet<String>, depth: usize) {
    if depth > 12 {
        return;
    }
    if let Some(props) = schema["properties"].as_object() {
        for (k, sub) in props {
            keys.insert(k.clone());
            collect_schema_keys(sub, keys, depth + 1);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = schema.get(key).filter(|s| s.is_object()) {
            collect_schema_keys(sub, keys, depth + 1);
        }
    }
}

/// Namespaces cases are written in: mostly a tenant's, sometimes the platform's.
pub const NAMESPACES: [&str; 8] = [
    "team-a",
    "team-a",
    "team-a",
    "team-b",
    "apps",
    "flux-system",
    "kube-system",
    "default",
];

/// Writers of generated objects: tenants mostly, so tenant-scoped policies judge them.
pub const WRITERS: [&str; 8] = [
    "system:serviceaccount:team-a:flux",
    "system:serviceaccount:team-a:flux",
    "system:serviceaccount:team-a:flux-reconciler",
    "system:serviceaccount:team-b:flux",
    "system:serviceaccount:apps:deployer",
    "system:serviceaccount:flux-system:kustomize-controller",
    "system:serviceaccount:flux-system:helm-controller",
    "kubernetes-admin",
];

/// An object of `kind` generated from the schema of one of its served versions, with
/// metadata a tenant would write, as the request a writer sends for it.
pub fn schema_request(corpus: &Corpus, kind: &SchemaKind, rng: &mut Rng, uid: &str) -> Value {
    let (version, schema) = rng.pick(&kind.versions);
    let mut budget = 400;
    let mut object = Map::new();
    object.insert(
        "apiVersion".into(),
        json!(format!("{}/{version}", kind.group)),
    );
    object.insert("kind".into(), json!(kind.kind));
    let namespace = *rng.pick(&NAMESPACES);
    let mut metadata = json!({"name": ident(rng), "namespace": namespace});
    if rng.chance(0.2) {
        metadata["labels"] = json!({"toolkit.fluxcd.io/tenant": "team-a"});
    }
    object.insert("metadata".into(), metadata);
    if let Some(spec) = schema["properties"].get("spec") {
        object.insert(
            "spec".into(),
            value_for(spec, "spec", corpus, rng, 0, &mut budget),
        );
    }
    let object = Value::Object(object);
    let writer = *rng.pick(&WRITERS);
    let mut request = AdmissionRequest::create(uid, &object, writer);
    if rng.chance(0.15) {
        // An UPDATE of an older spelling of the same object: the judged fields differ.
        let mut old = object.clone();
        if let Some(spec) = schema["properties"].get("spec") {
            old["spec"] = value_for(spec, "spec", corpus, rng, 0, &mut budget);
        }
        request.operation = "UPDATE".into();
        request.old_object = Some(old);
    }
    serde_json::to_value(request).unwrap_or(Value::Null)
}

/// A value the schema admits (mostly): required fields always, optional ones less often the
/// deeper they are; strings from the fixtures under the same key where there are any.
pub fn value_for(
    schema: &Value,
    key: &str,
    corpus: &Corpus,
    rng: &mut Rng,
    depth: usize,
    budget: &mut usize,
) -> Value {
    *budget = budget.saturating_sub(1);
    if let Some(branches) = schema["anyOf"].as_array().or(schema["oneOf"].as_array())
        && schema.get("type").is_none()
        && !branches.is_empty()
    {
        return value_for(rng.pick(branches), key, corpus, rng, depth, budget);
    }
    if schema["x-kubernetes-int-or-string"].as_bool() == Some(true) {
        return if rng.chance(0.5) {
            json!(rng.below(100))
        } else {
            json!(format!("{}%", rng.below(100)))
        };
    }
    if let Some(options) = schema["enum"].as_array().filter(|o| !o.is_empty()) {
        return rng.pick(options).clone();
    }
    match schema["type"].as_str().unwrap_or("object") {
        "string" => {
            let s = corpus
                .string_for(key, rng)
                .filter(|_| rng.chance(0.8))
                .unwrap_or_else(|| string_like(key, rng));
            Value::String(s)
        }
        "integer" => {
            let min = schema["minimum"].as_i64().unwrap_or(0);
            let max = schema["maximum"].as_i64().unwrap_or(min + 100).max(min);
            json!(min + rng.below((max - min + 1).min(1000) as usize) as i64)
        }
        "number" => json!(rng.below(1000) as f64 / 10.0),
        "boolean" => json!(rng.chance(0.5)),
        "array" => {
            let n = if *budget == 0 || depth > 8 {
                0
            } else {
                rng.below(4)
            };
            let n = n.max(schema["minItems"].as_u64().unwrap_or(0) as usize);
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array(
                (0..n)
                    .map(|_| value_for(&items, key, corpus, rng, depth + 1, budget))
                    .collect(),
            )
        }
        _ => {
            let mut map = Map::new();
            let required: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            // Optional fields: often near the top, rarely deep down.
            let p = [0.7, 0.5, 0.35, 0.25, 0.15, 0.1][depth.min(5)];
            if let Some(props) = schema["properties"].as_object() {
                for (k, sub) in props {
                    if required.contains(k.as_str()) || (*budget > 0 && rng.chance(p)) {
                        map.insert(k.clone(), value_for(sub, k, corpus, rng, depth + 1, budget));
                    }
                }
            } else if let Some(sub) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for _ in 0..rng.below(3) {
                    map.insert(
                        ident(rng),
                        value_for(sub, key, corpus, rng, depth + 1, budget),
                    );
                }
            } else if schema["x-kubernetes-preserve-unknown-fields"].as_bool() == Some(true) {
                for _ in 0..rng.below(4) {
                    map.insert(ident(rng), json!(ident(rng)));
                }
            }
            Value::Object(map)
        }
    }
}

/// A lowercase DNS label.
pub fn ident(rng: &mut Rng) -> String {
    const WORDS: [&str; 12] = [
        "podinfo", "app", "team-a", "flux", "infra", "charts", "web", "api", "db", "x", "a1",
        "release",
    ];
    if rng.chance(0.7) {
        rng.pick(&WORDS).to_string()
    } else {
        format!("{}-{}", rng.pick(&WORDS), rng.below(1000))
    }
}

/// A string shaped for its key when the fixtures have none.
fn string_like(key: &str, rng: &mut Rng) -> String {
    let lower = key.to_ascii_lowercase();
    if lower.contains("interval") || lower.contains("timeout") || lower == "ttl" {
        format!("{}m", rng.below(60) + 1)
    } else if lower.contains("url") || lower == "address" || lower == "endpoint" {
        rng.pick(&[
            "https://github.com/org/repo",
            "oci://ghcr.io/org/chart",
            "ssh://git@github.com/org/repo",
            "https://charts.example.com",
        ])
        .to_string()
    } else if lower.contains("namespace") {
        rng.pick(&NAMESPACES).to_string()
    } else if lower == "apiversion" {
        "v1".into()
    } else if lower == "kind" {
        rng.pick(&["Secret", "ConfigMap", "GitRepository", "OCIRepository"])
            .to_string()
    } else {
        ident(rng)
    }
}
