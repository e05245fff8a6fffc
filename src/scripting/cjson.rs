//! The `cjson` library scripts get, with lua-cjson 2.1's behaviour as Redis
//! 7.0 bundles it (its defaults): numbers as "%.14g", '/' escaped, tables
//! that are arrays (positive integer keys, not excessively sparse) as
//! arrays, the rest as objects, the empty table as `{}`, JSON null as
//! `cjson.null`, nesting limited to 1000, and its error texts. Errors come
//! back as `Err(text)`; prelude.lua raises them at the script's line.

use mlua::{LightUserData, Lua, Table, Value};

/// The settings scripts change with cjson.encode_max_depth and the other
/// configuration functions (lua-cjson's json_config_t); they last as long
/// as the Lua state, as in Redis.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub encode_max_depth: usize,
    pub decode_max_depth: usize,
    /// encode_invalid_numbers: 0 off, 1 on, 2 "null".
    pub encode_invalid: u8,
    pub decode_invalid: bool,
    pub precision: usize,
    /// encode_sparse_array: (convert, ratio, safe).
    pub sparse_convert: bool,
    pub sparse_ratio: i64,
    pub sparse_safe: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid: 0,
            decode_invalid: true,
            precision: 14,
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
        }
    }
}

/// cjson.null: a light userdata holding NULL.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

pub fn encode(v: &Value) -> Result<Vec<u8>, String> {
    encode_with(v, &Options::default())
}

pub fn encode_with(v: &Value, o: &Options) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_value(&mut out, v, 0, o)?;
    Ok(out)
}

fn encode_number(out: &mut Vec<u8>, n: f64, o: &Options) -> Result<(), String> {
    if !n.is_finite() {
        match o.encode_invalid {
            0 => return Err("Cannot serialise number: must not be NaN or Inf".into()),
            1 if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            1 => {}
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(crate::util::num::fmt_g(n, o.precision).as_bytes());
    Ok(())
}

fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// The array length if the table is an array (lua_array_length): every
/// key a positive integer and not excessively sparse; None otherwise.
fn array_length(t: &Table, o: &Options) -> Result<Option<usize>, String> {
    let (mut max, mut items) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        match number_of(&k) {
            Some(n) if n >= 1.0 && n.floor() == n => {
                max = max.max(n as i64);
                items += 1;
            }
            _ => return Ok(None),
        }
    }
    if o.sparse_ratio > 0 && max > items * o.sparse_ratio && max > o.sparse_safe {
        if o.sparse_convert {
            return Ok(None);
        }
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max as usize))
}

fn encode_value(out: &mut Vec<u8>, v: &Value, depth: usize, o: &Options) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => encode_number(out, *i as f64, o)?,
        Value::Number(n) => encode_number(out, *n, o)?,
        Value::String(s) => encode_string(out, &s.as_bytes()),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > o.encode_max_depth {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t, o)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                        encode_value(out, &item, depth, o)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.pairs::<Value, Value>() {
                        let (k, item) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => encode_string(out, &s.as_bytes()),
                            k if number_of(k).is_some() => {
                                out.push(b'"');
                                encode_number(out, number_of(k).unwrap_or(0.0), o)?;
                                out.push(b'"');
                            }
                            other => {
                                return Err(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    type_name(other)
                                ));
                            }
                        }
                        out.push(b':');
                        encode_value(out, &item, depth, o)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                type_name(other)
            ));
        }
    }
    Ok(())
}

/// A token of the JSON text (json_next_token).
#[derive(Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool,
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Num => "T_NUMBER",
            Tok::Bool => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(msg) => msg,
        }
    }
}

struct Parser<'a> {
    opts: Options,
    lua: &'a Lua,
    s: &'a [u8],
    pos: usize,
}

