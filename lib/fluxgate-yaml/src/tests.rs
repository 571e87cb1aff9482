use super::*;
use serde_json::json;
use std::path::Path;

/// What serde_yaml (libyaml) reads, as JSON, with numbers compared as f64.
fn reference(text: &str) -> Result<Vec<Value>, String> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|d| {
            Value::deserialize(d)
                .map(normalise)
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn normalise(v: Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

fn ours(text: &str) -> Result<Vec<Value>, Error> {
    documents(text).map(|d| d.into_iter().map(normalise).collect())
}

/// Empty documents carry nothing (libyaml reports a comment-only stream as one `null`).
fn content(docs: Vec<Value>) -> Vec<Value> {
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

#[track_caller]
fn same(text: &str) {
    let expected = reference(text).unwrap_or_else(|e| panic!("reference refused {text:?}: {e}"));
    let got = ours(text).unwrap_or_else(|e| panic!("refused {text:?}: {e}"));
    assert_eq!(got, expected, "{text}");
}

#[test]
fn block_collections() {
    same("a: 1\nb:\n  c: two\n  d: [x, y]\n");
    same("containers:\n- name: x\n  image: y\n- name: z\nother: 1\n");
    same("- a\n- - b\n  - c\n- d: 1\n  e: 2\n");
    same("a:\n  - 1\n  -\n  - 3\nb: ~\n");
    same("key:    value   # a comment\n# only a comment\n\n'quoted key': \"v\"\n");
    same("a: b:c\nurl: http://x.io/a#frag\nempty:\n");
    same("a: multi\n  line\n  plain\nb: c\n");
}

#[test]
fn flow_collections() {
    same("{privileged: true}");
    same("spec: {template: {spec: {hostNetwork: true, x: [1, 2, {a: b}]}}}");
    same("[{\"op\": \"add\", \"path\": \"/a/b\", \"value\": {\"c\": [1, \"2\"]}}]");
    same("a: [\n  x,\n  y\n]\nb: {c: d,\n  e: f}\n");
    same("[a, b, ]");
    same("{a: , b: c}");
}

#[test]
fn scalars() {
    same("a: 'it''s'\nb: \"tab\\tnew\\nline \\u00e9 \\x41\"\nc: \"folded\n  quoted\"\n");
    same(
        "a: |\n  line 1\n  line 2\n\nb: >\n  folded\n  text\n\n  next\nc: |-\n  stripped\nd: |+\n  kept\n\ne: end\n",
    );
    same("a: >-\n  x\n    more\n  y\n");
    same("- |\n  in a sequence\n- two\n");
    same("a: |2\n    indented\n");
    same(
        "t: true\nT: True\nf: FALSE\nn: null\nt2: ~\ni: -12\no: 0o17\nh: 0x1F\nfl: 1.5\ne: 1e3\ns: yes\nv: 1.2.3\nz: 007\nb: 0b101\nm: -0\ninf: .inf\nund: 1_000\n",
    );
    same("a: !!str true\nb: !!int \"3\"\nc: !!bool true\n");
    assert_eq!(parse("d: !custom x").unwrap(), json!({"d": "x"}));
}

#[test]
fn documents_anchors_and_tags() {
    same("---\na: 1\n---\nb: 2\n...\n");
    same("%YAML 1.2\n---\na: 1\n");
    same("--- {a: 1}\n--- [b]\n");
    same("base: &b {x: 1}\ncopy: *b\nlist: &l [1, 2]\nagain: *l\n");
    same("a: &s scalar\nb: *s\n");
    same("a: !!map\n  b: c\n");
}

#[test]
fn yaml_1_1_spellings_stay_strings_unless_tagged() {
    assert_eq!(parse("v: yes").unwrap(), json!({"v": "yes"}));
    assert_eq!(parse("v: !!bool yes").unwrap(), json!({"v": true}));
    assert_eq!(parse("v: !!bool 'on'").unwrap(), json!({"v": true}));
    assert_eq!(parse("v: !!str 0").unwrap(), json!({"v": "0"}));
}

#[test]
fn refusals_name_the_line() {
    for (text, line) in [
        ("a: 1\na: 2\n", 2),
        ("a:\n  b: 1\n c: 2\n", 3),
        ("? complex\n: key\n", 1),
        ("a: [1, 2\n", 2),
        ("a: \"open\n", 1),
        ("a: *nothing\n", 1),
        ("{a: 1}: b\n", 1),
    ] {
        let e = documents(text).expect_err(text);
        assert_eq!(e.line, line, "{text}: {e}");
    }
}

#[test]
fn hostile_input_is_bounded() {
    let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    assert!(documents(&deep).is_err());
    let mut nested = String::new();
    for i in 0..200 {
        nested.push_str(&" ".repeat(i));
        nested.push_str("a:\n");
    }
    assert!(documents(&nested).is_err());
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    assert!(documents(laughs).is_err());
    for junk in [
        "\u{0}", "\"\\", "|", ">\n", "- ", ":", "-", "[", "{", "&", "!", "*", "'", "%", "a: |9\n",
        "\r\n\r\n",
    ] {
        let _ = documents(junk);
    }
}

/// Every YAML file of the project (fixtures, deploy manifests, examples, the copied fleets)
/// reads as libyaml reads it.
#[test]
fn agrees_with_libyaml_on_the_projects_yaml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["policies", "deploy", "examples", "testkit", "artifacthub"] {
        collect(&root.join(dir), &mut files);
    }
    assert!(files.len() > 400, "found only {} YAML files", files.len());
    let mut compared = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(expected) = reference(&text) else {
            continue;
        };
        let got = ours(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(content(got), content(expected), "{}", file.display());
        compared += 1;
    }
    assert!(compared > 400, "{compared}");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Any JSON value, written out by serde_yaml (block style, its own quoting and escapes),
/// reads back as the same value. (U+2028/U+2029 are left out: libyaml breaks lines at them,
/// YAML 1.2 and this reader do not.)
mod roundtrip {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|i| json!(i)),
            "[ -~\u{e9}\n\t]{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "yes", "no", "on", "~", "null", "1e3", "0x1F", "007", "- a", "a: b", "#c", "'q'",
                "\"d\"", "[x]", "{y}", "&z", "*w", "!t", "|", ">", "---", "..."
            ])
            .prop_map(|s| Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z0-9_./-]{1,8}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn serde_yaml_output_reads_back(v in value()) {
            let text = serde_yaml::to_string(&v).unwrap();
            let got = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(normalise(got), normalise(v), "{}", text);
        }
    }
}
