//! Static checks of the Go (RE2) regular expressions Flux reads: `matchOIDCIdentity`
//! issuers and subjects, ImagePolicy `filterTags.pattern`, exclusion lists.
//!
//! A small parser of Go's `regexp/syntax` grammar builds a syntax tree, without a matching
//! engine or Unicode tables (a regex crate would add 50 to 100+ KB to each policy's wasm).
//! It refuses what Go refuses: unbalanced groups, a repetition without operand or nested
//! (`a**`), counts above 1000, look-around and back-references, unknown escapes or flags.
//! On the tree the module answers what a policy asks: is every match anchored at both ends,
//! which literal text must every match start with, does the pattern stand for exactly one
//! string, which named groups exist.
//!
//! Limits: Unicode class names (`\p{Greek}`) are accepted if well-formed, not looked up; the
//! controller's own compile stays the final judge of those.

/// Go's `regexp/syntax` refuses repeat counts above this.
const GO_MAX_REPEAT: u32 = 1000;
/// Groups nested deeper than this are refused: no real pattern needs it, and it bounds recursion.
const NEST_LIMIT: usize = 64;
/// Longer patterns are refused before parsing.
const MAX_LEN: usize = 4096;

/// A pattern that parsed under Go's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Empty,
    Literal(char),
    /// `.`, `\d`, `\pL`, `[...]`: some set of characters.
    Class,
    /// `^` or `\A`.
    Start,
    /// `$` or `\z`.
    End,
    /// `\b`, `\B`.
    WordBoundary,
    /// `(?ims)`: flags for the rest of the enclosing group.
    SetFlags(Flags),
    Group {
        name: Option<String>,
        flags: Option<Flags>,
        inner: Box<Node>,
    },
    Repeat {
        min: u32,
        inner: Box<Node>,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
}

/// The flags a `(?...)` turns on (those after a `-` are turned off and not recorded).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Flags {
    multi_line: bool,
    any: bool,
}

impl Pattern {
    /// Parses `pattern` as Go would. The error says what is wrong in words a user can act on.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern.len() > MAX_LEN {
            return Err(format!(
                "is {} bytes long, more than the {MAX_LEN} this check reads",
                pattern.len()
            ));
        }
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
        };
        let root = parser
            .alternation(0)
            .map_err(|e| format!("does not compile: {e}"))?;
        if parser.pos < parser.chars.len() {
            return Err("does not compile: unexpected )".into());
        }
        let pattern = Pattern { root };
        let names = pattern.capture_names();
        if let Some((i, _)) = names
            .iter()
            .enumerate()
            .find(|(i, n)| names[..*i].contains(n))
        {
            return Err(format!(
                "does not compile: duplicate capture group name {:?}",
                names[i]
            ));
        }
        Ok(pattern)
    }

    /// Whether every match is pinned at both ends: each top-level alternative starts with
    /// `^` or `\A` and ends with `$` or `\z`, and multi-line mode (`(?m)`, where `^`/`$`
    /// match at line breaks) is never switched on. `^a|b$` is not anchored.
    pub fn is_anchored(&self) -> bool {
        !enables_multi_line(&self.root) && anchored(&self.root)
    }

    /// The literal text each top-level alternative requires right after its start anchor
    /// (`^https://github\.com/org/.*$` gives `https://github.com/org/`): the `text` of
    /// [`Pattern::literal_prefixes`].
    pub fn anchored_literal_prefixes(&self) -> Vec<String> {
        self.literal_prefixes()
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    /// For each top-level alternative, the literal text every match it makes starts with,
    /// and whether the alternative matches exactly that text (`^alice@example\.com$`).
    ///
    /// An alternative that does not start with `^` (or `\A`) forces nothing: anything can
    /// precede its match. After the anchor, literal characters (escapes such as `\.`,
    /// `\/` and `\Q…\E` unescaped) are collected until the first wildcard, class,
    /// alternation, flag change or optional item: `^https://github\.com/org?` forces
    /// `https://github.com/or`, since `?` makes its `g` optional. A group that sets no
    /// flag is read through (`^(org)/` forces `org/`), and an item repeated at least once
    /// (`/+`) contributes its own prefix once before collection stops.
    pub fn literal_prefixes(&self) -> Vec<LiteralPrefix> {
        alternatives(&self.root)
            .into_iter()
            .map(literal_prefix)
            .collect()
    }

    /// When every alternative is `^literal$` (only literal characters between the
    /// anchors), the strings the pattern stands for; otherwise `None`.
    pub fn exact_literals(&self) -> Option<Vec<String>> {
        if !self.is_anchored() {
            return None;
        }
        alternatives(&self.root)
            .into_iter()
            .map(|alt| match concat_items(alt) {
                [Node::Start, middle @ .., Node::End] => middle
                    .iter()
                    .map(|n| match n {
                        Node::Literal(c) => Some(*c),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            })
            .collect()
    }

    /// Whether every match must contain some literal character: `^.*$`, `^[^/]+$` and the
    /// empty pattern do not, so they say nothing about what they accept.
    pub fn requires_literal(&self) -> bool {
        requires_literal(&self.root)
    }

    /// Names of the named capture groups, in order.
    pub fn capture_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_names(&self.root, &mut out);
        out
    }

    /// How many capturing groups (named or not) the pattern has: `$1`…`$n` may refer to them.
    pub fn capture_count(&self) -> usize {
        count_captures(&self.root)
    }
}

/// What one top-level alternative of a pattern forces on every string it matches
/// ([`Pattern::literal_prefixes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralPrefix {
    /// Every match of the alternative starts with this text (empty: nothing is forced).
    pub text: String,
    /// The alternative is `^text$`: it matches `text` and nothing else.
    pub exact: bool,
}