/// A token with where it began and, for values, what it holds.
struct Token {
    kind: Tok,
    at: usize,
    value: Value,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Result<Token, String> {
        while matches!(self.s.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        let at = self.pos;
        let tok = |kind| Token {
            kind,
            at,
            value: Value::Nil,
        };
        let Some(&c) = self.s.get(self.pos) else {
            return Ok(tok(Tok::End));
        };
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return Ok(tok(kind));
        }
        if c == b'"' {
            return Ok(match self.string() {
                Ok(v) => Token {
                    kind: Tok::Str,
                    at,
                    value: v,
                },
                // An error names where it was found, not where the string began.
                Err((msg, err_at)) => Token {
                    kind: Tok::Error(msg),
                    at: err_at,
                    value: Value::Nil,
                },
            });
        }
        let number = |p: &mut Self| {
            let (n, used, _erange) = crate::util::num::strtod(&p.s[p.pos..]);
            if used == 0 {
                return tok(Tok::Error("invalid number"));
            }
            p.pos += used;
            Token {
                kind: Tok::Num,
                at,
                value: Value::Number(n),
            }
        };
        if c == b'-' || c.is_ascii_digit() {
            return Ok(number(self));
        }
        for (word, kind, value) in [
            (&b"true"[..], Tok::Bool, Value::Boolean(true)),
            (b"false", Tok::Bool, Value::Boolean(false)),
            (b"null", Tok::Null, null()),
        ] {
            if self.s[self.pos..].starts_with(word) {
                self.pos += word.len();
                return Ok(Token { kind, at, value });
            }
        }
        // What strict JSON refuses but lua-cjson's default reads as a
        // number: a leading '+', inf and nan (json_is_invalid_number).
        if self.opts.decode_invalid
            && matches!(c, b'+' | b'i' | b'I' | b'n' | b'N')
            && self.invalid_number()
        {
            return Ok(number(self));
        }
        Ok(tok(Tok::Error("invalid token")))
    }

    /// lua-cjson's json_is_invalid_number at the current position.
    fn invalid_number(&self) -> bool {
        let mut p = &self.s[self.pos..];
        if p.first() == Some(&b'+') {
            return true;
        }
        if p.first() == Some(&b'-') {
            p = &p[1..];
        }
        let starts = |w: &[u8]| p.len() >= 3 && p[..3].eq_ignore_ascii_case(w);
        starts(b"inf") || starts(b"nan")
    }

