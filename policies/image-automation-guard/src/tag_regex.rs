//! Running the Go (RE2) patterns Flux applies to image tags, so the rules can judge what a
//! pattern does instead of how it is spelled.
//!
//! image-reflector-controller searches each tag with them: an `exclusionList` entry drops
//! a tag when `regexp.MatchString` finds it anywhere (`filterOutTags`,
//! internal/controller/imagerepository_controller.go), and `filterTags.pattern` keeps a tag
//! when `FindStringSubmatchIndex` finds a match, then `ExpandString`s `extract` from its
//! groups (internal/policy/filter.go).
//!
//! fluxgate-matchers' `regex_check` validates the syntax but has no matching engine. The
//! `regex` crate is no option: kubewarden-policy-sdk already depends on it (through
//! oci-spec) with every default feature, so calling it links all of it: measured, this
//! module went from 317,675 to 1,098,015 bytes (budget 409,600). What tags need is small:
//! a parser for the RE2 subset below and a Pike VM (a set of threads, linear in the text,
//! no backtracking). Tags are short ASCII strings (OCI distribution spec:
//! `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`), so only ASCII behaviour has to be exact.
//!
//! Only patterns `regex_check` accepted reach `parse`. Syntax outside the subset (Unicode
//! classes `\p{…}`), and patterns whose program would be very large, give `None`: callers
//! then keep their stricter answer.

use crate::extract::Reference;

/// Groups nested deeper than this are not read (`regex_check` refuses them already).
const NEST_LIMIT: usize = 64;
/// Program instructions at most; a larger one (large counted repeats) is not run.
const MAX_PROGRAM: usize = 4096;
/// Compile steps at most, so nested repeats of nothing (`((){1000}){1000}`) stay cheap.
const MAX_STEPS: usize = 100_000;
/// Characters an OCI tag may contain.
const TAG_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