/// `\` before each regex metacharacter, so the result matches `text` literally.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `a|b|c` up to a closing `)` (left for the caller) or the end.
    fn alternation(&mut self, depth: usize) -> Result<Node, String> {
        let mut branches = vec![self.concat(depth)?];
        while self.eat('|') {
            branches.push(self.concat(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternate(branches)
        })
    }

    fn concat(&mut self, depth: usize) -> Result<Node, String> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '|' | ')' => break,
                '*' | '+' | '?' => {
                    self.pos += 1;
                    let min = u32::from(c == '+');
                    self.repeat(&mut items, min, &c.to_string())?;
                }
                '{' => match self.counted()? {
                    Some((min, text)) => self.repeat(&mut items, min, &text)?,
                    None => {
                        // Go reads a `{` that starts no valid count as a literal.
                        self.pos += 1;
                        items.push(Node::Literal('{'));
                    }
                },
                _ => match self.atom(depth)? {
                    // A `\Q...\E` run: its literals join this sequence, as in Go.
                    Node::Concat(run) => items.extend(run),
                    Node::Empty => {}
                    node => items.push(node),
                },
            }
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn repeat(&mut self, items: &mut Vec<Node>, min: u32, op: &str) -> Result<(), String> {
        self.eat('?'); // non-greedy
        match items.pop() {
            None | Some(Node::Empty | Node::SetFlags(_)) => {
                Err(format!("missing argument to repetition operator: {op}"))
            }
            Some(Node::Repeat { .. }) => Err(format!("invalid nested repetition operator: {op}")),
            Some(inner) => {
                items.push(Node::Repeat {
                    min,
                    inner: Box::new(inner),
                });
                Ok(())
            }
        }
    }

    /// `{n}`, `{n,}`, `{n,m}` at the cursor: `Some((min, text))` after consuming it, `None`
    /// (nothing consumed) when the brace starts no count.
    fn counted(&mut self) -> Result<Option<(u32, String)>, String> {
        let start = self.pos;
        self.pos += 1;
        let number = |p: &mut Parser| -> Option<u32> {
            let from = p.pos;
            let mut value: u32 = 0;
            while let Some(d) = p.peek().and_then(|c| c.to_digit(10)) {
                value = value.saturating_mul(10).saturating_add(d);
                p.pos += 1;
            }
            (p.pos > from).then_some(value)
        };
        let parsed = (|| {
            let min = number(self)?;
            let max = if self.eat(',') {
                if self.peek() == Some('}') {
                    None
                } else {
                    Some(number(self)?)
                }
            } else {
                Some(min)
            };
            self.eat('}').then_some((min, max))
        })();
        let Some((min, max)) = parsed else {
            self.pos = start;
            return Ok(None);
        };
        let text: String = self.chars[start..self.pos].iter().collect();
        if min > GO_MAX_REPEAT || max.is_some_and(|m| m > GO_MAX_REPEAT) {
            return Err(format!(
                "invalid repeat count: {text} (Go allows at most {GO_MAX_REPEAT})"
            ));
        }
        if max.is_some_and(|m| m < min) {
            return Err(format!("invalid repeat count: {text}"));
        }
        Ok(Some((min, text)))
    }

    fn atom(&mut self, depth: usize) -> Result<Node, String> {
        let Some(c) = self.next() else {
            return Ok(Node::Empty);
        };
        match c {
            '(' => self.group(depth),
            '[' => self.class(),
            '\\' => self.escape(),
            '.' => Ok(Node::Class),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            c => Ok(Node::Literal(c)),
        }
    }

    fn group(&mut self, depth: usize) -> Result<Node, String> {
        if depth >= NEST_LIMIT {
            return Err(format!("groups nested more than {NEST_LIMIT} deep"));
        }
        let mut name = None;
        let mut flags = None;
        if self.eat('?') {
            if self.peek() == Some('P') && self.peek_at(1) == Some('<') {
                self.pos += 2;
                name = Some(self.group_name()?);
            } else if self.peek() == Some('<') && !matches!(self.peek_at(1), Some('=' | '!')) {
                self.pos += 1;
                name = Some(self.group_name()?);
            } else {
                let (parsed, closes_group) = self.flags()?;
                if !closes_group {
                    return Ok(Node::SetFlags(parsed));
                }
                flags = Some(parsed);
            }
        }
        let inner = self.alternation(depth + 1)?;
        if !self.eat(')') {
            return Err("missing closing )".into());
        }
        Ok(Node::Group {
            name,
            flags,
            inner: Box::new(inner),
        })
    }

    fn group_name(&mut self) -> Result<String, String> {
        let mut name = String::new();
        loop {
            match self.next() {
                Some('>') => break,
                Some(c) if c.is_ascii_alphanumeric() || c == '_' => name.push(c),
                _ => return Err("invalid named capture".into()),
            }
        }
        if name.is_empty() {
            return Err("invalid named capture: empty name".into());
        }
        Ok(name)
    }

    /// After `(?`: flags up to `)` (returns `false`) or `:` (a group follows, `true`).
    fn flags(&mut self) -> Result<(Flags, bool), String> {
        let mut flags = Flags::default();
        let mut negated = false;
        let mut seen = false;
        loop {
            match self.next() {
                Some(c @ ('i' | 'm' | 's' | 'U')) => {
                    seen = true;
                    if !negated {
                        flags.any = true;
                        flags.multi_line |= c == 'm';
                    }
                }
                Some('-') if !negated => negated = true,
                Some(end @ (')' | ':')) => {
                    // `(?)`, `(?-)` and `(?i-)` are errors in Go; `(?:` is fine.
                    if (end == ')' && !seen) || (negated && self.chars[self.pos - 2] == '-') {
                        return Err("invalid or unsupported Perl syntax: flag group".into());
                    }
                    return Ok((flags, end == ':'));
                }
                Some('=' | '!') | Some('<') => {
                    return Err("invalid or unsupported Perl syntax: look-around".into());
                }
                _ => {
                    return Err(
                        "invalid or unsupported Perl syntax: flags other than i, m, s, U".into(),
                    );
                }
            }
        }
    }

    /// After `[`: a bracket class up to its `]`.
    fn class(&mut self) -> Result<Node, String> {
        self.eat('^');
        let mut first = true;
        loop {
            let Some(c) = self.next() else {
                return Err("missing closing ]".into());
            };
            if c == ']' && !first {
                return Ok(Node::Class);
            }
            first = false;
            let lo = match c {
                '[' if self.peek() == Some(':') => {
                    self.ascii_class()?;
                    continue;
                }
                '\\' => match self.class_escape()? {
                    Some(ch) => ch,
                    None => continue, // \d, \pL inside a class
                },
                c => c,
            };
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                self.pos += 1;
                let hi = match self.next() {
                    Some('\\') => self
                        .class_escape()?
                        .ok_or("invalid character class range")?,
                    Some(h) => h,
                    None => return Err("missing closing ]".into()),
                };
                if hi < lo {
                    return Err(format!("invalid character class range: {lo}-{hi}"));
                }
            }
        }
    }

    /// `[:alpha:]` after the `[`; Go accepts the POSIX names (optionally `^`-negated).
    fn ascii_class(&mut self) -> Result<(), String> {
        self.pos += 1;
        self.eat('^');
        let mut name = String::new();
        while let Some(c) = self.next() {
            if c == ':' {
                if !self.eat(']') {
                    break;
                }
                const NAMES: [&str; 14] = [
                    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower",
                    "print", "punct", "space", "upper", "word", "xdigit",
                ];
                return if NAMES.contains(&name.as_str()) {
                    Ok(())
                } else {
                    Err(format!("invalid character class range: [:{name}:]"))
                };
            }
            name.push(c);
        }
        Err("missing closing ]".into())
    }

    /// An escape inside a class: `Some(char)` for a literal, `None` for a class escape.
    fn class_escape(&mut self) -> Result<Option<char>, String> {
        match self.escape()? {
            Node::Literal(c) => Ok(Some(c)),
            Node::Class => Ok(None),
            _ => Err("invalid escape sequence in character class".into()),
        }
    }

    /// After `\`.
    fn escape(&mut self) -> Result<Node, String> {
        let Some(c) = self.next() else {
            return Err("trailing backslash at end of expression".into());
        };
        Ok(match c {
            'A' => Node::Start,
            'z' => Node::End,
            'b' | 'B' => Node::WordBoundary,
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => Node::Class,
            'p' | 'P' => {
                if self.eat('{') {
                    let mut name = String::new();
                    loop {
                        match self.next() {
                            Some('}') => break,
                            Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '^' => {
                                name.push(c)
                            }
                            _ => return Err("invalid character class range: \\p{...}".into()),
                        }
                    }
                    if name.is_empty() {
                        return Err("invalid character class range: \\p{}".into());
                    }
                } else if !self.next().is_some_and(|c| c.is_ascii_alphabetic()) {
                    return Err("invalid character class range: \\p".into());
                }
                Node::Class
            }
            'a' => Node::Literal('\x07'),
            'f' => Node::Literal('\x0c'),
            't' => Node::Literal('\t'),
            'n' => Node::Literal('\n'),
            'r' => Node::Literal('\r'),
            'v' => Node::Literal('\x0b'),
            'x' => Node::Literal(self.hex()?),
            '0'..='7' => {
                // Go: `\0`, or an octal number of up to three digits; `\1`..`\7` alone
                // would be a back-reference, which RE2 does not support.
                if c != '0' && !self.peek().is_some_and(|d| d.is_digit(8)) {
                    return Err(format!(
                        "invalid escape sequence: \\{c} (back-references are not supported)"
                    ));
                }
                let mut value = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                Node::Literal(char::from_u32(value).unwrap_or('\0'))
            }
            'Q' => {
                // `\Q...\E`: everything in between is literal.
                let mut items = Vec::new();
                while let Some(c) = self.next() {
                    if c == '\\' && self.peek() == Some('E') {
                        self.pos += 1;
                        break;
                    }
                    items.push(Node::Literal(c));
                }
                match items.len() {
                    0 => Node::Empty,
                    1 => items.pop().unwrap_or(Node::Empty),
                    _ => Node::Concat(items),
                }
            }
            c if c.is_ascii_punctuation() => Node::Literal(c),
            c => return Err(format!("invalid escape sequence: \\{c}")),
        })
    }

    /// After `\x`: two hex digits or `{hex}`.
    fn hex(&mut self) -> Result<char, String> {
        let invalid = || "invalid escape sequence: \\x".to_string();
        let mut value: u32 = 0;
        if self.eat('{') {
            let mut digits = 0;
            loop {
                match self.next() {
                    Some('}') if digits > 0 => break,
                    Some(c) if c.is_ascii_hexdigit() && digits < 8 => {
                        value = value * 16 + c.to_digit(16).unwrap_or(0);
                        digits += 1;
                    }
                    _ => return Err(invalid()),
                }
            }
        } else {
            for _ in 0..2 {
                let d = self
                    .next()
                    .and_then(|c| c.to_digit(16))
                    .ok_or_else(invalid)?;
                value = value * 16 + d;
            }
        }
        char::from_u32(value).ok_or_else(invalid)
    }
}

