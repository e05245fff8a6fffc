//! The `struct` library scripts get (Roberto Ierusalimschy's struct 0.2 as
//! Redis bundles it): pack, unpack and size over a format of `<` `>` `=`
//! (byte order), `!n` (alignment), `b B h H l L T i[n] I[n]` (integers of
//! 1, 2, 8, 8 and n bytes), `f d` (floats), `s` (zero-terminated), `c[n]`
//! (fixed strings; `c0` takes its size from the string or from the value
//! before it), `x` (a zero byte). Errors come back as text, worded as the
//! C library words them; prelude.lua raises them at the script's line.

use mlua::{Lua, Value};

const MAXINTSIZE: usize = 32;
/// sizeof(int) on the machines Redis runs on, and the default `!` value.
const MAXALIGN: usize = 8;

struct Header {
    little: bool,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            little: cfg!(target_endian = "little"),
            align: 1,
        }
    }
}

/// What the Lua caller passed at argument `n` (1-based, the format is 1).
fn arg(args: &[Value], n: usize) -> Option<&Value> {
    args.get(n - 1)
}

fn got(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

fn bad(fname: &str, n: usize, msg: &str) -> String {
    format!("bad argument #{n} to '{fname}' ({msg})")
}

/// luaL_checknumber: numbers, and strings that read as one.
fn check_number(args: &[Value], n: usize, fname: &str) -> Result<f64, String> {
    let v = arg(args, n);
    let num = match v {
        Some(Value::Integer(i)) => Some(*i as f64),
        Some(Value::Number(x)) => Some(*x),
        Some(Value::String(s)) => {
            let b = s.as_bytes();
            let t = String::from_utf8_lossy(&b).trim().to_string();
            let (x, used, _) = crate::util::num::strtod(t.as_bytes());
            (used > 0 && used == t.len()).then_some(x)
        }
        _ => None,
    };
    num.ok_or_else(|| bad(fname, n, &format!("number expected, got {}", got(v))))
}

/// luaL_checklstring: strings, and numbers as Lua prints them.
fn check_string(args: &[Value], n: usize, fname: &str) -> Result<Vec<u8>, String> {
    match arg(args, n) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => {
            Ok(super::convert::lua_number_string(v).into_bytes())
        }
        v => Err(bad(fname, n, &format!("string expected, got {}", got(v)))),
    }
}

/// getnum: digits after an option, or the default.
fn getnum(fmt: &[u8], i: &mut usize, default: usize) -> Result<usize, String> {
    if !fmt.get(*i).is_some_and(u8::is_ascii_digit) {
        return Ok(default);
    }
    let mut a: usize = 0;
    while let Some(&d) = fmt.get(*i).filter(|c| c.is_ascii_digit()) {
        let d = (d - b'0') as usize;
        if a > (i32::MAX as usize) / 10 || a * 10 > i32::MAX as usize - d {
            return Err("integral size overflow".into());
        }
        a = a * 10 + d;
        *i += 1;
    }
    Ok(a)
}

fn optsize(opt: u8, fmt: &[u8], i: &mut usize) -> Result<usize, String> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' | b'd' => 8,
        b'f' => 4,
        b'x' => 1,
        b'c' => getnum(fmt, i, 1)?,
        b'i' | b'I' => {
            let sz = getnum(fmt, i, 4)?;
            if sz > MAXINTSIZE {
                return Err(format!(
                    "integral size {sz} is larger than limit of {MAXINTSIZE}"
                ));
            }
            sz
        }
        _ => 0,
    })
}

fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn controloptions(
    opt: u8,
    fmt: &[u8],
    i: &mut usize,
    h: &mut Header,
    fname: &str,
) -> Result<(), String> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let a = getnum(fmt, i, MAXALIGN)?;
            if a == 0 || !a.is_power_of_two() {
                return Err(format!("alignment {a} is not a power of 2"));
            }
            h.align = a;
        }
        // '=' is an invalid option in this version of the library too.
        _ => {
            return Err(bad(
                fname,
                1,
                &format!("invalid format option '{}'", opt as char),
            ));
        }
    }
    Ok(())
}

fn put_integer(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let mut value: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut buf = [0u8; MAXINTSIZE];
    for k in 0..size {
        let at = if little { k } else { size - 1 - k };
        buf[at] = (value & 0xff) as u8;
        value >>= 8;
    }
    out.extend_from_slice(&buf[..size]);
}