/// A parsed pattern, ready to search tags.
#[derive(Debug, Clone)]
pub struct TagRegex {
    root: Node,
    /// The name of each capturing group, by number (group 1 first).
    names: Vec<Option<String>>,
    /// Whether `(?m)` is switched on anywhere (`^`/`$` then match at line breaks).
    multi_line: bool,
    program: Vec<Inst>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Empty,
    /// One character out of a set.
    Set(Set),
    Look(Look),
    /// `(…)`; `index` is the capture number, `None` for `(?:…)`.
    Group {
        index: Option<usize>,
        inner: Box<Node>,
    },
    Repeat {
        min: u32,
        max: Option<u32>,
        greedy: bool,
        inner: Box<Node>,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Look {
    /// `^`, `\A`.
    TextStart,
    /// `$`, `\z` (Go's `$` without `m` is `\z`: the very end, not before a final newline).
    TextEnd,
    /// `^` under `(?m)`.
    LineStart,
    /// `$` under `(?m)`.
    LineEnd,
    /// `\b`: ASCII word characters, as in Go.
    WordBoundary,
    /// `\B`.
    NotWordBoundary,
}

/// A character class, built as Go builds it: `ranges` (inclusive code points) and the
/// negated Perl or POSIX classes inside it (`[\W]`, `[[:^alpha:]]`), each case-folded under
/// `(?i)` before it is negated; then the whole class may be negated (`[^…]`).
#[derive(Debug, Clone, PartialEq)]
struct Set {
    ranges: Vec<(u32, u32)>,
    excluded: Vec<&'static [(u32, u32)]>,
    negated: bool,
    fold: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_newline: bool,
    ungreedy: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Inst {
    Set(Set),
    Look(Look),
    Split(usize, usize),
    Jump(usize),
    Match,
}

impl TagRegex {
    /// The pattern, or `None` when it uses syntax this matcher does not run.
    pub fn parse(pattern: &str) -> Option<Self> {
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            names: Vec::new(),
            multi_line: false,
        };
        let mut flags = Flags::default();
        let root = parser.alternation(&mut flags, 0)?;
        if parser.pos < parser.chars.len() {
            return None;
        }
        let mut compiler = Compiler {
            program: Vec::new(),
            steps: 0,
        };
        compiler.emit(&root)?;
        compiler.push(Inst::Match)?;
        Some(TagRegex {
            root,
            names: parser.names,
            multi_line: parser.multi_line,
            program: compiler.program,
        })
    }

    /// Whether the pattern matches somewhere in `text` (Go's `MatchString`).
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut seen = vec![usize::MAX; self.program.len()];
        let mut current: Vec<usize> = Vec::new();
        let mut next: Vec<usize> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut waiting: Vec<usize> = Vec::new();
        for pos in 0..=chars.len() {
            // A search: a new thread starts at every position.
            stack.push(0);
            stack.append(&mut current);
            waiting.clear();
            while let Some(pc) = stack.pop() {
                match seen.get_mut(pc) {
                    Some(s) if *s != pos => *s = pos,
                    _ => continue,
                }
                match &self.program[pc] {
                    Inst::Match => return true,
                    Inst::Jump(to) => stack.push(*to),
                    Inst::Split(a, b) => {
                        stack.push(*b);
                        stack.push(*a);
                    }
                    Inst::Look(look) => {
                        if look.holds(&chars, pos) {
                            stack.push(pc + 1);
                        }
                    }
                    Inst::Set(_) => waiting.push(pc),
                }
            }
            let Some(&c) = chars.get(pos) else { break };
            for &pc in &waiting {
                if let Inst::Set(set) = &self.program[pc]
                    && set.contains(c)
                {
                    next.push(pc + 1);
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        false
    }

    /// Whether every match is pinned at both ends in effect: each top-level alternative
    /// starts at `^`/`\A` and ends at `$`/`\z` or with an unbounded run of any tag
    /// character (`^main-[a-f0-9]+-(?P<ts>.*)`), which a search extends to the end of the
    /// tag. Multi-line mode never counts.
    pub fn anchored_in_effect(&self) -> bool {
        !self.multi_line
            && top_alternatives(&self.root).into_iter().all(|alt| {
                let items = concat_items(alt);
                items.first() == Some(&Node::Look(Look::TextStart))
                    && items.last().is_some_and(ends_at_end)
            })
    }

    /// The capture number a reference of `extract` names (Go's `Regexp.Expand`: a name is
    /// looked up among the named groups, a number is the group of that number).
    pub fn group_number(&self, reference: &Reference) -> Option<usize> {
        match reference {
            Reference::Number(n) => (*n >= 1 && *n <= self.names.len()).then_some(*n),
            Reference::Named(name) => self
                .names
                .iter()
                .position(|n| n.as_deref() == Some(name.as_str()))
                .map(|i| i + 1),
        }
    }

    /// Whether group `number` contains an unbounded run of any tag character (`.*`,
    /// `.+`, `[^/]*`, `\S+`), so it accepts arbitrary text.
    pub fn group_accepts_any_text(&self, number: usize) -> bool {
        find_group(&self.root, number).is_some_and(accepts_any_text)
    }

    /// The one text group `number` captures in every match, when it has one: its content
    /// matches a single fixed string (`(?P<ts>)`, `(?P<ts>main)`), or it ends the pattern
    /// with a lazy repeat that may be empty (`^main-(?P<ts>.*?)`: nothing after it asks for
    /// more, so Go's leftmost-first match takes the empty text).
    pub fn group_fixed_text(&self, number: usize) -> Option<String> {
        if self.lazily_empty_at_end(number) {
            return Some(String::new());
        }
        fixed_text(find_group(&self.root, number)?)
    }

    fn lazily_empty_at_end(&self, number: usize) -> bool {
        let mut node = &self.root;
        loop {
            match node {
                Node::Concat(items) => match items.last() {
                    Some(last) => node = last,
                    None => return false,
                },
                Node::Group {
                    index: Some(i),
                    inner,
                } if *i == number => return lazily_empty(inner),
                Node::Group { inner, .. } => node = inner,
                _ => return false,
            }
        }
    }
}

impl Look {
    fn holds(self, chars: &[char], pos: usize) -> bool {
        let before = pos.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let after = chars.get(pos).copied();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        match self {
            Look::TextStart => pos == 0,
            Look::TextEnd => pos == chars.len(),
            Look::LineStart => before.is_none_or(|c| c == '\n'),
            Look::LineEnd => after.is_none_or(|c| c == '\n'),
            Look::WordBoundary => word(before) != word(after),
            Look::NotWordBoundary => word(before) == word(after),
        }
    }
}

impl Set {
    fn literal(c: char, fold: bool) -> Set {
        Set {
            ranges: vec![(c as u32, c as u32)],
            excluded: Vec::new(),
            negated: false,
            fold,
        }
    }

    /// `\d`, `\D` and the like outside brackets.
    fn class(ranges: &'static [(u32, u32)], negated: bool, fold: bool) -> Set {
        Set {
            ranges: ranges.to_vec(),
            excluded: Vec::new(),
            negated,
            fold,
        }
    }

    fn contains(&self, c: char) -> bool {
        let within = |ranges: &[(u32, u32)]| {
            let hit = |x: char| {
                let x = x as u32;
                ranges.iter().any(|&(lo, hi)| lo <= x && x <= hi)
            };
            if self.fold {
                fold_orbit(c).into_iter().flatten().any(hit)
            } else {
                hit(c)
            }
        };
        let hit = within(&self.ranges) || self.excluded.iter().any(|r| !within(r));
        hit != self.negated
    }

    /// The single character the set stands for, when it stands for exactly one.
    fn single(&self) -> Option<char> {
        if !self.excluded.is_empty() {
            return None;
        }
        match self.ranges.as_slice() {
            [(lo, hi)] if lo == hi && !self.negated => {
                let c = char::from_u32(*lo)?;
                // Under `(?i)` only ASCII non-letters stand for themselves alone (a
                // non-ASCII letter is not looked up: it counts as not fixed).
                (!self.fold || (c.is_ascii() && !c.is_ascii_alphabetic())).then_some(c)
            }
            _ => None,
        }
    }
}

/// `c` and the characters Go's simple case folding pairs with it, exact for ASCII (the
/// only characters tags have; `k` also folds to the Kelvin sign and `s` to the long s).
/// Other characters are not looked up (no Unicode tables in the module): they fold to
/// themselves, which no ASCII tag can tell apart.
fn fold_orbit(c: char) -> [Option<char>; 3] {
    let other = if c.is_ascii_lowercase() {
        Some(c.to_ascii_uppercase())
    } else if c.is_ascii_uppercase() {
        Some(c.to_ascii_lowercase())
    } else {
        match c {
            '\u{212A}' => Some('k'),
            '\u{17F}' => Some('s'),
            _ => None,
        }
    };
    let third = match c {
        'k' | 'K' => Some('\u{212A}'),
        's' | 'S' => Some('\u{17F}'),
        '\u{212A}' => Some('K'),
        '\u{17F}' => Some('S'),
        _ => None,
    };
    [Some(c), other, third]
}

const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const SPACE: &[(u32, u32)] = &[(0x09, 0x0a), (0x0c, 0x0d), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)];

/// The ranges of Go's POSIX class `[:name:]`.
fn posix_class(name: &str) -> Option<&'static [(u32, u32)]> {
    Some(match name {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a)],
        "alpha" => &[(0x41, 0x5a), (0x61, 0x7a)],
        "ascii" => &[(0x00, 0x7f)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0x00, 0x1f), (0x7f, 0x7f)],
        "digit" => DIGIT,
        "graph" => &[(0x21, 0x7e)],
        "lower" => &[(0x61, 0x7a)],
        "print" => &[(0x20, 0x7e)],
        "punct" => &[(0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e)],
        "space" => &[(0x09, 0x0d), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5a)],
        "word" => WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    names: Vec<Option<String>>,
    multi_line: bool,
}