/// The literal start of one alternative: its items after a leading `^`, read by
/// [`forced_text`] until one is not pure literal text; `exact` when all are and `$` ends it.
fn literal_prefix(alt: &Node) -> LiteralPrefix {
    let mut text = String::new();
    let Some((Node::Start, rest)) = concat_items(alt).split_first() else {
        return LiteralPrefix { text, exact: false };
    };
    let (body, ends) = match rest.split_last() {
        Some((Node::End, body)) => (body, true),
        _ => (rest, false),
    };
    let whole = body.iter().all(|n| forced_text(n, &mut text));
    LiteralPrefix {
        text,
        exact: ends && whole,
    }
}

/// Appends to `out` the literal text every match of `node` starts with. Returns whether
/// `node` matches exactly that text, so that what follows it is forced too.
fn forced_text(node: &Node, out: &mut String) -> bool {
    match node {
        Node::Literal(c) => {
            out.push(*c);
            true
        }
        Node::Empty => true,
        // `(org)`, `(?:org)`, `(?P<o>org)` match what they contain; `(?i:org)` does not
        // match `org` only.
        Node::Group { flags, inner, .. } if !flags.is_some_and(|f| f.any) => {
            forced_text(inner, out)
        }
        // `x+`, `x{2,5}`: every match starts with one match of `x`; what follows varies.
        Node::Repeat { min, inner } if *min > 0 => {
            forced_text(inner, out);
            false
        }
        Node::Concat(items) => items.iter().all(|n| forced_text(n, out)),
        _ => false,
    }
}

