//! ImagePolicy `filterTags.extract` templates, read the way Go's `regexp.Expand` reads them.

/// A group an extract template refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Named(String),
    Number(usize),
}

/// The group references in `template`: `$name` (the longest run of letters, digits and
/// `_`), `${name}`, `$1`; `$$` is a literal dollar, and a `$` that starts no valid
/// reference is copied literally, as in Go.
pub fn references(template: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            rest = r;
            continue;
        }
        let (brace, body) = match rest.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let len = body
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(body.len(), |(i, _)| i);
        let name = &body[..len];
        if name.is_empty() || (brace && !body[len..].starts_with('}')) {
            continue;
        }
        rest = if brace {
            &body[len + 1..]
        } else {
            &body[len..]
        };
        out.push(
            number(name).map_or_else(|| Reference::Named(name.to_string()), Reference::Number),
        );
    }
    out
}

/// Go reads a name made only of digits (no leading zero, below 10^8) as a group number.
fn number(name: &str) -> Option<usize> {
    if name.len() > 8
        || !name.bytes().all(|b| b.is_ascii_digit())
        || (name.len() > 1 && name.starts_with('0'))
    {
        return None;
    }
    name.parse().ok()
}

/// How many capture groups (named or not) a pattern has, for `$1`…`$n`. Only meaningful
/// for a pattern `regex_check` accepted: it counts each `(` that is not escaped, not quoted
/// by `\Q…\E`, not inside a bracket class, and not a `(?` group other than `(?P<` / `(?<`.
pub fn capture_count(pattern: &str) -> usize {
    let chars: Vec<char> = pattern.chars().collect();
    let mut count = 0;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if chars.get(i + 1) == Some(&'Q') => {
                let end = chars[i + 2..].windows(2).position(|w| w == ['\\', 'E']);
                i = end.map_or(chars.len(), |p| i + 2 + p + 2);
                continue;
            }
            '\\' => i += 1,
            '[' => i = class_end(&chars, i),
            '(' => {
                let named = chars.get(i + 1) != Some(&'?')
                    || matches!(
                        (chars.get(i + 2), chars.get(i + 3)),
                        (Some('P'), Some('<')) | (Some('<'), _)
                    );
                count += usize::from(named);
            }
            _ => {}
        }
        i += 1;
    }
    count
}

/// The index of the `]` closing the class opened at `start` (a leading `]` or `^]` is a
/// member; `[:alpha:]` nests), or the last index when there is none.
fn class_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    while i < chars.len() {
        match chars[i] {
            ']' => return i,
            '\\' => i += 2,
            '[' if chars.get(i + 1) == Some(&':') => {
                match chars[i + 2..].windows(2).position(|w| w == [':', ']']) {
                    Some(p) => i += p + 4,
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_templates_like_go() {
        use Reference::*;
        assert_eq!(references("$ts"), [Named("ts".into())]);
        assert_eq!(references("${ts}-x"), [Named("ts".into())]);
        assert_eq!(
            references("$ts$inc"),
            [Named("ts".into()), Named("inc".into())]
        );
        assert_eq!(references("$tsx"), [Named("tsx".into())]);
        assert_eq!(references("$1"), [Number(1)]);
        assert_eq!(references("$01"), [Named("01".into())]);
        assert_eq!(references("$$ts"), []);
        assert_eq!(references("${ts"), []);
        assert_eq!(references("v$"), []);
        assert_eq!(references("$-"), []);
    }

    #[test]
    fn counts_groups() {
        assert_eq!(capture_count(r"^(a)(?:b)(?P<c>d)(?<e>(f))(?i)(?i:g)$"), 4);
        assert_eq!(capture_count(r"^\(x\)[(][^]()][[:alpha:](]\Q(\E(y)$"), 1);
        assert_eq!(capture_count(r"\Q(("), 0);
    }
}