/// What one atom of a sequence produced.
enum Atom {
    Node(Node),
    /// A `\Q…\E` run: its literals join the sequence, as in Go.
    Run(Vec<Node>),
    /// `(?i)` and the like, or an empty `\Q\E`: nothing to match.
    Nothing,
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
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// `a|b|c` up to a `)` (left for the caller) or the end. Flags set inside (`(?i)`)
    /// last to the end of the enclosing group, across `|`, as in Go.
    fn alternation(&mut self, flags: &mut Flags, depth: usize) -> Option<Node> {
        let mut branches = vec![self.concat(flags, depth)?];
        while self.eat('|') {
            branches.push(self.concat(flags, depth)?);
        }
        Some(if branches.len() == 1 {
            branches.pop()?
        } else {
            Node::Alternate(branches)
        })
    }

    fn concat(&mut self, flags: &mut Flags, depth: usize) -> Option<Node> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '|' | ')' => break,
                '*' | '+' | '?' => {
                    self.pos += 1;
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.repeat(&mut items, min, max, flags)?;
                }
                '{' => match self.counted().ok()? {
                    Some((min, max)) => self.repeat(&mut items, min, max, flags)?,
                    None => {
                        // Go reads a `{` that starts no valid count as a literal.
                        self.pos += 1;
                        items.push(Node::Set(Set::literal('{', flags.fold)));
                    }
                },
                _ => match self.atom(flags, depth)? {
                    Atom::Node(node) => items.push(node),
                    Atom::Run(run) => items.extend(run),
                    Atom::Nothing => {}
                },
            }
        }
        Some(match items.len() {
            0 => Node::Empty,
            1 => items.pop()?,
            _ => Node::Concat(items),
        })
    }

    fn repeat(
        &mut self,
        items: &mut Vec<Node>,
        min: u32,
        max: Option<u32>,
        flags: &Flags,
    ) -> Option<()> {
        let lazy = self.eat('?');
        let inner = items.pop()?;
        if matches!(inner, Node::Repeat { .. } | Node::Empty) {
            return None;
        }
        items.push(Node::Repeat {
            min,
            max,
            // `(?U)` swaps what `*` and `*?` mean.
            greedy: lazy == flags.ungreedy,
            inner: Box::new(inner),
        });
        Some(())
    }

    /// `{n}`, `{n,}`, `{n,m}` at the cursor (consumed), `Ok(None)` when the brace starts
    /// no count (nothing consumed), `Err` for a count Go refuses (`{3,2}`).
    fn counted(&mut self) -> Result<Option<(u32, Option<u32>)>, ()> {
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
        match parsed {
            None => {
                self.pos = start;
                Ok(None)
            }
            Some((min, max)) if max.is_some_and(|m| m < min) => Err(()),
            Some(count) => Ok(Some(count)),
        }
    }

    fn atom(&mut self, flags: &mut Flags, depth: usize) -> Option<Atom> {
        let c = self.next()?;
        Some(Atom::Node(match c {
            '(' => return self.group(flags, depth),
            '[' => Node::Set(self.class(flags)?),
            '\\' => return self.escape(flags),
            '.' => Node::Set(Set {
                ranges: if flags.dot_newline {
                    Vec::new()
                } else {
                    vec![(0x0a, 0x0a)]
                },
                excluded: Vec::new(),
                negated: true,
                fold: false,
            }),
            '^' if flags.multi_line => Node::Look(Look::LineStart),
            '^' => Node::Look(Look::TextStart),
            '$' if flags.multi_line => Node::Look(Look::LineEnd),
            '$' => Node::Look(Look::TextEnd),
            c => Node::Set(Set::literal(c, flags.fold)),
        }))
    }

    /// After `(`.
    fn group(&mut self, flags: &mut Flags, depth: usize) -> Option<Atom> {
        if depth >= NEST_LIMIT {
            return None;
        }
        let mut inner_flags = *flags;
        let mut capture = true;
        let mut name = None;
        if self.eat('?') {
            if self.peek() == Some('P') && self.peek_at(1) == Some('<') {
                self.pos += 2;
                name = Some(self.group_name()?);
            } else if self.eat('<') {
                name = Some(self.group_name()?);
            } else {
                let closes = self.flags(&mut inner_flags)?;
                if !closes {
                    // `(?i)`: the flags hold for the rest of the enclosing group.
                    *flags = inner_flags;
                    return Some(Atom::Nothing);
                }
                capture = false;
            }
        }
        let index = capture.then(|| {
            self.names.push(name);
            self.names.len()
        });
        let inner = self.alternation(&mut inner_flags, depth + 1)?;
        if !self.eat(')') {
            return None;
        }
        Some(Atom::Node(Node::Group {
            index,
            inner: Box::new(inner),
        }))
    }

    fn group_name(&mut self) -> Option<String> {
        let mut name = String::new();
        loop {
            match self.next()? {
                '>' if !name.is_empty() => return Some(name),
                c if c.is_ascii_alphanumeric() || c == '_' => name.push(c),
                _ => return None,
            }
        }
    }

    /// After `(?`: flags up to `)` (`false`) or `:` (a group follows, `true`).
    fn flags(&mut self, flags: &mut Flags) -> Option<bool> {
        let mut on = true;
        loop {
            match self.next()? {
                c @ ('i' | 'm' | 's' | 'U') => {
                    match c {
                        'i' => flags.fold = on,
                        'm' => flags.multi_line = on,
                        's' => flags.dot_newline = on,
                        _ => flags.ungreedy = on,
                    }
                    self.multi_line |= flags.multi_line;
                }
                '-' if on => on = false,
                ')' => return Some(false),
                ':' => return Some(true),
                _ => return None,
            }
        }
    }

    /// After `[`: a bracket class up to its `]`.
    fn class(&mut self, flags: &Flags) -> Option<Set> {
        let negated = self.eat('^');
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut excluded = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                return Some(Set {
                    ranges,
                    excluded,
                    negated,
                    fold: flags.fold,
                });
            }
            first = false;
            let class = match c {
                '[' if self.peek() == Some(':') => Err(self.posix()?),
                '\\' => self.class_escape()?,
                c => Ok(c),
            };
            let lo = match class {
                Ok(c) => c,
                Err((class, false)) => {
                    ranges.extend_from_slice(class);
                    continue;
                }
                Err((class, true)) => {
                    excluded.push(class);
                    continue;
                }
            };
            let mut hi = lo;
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                self.pos += 1;
                hi = match self.next()? {
                    '\\' => self.class_escape()?.ok()?,
                    h => h,
                };
                if hi < lo {
                    return None;
                }
            }
            ranges.push((lo as u32, hi as u32));
        }
    }

    /// `[:alpha:]` or `[:^alpha:]` after the `[`: the class and whether it is negated.
    fn posix(&mut self) -> Option<(&'static [(u32, u32)], bool)> {
        self.pos += 1;
        let negated = self.eat('^');
        let mut name = String::new();
        loop {
            match self.next()? {
                ':' if self.eat(']') => break,
                c => name.push(c),
            }
        }
        Some((posix_class(&name)?, negated))
    }

    /// An escape inside a class: `Ok(char)` for a literal, `Err((class, negated))` for `\d`
    /// and the like.
    fn class_escape(&mut self) -> Option<Result<char, Class>> {
        let c = self.peek()?;
        if let Some(class) = perl_class(c) {
            self.pos += 1;
            return Some(Err(class));
        }
        self.literal_escape().map(Ok)
    }

    /// After `\` outside a class.
    fn escape(&mut self, flags: &Flags) -> Option<Atom> {
        let c = self.peek()?;
        if let Some((ranges, negated)) = perl_class(c) {
            self.pos += 1;
            return Some(Atom::Node(Node::Set(Set::class(
                ranges, negated, flags.fold,
            ))));
        }
        let look = match c {
            'A' => Some(Look::TextStart),
            'z' => Some(Look::TextEnd),
            'b' => Some(Look::WordBoundary),
            'B' => Some(Look::NotWordBoundary),
            _ => None,
        };
        if let Some(look) = look {
            self.pos += 1;
            return Some(Atom::Node(Node::Look(look)));
        }
        if c == 'Q' {
            self.pos += 1;
            let mut run = Vec::new();
            while let Some(c) = self.next() {
                if c == '\\' && self.peek() == Some('E') {
                    self.pos += 1;
                    break;
                }
                run.push(Node::Set(Set::literal(c, flags.fold)));
            }
            return Some(if run.is_empty() {
                Atom::Nothing
            } else {
                Atom::Run(run)
            });
        }
        let c = self.literal_escape()?;
        Some(Atom::Node(Node::Set(Set::literal(c, flags.fold))))
    }

    /// The character an escape stands for (`\n`, `\x41`, `\012`, `\.`), after the `\`.
    fn literal_escape(&mut self) -> Option<char> {
        let c = self.next()?;
        Some(match c {
            'a' => '\x07',
            'f' => '\x0c',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'v' => '\x0b',
            'x' => self.hex()?,
            '0'..='7' => {
                // `\0`, or octal of up to three digits; `\1` alone is a back-reference.
                if c != '0' && !self.peek().is_some_and(|d| d.is_digit(8)) {
                    return None;
                }
                let mut value = c.to_digit(8)?;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(value)?
            }
            c if c.is_ascii_punctuation() => c,
            _ => return None,
        })
    }

    /// After `\x`: two hex digits or `{hex}`.
    fn hex(&mut self) -> Option<char> {
        let mut value: u32 = 0;
        if self.eat('{') {
            let mut digits = 0;
            loop {
                match self.next()? {
                    '}' if digits > 0 => break,
                    c if digits < 8 => {
                        value = value.checked_mul(16)? + c.to_digit(16)?;
                        digits += 1;
                    }
                    _ => return None,
                }
            }
        } else {
            for _ in 0..2 {
                value = value * 16 + self.next()?.to_digit(16)?;
            }
        }
        char::from_u32(value)
    }
}

