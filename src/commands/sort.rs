//! SORT and SORT_RO (Redis's sort.c): the elements of a list, set or
//! sorted set sorted as numbers or strings, optionally by the values of
//! other keys (`BY weight_*`, `BY h_*->field`), returned or fetched through
//! GET patterns, limited, or stored as a list.

use super::args::{is, parse_i64};
use super::{CmdResult, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::client::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use std::cmp::Ordering;
use std::sync::Arc;

/// One element and what it sorts by.
struct Item {
    obj: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA with a pattern; None when the key is missing.
    cmp: Option<Vec<u8>>,
}

/// A value a pattern leads to (lookupKeyByPattern): `#` is the element
/// itself; otherwise the first `*` is replaced by the element and the key
/// read, `->field` reading a hash field. None when there is no such value
/// (or the pattern has no `*`).
fn lookup_by_pattern(s: &mut Server, db: usize, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(subst.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let (postfix, field) = match after.windows(2).position(|w| w == b"->") {
        Some(f) if f + 2 < after.len() => (&after[..f], Some(&after[f + 2..])),
        _ => (after, None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let o = s.lookup_read(db, &key)?;
    match field {
        Some(f) => match &o.value {
            Value::Hash(h) => h.get(f).map(|v| v.to_vec()),
            _ => None,
        },
        None if o.value.is_string() => Some(o.value.to_vec()),
        None => None,
    }
}

/// C's strcoll in the C locale: bytes compared up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |x: &[u8]| {
        x.iter()
            .position(|&c| c == 0)
            .map(|n| x[..n].to_vec())
            .unwrap_or_else(|| x.to_vec())
    };
    cut(a).cmp(&cut(b))
}

/// A score as Redis's SORT reads one: strtod over the whole string (an
/// empty string is 0); None when it is not a number, NaN or out of range.
fn parse_score(v: &[u8]) -> Option<f64> {
    let cstr = &v[..v.iter().position(|&b| b == 0).unwrap_or(v.len())];
    let (d, used, range) = crate::util::num::strtod(cstr);
    if used < cstr.len() || range || d.is_nan() {
        None
    } else {
        Some(d)
    }
}

fn sort_generic(s: &mut Server, c: &mut Client, readonly: bool) -> CmdResult {
    let mut desc = false;
    let mut alpha = false;
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut dontsort = false;
    let mut sortby: Option<Vec<u8>> = None;
    let mut storekey: Option<Vec<u8>> = None;
    let mut gets: Vec<Vec<u8>> = Vec::new();
    // BY and GET read keys no key spec names: only a user who may read
    // every key may use them (ACLUserCheckCmdWithUnrestrictedKeyAccess).
    let full_key_access = s.acl.is_unrestricted(c.user)
        || s.commands
            .get(&c.argv[0])
            .is_some_and(|spec| s.acl.unrestricted_read(&s.commands, c.user, spec, &c.argv));
    let mut j = 2;
    while j < c.argv.len() {
        let left = c.argv.len() - j - 1;
        let a = &c.argv[j];
        if is(a, "asc") {
            desc = false;
        } else if is(a, "desc") {
            desc = true;
        } else if is(a, "alpha") {
            alpha = true;
        } else if is(a, "limit") && left >= 2 {
            limit_start = parse_i64(&c.argv[j + 1])?;
            limit_count = parse_i64(&c.argv[j + 2])?;
            j += 2;
        } else if !readonly && is(a, "store") && left >= 1 {
            storekey = Some(c.argv[j + 1].clone());
            j += 1;
        } else if is(a, "by") && left >= 1 {
            let p = c.argv[j + 1].clone();
            // A BY pattern without `*` is constant: nothing to sort.
            dontsort = !p.contains(&b'*');
            if !dontsort && !full_key_access {
                return Err(ReplyError::new(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            sortby = Some(p);
            j += 1;
        } else if is(a, "get") && left >= 1 {
            if !full_key_access {
                return Err(ReplyError::new(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            gets.push(c.argv[j + 1].clone());
            j += 1;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    let db = c.db;
    let key = c.argv[1].clone();
    // The elements, in the value's own order.
    enum Kind {
        List,
        Set,
        ZSet,
    }
    let (kind, elems): (Kind, Vec<Vec<u8>>) = match s.lookup_read(db, &key).map(|o| &o.value) {
        None => (Kind::List, Vec::new()),
        Some(Value::List(l)) => (Kind::List, l.iter().map(|e| e.to_vec()).collect()),
        Some(Value::Set(st)) => (Kind::Set, st.iter().map(|m| m.to_vec()).collect()),
        Some(Value::ZSet(z)) => (Kind::ZSet, z.iter_asc().map(|(m, _)| m.to_vec()).collect()),
        Some(_) => return Err(WRONGTYPE_ERR),
    };
    // A set has no order of its own: sorted anyway when the result is
    // stored or goes to a script, so it is the same everywhere.
    let from_script = c.id == u64::MAX && c.sock.is_none();
    if dontsort && matches!(kind, Kind::Set) && (storekey.is_some() || from_script) {
        dontsort = false;
        alpha = true;
        sortby = None;
    }
    let vectorlen = elems.len() as i64;
    let mut start = limit_start.max(0).min(vectorlen);
    let limit_count = limit_count.max(-1).min(vectorlen);
    let mut end = if limit_count < 0 {
        vectorlen - 1
    } else {
        start + limit_count - 1
    };
    if start >= vectorlen {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if end >= vectorlen {
        end = vectorlen - 1;
    }
    let mut items: Vec<Item> = Vec::new();
    if dontsort && matches!(kind, Kind::List | Kind::ZSet) {
        // Native order (reversed for DESC), only the LIMIT range.
        if end >= start {
            let n = (end - start + 1) as usize;
            let iter: Box<dyn Iterator<Item = Vec<u8>>> = if desc {
                Box::new(elems.into_iter().rev())
            } else {
                Box::new(elems.into_iter())
            };
            items = iter
                .skip(start as usize)
                .take(n)
                .map(|obj| Item {
                    obj,
                    score: 0.0,
                    cmp: None,
                })
                .collect();
            end -= start;
            start = 0;
        }
    } else {
        items = elems
            .into_iter()
            .map(|obj| Item {
                obj,
                score: 0.0,
                cmp: None,
            })
            .collect();
    }
    let mut conversion_error = false;
    if !dontsort {
        for it in items.iter_mut() {
            let byval = match &sortby {
                Some(p) => match lookup_by_pattern(s, db, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.obj.clone(),
            };
            if alpha {
                if sortby.is_some() {
                    it.cmp = Some(byval);
                }
            } else {
                match parse_score(&byval) {
                    Some(d) => it.score = d,
                    None => conversion_error = true,
                }
            }
        }
        let store = storekey.is_some();
        let bypattern = sortby.is_some();
        let mut compare = |a: &Item, b: &Item| {
            let ord = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.obj.cmp(&b.obj))
            } else if bypattern {
                match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => {
                        if store {
                            x.cmp(y)
                        } else {
                            collate(x, y)
                        }
                    }
                }
            } else if store {
                a.obj.cmp(&b.obj)
            } else {
                collate(&a.obj, &b.obj)
            };
            if desc { ord.reverse() } else { ord }
        };
        // Redis sorts a LIMIT range by a BY pattern with its partial
        // quicksort, whose order of ties is its own; everything else with
        // glibc's qsort, a stable merge sort.
        if bypattern && (start != 0 || end != vectorlen - 1) {
            crate::util::pqsort::pqsort(
                &mut items,
                &mut compare,
                start.max(0) as usize,
                end.max(0) as usize,
            );
        } else {
            items.sort_by(&mut compare);
        }
    }
    let count = (end - start + 1).max(0) as usize;
    let outputlen = if gets.is_empty() {
        count
    } else {
        gets.len() * count
    };
    if conversion_error {
        return Err(ReplyError::new(
            "ERR One or more scores can't be converted into double",
        ));
    }
    let range = if count > 0 {
        &items[start as usize..=end as usize]
    } else {
        &items[0..0]
    };
    match storekey {
        None => {
            c.reply.array_len(outputlen);
            for it in range {
                if gets.is_empty() {
                    c.reply.bulk(&it.obj);
                }
                for g in &gets {
                    match lookup_by_pattern(s, db, g, &it.obj) {
                        Some(v) => c.reply.bulk(&v),
                        None => c.reply.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(outputlen);
            for it in range {
                if gets.is_empty() {
                    out.push(it.obj.clone());
                } else {
                    for g in &gets {
                        out.push(lookup_by_pattern(s, db, g, &it.obj).unwrap_or_default());
                    }
                }
            }
            if outputlen > 0 {
                let list: crate::types::list::List = out.iter().map(|v| v.as_slice()).collect();
                s.set_key(db, &dst, Value::List(Arc::new(list)), false);
                s.notify_keyspace_event(notify::LIST, "sortstore", &dst, db);
                s.dirty += outputlen as u64;
            } else if s.delete_key(db, &dst) {
                s.notify_keyspace_event(notify::GENERIC, "del", &dst, db);
                s.dirty += 1;
            }
            c.reply.int(outputlen as i64);
        }
    }
    Ok(())
}

pub fn sort_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sort_generic(s, c, false)
}

pub fn sort_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sort_generic(s, c, true)
}