    fn string(&mut self) -> Result<Value, (&'static str, usize)> {
        let mut out = Vec::new();
        self.pos += 1;
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Err(("unexpected end of string", self.s.len()));
            };
            let backslash = self.pos;
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else {
                        return Err(("invalid escape code", backslash));
                    };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let bad = ("invalid unicode escape code", backslash);
                            let cp = self.unicode_escape().map_err(|_| bad)?;
                            let ch = char::from_u32(cp).ok_or(bad)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(("invalid escape code", backslash)),
                    }
                }
                _ => out.push(c),
            }
        }
        self.lua
            .create_string(&out)
            .map(Value::String)
            .map_err(|_| ("out of memory", self.pos))
    }

    /// \uXXXX (after the u), with a surrogate pair when there is one.
    fn unicode_escape(&mut self) -> Result<u32, &'static str> {
        let hex4 = |p: &mut Self| -> Result<u32, &'static str> {
            let h =
                p.s.get(p.pos..p.pos + 4)
                    .ok_or("invalid unicode escape code")?;
            let s = std::str::from_utf8(h).map_err(|_| "invalid unicode escape code")?;
            let v = u32::from_str_radix(s, 16).map_err(|_| "invalid unicode escape code")?;
            p.pos += 4;
            Ok(v)
        };
        let hi = hex4(self)?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err("invalid unicode escape code");
            }
            self.pos += 2;
            let lo = hex4(self)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err("invalid unicode escape code");
            }
            return Ok(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
        }
        if (0xDC00..0xE000).contains(&hi) {
            return Err("invalid unicode escape code");
        }
        Ok(hi)
    }

    fn expected(what: &str, t: &Token) -> String {
        format!(
            "Expected {what} but found {} at character {}",
            t.kind.name(),
            t.at + 1
        )
    }

    fn value(&mut self, t: Token, depth: usize) -> Result<Value, String> {
        match t.kind {
            Tok::Str | Tok::Num | Tok::Bool | Tok::Null => Ok(t.value),
            Tok::ObjBegin | Tok::ArrBegin => {
                let depth = depth + 1;
                if depth > self.opts.decode_max_depth {
                    return Err(format!(
                        "Found too many nested data structures ({depth}) at character {}",
                        t.at + 1
                    ));
                }
                let table = self.lua.create_table().map_err(|e| e.to_string())?;
                if t.kind == Tok::ArrBegin {
                    self.array(&table, depth)?;
                } else {
                    self.object(&table, depth)?;
                }
                Ok(Value::Table(table))
            }
            _ => Err(Self::expected("value", &t)),
        }
    }

    fn array(&mut self, table: &Table, depth: usize) -> Result<(), String> {
        let mut t = self.next()?;
        if t.kind == Tok::ArrEnd {
            return Ok(());
        }
        let mut i = 1;
        loop {
            let v = self.value(t, depth)?;
            table.raw_set(i, v).map_err(|e| e.to_string())?;
            i += 1;
            let sep = self.next()?;
            match sep.kind {
                Tok::ArrEnd => return Ok(()),
                Tok::Comma => t = self.next()?,
                _ => return Err(Self::expected("comma or array end", &sep)),
            }
        }
    }

    fn object(&mut self, table: &Table, depth: usize) -> Result<(), String> {
        let mut t = self.next()?;
        if t.kind == Tok::ObjEnd {
            return Ok(());
        }
        loop {
            if t.kind != Tok::Str {
                return Err(Self::expected("object key string", &t));
            }
            let key = t.value;
            let colon = self.next()?;
            if colon.kind != Tok::Colon {
                return Err(Self::expected("colon", &colon));
            }
            let vt = self.next()?;
            let v = self.value(vt, depth)?;
            table.raw_set(key, v).map_err(|e| e.to_string())?;
            let sep = self.next()?;
            match sep.kind {
                Tok::ObjEnd => return Ok(()),
                Tok::Comma => t = self.next()?,
                _ => return Err(Self::expected("comma or object end", &sep)),
            }
        }
    }
}

pub fn decode(lua: &Lua, s: &[u8]) -> Result<Value, String> {
    decode_with(lua, s, &Options::default())
}

pub fn decode_with(lua: &Lua, s: &[u8], o: &Options) -> Result<Value, String> {
    let mut p = Parser {
        opts: *o,
        lua,
        s,
        pos: 0,
    };
    let t = p.next()?;
    let v = p.value(t, 0)?;
    let end = p.next()?;
    if end.kind != Tok::End {
        return Err(Parser::expected("the end", &end));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let lua = Lua::new();
        let v = decode(&lua, br#"{"a":[1,2.5,"x\/y\u00e9",true,null],"b":{}}"#).unwrap();
        let text = encode(&v).unwrap();
        let again = encode(&decode(&lua, &text).unwrap()).unwrap();
        assert_eq!(text, again);
    }

    proptest! {
        /// Any bytes decode or are refused with a message, never a panic,
        /// and what decodes encodes (or is refused as Redis refuses).
        #[test]
        fn any_bytes_decode_or_refuse(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let lua = Lua::new();
            if let Ok(v) = decode(&lua, &data) {
                let _ = encode(&v);
            }
        }

        #[test]
        fn json_shaped_text_never_panics(
            parts in proptest::collection::vec(prop::sample::select(vec![
                "{", "}", "[", "]", ":", ",", "\"a\"", "\"\\u12", "\"\\ud800\\udc00\"", "1", "-2.5e3",
                "true", "nul", "null", " ", "+1", "inf", "0x1f", "\"\\q\"",
            ]), 0..40)
        ) {
            let lua = Lua::new();
            let text: String = parts.concat();
            let _ = decode(&lua, text.as_bytes());
        }
    }
}
