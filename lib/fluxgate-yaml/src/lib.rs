//! A small YAML reader for the text a policy has to judge: post-renderer patches and the
//! manifests charts take as string values. It reads the YAML that Kubernetes tooling writes
//! (block and flow collections, plain, quoted and block scalars, comments, tags, anchors and
//! aliases, several documents) into `serde_json` values, and refuses what it does not read
//! (complex `?` keys, bad indentation, duplicate keys) with the line, so a caller can fail
//! closed. Why not a full parser: serde_yaml (libyaml) or yaml-rust2 add 105-138 KB to a
//! policy module, more than the size budget leaves; this reader and the patch scanning
//! together add 28 KB to helmrelease-boundaries (322,655 to 350,756 bytes after wasm-opt).
//!
//! Plain scalars resolve as YAML 1.2's core schema, as kustomize's kyaml (go-yaml v3) reads
//! them: `true`/`True`/`TRUE`, `null`/`~`, integers and floats; anything else stays a string
//! (callers that model YAML 1.1 re-parsing judge strings such as `yes` themselves). An
//! explicit `!!str` keeps a string, `!!bool`/`!!int`/`!!float`/`!!null` resolve it.

use serde_json::{Map, Value};
use std::fmt;

/// Why text could not be read: what and on which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for Error {}

/// Deeper nesting than any manifest has; bounds the recursion.
const MAX_DEPTH: usize = 64;
/// Nodes that aliases may copy in all (a "billion laughs" document stops here).
const MAX_ALIAS_NODES: usize = 10_000;

/// Every document in `text` (an empty document is `null`).
pub fn documents(text: &str) -> Result<Vec<Value>, Error> {
    let mut reader = Reader {
        s: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        anchors: Vec::new(),
        alias_budget: MAX_ALIAS_NODES,
        depth: 0,
    };
    reader.stream()
}

/// The single document in `text`.
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut docs = documents(text)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0)),
        n => Err(Error {
            line: 1,
            message: format!("{n} documents where one was expected"),
        }),
    }
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    anchors: Vec<(String, Value)>,
    alias_budget: usize,
    depth: usize,
}

type Res<T> = Result<T, Error>;

/// A scalar as read, before resolution.
struct Scalar {
    text: String,
    plain: bool,
}

impl Reader<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Res<T> {
        Err(Error {
            line: self.line,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.pos + n).copied()
    }

