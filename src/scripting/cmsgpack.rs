//! The `cmsgpack` library scripts get (lua-cmsgpack 0.4 as Redis bundles
//! it): pack any number of values into MessagePack, unpack a stream
//! (all of it, one value, or a limited number from an offset). Integral
//! numbers pack as the smallest integer form, others as float32 when that
//! is exact, else float64; tables with keys 1..n (no holes) as arrays,
//! others as maps; nesting past 16 packs as nil. Errors come back as text.

use mlua::{Lua, Table, Value};

const MAX_NESTING: usize = 16;
/// Decoding has no limit in the C library (its recursion is the limit);
/// ours refuses deeper input as malformed rather than risk the stack.
const MAX_DECODE_DEPTH: usize = 1000;

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    // IS_INT64_EQUIVALENT: finite and equal to its int64 conversion.
    const LIMIT: f64 = 9.223_372_036_854_776e18;
    if (-LIMIT..LIMIT).contains(&n) && (n as i64) as f64 == n {
        encode_int(out, n as i64);
    } else if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_len(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n < 16 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// table_is_an_array: keys exactly 1..n.
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || !(n.is_finite() && (n as i64) as f64 == n) {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

fn encode_value(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(out, *i as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(t)? {
                let len = t.raw_len();
                encode_len(out, len, 0x90, 0xdc, 0xdd);
                for j in 1..=len {
                    let item: Value = t.get(j)?;
                    encode_value(out, &item, level + 1)?;
                }
            } else {
                // Counted, then encoded pair by pair: holding every pair at
                // once would take a Lua stack slot for each (a big map
                // overflows it).
                let mut n = 0;
                for pair in t.pairs::<Value, Value>() {
                    pair?;
                    n += 1;
                }
                encode_len(out, n, 0x80, 0xde, 0xdf);
                for pair in t.pairs::<Value, Value>() {
                    let (k, item) = pair?;
                    encode_value(out, &k, level + 1)?;
                    encode_value(out, &item, level + 1)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

/// cmsgpack.pack(...): every argument, one after the other.
pub fn pack(args: &[Value]) -> Result<Vec<u8>, String> {
    if args.is_empty() {
        return Err("bad argument #0 to 'pack' (MessagePack pack needs input.)".into());
    }
    let mut out = Vec::new();
    for v in args {
        encode_value(&mut out, v, 0).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

enum DecodeErr {
    Eof,
    BadFormat,
    Lua(String),
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeErr> {
        let end = self.pos.checked_add(n).ok_or(DecodeErr::Eof)?;
        let b = self.s.get(self.pos..end).ok_or(DecodeErr::Eof)?;
        self.pos = end;
        Ok(b)
    }
    fn be(&mut self, n: usize) -> Result<u64, DecodeErr> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }
}

fn decode_value(lua: &Lua, c: &mut Cursor, depth: usize) -> Result<Value, DecodeErr> {
    if depth > MAX_DECODE_DEPTH {
        return Err(DecodeErr::BadFormat);
    }
    let lerr = |e: mlua::Error| DecodeErr::Lua(e.to_string());
    let tag = c.take(1)?[0];
    let string = |c: &mut Cursor, n: usize| -> Result<Value, DecodeErr> {
        let b = c.take(n)?;
        lua.create_string(b).map(Value::String).map_err(lerr)
    };
    Ok(match tag {
        0xcc => Value::Number(c.be(1)? as f64),
        0xd0 => Value::Number(c.be(1)? as u8 as i8 as f64),
        0xcd => Value::Number(c.be(2)? as f64),
        0xd1 => Value::Number(c.be(2)? as u16 as i16 as f64),
        0xce => Value::Number(c.be(4)? as f64),
        0xd2 => Value::Number(c.be(4)? as u32 as i32 as f64),
        0xcf => Value::Number(c.be(8)? as f64),
        0xd3 => Value::Number(c.be(8)? as i64 as f64),
        0xc0 => Value::Nil,
        0xc3 => Value::Boolean(true),
        0xc2 => Value::Boolean(false),
        0xca => Value::Number(f32::from_bits(c.be(4)? as u32) as f64),
        0xcb => Value::Number(f64::from_bits(c.be(8)?)),
        0xd9 => {
            let n = c.be(1)? as usize;
            string(c, n)?
        }
        0xda => {
            let n = c.be(2)? as usize;
            string(c, n)?
        }
        0xdb => {
            let n = c.be(4)? as usize;
            string(c, n)?
        }
        0xdc => {
            let n = c.be(2)? as usize;
            array(lua, c, n, depth)?
        }
        0xdd => {
            let n = c.be(4)? as usize;
            array(lua, c, n, depth)?
        }
        0xde => {
            let n = c.be(2)? as usize;
            map(lua, c, n, depth)?
        }
        0xdf => {
            let n = c.be(4)? as usize;
            map(lua, c, n, depth)?
        }
        t if t & 0x80 == 0 => Value::Number(t as f64),
        t if t & 0xe0 == 0xe0 => Value::Number(t as i8 as f64),
        t if t & 0xe0 == 0xa0 => string(c, (t & 0x1f) as usize)?,
        t if t & 0xf0 == 0x90 => array(lua, c, (t & 0xf) as usize, depth)?,
        t if t & 0xf0 == 0x80 => map(lua, c, (t & 0xf) as usize, depth)?,
        _ => return Err(DecodeErr::BadFormat),
    })
}

fn array(lua: &Lua, c: &mut Cursor, n: usize, depth: usize) -> Result<Value, DecodeErr> {
    let t = lua
        .create_table()
        .map_err(|e| DecodeErr::Lua(e.to_string()))?;
    for i in 1..=n {
        let v = decode_value(lua, c, depth + 1)?;
        t.raw_set(i, v).map_err(|e| DecodeErr::Lua(e.to_string()))?;
    }
    Ok(Value::Table(t))
}

fn map(lua: &Lua, c: &mut Cursor, n: usize, depth: usize) -> Result<Value, DecodeErr> {
    let t = lua
        .create_table()
        .map_err(|e| DecodeErr::Lua(e.to_string()))?;
    for _ in 0..n {
        let k = decode_value(lua, c, depth + 1)?;
        let v = decode_value(lua, c, depth + 1)?;
        if k == Value::Nil {
            return Err(DecodeErr::Lua("table index is nil".into()));
        }
        t.raw_set(k, v).map_err(|e| DecodeErr::Lua(e.to_string()))?;
    }
    Ok(Value::Table(t))
}

/// mp_unpack_full: `limit` values (0 with offset 0: all) from `offset`.
/// With a limit or an offset the next offset (-1 at the end) comes first.
pub fn unpack(lua: &Lua, s: &[u8], limit: i64, offset: i64) -> Result<Vec<Value>, String> {
    let decode_all = limit == 0 && offset == 0;
    let len = s.len() as i64;
    if offset < 0 || limit < 0 {
        return Err(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        ));
    }
    if offset > len {
        return Err(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        ));
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut c = Cursor {
        s,
        pos: offset as usize,
    };
    let mut out = Vec::new();
    while c.pos < s.len() && (out.len() as i64) < limit {
        match decode_value(lua, &mut c, 0) {
            Ok(v) => out.push(v),
            Err(DecodeErr::Eof) => return Err("Missing bytes in input.".into()),
            Err(DecodeErr::BadFormat) => return Err("Bad data format in input.".into()),
            Err(DecodeErr::Lua(e)) => return Err(e),
        }
    }
    if !decode_all {
        let next = if c.pos >= s.len() { -1 } else { c.pos as i64 };
        out.insert(0, Value::Number(next as f64));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes unpack or are refused with a message, never a panic.
        #[test]
        fn any_bytes_unpack_or_refuse(data in proptest::collection::vec(any::<u8>(), 0..120)) {
            let lua = Lua::new();
            if let Ok(values) = unpack(&lua, &data, 0, 0) {
                let _ = pack(&values);
            }
            let _ = unpack(&lua, &data, 1, 0);
        }
    }

    #[test]
    fn integers_take_the_smallest_form() {
        let p = |n: f64| pack(&[Value::Number(n)]).unwrap();
        assert_eq!(p(5.0), [5]);
        assert_eq!(p(-1.0), [0xff]);
        assert_eq!(p(200.0), [0xcc, 200]);
        assert_eq!(p(-200.0), [0xd1, 0xff, 0x38]);
        assert_eq!(p(1.5), [0xca, 0x3f, 0xc0, 0, 0]);
        assert_eq!(p(0.1)[0], 0xcb);
    }
}