/// A Perl or POSIX class and whether it is negated (`\D`, `[:^alpha:]`).
type Class = (&'static [(u32, u32)], bool);

/// `\d`, `\D`, `\s`, `\S`, `\w`, `\W`: ASCII only, as in Go.
fn perl_class(c: char) -> Option<Class> {
    let ranges = match c.to_ascii_lowercase() {
        'd' => DIGIT,
        's' => SPACE,
        'w' => WORD,
        _ => return None,
    };
    Some((ranges, c.is_ascii_uppercase()))
}

struct Compiler {
    program: Vec<Inst>,
    steps: usize,
}

impl Compiler {
    fn push(&mut self, inst: Inst) -> Option<usize> {
        if self.program.len() >= MAX_PROGRAM {
            return None;
        }
        self.program.push(inst);
        Some(self.program.len() - 1)
    }

    fn emit(&mut self, node: &Node) -> Option<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return None;
        }
        match node {
            Node::Empty => {}
            Node::Set(set) => {
                self.push(Inst::Set(set.clone()))?;
            }
            Node::Look(look) => {
                self.push(Inst::Look(*look))?;
            }
            Node::Group { inner, .. } => self.emit(inner)?,
            Node::Concat(items) => {
                for item in items {
                    self.emit(item)?;
                }
            }
            Node::Alternate(branches) => {
                let mut exits = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if i + 1 == branches.len() {
                        self.emit(branch)?;
                    } else {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(branch)?;
                        exits.push(self.push(Inst::Jump(0))?);
                        self.program[split] = Inst::Split(split + 1, self.program.len());
                    }
                }
                let end = self.program.len();
                for exit in exits {
                    self.program[exit] = Inst::Jump(end);
                }
            }
            Node::Repeat {
                min, max, inner, ..
            } => {
                for _ in 0..*min {
                    self.emit(inner)?;
                }
                match max {
                    None => {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(inner)?;
                        self.push(Inst::Jump(split))?;
                        self.program[split] = Inst::Split(split + 1, self.program.len());
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.emit(inner)?;
                        }
                        let end = self.program.len();
                        for split in splits {
                            self.program[split] = Inst::Split(split + 1, end);
                        }
                    }
                }
            }
        }
        Some(())
    }
}