    fn col(&self) -> usize {
        self.pos - self.line_start
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
            self.line_start = self.pos + 1;
        }
        self.pos += 1;
    }

    fn text(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.s[from..to]).into_owned()
    }

    /// Whether the byte at `pos + n` ends a token: space, tab, line end or end of text.
    fn blank_at(&self, n: usize) -> bool {
        matches!(self.peek_at(n), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
    }

    fn skip_inline_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
    }

    /// Spaces, then a comment if one starts here, up to (not past) the line end.
    fn skip_to_line_end(&mut self) {
        self.skip_inline_space();
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.bump();
            }
        }
        if self.peek() == Some(b'\r') {
            self.bump();
        }
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n' | b'#' | b'\r'))
    }

    /// Skips blank lines and comments: at the first content byte, or the end.
    fn skip_blank(&mut self) {
        loop {
            self.skip_to_line_end();
            match self.peek() {
                Some(b'\n') => self.bump(),
                _ => return,
            }
        }
    }

    /// `---` or `...` at the start of a line, followed by a blank.
    fn at_document_marker(&self) -> bool {
        self.col() == 0
            && (self.s[self.pos..].starts_with(b"---") || self.s[self.pos..].starts_with(b"..."))
            && self.blank_at(3)
    }

    fn stream(&mut self) -> Res<Vec<Value>> {
        let mut docs = Vec::new();
        // Whether an explicit `---` opened a document that has no content yet.
        let mut open = false;
        loop {
            self.skip_blank();
            if self.peek() == Some(b'%') && self.col() == 0 {
                while !matches!(self.peek(), None | Some(b'\n')) {
                    self.bump();
                }
                continue;
            }
            if self.peek().is_none() {
                if open {
                    docs.push(Value::Null);
                }
                return Ok(docs);
            }
            if self.at_document_marker() {
                let start = self.s[self.pos];
                for _ in 0..3 {
                    self.bump();
                }
                if open {
                    docs.push(Value::Null);
                }
                open = start == b'-';
                continue;
            }
            let value = self.block_node(-1)?;
            docs.push(value);
            open = false;
            self.skip_blank();
            if self.peek().is_some() && !self.at_document_marker() {
                return self.err("content after the end of the document (bad indentation?)");
            }
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    /// A node in block context, at the current position; its lines are indented more than
    /// `parent` (the owning collection's column; -1 at the top).
    fn block_node(&mut self, parent: isize) -> Res<Value> {
        self.enter()?;
        let value = self.block_node_inner(parent);
        self.depth -= 1;
        value
    }

    fn block_node_inner(&mut self, parent: isize) -> Res<Value> {
        let (anchor, tag) = self.properties()?;
        if (anchor.is_some() || tag.is_some()) && self.at_line_end() {
            // `key: &a !!map` with the node on the following lines.
            self.skip_blank();
            let below = self.peek().is_some()
                && !self.at_document_marker()
                && (self.col() as isize > parent
                    || (self.col() as isize == parent && self.at_sequence_entry()));
            let value = if below {
                self.block_node(parent)?
            } else {
                Value::Null
            };
            return self.finish(anchor, tag.as_deref(), value);
        }
        let col = self.col();
        let value = match self.peek() {
            Some(b'-') if self.blank_at(1) && !self.at_document_marker() => {
                self.block_sequence(col)?
            }
            Some(b'[' | b'{') => {
                let value = self.flow_node()?;
                self.skip_inline_space();
                if self.peek() == Some(b':') && self.blank_at(1) {
                    return self.err("a flow collection as a mapping key is not supported");
                }
                self.expect_line_end()?;
                value
            }
            Some(b'|' | b'>') => Value::String(self.block_scalar(parent)?),
            Some(b'*') => {
                let value = self.alias()?;
                self.skip_inline_space();
                if self.peek() == Some(b':') && self.blank_at(1) {
                    return self.err("an alias as a mapping key is not supported");
                }
                self.expect_line_end()?;
                value
            }
            Some(b'?') if self.blank_at(1) => {
                return self.err("complex mapping keys (`? `) are not supported");
            }
            Some(_) => {
                let scalar = self.scalar_block(parent)?;
                self.skip_inline_space();
                if self.peek() == Some(b':') && self.blank_at(1) {
                    let key = resolve_key(scalar);
                    return self.block_mapping(col, key);
                }
                self.expect_line_end()?;
                resolve(scalar, tag.as_deref())
            }
            None => Value::Null,
        };
        self.finish(anchor, tag.as_deref(), value)
    }

    fn finish(&mut self, anchor: Option<String>, tag: Option<&str>, value: Value) -> Res<Value> {
        let value = match (tag, value) {
            (Some(t), Value::String(s)) => resolve(
                Scalar {
                    text: s,
                    plain: false,
                },
                Some(t),
            ),
            (_, v) => v,
        };
        if let Some(name) = anchor {
            self.anchors.push((name, value.clone()));
        }
        Ok(value)
    }

    fn expect_line_end(&mut self) -> Res<()> {
        self.skip_to_line_end();
        if self.at_line_end() {
            Ok(())
        } else {
            self.err("unexpected text after a value")
        }
    }

    fn at_sequence_entry(&self) -> bool {
        self.peek() == Some(b'-') && self.blank_at(1)
    }

    /// `&anchor` and `!tag`, in either order, each followed by a blank.
    fn properties(&mut self) -> Res<(Option<String>, Option<String>)> {
        let (mut anchor, mut tag) = (None, None);
        loop {
            match self.peek() {
                Some(b'&') if anchor.is_none() => {
                    self.bump();
                    anchor = Some(self.name()?);
                }
                Some(b'!') if tag.is_none() => {
                    let start = self.pos;
                    if self.peek_at(1) == Some(b'<') {
                        while !matches!(self.peek(), None | Some(b'>' | b'\n')) {
                            self.bump();
                        }
                        if self.peek() != Some(b'>') {
                            return self.err("unterminated verbatim tag");
                        }
                        self.bump();
                    } else {
                        while !self.blank_at(0) && !matches!(self.peek(), Some(b',' | b']' | b'}'))
                        {
                            self.bump();
                        }
                    }
                    tag = Some(self.text(start, self.pos));
                }
                _ => return Ok((anchor, tag)),
            }
            self.skip_inline_space();
        }
    }

    /// An anchor or alias name: up to a blank or a flow indicator.
    fn name(&mut self) -> Res<String> {
        let start = self.pos;
        while !self.blank_at(0) && !matches!(self.peek(), Some(b',' | b'[' | b']' | b'{' | b'}')) {
            self.bump();
        }
        if start == self.pos {
            return self.err("an anchor or alias without a name");
        }
        Ok(self.text(start, self.pos))
    }

    fn alias(&mut self) -> Res<Value> {
        self.bump();
        let name = self.name()?;
        let Some((_, value)) = self.anchors.iter().rev().find(|(n, _)| *n == name) else {
            return self.err(format!("alias *{name} names no anchor"));
        };
        let value = value.clone();
        let size = nodes(&value);
        if size > self.alias_budget {
            return self.err("aliases expand to too many nodes");
        }
        self.alias_budget -= size;
        Ok(value)
    }

    fn block_sequence(&mut self, col: usize) -> Res<Value> {
        let mut items = Vec::new();
        loop {
            self.bump(); // the `-`
            self.skip_to_line_end();
            let item = if self.at_line_end() {
                self.skip_blank();
                if self.peek().is_some() && !self.at_document_marker() && self.col() > col {
                    self.block_node(col as isize)?
                } else {
                    Value::Null
                }
            } else {
                self.block_node(col as isize)?
            };
            items.push(item);
            self.skip_blank();
            if self.peek().is_none() || self.at_document_marker() || self.col() < col {
                break;
            }
            if self.col() > col {
                return self.err("bad indentation after a sequence entry");
            }
            if !self.at_sequence_entry() {
                break; // the next key of a mapping the sequence is the value of
            }
        }
        Ok(Value::Array(items))
    }

    /// A block mapping at `col` whose first key has been read; at its `:`.
    fn block_mapping(&mut self, col: usize, first: String) -> Res<Value> {
        let mut map = Map::new();
        let mut key = first;
        loop {
            self.bump(); // the `:`
            self.skip_to_line_end();
            let value = if self.at_line_end() {
                self.skip_blank();
                let here = self.col();
                if self.peek().is_none() || self.at_document_marker() {
                    Value::Null
                } else if here > col || (here == col && self.at_sequence_entry()) {
                    // YAML lets a sequence value sit at its key's indentation.
                    self.block_node(col as isize - isize::from(here == col))?
                } else {
                    Value::Null
                }
            } else {
                self.block_node(col as isize)?
            };
            if map.insert(key.clone(), value).is_some() {
                return self.err(format!("duplicate key `{key}`"));
            }
            self.skip_blank();
            if self.peek().is_none() || self.at_document_marker() || self.col() < col {
                break;
            }
            if self.col() > col {
                return self.err("bad indentation of a mapping entry");
            }
            if self.at_sequence_entry() {
                return self.err("a sequence entry where a mapping key was expected");
            }
            let (anchor, tag) = self.properties()?;
            if anchor.is_some() || tag.is_some() {
                return self.err("properties on a mapping key are not supported");
            }
            if self.peek() == Some(b'?') && self.blank_at(1) {
                return self.err("complex mapping keys (`? `) are not supported");
            }
            let scalar = self.scalar_key()?;
            self.skip_inline_space();
            if !(self.peek() == Some(b':') && self.blank_at(1)) {
                return self.err("expected `:` after a mapping key");
            }
            key = resolve_key(scalar);
        }
        Ok(Value::Object(map))
    }

    /// A scalar that starts a block node: a key or a value (a plain value may continue on
    /// lines indented more than `parent`).
    fn scalar_block(&mut self, parent: isize) -> Res<Scalar> {
        match self.peek() {
            Some(b'\'' | b'"') => self.quoted(),
            _ => self.plain(false, parent),
        }
    }

    fn scalar_key(&mut self) -> Res<Scalar> {
        match self.peek() {
            Some(b'\'' | b'"') => self.quoted(),
            _ => self.plain(false, isize::MAX),
        }
    }

    /// A plain scalar. In block context it ends at `: `, ` #` or the line end, and goes on
    /// over following lines indented more than `parent`; in flow context it also ends at
    /// `,[]{}`.
    fn plain(&mut self, flow: bool, parent: isize) -> Res<Scalar> {
        if let Some(c) = self.peek()
            && (matches!(
                c,
                b',' | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'%'
                    | b'@'
                    | b'`'
            ) || (matches!(c, b'-' | b'?' | b':') && self.blank_at(1)))
        {
            return self.err(format!("a plain scalar cannot start with `{}`", c as char));
        }
        let mut out = String::new();
        loop {
            let start = self.pos;
            let mut end = self.pos;
            while let Some(c) = self.peek() {
                if c == b'\n' || c == b'\r' {
                    break;
                }
                if c == b':'
                    && (self.blank_at(1)
                        || (flow
                            && matches!(self.peek_at(1), Some(b',' | b']' | b'}' | b'[' | b'{'))))
                {
                    break;
                }
                if c == b'#' && self.pos > start && matches!(self.s[self.pos - 1], b' ' | b'\t') {
                    break;
                }
                if flow && matches!(c, b',' | b'[' | b']' | b'{' | b'}') {
                    break;
                }
                self.bump();
                if !matches!(c, b' ' | b'\t') {
                    end = self.pos;
                }
            }
            out.push_str(&String::from_utf8_lossy(&self.s[start..end]));
            // A continuation line: only when nothing else ended the scalar on this line.
            let line_ended =
                matches!(self.peek(), None | Some(b'\n' | b'\r')) || (self.peek() == Some(b'#'));
            if !line_ended || parent == isize::MAX {
                break;
            }
            let save = (self.pos, self.line, self.line_start);
            self.skip_blank_counting();
            let folded_lines = self.line - save.1;
            let continues = self.peek().is_some()
                && !self.at_document_marker()
                && (flow || self.col() as isize > parent)
                && self.peek() != Some(b'#')
                && !(flow && matches!(self.peek(), Some(b',' | b']' | b'}' | b':')));
            if !continues || save.0 == self.pos {
                (self.pos, self.line, self.line_start) = save;
                break;
            }
            if !flow && self.line_has_key() {
                (self.pos, self.line, self.line_start) = save;
                break;
            }
            if folded_lines > 1 {
                out.extend(std::iter::repeat_n('\n', folded_lines - 1));
            } else {
                out.push(' ');
            }
        }
        Ok(Scalar {
            text: out,
            plain: true,
        })
    }

    /// Skips spaces, line breaks and comments (line numbers stay right).
    fn skip_blank_counting(&mut self) {
        loop {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r')) {
                self.bump();
            }
            match self.peek() {
                Some(b'\n') => self.bump(),
                Some(b'#')
                    if self.pos == 0 || matches!(self.s[self.pos - 1], b' ' | b'\t' | b'\n') =>
                {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    /// Whether the rest of this line holds a `key: ` (then it is no scalar continuation).
    fn line_has_key(&self) -> bool {
        let rest = &self.s[self.pos..];
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        line.windows(2)
            .any(|w| w[0] == b':' && matches!(w[1], b' ' | b'\t' | b'\r'))
            || line.last() == Some(&b':')
    }

    /// A single- or double-quoted scalar (line breaks fold to spaces, empty lines to `\n`).
    fn quoted(&mut self) -> Res<Scalar> {
        let quote = self.peek().unwrap_or(b'"');
        let start_line = self.line;
        self.bump();
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Error {
                    line: start_line,
                    message: "unterminated quoted scalar".into(),
                });
            };
            match c {
                b'\'' if quote == b'\'' => {
                    self.bump();
                    if self.peek() == Some(b'\'') {
                        bytes.push(b'\'');
                        self.bump();
                    } else {
                        break;
                    }
                }
                b'"' if quote == b'"' => {
                    self.bump();
                    break;
                }
                b'\\' if quote == b'"' => {
                    self.bump();
                    self.escape(&mut bytes)?;
                }
                b'\n' | b'\r' => {
                    while matches!(bytes.last(), Some(b' ' | b'\t')) {
                        bytes.pop();
                    }
                    let mut breaks = 0;
                    while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                        if self.peek() == Some(b'\n') {
                            breaks += 1;
                        }
                        self.bump();
                    }
                    if breaks > 1 {
                        bytes.extend(std::iter::repeat_n(b'\n', breaks - 1));
                    } else {
                        bytes.push(b' ');
                    }
                }
                _ => {
                    bytes.push(c);
                    self.bump();
                }
            }
        }
        Ok(Scalar {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            plain: false,
        })
    }

    /// One escape of a double-quoted scalar (YAML 1.2 §5.7), after its `\`.
    fn escape(&mut self, out: &mut Vec<u8>) -> Res<()> {
        let Some(c) = self.peek() else {
            return self.err("unterminated escape");
        };
        self.bump();
        let simple = match c {
            b'0' => Some('\0'),
            b'a' => Some('\x07'),
            b'b' => Some('\x08'),
            b't' | b'\t' => Some('\t'),
            b'n' => Some('\n'),
            b'v' => Some('\x0b'),
            b'f' => Some('\x0c'),
            b'r' => Some('\r'),
            b'e' => Some('\x1b'),
            b' ' => Some(' '),
            b'"' => Some('"'),
            b'/' => Some('/'),
            b'\\' => Some('\\'),
            b'N' => Some('\u{85}'),
            b'_' => Some('\u{a0}'),
            b'L' => Some('\u{2028}'),
            b'P' => Some('\u{2029}'),
            _ => None,
        };
        if let Some(ch) = simple {
            let mut buf = [0; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            return Ok(());
        }
        let digits = match c {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            b'\n' | b'\r' => {
                // An escaped line break joins the lines without a space.
                while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    self.bump();
                }
                return Ok(());
            }
            other => return self.err(format!("unknown escape \\{}", other as char)),
        };
        let start = self.pos;
        for _ in 0..digits {
            if !self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                return self.err("bad hexadecimal escape");
            }
            self.bump();
        }
        let code = u32::from_str_radix(&self.text(start, self.pos), 16).unwrap_or(0xfffd);
        let ch = char::from_u32(code).unwrap_or('\u{fffd}');
        let mut buf = [0; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// `|` or `>` with optional chomping (`-`, `+`) and indentation indicators, then the
    /// lines indented more than `parent`.
    fn block_scalar(&mut self, parent: isize) -> Res<String> {
        let folded = self.peek() == Some(b'>');
        self.bump();
        let (mut chomp, mut explicit) = (b' ', None);
        for _ in 0..2 {
            match self.peek() {
                Some(c @ (b'-' | b'+')) => {
                    chomp = c;
                    self.bump();
                }
                Some(c @ b'1'..=b'9') => {
                    explicit = Some(usize::from(c - b'0'));
                    self.bump();
                }
                _ => {}
            }
        }
        self.expect_line_end()?;
        if self.peek() == Some(b'\r') {
            self.bump();
        }
        if self.peek() == Some(b'\n') {
            self.bump();
        }
        let base = usize::try_from(parent + 1).unwrap_or(0);
        let mut indent = explicit.map(|e| usize::try_from(parent.max(0)).unwrap_or(0) + e);
        let mut lines: Vec<String> = Vec::new();
        // Positions move only forward over spaces or through `bump`, so line numbers stay right.
        loop {
            if self.peek().is_none() {
                break;
            }
            let line_start = self.pos;
            let mut spaces = 0;
            while self.peek() == Some(b' ') {
                self.bump();
                spaces += 1;
            }
            let empty = matches!(self.peek(), None | Some(b'\n' | b'\r'));
            if empty {
                lines.push(String::new());
                while !matches!(self.peek(), None | Some(b'\n')) {
                    self.bump();
                }
                if self.peek().is_some() {
                    self.bump();
                }
                continue;
            }
            let need = *indent.get_or_insert(spaces.max(base));
            if spaces < need || spaces < base || (spaces == 0 && self.at_document_marker()) {
                // Not part of the scalar: rewind to the line's start.
                self.pos = line_start;
                break;
            }
            self.pos = line_start + need;
            let start = self.pos;
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.bump();
            }
            let end = if self.pos > start && self.s[self.pos - 1] == b'\r' {
                self.pos - 1
            } else {
                self.pos
            };
            lines.push(self.text(start, end));
            if self.peek().is_some() {
                self.bump();
            }
        }
        // Trailing empty lines belong to the chomping, not the content.
        let mut trailing = 0;
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
            trailing += 1;
        }
        // Folding (YAML 1.2 §8.1.3): a break between two lines of text becomes a space, a
        // run of empty lines becomes that many breaks; more-indented lines keep theirs.
        let mut out = String::new();
        let (mut empty_run, mut prev_more, mut first) = (0, false, true);
        for line in &lines {
            if line.is_empty() {
                empty_run += 1;
                continue;
            }
            let more = line.starts_with([' ', '\t']);
            let folds = folded && !more && !prev_more;
            if first || (folds && empty_run > 0) {
                out.extend(std::iter::repeat_n('\n', empty_run));
            } else if folds {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', empty_run + 1));
            }
            out.push_str(line);
            (empty_run, prev_more, first) = (0, more, false);
        }
        match chomp {
            b'-' => {}
            b'+' => {
                if !lines.is_empty() {
                    out.push('\n');
                }
                out.extend(std::iter::repeat_n('\n', trailing));
            }
            _ => {
                if !lines.is_empty() {
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }

    /// `[...]` or `{...}`, which may span lines.
    fn flow_node(&mut self) -> Res<Value> {
        self.enter()?;
        let value = self.flow_node_inner();
        self.depth -= 1;
        value
    }

    fn flow_node_inner(&mut self) -> Res<Value> {
        self.skip_blank_counting();
        let (anchor, tag) = self.properties()?;
        self.skip_blank_counting();
        let value = match self.peek() {
            Some(b'[') => self.flow_sequence()?,
            Some(b'{') => self.flow_mapping()?,
            Some(b'*') => self.alias()?,
            Some(b'\'' | b'"') => resolve(self.quoted()?, None),
            Some(b',' | b']' | b'}') | None => Value::Null,
            Some(_) => resolve(self.plain(true, -1)?, None),
        };
        self.finish(anchor, tag.as_deref(), value)
    }

    fn flow_sequence(&mut self) -> Res<Value> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_blank_counting();
            match self.peek() {
                Some(b']') => {
                    self.bump();
                    return Ok(Value::Array(items));
                }
                None => return self.err("unterminated flow sequence"),
                _ => {}
            }
            let item = self.flow_node()?;
            self.skip_blank_counting();
            let item = if self.peek() == Some(b':') {
                // `[a: 1]`: a single-pair mapping.
                self.bump();
                let value = self.flow_node()?;
                let mut map = Map::new();
                map.insert(key_of(item), value);
                self.skip_blank_counting();
                Value::Object(map)
            } else {
                item
            };
            items.push(item);
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {}
                _ => return self.err("expected `,` or `]` in a flow sequence"),
            }
        }
    }

    fn flow_mapping(&mut self) -> Res<Value> {
        self.bump();
        let mut map = Map::new();
        loop {
            self.skip_blank_counting();
            match self.peek() {
                Some(b'}') => {
                    self.bump();
                    return Ok(Value::Object(map));
                }
                None => return self.err("unterminated flow mapping"),
                Some(b'?') if self.blank_at(1) => {
                    return self.err("complex mapping keys (`? `) are not supported");
                }
                _ => {}
            }
            let key = key_of(self.flow_node()?);
            self.skip_blank_counting();
            let value = if self.peek() == Some(b':') {
                self.bump();
                self.flow_node()?
            } else {
                Value::Null
            };
            if map.insert(key.clone(), value).is_some() {
                return self.err(format!("duplicate key `{key}`"));
            }
            self.skip_blank_counting();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {}
                _ => return self.err("expected `,` or `}` in a flow mapping"),
            }
        }
    }
}

