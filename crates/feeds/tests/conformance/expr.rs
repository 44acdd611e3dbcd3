//! A parser for the subset of Python that feedparser's `Expect:` lines use: `and`, `or`,
//! `not`, chained `==` / `!=`, `is`, `in`, subscripts, attributes, calls, string
//! concatenation, tuples, lists and dicts of literals.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Name(String),
    Str(String),
    Num(f64),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Index(Box<Expr>, Box<Expr>),
    Attr(Box<Expr>, String),
    Call(Box<Expr>, Vec<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `a == b == c`, `a != b`, `a is None`, `a in b`, `a not in b`.
    Compare(Box<Expr>, Vec<(String, Expr)>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Num(f64),
    Op(String),
}

pub(crate) fn parse(src: &str) -> Result<Expr, String> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0 };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks[p.pos]));
    }
    Ok(e)
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            out.push(Tok::Num(s.parse().map_err(|_| format!("bad number {s}"))?));
        } else if (c == 'u' || c == 'b' || c == 'r') && matches!(chars.get(i + 1), Some('\'' | '"'))
        {
            let raw = c == 'r';
            let (s, next) = string(&chars, i + 1, raw)?;
            out.push(Tok::Str(s));
            i = next;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(chars[start..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let (s, next) = string(&chars, i, false)?;
            out.push(Tok::Str(s));
            i = next;
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if two == "==" || two == "!=" {
                out.push(Tok::Op(two));
                i += 2;
            } else if "()[]{},.:+-".contains(c) {
                out.push(Tok::Op(c.to_string()));
                i += 1;
            } else {
                return Err(format!("unexpected character {c:?}"));
            }
        }
    }
    Ok(out)
}

/// A Python string literal at `start` (the quote); returns its value and the next index.
fn string(chars: &[char], start: usize, raw: bool) -> Result<(String, usize), String> {
    let q = chars[start];
    let mut i = start + 1;
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == q {
            return Ok((s, i + 1));
        }
        if c == '\\' && !raw {
            let e = *chars.get(i + 1).ok_or("dangling backslash")?;
            i += 2;
            let hex = |n: usize, i: &mut usize| -> Result<char, String> {
                let h: String = chars.get(*i..*i + n).ok_or("short escape")?.iter().collect();
                *i += n;
                u32::from_str_radix(&h, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(format!("bad escape {h}"))
            };
            match e {
                'n' => s.push('\n'),
                't' => s.push('\t'),
                'r' => s.push('\r'),
                '\\' => s.push('\\'),
                '\'' => s.push('\''),
                '"' => s.push('"'),
                'x' => s.push(hex(2, &mut i)?),
                'u' => s.push(hex(4, &mut i)?),
                'U' => s.push(hex(8, &mut i)?),
                other => {
                    s.push('\\');
                    s.push(other);
                }
            }
            continue;
        }
        s.push(c);
        i += 1;
    }
    Err("unterminated string".to_owned())
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if o == op)
    }

    fn is_name(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == name)
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.is_op(op) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {op}, found {:?}", self.peek()))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.is_name("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not()?];
        while self.is_name("and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.is_name("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let first = self.sum()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Op(o)) if o == "==" || o == "!=" => o.clone(),
                Some(Tok::Name(n)) if n == "is" || n == "in" => n.clone(),
                Some(Tok::Name(n))
                    if n == "not"
                        && matches!(self.toks.get(self.pos + 1), Some(Tok::Name(m)) if m == "in") =>
                {
                    self.pos += 1;
                    "not in".to_owned()
                }
                _ => break,
            };
            self.pos += 1;
            let op = if op == "is" && self.is_name("not") {
                self.pos += 1;
                "is not".to_owned()
            } else {
                op
            };
            rest.push((op, self.sum()?));
        }
        Ok(if rest.is_empty() { first } else { Expr::Compare(Box::new(first), rest) })
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while self.is_op("+") {
            self.pos += 1;
            e = Expr::Add(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.is_op("-") {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let mut e = self.atom()?;
        loop {
            if self.is_op("[") {
                self.pos += 1;
                let idx = self.or()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else if self.is_op(".") {
                self.pos += 1;
                match self.peek().cloned() {
                    Some(Tok::Name(n)) => {
                        self.pos += 1;
                        e = Expr::Attr(Box::new(e), n);
                    }
                    other => return Err(format!("expected a name after '.', found {other:?}")),
                }
            } else if self.is_op("(") {
                self.pos += 1;
                let args = self.items(")")?;
                e = Expr::Call(Box::new(e), args);
            } else {
                return Ok(e);
            }
        }
    }

    fn items(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let mut items = Vec::new();
        while !self.is_op(close) {
            items.push(self.or()?);
            if self.is_op(",") {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.expect(close)?;
        Ok(items)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let tok = self.peek().cloned().ok_or("unexpected end")?;
        self.pos += 1;
        match tok {
            Tok::Name(n) => Ok(Expr::Name(n)),
            Tok::Str(mut s) => {
                // Adjacent literals concatenate.
                while let Some(Tok::Str(more)) = self.peek().cloned() {
                    s.push_str(&more);
                    self.pos += 1;
                }
                Ok(Expr::Str(s))
            }
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Op(o) if o == "(" => {
                let mut items = Vec::new();
                let mut tuple = false;
                while !self.is_op(")") {
                    items.push(self.or()?);
                    if self.is_op(",") {
                        tuple = true;
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                self.expect(")")?;
                Ok(if !tuple && items.len() == 1 { items.remove(0) } else { Expr::Tuple(items) })
            }
            Tok::Op(o) if o == "[" => Ok(Expr::List(self.items("]")?)),
            Tok::Op(o) if o == "{" => {
                let mut pairs = Vec::new();
                while !self.is_op("}") {
                    let k = self.or()?;
                    self.expect(":")?;
                    let v = self.or()?;
                    pairs.push((k, v));
                    if self.is_op(",") {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                self.expect("}")?;
                Ok(Expr::Dict(pairs))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}