fn concat_items(node: &Node) -> &[Node] {
    match node {
        Node::Concat(items) => items,
        other => std::slice::from_ref(other),
    }
}

fn alternatives(node: &Node) -> Vec<&Node> {
    match node {
        Node::Alternate(branches) => branches.iter().collect(),
        // `(^a$|^b$)`: a group without flags around everything is transparent.
        Node::Group {
            flags: None, inner, ..
        } => match &**inner {
            Node::Alternate(branches) => branches.iter().collect(),
            inner => vec![inner],
        },
        other => vec![other],
    }
}

fn anchored(node: &Node) -> bool {
    alternatives(node).into_iter().all(|alt| {
        // Flag changes are zero-width: `(?i)^...$` is still anchored.
        let items: Vec<&Node> = concat_items(alt)
            .iter()
            .filter(|n| !matches!(n, Node::SetFlags(_)))
            .collect();
        match items.as_slice() {
            [Node::Group { inner, .. }] => anchored(inner),
            [first, .., last] => **first == Node::Start && **last == Node::End,
            _ => false,
        }
    })
}

fn enables_multi_line(node: &Node) -> bool {
    match node {
        Node::SetFlags(f) => f.multi_line,
        Node::Group { flags, inner, .. } => {
            flags.is_some_and(|f| f.multi_line) || enables_multi_line(inner)
        }
        Node::Repeat { inner, .. } => enables_multi_line(inner),
        Node::Concat(items) | Node::Alternate(items) => items.iter().any(enables_multi_line),
        _ => false,
    }
}