/// Mapping keys are strings in the JSON the API server receives.
fn resolve_key(scalar: Scalar) -> String {
    scalar.text
}

fn key_of(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn nodes(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nodes).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(nodes).sum::<usize>(),
        _ => 1,
    }
}

/// A scalar's value: by its tag, else (plain scalars only) by the YAML 1.2 core schema.
fn resolve(scalar: Scalar, tag: Option<&str>) -> Value {
    let text = scalar.text;
    let tag = tag.map(|t| {
        t.strip_prefix("!!")
            .or_else(|| t.strip_prefix("!<tag:yaml.org,2002:"))
            .map(|t| t.trim_end_matches('>'))
    });
    match tag {
        Some(Some("str")) => return Value::String(text),
        Some(Some("bool")) => {
            return match text.trim() {
                "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On"
                | "ON" => Value::Bool(true),
                "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off"
                | "OFF" => Value::Bool(false),
                _ => Value::String(text),
            };
        }
        Some(Some("null")) => return Value::Null,
        Some(Some("int" | "float")) => return number(&text).unwrap_or(Value::String(text)),
        _ => {}
    }
    if !scalar.plain {
        return Value::String(text);
    }
    match text.as_str() {
        // Infinities and NaN have no JSON form.
        "" | "~" | "null" | "Null" | "NULL" | ".inf" | ".Inf" | ".INF" | "-.inf" | "-.Inf"
        | "-.INF" | "+.inf" | "+.Inf" | "+.INF" | ".nan" | ".NaN" | ".NAN" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => number(&text).unwrap_or(Value::String(text)),
    }
}

