//! The checkout as files of YAML documents, each with the line it starts on. Unreadable
//! files are errors of the scan, never reasons to stop it.

use crate::report::Error;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Files larger than this are reported, not read (a manifest is kilobytes).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Relative to the checkout root, `/`-separated.
    pub file: String,
    /// 1-based line where the document's content starts.
    pub line: usize,
    pub value: Value,
}

/// Every YAML file under `root` (not following symbolic links to directories, so a link loop
/// cannot trap the walk; `.git` and hidden directories skipped), in path order.
pub fn yaml_files(root: &Path, errors: &mut Vec<Error>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(root, root, &mut out, errors);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<Error>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(error(
                root,
                dir,
                None,
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(root, &path, out, errors);
        } else if is_yaml(&path) && (kind.is_file() || path.is_file()) {
            out.push(path);
        }
    }
}

pub fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// `path` relative to `root`, `/`-separated (the path itself when outside `root`).
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub fn error(root: &Path, path: &Path, line: Option<usize>, message: String) -> Error {
    Error {
        file: relative(root, path),
        line,
        message,
    }
}

/// The documents of one file. A document that does not parse is reported with its line and
/// skipped; the file's other documents are still read.
pub fn documents(root: &Path, path: &Path, errors: &mut Vec<Error>) -> Vec<Document> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        errors.push(error(
            root,
            path,
            None,
            format!("{size} bytes: larger than the {MAX_FILE_BYTES}-byte limit, not read"),
        ));
        return Vec::new();
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(error(root, path, None, format!("cannot read: {e}")));
            return Vec::new();
        }
    };
    let file = relative(root, path);
    let mut out = Vec::new();
    for (start, chunk) in chunks(&text) {
        match fluxgate_yaml::documents(&chunk) {
            Ok(values) => {
                out.extend(
                    values
                        .into_iter()
                        .filter(|v| !v.is_null())
                        .map(|value| Document {
                            file: file.clone(),
                            line: start + first_content_line(&chunk),
                            value,
                        }),
                )
            }
            Err(e) => errors.push(Error {
                file: file.clone(),
                line: Some(start + e.line - 1),
                message: format!("invalid YAML: {}", e.message),
            }),
        }
    }
    out
}

/// The file split at `---` lines: each chunk with the line (1-based) it starts on, so a
/// broken document costs only itself.
pub fn chunks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut start, mut current) = (1, String::new());
    for (i, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if marker {
            if !current.trim().is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            current.clear();
            start = i + 1;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        out.push((start, current));
    }
    out
}

/// Lines before the first line with content (blank lines, comments, the `---`).
fn first_content_line(chunk: &str) -> usize {
    chunk
        .lines()
        .position(|l| {
            let t = l.trim();
            !(t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with('%'))
        })
        .unwrap_or(0)
}

/// `apiVersion`, `kind`, namespace and name of an object.
pub fn identity(o: &Value) -> (&str, &str, &str, &str) {
    fn s(v: &Value) -> &str {
        v.as_str().unwrap_or_default()
    }
    (
        s(&o["apiVersion"]),
        s(&o["kind"]),
        s(&o["metadata"]["namespace"]),
        s(&o["metadata"]["name"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines_and_broken_ones_are_reported() {
        let dir = std::env::temp_dir().join(format!("fluxgate-scan-repo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.yaml");
        std::fs::write(
            &file,
            "# header\napiVersion: v1\nkind: A\n---\n\nkind: B\n---\nkind: [broken\n---\n# c\nkind: C\n",
        )
        .unwrap();
        let mut errors = Vec::new();
        let docs = documents(&dir, &file, &mut errors);
        let lines: Vec<(usize, &str)> = docs
            .iter()
            .map(|d| (d.line, d.value["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(lines, [(2, "A"), (6, "B"), (11, "C")]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(9), "{errors:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
