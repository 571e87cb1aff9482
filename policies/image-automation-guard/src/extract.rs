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
        let after = &body[len..];
        rest = if brace { &after[1..] } else { after };
        out.push(
            number(name).map_or_else(|| Reference::Named(name.to_string()), Reference::Number),
        );
    }
    out
}

/// Go reads a name made only of digits, without a leading zero, as a group number
/// (regexp.go `extract`: it stops at the digit it would add once the number has reached
/// 10^8, so up to nine digits).
fn number(name: &str) -> Option<usize> {
    let digits = name.bytes().all(|b| b.is_ascii_digit());
    if !digits || name.len() > 9 || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    name.parse().ok()
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
        assert_eq!(references("$0"), [Number(0)]);
        assert_eq!(references("$1a"), [Named("1a".into())]);
        assert_eq!(references("${123456789}"), [Number(123_456_789)]);
        assert_eq!(references("$1234567890"), [Named("1234567890".into())]);
        assert_eq!(
            references("${a}${b}c"),
            [Named("a".into()), Named("b".into())]
        );
        assert_eq!(references("$$ts"), []);
        assert_eq!(references("${ts"), []);
        assert_eq!(references("v$"), []);
        assert_eq!(references("$-"), []);
    }
}