/// YAML 1.2 core integers (decimal, `0o`, `0x`, `0b`) and finite floats. Decimal forms are
/// read by serde_json's number parser, which the modules link anyway (core's float parser
/// would add kilobytes).
fn number(text: &str) -> Option<Value> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let radix = |prefix: &str, radix: u32| {
        text.strip_prefix(prefix)
            .filter(|d| !d.is_empty())
            .and_then(|d| i64::from_str_radix(d, radix).ok())
            .map(Value::from)
    };
    if let Some(v) = radix("0o", 8)
        .or_else(|| radix("0x", 16))
        .or_else(|| radix("0b", 2))
    {
        return Some(v);
    }
    let bytes = unsigned.as_bytes();
    let numeric = bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
        && bytes.iter().any(u8::is_ascii_digit)
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if !numeric || (bytes.len() > 1 && bytes[0] == b'0' && bytes[1] != b'.') {
        return None; // `007`: libyaml's resolver keeps a string
    }
    // JSON has no leading `+`, `.5` or `5.`: spell them as JSON does.
    let mut json = String::with_capacity(text.len() + 2);
    if text.starts_with('-') {
        json.push('-');
    }
    if unsigned.starts_with('.') {
        json.push('0');
    }
    json.push_str(unsigned);
    if json.ends_with('.') {
        json.push('0');
    }
    match serde_json::from_slice::<Value>(json.as_bytes()) {
        Ok(v @ Value::Number(_)) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