fn concat_items(node: &Node) -> &[Node] {
    match node {
        Node::Concat(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// The top-level alternatives; a group around everything (`(^a$|^b$)`) is transparent.
fn top_alternatives(node: &Node) -> Vec<&Node> {
    match node {
        Node::Alternate(branches) => branches.iter().collect(),
        Node::Group { inner, .. } => match &**inner {
            Node::Alternate(branches) => branches.iter().collect(),
            inner => vec![inner],
        },
        other => vec![other],
    }
}

/// Whether a match that reached `node`, the last item of an alternative, can only stop
/// at the end of the tag: `$`, or a run a search extends to the end.
fn ends_at_end(node: &Node) -> bool {
    match node {
        Node::Look(Look::TextEnd) => true,
        Node::Repeat {
            max: None, inner, ..
        } => covers_tag_alphabet(inner),
        Node::Group { inner, .. } => concat_items(inner).last().is_some_and(ends_at_end),
        Node::Concat(items) => items.last().is_some_and(ends_at_end),
        Node::Alternate(branches) => branches.iter().all(ends_at_end),
        _ => false,
    }
}

/// Whether one step of `node` accepts every character a tag may contain (`.`, `\S`, `[^/]`).
fn covers_tag_alphabet(node: &Node) -> bool {
    match node {
        Node::Set(set) => TAG_ALPHABET.chars().all(|c| set.contains(c)),
        Node::Group { inner, .. } => covers_tag_alphabet(inner),
        _ => false,
    }
}

fn find_group(node: &Node, number: usize) -> Option<&Node> {
    match node {
        Node::Group { index, inner } => {
            if *index == Some(number) {
                Some(inner)
            } else {
                find_group(inner, number)
            }
        }
        Node::Repeat { inner, .. } => find_group(inner, number),
        Node::Concat(items) | Node::Alternate(items) => {
            items.iter().find_map(|n| find_group(n, number))
        }
        _ => None,
    }
}

fn accepts_any_text(node: &Node) -> bool {
    match node {
        Node::Repeat {
            max: None, inner, ..
        } if covers_tag_alphabet(inner) => true,
        Node::Repeat { inner, .. } | Node::Group { inner, .. } => accepts_any_text(inner),
        Node::Concat(items) | Node::Alternate(items) => items.iter().any(accepts_any_text),
        _ => false,
    }
}

fn lazily_empty(node: &Node) -> bool {
    match node {
        Node::Empty => true,
        Node::Repeat {
            min: 0,
            greedy: false,
            ..
        } => true,
        Node::Group { inner, .. } => lazily_empty(inner),
        Node::Concat(items) => items.iter().all(lazily_empty),
        _ => false,
    }
}

/// The only string `node` matches, when there is exactly one (at most 256 characters).
fn fixed_text(node: &Node) -> Option<String> {
    const LIMIT: usize = 256;
    let text = match node {
        Node::Empty | Node::Look(_) => String::new(),
        Node::Set(set) => set.single()?.to_string(),
        Node::Group { inner, .. } => fixed_text(inner)?,
        Node::Repeat {
            min,
            max: Some(max),
            inner,
            ..
        } if min == max => {
            let one = fixed_text(inner)?;
            if one.chars().count().saturating_mul(*min as usize) > LIMIT {
                return None;
            }
            one.repeat(*min as usize)
        }
        Node::Concat(items) => {
            let mut text = String::new();
            for item in items {
                text.push_str(&fixed_text(item)?);
                if text.chars().count() > LIMIT {
                    return None;
                }
            }
            text
        }
        Node::Alternate(branches) => {
            let first = fixed_text(branches.first()?)?;
            for branch in &branches[1..] {
                if fixed_text(branch)? != first {
                    return None;
                }
            }
            first
        }
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn re(pattern: &str) -> TagRegex {
        TagRegex::parse(pattern).unwrap_or_else(|| panic!("{pattern} should parse"))
    }

    const SIG: &str = "sha256-2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae.sig";

    /// Go (RE2) semantics the engine copies, one row per construct: the pattern, a text it
    /// matches and one it does not (regexp/syntax: POSIX classes, `(?i)` simple case
    /// folding with its orbits k/K/U+212A and s/S/U+017F, word boundaries, `$` before a
    /// final newline only in multi-line mode).
    /// What the parser accepts and refuses, and what it makes of it (RE2 syntax, as
    /// regexp/syntax parses it: `{n,m}` with m >= n, a brace that starts no count is a
    /// literal, group names
    /// of word characters, scoped and toggled flags, POSIX classes only inside brackets).
    /// Escapes and the text-capturing helpers, as the ImagePolicy checks read them.
    /// Each `(pattern, a text it matches, a text it does not)`.
    fn assert_rows(rows: &[(&str, &str, &str)]) {
        for (pattern, yes, no) in rows {
            let re = TagRegex::parse(pattern).unwrap_or_else(|| panic!("{pattern}"));
            assert!(re.is_match(yes), "{pattern} must match {yes:?}");
            assert!(!re.is_match(no), "{pattern} must not match {no:?}");
        }
    }

    #[test]
    fn escapes_and_group_text() {
        let rows: &[(&str, &str, &str)] = &[
            ("^\\a\\f\\t\\n\\r\\v$", "\u{7}\u{c}\t\n\r\u{b}", "aftnrv"),
            ("^\\x41\\x{42}\\x{1F600}$", "AB\u{1F600}", "ABC"),
            ("^\\Qa.b\\E$", "a.b", "axb"),
            ("^\\QaE\\E$", "aE", "a"),
            ("^(a|b|c)$", "c", "d"),
            // The last alternative is not optional: the empty tag matches none of them.
            ("^(?:a|b)$", "b", ""),
            ("^(a|b|c)$", "a", ""),
        ];
        assert_rows(rows);
        // `\x{}` names no character; more than 8 hex digits or past U+10FFFF are not read.
        for pattern in ["\\x{}", "\\x{000000041}", "\\x{110000}", "\\x4"] {
            assert!(TagRegex::parse(pattern).is_none(), "{pattern}");
        }
        // Compiling stops at 4096 instructions.
        assert!(TagRegex::parse("a{1000}").is_some());
        assert!(TagRegex::parse("(?:a{1000}){5}").is_none());

        let re = |p: &str| TagRegex::parse(p).unwrap();
        // A run of any tag character, also behind a group, ends a match at the tag's end.
        assert!(re("^v(?:.)*").anchored_in_effect());
        assert!(!re("^v(?:x|.+)").anchored_in_effect());
        // Groups are found inside repeats and groups.
        assert_eq!(re("^(?:(?P<v>x))+$").group_fixed_text(1), Some("x".into()));
        assert!(re("^(?P<ts>(?:.*))$").group_accepts_any_text(1));
        assert!(re("^(?:(?P<ts>.+))?$").group_accepts_any_text(1));
        assert!(!re("^(?P<ts>\\d+)$").group_accepts_any_text(1));
        // Lazy and empty parts at the end capture nothing, however they are grouped.
        assert_eq!(
            re("^main-(?P<ts>.*?())").group_fixed_text(1),
            Some(String::new())
        );
        assert_eq!(
            re("^main-(?P<ts>(?:.*?)(?:))").group_fixed_text(1),
            Some(String::new())
        );
        // Fixed text: groups, exact repeats, and at most 256 characters.
        assert_eq!(re("^(?P<v>(?:ab))$").group_fixed_text(1), Some("ab".into()));
        assert_eq!(re("^(?P<v>a{3})$").group_fixed_text(1), Some("aaa".into()));
        assert_eq!(re("^(?P<v>a{2,3})$").group_fixed_text(1), None);
        assert_eq!(
            re("^(?P<v>a{256})$").group_fixed_text(1).map(|t| t.len()),
            Some(256)
        );
        assert_eq!(re("^(?P<v>a{257})$").group_fixed_text(1), None);
        assert_eq!(
            re("^(?P<v>a{200}b{56})$")
                .group_fixed_text(1)
                .map(|t| t.len()),
            Some(256)
        );
        assert_eq!(re("^(?P<v>a{200}b{57})$").group_fixed_text(1), None);
    }

    #[test]
    fn parser_table() {
        let refused = [
            "a{3,2}",
            "(?P<>x)",
            "(?P<a-b>x)",
            "(?<a b>x)",
            "[b-a]",
            "(?i",
            "a)",
            "[[:nope:]]",
            "(?P>x)",
            "(?i--m)",
            // A group name comes right after `(?` (or `(?P`), never after a flag.
            "(?i<a>x)",
            "(?sP<a>x)",
        ];
        // Groups nest at most 64 deep.
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert!(TagRegex::parse(&nested(60)).is_some());
        assert!(TagRegex::parse(&nested(65)).is_none());
        for pattern in refused {
            assert!(
                TagRegex::parse(pattern).is_none(),
                "{pattern} must be refused"
            );
        }
        let rows: &[(&str, &str, &str)] = &[
            ("^a{1000}$", &"a".repeat(1000), &"a".repeat(999)),
            ("^a{2}$", "aa", "a"),
            ("^a{,2}$", "a{,2}", "a"),
            ("^a{2,}$", "aaa", "a"),
            ("^a{1,2}$", "aa", "aaa"),
            ("^a{2,2}$", "aa", "aaa"),
            ("^(?i:a)b$", "Ab", "AB"),
            ("^(?i)a(?-i)b$", "Ab", "AB"),
            ("^(?i-i:a)$", "a", "A"),
            ("(?im)^a$", "b\nA", "bA"),
            ("^(?P<a_1>x)(?<b>y)$", "xy", "x"),
            ("^[:a]$", ":", "b"),
            ("^[a-a]$", "a", "b"),
            ("^[\\d-]$", "-", "a"),
            ("^[\\]x]$", "]", "a"),
            ("^[a\\-z]$", "-", "b"),
            ("^[^\\n]$", "a", "\n"),
            ("^[[a]$", "[", "b"),
            ("^[\\d]$", "5", "d"),
            ("\\Ax", "xy", "yx"),
        ];
        assert_rows(rows);
        // Groups are numbered in order of their `(`, named or not; non-capturing ones skipped.
        let re = TagRegex::parse("^(a)(?:b)(?P<c>c)(d)$").unwrap();
        assert_eq!(re.group_number(&Reference::Named("c".into())), Some(2));
        assert_eq!(re.group_number(&Reference::Number(3)), Some(3));
        assert_eq!(re.group_number(&Reference::Number(4)), None);
    }

    #[test]
    fn go_semantics_table() {
        let rows: &[(&str, &str, &str)] = &[
            ("^[[:alnum:]]$", "a", "_"),
            ("^[[:alpha:]]$", "Z", "1"),
            ("^[[:ascii:]]$", "\u{7f}", "é"),
            ("^[[:blank:]]$", "\t", "\n"),
            ("^[[:cntrl:]]$", "\u{1f}", " "),
            ("^[[:digit:]]$", "9", "a"),
            ("^[[:graph:]]$", "~", " "),
            ("^[[:lower:]]$", "q", "Q"),
            ("^[[:print:]]$", " ", "\u{7f}"),
            ("^[[:punct:]]$", "`", "a"),
            ("^[[:space:]]$", "\u{b}", "a"),
            ("^[[:upper:]]$", "Q", "q"),
            ("^[[:word:]]$", "_", "-"),
            ("^[[:xdigit:]]$", "F", "g"),
            ("^[[:^alpha:]]$", "1", "a"),
            ("^(?i)k$", "\u{212A}", "x"),
            ("^(?i)\u{212A}$", "k", "x"),
            ("^(?i)K$", "k", "x"),
            ("^(?i)K$", "\u{212A}", "x"),
            ("^(?i)S$", "\u{17F}", "x"),
            ("^(?i)s$", "\u{17F}", "x"),
            ("^(?i)\u{17F}$", "S", "x"),
            ("^(?i)S$", "s", "x"),
            (r"\bv1\b", "a v1 b", "av1"),
            (r"\Bv1", "av1", "a v1"),
            ("(?m)^b$", "a\nb\nc", "ab"),
            ("^a$", "a", "a\n"),
        ];
        assert_rows(rows);
    }

    #[test]
    fn fixed_text_of_a_group() {
        let re = |p: &str| TagRegex::parse(p).unwrap();
        // A lazy, possibly empty group that ends the pattern captures nothing; one that
        // is not the last thing does not count.
        assert_eq!(
            re("^main-(?P<ts>.*?)").group_fixed_text(1),
            Some(String::new())
        );
        assert_eq!(
            re("^main-((?P<ts>.*?))").group_fixed_text(2),
            Some(String::new())
        );
        assert_eq!(re("^(?P<a>.*?)-(?P<b>x)").group_fixed_text(1), None);
        assert_eq!(
            re("^(?P<a>x)(?P<b>.*?)").group_fixed_text(1),
            Some("x".into())
        );
        // One character stands for itself, unless folded (a letter) or negated.
        assert_eq!(re("^(?P<v>v)$").group_fixed_text(1), Some("v".into()));
        assert_eq!(re("^(?i)(?P<v>v)$").group_fixed_text(1), None);
        assert_eq!(re("^(?i)(?P<v>-)$").group_fixed_text(1), Some("-".into()));
        assert_eq!(re("^(?P<v>[^v])$").group_fixed_text(1), None);
        assert_eq!(re("^(?P<v>[ab])$").group_fixed_text(1), None);
    }

    #[test]
    fn a_pattern_is_read_whole_or_not_at_all() {
        assert!(TagRegex::parse("^v1$").is_some());
        // A stray `)` ends the parse early: what follows is not silently dropped.
        assert!(TagRegex::parse("a)b").is_none());
        assert!(TagRegex::parse("^a)$").is_none());
        // `^` alone pins the start only.
        assert!(!TagRegex::parse("^").unwrap().anchored_in_effect());
    }

    #[test]
    fn searches_like_go() {
        let cases: &[(&str, &str, bool)] = &[
            (r"^.*\.sig$", SIG, true),
            (r"^.*\.sig$", "1.2.3", false),
            (r"\.sig$", SIG, true),
            (r"^sha256-.*$", SIG, true),
            (r"^.*\.(sig|att|sbom)$", SIG, true),
            (r"^.*\.(sig|att|sbom)$", "sha256-ab.sbom", true),
            (r"^.*\.att$", SIG, false),
            (r"sig", SIG, true),
            (r"^sig", SIG, false),
            (r"(?i)\.SIG$", SIG, true),
            (r"\.SIG$", SIG, false),
            (r"(?i)\.\x{17F}ig$", SIG, true),
            (r"^sha256-[a-f0-9]{64}\.sig$", SIG, true),
            (r"^sha256-[a-f0-9]{63}\.sig$", SIG, false),
            (r"^sha256-[0-9]+\.sig$", SIG, false),
            (r"^sha256-[[:xdigit:]]+\.sig$", SIG, true),
            (r"^sha256-[^.]+\.sig$", SIG, true),
            (r"^sha256-\w+\.sig\z", SIG, true),
            (r"\bsig\b", SIG, true),
            (r"\Bsig", SIG, false),
            (r"^\Qsha256-\E", SIG, true),
            (r"^(?:sha256|sha512)-", SIG, true),
            (r"^v?[0-9]+\.[0-9]+\.[0-9]+$", "v1.2.3", true),
            (r"^v?[0-9]+\.[0-9]+\.[0-9]+$", "1.2.3-rc.1", false),
            (r"a{2,3}", "xaax", true),
            (r"^a{2,3}$", "aaaa", false),
            (r"^(a|)+$", "aaa", true),
            (r"", "", true),
            (r"^$", "x", false),
            (r"x*", "", true),
            (r"[^\d]", "123", false),
            (r"[\D]", "12a", true),
            (r"[[:^digit:]]", "12", false),
            (r"(?i)[^k]", "\u{212A}", false),
            (r"(?m)^b$", "a\nb", true),
            (r"^b$", "a\nb", false),
            (r"(?s).", "\n", true),
            (r".", "\n", false),
            (r"[\x41-\x43]", "B", true),
            (r"\101", "A", true),
            (r"a{,2}", "a{,2}", true),
            (r"(?i)\W", "k", false),
            (r"(?i)[\W]", "K", false),
            (r"\W", "\u{212A}", true),
            (r"(?i)[[:^lower:]]", "a", false),
            (r"(?i:A)a", "aa", true),
            (r"(?i:A)A", "aa", false),
            (r"a(?i)b|C", "c", true),
        ];
        for &(pattern, text, want) in cases {
            assert_eq!(re(pattern).is_match(text), want, "{pattern} on {text:?}");
        }
    }

    #[test]
    fn outside_the_subset() {
        assert!(TagRegex::parse(r"\p{Greek}").is_none());
        assert!(TagRegex::parse(r"[\pL]").is_none());
        assert!(TagRegex::parse(&"(".repeat(70)).is_none());
        assert!(TagRegex::parse(r"((a{1000}){1000}){1000}").is_none());
        assert!(TagRegex::parse(r"\1").is_none());
    }

    #[test]
    fn compile_steps_are_bounded() {
        // Nested repeats of nothing push no instruction: only the step bound stops them.
        assert!(TagRegex::parse(r"((){1000}){1000}").is_none());
        assert!(TagRegex::parse(r"((){100}){100}").is_some());
        // The bound itself is allowed: a concatenation of n empties takes n + 1 steps.
        let compiles = |n: usize| {
            let mut compiler = Compiler {
                program: Vec::new(),
                steps: 0,
            };
            compiler.emit(&Node::Concat(vec![Node::Empty; n])).is_some()
        };
        assert!(compiles(MAX_STEPS - 1));
        assert!(!compiles(MAX_STEPS));
    }

    #[test]
    fn anchoring_in_effect() {
        for yes in [
            r"^main-[a-fA-F0-9]+-(?P<ts>.*)",
            r"^main-[a-fA-F0-9]+-(?P<ts>.+)",
            r"^main-(?P<ts>[^/]*)",
            r"^main-(?P<ts>\S+)",
            r"^a$|^b.*",
            r"(^a.*)",
            r"^main-(?:x|.*)$",
            r"^main-(.*|\d+$)",
            r"^main-.*?",
            r"^(?P<ts>[0-9]+)$",
        ] {
            assert!(re(yes).anchored_in_effect(), "{yes}");
        }
        for no in [
            r"main-(?P<ts>.*)",
            r"^main-(?P<ts>[0-9]+)",
            r"^main-(?P<ts>[a-z]*)",
            r"^main-(?P<ts>.*)x?",
            r"^a.*|b.*",
            r"(?m)^main-.*",
            r"^main-(?m:.*)",
            r"^",
            r"^main-(x|.*)",
            r".*",
        ] {
            assert!(!re(no).anchored_in_effect(), "{no}");
        }
    }

    #[test]
    fn groups() {
        let guide = re(r"^main-[a-fA-F0-9]+-(?P<ts>.*)");
        let ts = guide.group_number(&Reference::Named("ts".into())).unwrap();
        assert_eq!(ts, 1);
        assert!(guide.group_accepts_any_text(ts));
        assert_eq!(guide.group_fixed_text(ts), None);
        let strict = re(r"^main-[a-fA-F0-9]+-(?P<ts>[1-9][0-9]*)");
        assert!(!strict.group_accepts_any_text(1));
        assert!(re(r"^RELEASE\.(?P<timestamp>.*)Z$").group_accepts_any_text(1));
        assert!(re(r"^v(?P<n>[0-9]+\..*)$").group_accepts_any_text(1));
        assert_eq!(
            re(r"^main-(?P<ts>)").group_fixed_text(1),
            Some(String::new())
        );
        assert_eq!(
            re(r"^(?P<b>main)-[0-9]+$").group_fixed_text(1),
            Some("main".into())
        );
        assert_eq!(re(r"^(?i)(?P<b>main)-$").group_fixed_text(1), None);
        assert_eq!(
            re(r"^main-(?P<ts>.*?)").group_fixed_text(1),
            Some(String::new())
        );
        assert_eq!(re(r"^main-(?P<ts>.*?)$").group_fixed_text(1), None);
        assert_eq!(
            re(r"(?U)^main-(?P<ts>.*)").group_fixed_text(1),
            Some("".into())
        );
        assert_eq!(re(r"(?U)^main-(?P<ts>.*?)").group_fixed_text(1), None);
        assert_eq!(
            re(r"^(a)(?:b)(?P<c>d)$").group_number(&Reference::Number(2)),
            Some(2)
        );
        assert_eq!(re(r"^(a)$").group_number(&Reference::Number(2)), None);
        assert_eq!(re(r"^(a)$").group_number(&Reference::Number(0)), None);
        assert_eq!(re(r"^(?P<x>a{3})$").group_fixed_text(1), Some("aaa".into()));
        assert_eq!(re(r"^(?P<x>a|a)$").group_fixed_text(1), Some("a".into()));
        assert_eq!(re(r"^(?P<x>a|b)$").group_fixed_text(1), None);
    }

    proptest! {
        #[test]
        fn never_panics(pattern in "[\\^$.*+?()|\\[\\]{}\\\\a-c0-9:,<>=!PpQEimsxUdDwWbBz-]{0,40}", text in "[a-c0-9.\\-]{0,20}") {
            if let Some(r) = TagRegex::parse(&pattern) {
                let _ = (r.is_match(&text), r.anchored_in_effect(), r.group_accepts_any_text(1), r.group_fixed_text(1));
            }
        }
    }
}