fn requires_literal(node: &Node) -> bool {
    match node {
        Node::Literal(_) => true,
        // A case-insensitive literal is still some literal text.
        Node::Group { inner, .. } => requires_literal(inner),
        Node::Repeat { min, inner } => *min > 0 && requires_literal(inner),
        Node::Alternate(branches) => branches.iter().all(requires_literal),
        Node::Concat(items) => items.iter().any(requires_literal),
        _ => false,
    }
}

fn count_captures(node: &Node) -> usize {
    match node {
        // `(?:…)` and `(?i:…)` carry flags and do not capture; `(…)` and `(?P<n>…)` do.
        Node::Group { flags, inner, .. } => usize::from(flags.is_none()) + count_captures(inner),
        Node::Repeat { inner, .. } => count_captures(inner),
        Node::Concat(items) | Node::Alternate(items) => items.iter().map(count_captures).sum(),
        _ => 0,
    }
}

fn collect_names(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::Group { name, inner, .. } => {
            out.extend(name.clone());
            collect_names(inner, out);
        }
        Node::Repeat { inner, .. } => collect_names(inner, out),
        Node::Concat(items) | Node::Alternate(items) => {
            items.iter().for_each(|n| collect_names(n, out))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Pattern {
        Pattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn anchoring() {
        assert!(p(r"^https://github\.com/org/.*$").is_anchored());
        assert!(p(r"\Ahttps://x\z").is_anchored());
        assert!(p(r"(?i)^abc$").is_anchored());
        assert!(p(r"^a$|^b$").is_anchored());
        assert!(p(r"(^a$|^b$)").is_anchored());
        assert!(p(r"^$").is_anchored());
        assert!(!p(r"^a|b$").is_anchored());
        assert!(!p(r".*").is_anchored());
        assert!(!p(r"^abc").is_anchored());
        assert!(!p(r"abc$").is_anchored());
        assert!(!p(r"(?m)^abc$").is_anchored());
        assert!(!p(r"^(?m:x)$").is_anchored());
        assert!(!p(r"^").is_anchored());
        assert!(!p(r"").is_anchored());
        assert!(!p(r"^\$").is_anchored());
    }

    #[test]
    fn literals() {
        assert_eq!(
            p(r"^https://token\.actions\.githubusercontent\.com$").exact_literals(),
            Some(vec![
                "https://token.actions.githubusercontent.com".to_string()
            ])
        );
        assert_eq!(
            p(r"^a$|^b\.c$").exact_literals(),
            Some(vec!["a".to_string(), "b.c".to_string()])
        );
        assert_eq!(p(r"^https://token.actions$").exact_literals(), None);
        assert_eq!(p(r"^(?i)abc$").exact_literals(), None);
        assert_eq!(
            p(r"^https://github\.com/org/.*$").anchored_literal_prefixes(),
            vec!["https://github.com/org/".to_string()]
        );
        assert_eq!(
            p(r"^(?i)https://x$").anchored_literal_prefixes(),
            vec![String::new()]
        );
        assert_eq!(
            p(r"^https://github\.com/org(-evil)?/$").anchored_literal_prefixes(),
            vec!["https://github.com/org".to_string()]
        );
        assert!(p(r"^.*@example\.com$").requires_literal());
        assert!(!p(r"^.*$").requires_literal());
        assert!(!p(r"^(.*)$").requires_literal());
        assert!(!p(r"^(a)?$").requires_literal());
        assert!(!p(r"^[^/]+$").requires_literal());
        assert!(!p(r"^a*$").requires_literal());
        assert!(p(r"^a{2}$").requires_literal());
        assert_eq!(p(r"^(?P<ts>\d+)-(?<n>x)(y)$").capture_names(), ["ts", "n"]);
        assert_eq!(
            p(r"^(a)(?:b)(?P<c>d)(?<e>(f))(?i)(?i:g)$").capture_count(),
            4
        );
        assert_eq!(
            p(r"^\(x\)[(][^]()][[:alpha:](]\Q(\E(y)$").capture_count(),
            1
        );
        assert_eq!(p(r"\Q((").capture_count(), 0);
        let dup = Pattern::parse(r"^(?P<ts>\d+)-(?<ts>x)$").unwrap_err();
        assert_eq!(dup, "does not compile: duplicate capture group name \"ts\"");
        assert_eq!(escape("a.b/c"), r"a\.b/c");
        assert_eq!(
            p(r"^\Qa.b\E$").exact_literals(),
            Some(vec!["a.b".to_string()])
        );
        assert_eq!(
            p(&format!("^{}$", escape("x.y+z"))).exact_literals(),
            Some(vec!["x.y+z".to_string()])
        );
    }

    #[test]
    fn literal_prefix_per_alternative() {
        let prefixes = |s: &str| -> Vec<(String, bool)> {
            p(s).literal_prefixes()
                .into_iter()
                .map(|l| (l.text, l.exact))
                .collect()
        };
        let one = |text: &str, exact: bool| vec![(text.to_string(), exact)];
        for (pattern, text, exact) in [
            (
                r"^https://github\.com/acme/app/.*$",
                "https://github.com/acme/app/",
                false,
            ),
            (r"^alice@acme\.io$", "alice@acme.io", true),
            (r"\Aalice@acme\.io\z", "alice@acme.io", true),
            (r"^https:\/\/x\-y\.io/$", "https://x-y.io/", true),
            // Unescaped `.` is a class: the literal start ends before it.
            (r"^https://github.com/acme/app/.*$", "https://github", false),
            // A quantifier takes back the literal it applies to.
            (
                r"^https://github\.com/acme/app?/.*$",
                "https://github.com/acme/ap",
                false,
            ),
            (
                r"^https://github\.com/acme/app/*.*$",
                "https://github.com/acme/app",
                false,
            ),
            (
                r"^https://github\.com/acme/app/{0,1}$",
                "https://github.com/acme/app",
                false,
            ),
            // Required at least once: one occurrence is forced.
            (
                r"^https://github\.com/acme/app/+x$",
                "https://github.com/acme/app/",
                false,
            ),
            (r"^(ab)+c$", "ab", false),
            // Groups without flags are read through; flags, classes and `|` end the start.
            (
                r"^(https://github\.com/acme)/app/.*$",
                "https://github.com/acme/app/",
                false,
            ),
            (r"^(?:https://x/)(?P<o>acme)/y$", "https://x/acme/y", true),
            (r"^()a$", "a", true),
            (r"^(?i:acme)/x$", "", false),
            (r"^acme(?i)/x$", "acme", false),
            (r"(?i)^acme$", "", false),
            (r"^https://x/(acme|evil)/.*$", "https://x/", false),
            (r"^a[b]c$", "a", false),
            (r"^a\dc$", "a", false),
            (r"^a\bc$", "a", false),
            (r"^\Qhttps://x.io/a/\E.*$", "https://x.io/a/", false),
            (r"^a\$", "a$", false),
            (r"^a$b$", "a", false),
            (r"^$", "", true),
            // Without the start anchor anything may precede the match.
            (r"https://github.com/acme/app/.*", "", false),
            (r".*^a$", "", false),
            (r"", "", false),
        ] {
            assert_eq!(prefixes(pattern), one(text, exact), "{pattern}");
        }
        assert_eq!(
            prefixes(r"^https://a/b/c/.*$|^.*$|^x$"),
            vec![
                ("https://a/b/c/".to_string(), false),
                (String::new(), false),
                ("x".to_string(), true)
            ]
        );
        assert_eq!(
            prefixes(r"(^a$|^b.*$)"),
            vec![("a".to_string(), true), ("b".to_string(), false)]
        );
        // Only a group around the whole pattern is transparent: `(^a$)|x` forces nothing.
        assert_eq!(prefixes(r"(^a$)|x"), vec![(String::new(), false); 2]);
        // The wrapper keeps its behaviour.
        assert_eq!(
            p(r"^a/b/.*$|^c$").anchored_literal_prefixes(),
            vec!["a/b/".to_string(), "c".to_string()]
        );
    }

    #[test]
    fn go_syntax() {
        for ok in [
            r"a{,3}",
            r"a{",
            r"x{1,2}?",
            r"[]a]",
            r"[^]a]",
            r"[a-]",
            r"[[:alpha:]_-]",
            r"\pL\p{Greek}\PN",
            r"\x41\x{1F600}",
            r"\Qa.b\E",
            r"\0\012",
            r"(?i:a)(?s-m)b",
            r"[\d\-.]",
            r"a|",
            r"()",
            r"(?P<year>\d{4})",
        ] {
            assert!(Pattern::parse(ok).is_ok(), "{ok}: {:?}", Pattern::parse(ok));
        }
        for bad in [
            "(",
            ")",
            "a)",
            "*a",
            "a**",
            "a{2}{3}",
            "a{1001}",
            "a{3,2}",
            "(?x)a",
            "(?=a)",
            "(?!a)",
            "(?<=a)",
            r"\1",
            r"\Z",
            r"\q",
            "[a",
            "[z-a]",
            "[[:nope:]]",
            r"\p{}",
            r"\x4",
            "(?P<>a)",
            "(?)",
            "(?i-)",
            r"a\",
            "(?P<a-b>x)",
            "|*",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad} should not compile");
        }
        assert!(Pattern::parse(&"(".repeat(100)).is_err());
        assert!(Pattern::parse(&format!("{}{}", "(".repeat(60), ")".repeat(60))).is_ok());
        assert!(Pattern::parse(&"a".repeat(5000)).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,64}") {
            if let Ok(pat) = Pattern::parse(&s) {
                let _ = (pat.is_anchored(), pat.anchored_literal_prefixes(), pat.exact_literals(),
                         pat.requires_literal(), pat.capture_names(), pat.literal_prefixes());
            }
        }

        #[test]
        fn regex_shaped_input_never_panics(s in "[\\^$.*+?()|\\[\\]{}\\\\a-c0-9:,<>=!PpQEimsxU-]{0,40}") {
            if let Ok(pat) = Pattern::parse(&s) {
                let _ = (pat.is_anchored(), pat.anchored_literal_prefixes(), pat.exact_literals(),
                         pat.requires_literal(), pat.capture_names(), pat.literal_prefixes());
            }
        }

        #[test]
        fn escaped_text_is_its_own_exact_literal(s in "\\PC{1,30}") {
            let pat = Pattern::parse(&format!("^{}$", escape(&s))).unwrap();
            prop_assert_eq!(pat.exact_literals(), Some(vec![s.clone()]));
            prop_assert_eq!(pat.literal_prefixes(), vec![LiteralPrefix { text: s, exact: true }]);
        }
    }
}