fn get_integer(data: &[u8], little: bool, signed: bool, size: usize) -> f64 {
    let mut l: u64 = 0;
    for k in 0..size {
        let b = if little { data[size - 1 - k] } else { data[k] };
        l = (l << 8) | b as u64;
    }
    if !signed {
        return l as f64;
    }
    let mask = (!0u64).wrapping_shl((size * 8).saturating_sub(1) as u32);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn ordered(bytes: &mut [u8], little: bool) {
    if little != cfg!(target_endian = "little") {
        bytes.reverse();
    }
}

/// struct.pack(fmt, ...): `args` are all of the call's arguments.
pub fn pack(args: &[Value]) -> Result<Vec<u8>, String> {
    let fmt = check_string(args, 1, "pack")?;
    // The C function pushes a nil after its arguments before it starts: a
    // missing first value reads as nil, the ones after as no value.
    let mut with_mark = args.to_vec();
    with_mark.push(Value::Nil);
    let args = &with_mark[..];
    let mut h = Header::new();
    let mut out = Vec::new();
    let mut argn = 2;
    let mut i = 0;
    while let Some(&opt) = fmt.get(i) {
        i += 1;
        let mut size = optsize(opt, &fmt, &mut i)?;
        let toalign = gettoalign(out.len(), &h, opt, size);
        out.resize(out.len() + toalign, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(args, argn, "pack")?;
                argn += 1;
                put_integer(&mut out, n, h.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let mut b = (check_number(args, argn, "pack")? as f32).to_ne_bytes();
                argn += 1;
                ordered(&mut b, h.little);
                out.extend_from_slice(&b);
            }
            b'd' => {
                let mut b = check_number(args, argn, "pack")?.to_ne_bytes();
                argn += 1;
                ordered(&mut b, h.little);
                out.extend_from_slice(&b);
            }
            b'c' | b's' => {
                let s = check_string(args, argn, "pack")?;
                argn += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(bad("pack", argn, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => controloptions(opt, &fmt, &mut i, &mut h, "pack")?,
        }
    }
    Ok(out)
}

/// struct.unpack(fmt, data [, pos]): the values, then the next position.
pub fn unpack(lua: &Lua, args: &[Value]) -> Result<Vec<Value>, String> {
    let fmt = check_string(args, 1, "unpack")?;
    let data = check_string(args, 2, "unpack")?;
    let pos = match arg(args, 3) {
        None | Some(Value::Nil) => 1.0,
        Some(_) => check_number(args, 3, "unpack")?,
    };
    let pos = pos as i64;
    if pos <= 0 {
        return Err(bad("unpack", 3, "offset must be 1 or greater"));
    }
    let mut pos = (pos - 1) as usize;
    let ld = data.len();
    let mut h = Header::new();
    let mut out: Vec<Value> = Vec::new();
    let short = || bad("unpack", 2, "data string too short");
    let mut i = 0;
    while let Some(&opt) = fmt.get(i) {
        i += 1;
        let mut size = optsize(opt, &fmt, &mut i)?;
        pos += gettoalign(pos, &h, opt, size);
        if size > ld || pos > ld - size {
            return Err(short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let v = get_integer(&data[pos..pos + size], h.little, signed, size);
                out.push(Value::Number(v));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                ordered(&mut b, h.little);
                out.push(Value::Number(f32::from_ne_bytes(b) as f64));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                ordered(&mut b, h.little);
                out.push(Value::Number(f64::from_ne_bytes(b)));
            }
            b'c' => {
                if size == 0 {
                    let prev = match out.last() {
                        Some(Value::Number(n)) => Some(*n),
                        Some(Value::String(s)) => {
                            let t = String::from_utf8_lossy(&s.as_bytes()).trim().to_string();
                            let (x, used, _) = crate::util::num::strtod(t.as_bytes());
                            (used > 0 && used == t.len()).then_some(x)
                        }
                        _ => None,
                    };
                    let Some(n) = prev else {
                        return Err("format 'c0' needs a previous size".into());
                    };
                    out.pop();
                    size = if n < 0.0 { usize::MAX } else { n as usize };
                    if size > ld || pos > ld - size {
                        return Err(short());
                    }
                }
                let s = lua
                    .create_string(&data[pos..pos + size])
                    .map_err(|e| e.to_string())?;
                out.push(Value::String(s));
            }
            b's' => {
                let Some(end) = memchr::memchr(0, &data[pos..]) else {
                    return Err("unfinished string in data".into());
                };
                size = end + 1;
                let s = lua
                    .create_string(&data[pos..pos + end])
                    .map_err(|e| e.to_string())?;
                out.push(Value::String(s));
            }
            _ => controloptions(opt, &fmt, &mut i, &mut h, "unpack")?,
        }
        pos += size;
    }
    out.push(Value::Number((pos + 1) as f64));
    Ok(out)
}

/// struct.size(fmt).
pub fn size(args: &[Value]) -> Result<f64, String> {
    let fmt = check_string(args, 1, "size")?;
    let mut h = Header::new();
    let mut pos = 0usize;
    let mut i = 0;
    while let Some(&opt) = fmt.get(i) {
        i += 1;
        let size = optsize(opt, &fmt, &mut i)?;
        pos += gettoalign(pos, &h, opt, size);
        if opt == b's' {
            return Err(bad("size", 1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(bad("size", 1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            controloptions(opt, &fmt, &mut i, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(pos as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(lua: &Lua, b: &[u8]) -> Value {
        Value::String(lua.create_string(b).unwrap())
    }

    proptest! {
        /// Any format over any data: values or an error text, never a panic.
        #[test]
        fn any_format_and_data(
            fmt in proptest::collection::vec(prop::sample::select(b"<>=! bBhHlLTiIfdscx0123456789q".to_vec()), 0..12),
            data in proptest::collection::vec(any::<u8>(), 0..40),
            nums in proptest::collection::vec(-1e12f64..1e12, 0..6),
        ) {
            let lua = Lua::new();
            let mut args = vec![s(&lua, &fmt)];
            args.extend(nums.iter().map(|&n| Value::Number(n)));
            let _ = pack(&args);
            let _ = size(&[s(&lua, &fmt)]);
            let _ = unpack(&lua, &[s(&lua, &fmt), s(&lua, &data)]);
        }
    }

    #[test]
    fn round_trip() {
        let lua = Lua::new();
        let packed = pack(&[
            s(&lua, b"<i2>I4dsc3"),
            Value::Number(-5.0),
            Value::Number(70000.0),
            Value::Number(2.5),
            s(&lua, b"hi"),
            s(&lua, b"abc"),
        ])
        .unwrap();
        let back = unpack(
            &lua,
            &[
                s(&lua, b"<i2>I4dsc3"),
                Value::String(lua.create_string(&packed).unwrap()),
            ],
        )
        .unwrap();
        assert_eq!(back[0], Value::Number(-5.0));
        assert_eq!(back[1], Value::Number(70000.0));
        assert_eq!(back[2], Value::Number(2.5));
    }
}
