//! The RDB format layer (`miniredis::persistence`) against real files
//! written by Redis 7.0.15 and 6.2.14 (tests/fixtures/rdb/), and against a
//! real redis-server 7.0.15 and redis-check-rdb loading files we write.

use miniredis::persistence::crc64::crc64;
use miniredis::persistence::rdb::{
    self, RdbEntry, RdbError, RdbValue, RdbWriter, SaveInfo, SaveValue,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// 2100-01-01T00:00:00Z in ms: the fixtures' expiry.
const FAR: i64 = 4_102_444_800_000;

type Aux = Vec<(Vec<u8>, Vec<u8>)>;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rdb")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn load_all(bytes: &[u8]) -> Result<(Vec<RdbEntry>, Aux), RdbError> {
    let mut out = Vec::new();
    let aux = rdb::load(bytes, |e| {
        out.push(e);
        Ok(())
    })?;
    Ok((out, aux))
}

fn aux_get<'a>(aux: &'a Aux, k: &str) -> Option<&'a [u8]> {
    aux.iter()
        .find(|(key, _)| key == k.as_bytes())
        .map(|(_, v)| v.as_slice())
}

// ---------------------------------------------------------------------------
// A normalized view of a keyspace: order-free collections sorted.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Norm {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(u64),
}

fn sort_zset(v: &mut [(Vec<u8>, f64)]) {
    v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
}

fn norm(v: &RdbValue) -> Norm {
    match v {
        RdbValue::String(s) => Norm::Str(s.clone()),
        RdbValue::List(l) => Norm::List(l.clone()),
        RdbValue::Set(s) => {
            let mut s = s.clone();
            s.sort();
            Norm::Set(s)
        }
        RdbValue::Hash(h) => {
            let mut h = h.clone();
            h.sort();
            Norm::Hash(h)
        }
        RdbValue::ZSet(z) => {
            let mut z = z.clone();
            sort_zset(&mut z);
            Norm::ZSet(z)
        }
        RdbValue::Stream(st) => Norm::Stream(st.length),
    }
}

type Keyspace = BTreeMap<(usize, Vec<u8>), (Norm, Option<i64>)>;

fn keyspace(entries: &[RdbEntry]) -> Keyspace {
    let mut m = Keyspace::new();
    for e in entries {
        let old = m.insert((e.db, e.key.clone()), (norm(&e.value), e.expire_ms));
        assert!(old.is_none(), "duplicate key {:?}", e.key);
    }
    m
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn strs(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| b(s)).collect()
}

fn set_of(items: Vec<Vec<u8>>) -> Norm {
    let mut s = items;
    s.sort();
    Norm::Set(s)
}

fn hash_of(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Norm {
    let mut p = pairs;
    p.sort();
    Norm::Hash(p)
}

fn zset_of(pairs: Vec<(Vec<u8>, f64)>) -> Norm {
    let mut p = pairs;
    sort_zset(&mut p);
    Norm::ZSet(p)
}

/// The keys of all-types.rdb (and all-types-redis6.rdb), as the fixture
/// README lists them; `str:big32len` is checked on its own.
fn all_types_expected() -> Keyspace {
    let mut m = Keyspace::new();
    let mut put = |db: usize, k: &str, v: Norm, exp: Option<i64>| {
        m.insert((db, b(k)), (v, exp));
    };
    put(0, "str:raw", Norm::Str(b("hello")), None);
    put(0, "str:empty", Norm::Str(vec![]), None);
    put(0, "str:int8", Norm::Str(b("-5")), None);
    put(0, "str:int16", Norm::Str(b("12345")), None);
    put(0, "str:int32", Norm::Str(b("100000")), None);
    put(0, "str:int64", Norm::Str(b("12345678901234")), None);
    put(0, "str:leading0", Norm::Str(b("007")), None);
    put(0, "str:lzf", Norm::Str(vec![b'a'; 200]), None);
    put(
        0,
        "str:binary",
        Norm::Str(b"bin\x00\xff\r\nend".to_vec()),
        None,
    );
    put(0, "str:ttl", Norm::Str(b("expiring")), Some(FAR));
    put(
        0,
        "list:small",
        Norm::List(strs(&[
            "a",
            "b",
            "1",
            "-1",
            "100000",
            "3.14",
            "",
            "12345678901234567890",
        ])),
        None,
    );
    put(
        0,
        "list:large",
        Norm::List(
            (1..=2000)
                .map(|i| format!("element-{i:012}").into_bytes())
                .collect(),
        ),
        None,
    );
    put(0, "list:ttl", Norm::List(strs(&["x", "y", "z"])), Some(FAR));
    put(0, "set:intset16", set_of(strs(&["1", "2", "3"])), None);
    put(
        0,
        "set:intset64",
        set_of(strs(&["-100", "70000", "5000000000"])),
        None,
    );
    put(0, "set:ht", set_of(strs(&["a", "b", "c"])), None);
    put(
        0,
        "set:ht-ints",
        set_of((1..=600).map(|i| i.to_string().into_bytes()).collect()),
        None,
    );
    put(0, "set:ttl", set_of(strs(&["10", "20"])), Some(FAR));
    put(
        0,
        "zset:small",
        zset_of(vec![
            (b("ninf"), f64::NEG_INFINITY),
            (b("three"), -3.0),
            (b("tenth"), 0.1),
            (b("one"), 1.0),
            (b("two"), 2.5),
            (b("four"), 100000.0),
            (b("pinf"), f64::INFINITY),
        ]),
        None,
    );
    put(
        0,
        "zset:large",
        zset_of(
            (1..=200)
                .map(|i| (format!("member-{i:04}").into_bytes(), i as f64 + 0.25))
                .collect(),
        ),
        None,
    );
    put(
        0,
        "zset:longmember",
        zset_of(vec![(vec![b'm'; 100], 1.0)]),
        None,
    );
    put(0, "zset:ttl", zset_of(vec![(b("a"), 1.0)]), Some(FAR));
    put(
        0,
        "hash:small",
        hash_of(vec![
            (b("f1"), b("v1")),
            (b("num"), b("123")),
            (b("neg"), b("-7")),
            (b("empty"), b("")),
        ]),
        None,
    );
    put(
        0,
        "hash:large",
        hash_of(
            (1..=600)
                .map(|i| {
                    (
                        format!("field-{i:04}").into_bytes(),
                        format!("value-{i:04}").into_bytes(),
                    )
                })
                .collect(),
        ),
        None,
    );
    put(
        0,
        "hash:longval",
        hash_of(vec![(b("f"), vec![b'v'; 100])]),
        None,
    );
    put(0, "hash:ttl", hash_of(vec![(b("a"), b("1"))]), Some(FAR));
    put(1, "db1:key", Norm::Str(b("in-db-1")), None);
    put(1, "db1:ttl", Norm::Str(b("in-db-1-ttl")), Some(FAR));
    m
}

fn check_all_types(file: &str, redis_ver: &str, aof_aux: &str) {
    let (entries, aux) = load_all(&fixture(file)).unwrap();
    assert_eq!(aux_get(&aux, "redis-ver"), Some(redis_ver.as_bytes()));
    assert_eq!(aux_get(&aux, "redis-bits"), Some(&b"64"[..]));
    assert_eq!(aux_get(&aux, aof_aux), Some(&b"0"[..]));
    assert!(aux_get(&aux, "ctime").is_some());
    assert!(aux_get(&aux, "used-mem").is_some());
    assert_eq!(entries.len(), 29);
    assert_eq!(entries.iter().filter(|e| e.db == 0).count(), 27);
    assert_eq!(entries.iter().filter(|e| e.expire_ms.is_some()).count(), 6);

    let mut got = keyspace(&entries);
    let (big, exp) = got.remove(&(0, b("str:big32len"))).expect("str:big32len");
    assert_eq!(exp, None);
    let Norm::Str(big) = big else {
        panic!("str:big32len is not a string")
    };
    // python: random.seed(1); random.randbytes(70000)
    assert_eq!(big.len(), 70000);
    assert_eq!(&big[..8], b"\xf5\xb1e\"JX\xb7\x91");
    assert_eq!(crc64(0, &big), 0x4022_0570_6e73_bebe);

    let want = all_types_expected();
    for (k, v) in &want {
        assert_eq!(
            got.get(k),
            Some(v),
            "{file}: key {:?}",
            String::from_utf8_lossy(&k.1)
        );
    }
    assert_eq!(got.len(), want.len());

    // File order: a listpack/ziplist zset is ascending, a skiplist dump
    // descending.
    let find = |k: &str| entries.iter().find(|e| e.key == k.as_bytes()).unwrap();
    let RdbValue::ZSet(small) = &find("zset:small").value else {
        panic!()
    };
    assert_eq!(small.first().unwrap().1, f64::NEG_INFINITY);
    assert_eq!(small.last().unwrap().1, f64::INFINITY);
    let RdbValue::ZSet(large) = &find("zset:large").value else {
        panic!()
    };
    assert_eq!(large.first().unwrap(), &(b("member-0200"), 200.25));
}

#[test]
fn all_types_redis7() {
    check_all_types("all-types.rdb", "7.0.15", "aof-base");
}

#[test]
fn all_types_redis6() {
    check_all_types("all-types-redis6.rdb", "6.2.14", "aof-preamble");
}

#[test]
fn empty_file() {
    let (entries, aux) = load_all(&fixture("empty.rdb")).unwrap();
    assert!(entries.is_empty());
    let keys: Vec<&[u8]> = aux.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(
        keys,
        vec![
            &b"redis-ver"[..],
            b"redis-bits",
            b"ctime",
            b"used-mem",
            b"aof-base"
        ]
    );
}

#[test]
fn plain_uncompressed_with_zero_checksum() {
    let file = fixture("plain-uncompressed.rdb");
    assert_eq!(&file[file.len() - 8..], &[0; 8]);
    let (entries, aux) = load_all(&file).unwrap();
    let want: Vec<RdbEntry> = vec![
        RdbEntry {
            db: 0,
            key: b("hash:small"),
            value: RdbValue::Hash(vec![(b("f"), b("v"))]),
            expire_ms: None,
        },
        RdbEntry {
            db: 0,
            key: b("list:small"),
            value: RdbValue::List(strs(&["a", "b", "c"])),
            expire_ms: None,
        },
        RdbEntry {
            db: 0,
            key: b("str:lzf-candidate"),
            value: RdbValue::String(vec![b'a'; 200]),
            expire_ms: None,
        },
    ];
    assert_eq!(entries, want);

    // Our writer, given the same keys in the same order and the same AUX
    // values, with compression and checksum off, writes the very same bytes.
    let num = |k: &str| -> i64 {
        std::str::from_utf8(aux_get(&aux, k).unwrap())
            .unwrap()
            .parse()
            .unwrap()
    };
    let info = SaveInfo {
        redis_ver: "7.0.15".into(),
        ctime: num("ctime"),
        used_mem: num("used-mem") as u64,
        aof_base: false,
        checksum: false,
    };
    let mut w = RdbWriter::with_info(Vec::new(), &info).unwrap();
    w.select_db(0, 3, 0).unwrap();
    w.write_entry(
        b"hash:small",
        &SaveValue::HashListpack(&[(b"f", b"v")]),
        None,
        false,
    )
    .unwrap();
    w.write_entry(
        b"list:small",
        &SaveValue::List(&[b"a", b"b", b"c"]),
        None,
        false,
    )
    .unwrap();
    let a200 = vec![b'a'; 200];
    w.write_entry(b"str:lzf-candidate", &SaveValue::String(&a200), None, false)
        .unwrap();
    let ours = w.finish().unwrap();
    assert_eq!(ours, file, "byte-for-byte identical to Redis's file");
}

#[test]
fn list_compressed_nodes() {
    let (entries, _) = load_all(&fixture("list-compressed.rdb")).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key, b("list:compressed"));
    let want: Vec<Vec<u8>> = (1..=3000)
        .map(|i| format!("compressible-element-{i:08}").into_bytes())
        .collect();
    assert_eq!(entries[0].value, RdbValue::List(want));
}

#[test]
fn list_plain_node() {
    let (entries, _) = load_all(&fixture("list-plain-node.rdb")).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key, b("list:plain"));
    assert_eq!(
        entries[0].value,
        RdbValue::List(vec![b("small"), vec![b'p'; 500], b("small2")])
    );
}

#[test]
fn lru_and_lfu_opcodes_are_skipped() {
    for f in ["lru.rdb", "lfu.rdb"] {
        let (entries, _) = load_all(&fixture(f)).unwrap();
        assert_eq!(
            entries,
            vec![RdbEntry {
                db: 0,
                key: b("k"),
                value: RdbValue::String(b("v")),
                expire_ms: None
            }],
            "{f}"
        );
    }
}

#[test]
fn function_library_comes_back_and_key_loads() {
    let (entries, aux) = load_all(&fixture("function.rdb")).unwrap();
    assert_eq!(aux.len(), 6);
    let libs: Vec<&Vec<u8>> = aux
        .iter()
        .filter(|(k, _)| k == miniredis::persistence::rdb::FUNCTION_AUX)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(libs.len(), 1);
    assert!(libs[0].starts_with(b"#!lua name=fxlib"), "{:?}", libs[0]);
    assert_eq!(
        entries,
        vec![RdbEntry {
            db: 0,
            key: b("k"),
            value: RdbValue::String(b("v")),
            expire_ms: None
        }]
    );
}

#[test]
fn wrong_checksum_is_reported() {
    let mut file = fixture("all-types.rdb");
    let n = file.len();
    file[n - 1] ^= 0x40;
    let err = load_all(&file).unwrap_err();
    assert_eq!(err.offset, n as u64 - 8);
    assert_eq!(
        err.msg,
        "Wrong RDB checksum expected: (8af5f70834b1b2f) got: (48af5f70834b1b2f)"
    );
    assert!(err.to_string().ends_with(&format!(" at offset {}", n - 8)));
}

#[test]
fn corrupt_listpack_is_caught_without_a_checksum() {
    // plain-uncompressed.rdb has no checksum, so only the listpack
    // validation can notice a wrong backlen in hash:small.
    let mut file = fixture("plain-uncompressed.rdb");
    let at = file
        .windows(12)
        .position(|w| w == b"\x10\x0ahash:small")
        .unwrap();
    // type, key, 1-byte length 13, then the listpack: 6-byte header,
    // 0x81 'f' and its backlen 2.
    let backlen = at + 12 + 1 + 6 + 2;
    assert_eq!(file[backlen], 2);
    file[backlen] = 3;
    let e = load_all(&file).unwrap_err();
    assert_eq!(e.offset, at as u64 + 12);
    assert!(
        e.msg.starts_with("Hash listpack integrity check failed"),
        "{e}"
    );
}

#[test]
fn callback_errors_stop_the_load() {
    let file = fixture("all-types.rdb");
    let mut seen = 0;
    let err = rdb::load(&file[..], |_| {
        seen += 1;
        if seen == 3 {
            Err("no room".into())
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!(seen, 3);
    assert_eq!(err.msg, "no room");
    assert!(err.offset > 9);
}

#[test]
fn bad_headers() {
    let e = load_all(b"REDIX0010\xff").unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(e.msg.contains("Wrong signature"), "{e}");
    let e = load_all(b"REDIS0011\xff").unwrap_err();
    assert!(e.msg.contains("Can't handle RDB format version 11"), "{e}");
    let e = load_all(b"REDIS").unwrap_err();
    assert_eq!(e.offset, 5);
    // An RDB version without checksum (before 5) ends at EOF.
    let (entries, _) = load_all(b"REDIS0004\xfe\x00\x00\x01k\x01v\xff").unwrap();
    assert_eq!(entries.len(), 1);
}

/// A header, then `body`, then EOF and a correct checksum.
fn with_header(body: &[u8]) -> Vec<u8> {
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(body);
    f.push(0xFF);
    let c = crc64(0, &f);
    f.extend_from_slice(&c.to_le_bytes());
    f
}

#[test]
fn absurd_lengths_are_errors_not_allocations() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // a string claiming 2^62 bytes
        ("string", {
            let mut v = vec![0u8, 1, b'k', 0x81];
            v.extend_from_slice(&(1u64 << 62).to_be_bytes());
            v.extend_from_slice(b"abc");
            v
        }),
        // a list claiming 2^60 elements
        ("list", {
            let mut v = vec![1u8, 1, b'k', 0x81];
            v.extend_from_slice(&(1u64 << 60).to_be_bytes());
            v.extend_from_slice(&[1, b'a']);
            v
        }),
        // an LZF string claiming to expand 3 bytes into 2^40
        ("lzf", {
            let mut v = vec![0u8, 1, b'k', 0xC3, 3, 0x81];
            v.extend_from_slice(&(1u64 << 40).to_be_bytes());
            v.extend_from_slice(&[0, b'a', 0]);
            v
        }),
        // a quicklist claiming 2^50 nodes
        ("quicklist", {
            let mut v = vec![18u8, 1, b'k', 0x81];
            v.extend_from_slice(&(1u64 << 50).to_be_bytes());
            v
        }),
        // a listpack whose header claims 4 GB
        (
            "listpack",
            vec![16u8, 1, b'k', 7, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff],
        ),
        // unknown type, unknown length encoding, unknown string encoding
        ("type", vec![8u8, 1, b'k']),
        ("lenenc", vec![0u8, 0x85, b'k']),
        ("strenc", vec![0u8, 1, b'k', 0xC7]),
        ("stream", vec![15u8, 1, b'k']),
        ("module aux", vec![0xF7u8, 0]),
        ("function pre-ga", vec![0xF6u8, 0]),
        ("module value", vec![7u8, 1, b'k', 0]),
        ("quicklist container", vec![18u8, 1, b'k', 1, 3, 1, b'x']),
        ("nan score", {
            let mut v = vec![5u8, 1, b'k', 1, 1, b'm'];
            v.extend_from_slice(&f64::NAN.to_le_bytes());
            v
        }),
    ];
    for (what, body) in cases {
        let t = Instant::now();
        let e = load_all(&with_header(&body)).expect_err(what);
        assert!(e.offset >= 9, "{what}: {e}");
        assert!(t.elapsed() < Duration::from_secs(2), "{what} took too long");
        eprintln!("{what}: {e}");
    }
}

// ---------------------------------------------------------------------------
// Files we write
// ---------------------------------------------------------------------------

enum Owned {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Intset(Vec<i64>),
    Set(Vec<Vec<u8>>),
    HashLp(Vec<(Vec<u8>, Vec<u8>)>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSetLp(Vec<(Vec<u8>, f64)>),
    ZSet(Vec<(Vec<u8>, f64)>),
}

struct Spec {
    db: usize,
    key: Vec<u8>,
    val: Owned,
    exp: Option<i64>,
}

impl Spec {
    fn expected(&self) -> Norm {
        match &self.val {
            Owned::Str(s) => Norm::Str(s.clone()),
            Owned::List(l) => Norm::List(l.clone()),
            Owned::Intset(v) => set_of(v.iter().map(|i| i.to_string().into_bytes()).collect()),
            Owned::Set(s) => set_of(s.clone()),
            Owned::HashLp(h) | Owned::Hash(h) => hash_of(h.clone()),
            Owned::ZSetLp(z) | Owned::ZSet(z) => zset_of(z.clone()),
        }
    }

    fn redis_type(&self) -> &'static str {
        match &self.val {
            Owned::Str(_) => "string",
            Owned::List(_) => "list",
            Owned::Intset(_) | Owned::Set(_) => "set",
            Owned::HashLp(_) | Owned::Hash(_) => "hash",
            Owned::ZSetLp(_) | Owned::ZSet(_) => "zset",
        }
    }

    /// The OBJECT ENCODING redis-server 7.0 should report after loading.
    fn encoding(&self) -> &'static str {
        match &self.val {
            Owned::Str(s) => {
                let is_int = s.len() <= 20
                    && std::str::from_utf8(s)
                        .ok()
                        .and_then(|t| t.parse::<i64>().ok())
                        .is_some_and(|v| v.to_string().as_bytes() == s.as_slice());
                if is_int {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Owned::List(_) => "quicklist",
            Owned::Intset(_) => "intset",
            Owned::Set(_) | Owned::Hash(_) => "hashtable",
            Owned::HashLp(_) | Owned::ZSetLp(_) => "listpack",
            Owned::ZSet(_) => "skiplist",
        }
    }
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn every_kind() -> Vec<Spec> {
    let mut v = Vec::new();
    let mut add = |db: usize, key: &str, val: Owned, exp: Option<i64>| {
        v.push(Spec {
            db,
            key: b(key),
            val,
            exp,
        })
    };
    // strings
    for (k, s) in [
        ("str:raw", b("hello")),
        ("str:empty", vec![]),
        ("str:int8", b("-5")),
        ("str:int16", b("12345")),
        ("str:int32", b("100000")),
        ("str:int32min", b("-2147483648")),
        ("str:int32max+1", b("2147483648")),
        ("str:int64", b("12345678901234")),
        ("str:i64min", b("-9223372036854775808")),
        ("str:leading0", b("007")),
        ("str:minus0", b("-0")),
        ("str:plus1", b("+1")),
        ("str:lzf", vec![b'a'; 200]),
        ("str:short-repeat", b("abcabcabcabcabcabcabcabc")),
        ("str:big32len", pseudo_random(70000, 7)),
        ("str:binary", b"bin\x00\xff\r\nend".to_vec()),
        ("str:44", vec![b'e'; 44]),
        ("str:45", vec![b'e'; 45]),
    ] {
        add(0, k, Owned::Str(s), None);
    }
    add(0, "str:ttl", Owned::Str(b("expiring")), Some(FAR));
    add(
        0,
        &format!("key:{}", "k".repeat(60)),
        Owned::Str(b("long key, LZF-compressed")),
        None,
    );
    // lists
    add(
        0,
        "list:small",
        Owned::List(strs(&[
            "a",
            "b",
            "1",
            "-1",
            "100000",
            "3.14",
            "",
            "12345678901234567890",
            "127",
            "128",
            "4095",
            "-4096",
            "4096",
            "-4097",
            "32767",
            "-32768",
            "8388607",
            "-8388608",
            "2147483647",
            "-2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "007",
            "-0",
        ])),
        None,
    );
    add(
        0,
        "list:large",
        Owned::List(
            (1..=2000)
                .map(|i| format!("element-{i:012}").into_bytes())
                .collect(),
        ),
        None,
    );
    add(
        0,
        "list:bigelems",
        Owned::List(vec![
            b("head"),
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            pseudo_random(4096, 3),
            pseudo_random(16378, 4), // entry of exactly 16383 bytes: 3-byte backlen
            vec![b'w'; 10000],
            pseudo_random(9000, 5),
            b("tail"),
        ]),
        None,
    );
    add(
        0,
        "list:ttl",
        Owned::List(strs(&["x", "y", "z"])),
        Some(FAR),
    );
    // sets
    add(0, "set:intset16", Owned::Intset(vec![1, 2, 3]), None);
    add(0, "set:intset32", Owned::Intset(vec![-100, 70000]), None);
    add(
        0,
        "set:intset64",
        Owned::Intset(vec![-100, 70000, 5_000_000_000]),
        None,
    );
    add(0, "set:ttl", Owned::Intset(vec![10, 20]), Some(FAR));
    add(0, "set:ht", Owned::Set(strs(&["a", "b", "c"])), None);
    add(
        0,
        "set:ht-ints",
        Owned::Set((1..=600).map(|i| i.to_string().into_bytes()).collect()),
        None,
    );
    // hashes
    add(
        0,
        "hash:small",
        Owned::HashLp(vec![
            (b("f1"), b("v1")),
            (b("num"), b("123")),
            (b("neg"), b("-7")),
            (b("empty"), b("")),
            (b("big"), b("-9223372036854775808")),
            (b("1"), b("one")),
        ]),
        None,
    );
    add(
        0,
        "hash:large",
        Owned::Hash(
            (1..=600)
                .map(|i| {
                    (
                        format!("field-{i:04}").into_bytes(),
                        format!("value-{i:04}").into_bytes(),
                    )
                })
                .collect(),
        ),
        None,
    );
    add(
        0,
        "hash:longval",
        Owned::Hash(vec![(b("f"), vec![b'v'; 100])]),
        Some(FAR),
    );
    add(
        0,
        "hash:ttl",
        Owned::HashLp(vec![(b("a"), b("1"))]),
        Some(FAR),
    );
    // sorted sets (ascending score, member)
    let mut small = vec![
        (b("ninf"), f64::NEG_INFINITY),
        (b("three"), -3.0),
        (b("negzero"), -0.0),
        (b("tenth"), 0.1),
        (b("one"), 1.0),
        (b("two"), 2.5),
        (b("four"), 100000.0),
        (b("huge"), 1e20),
        (b("2^53"), 9007199254740992.0),
        (b("tiny"), 1e-300),
        (b("12"), 12.0),
        (b("pinf"), f64::INFINITY),
    ];
    sort_zset(&mut small);
    add(0, "zset:small", Owned::ZSetLp(small), None);
    add(
        0,
        "zset:large",
        Owned::ZSet(
            (1..=200)
                .map(|i| (format!("member-{i:04}").into_bytes(), i as f64 + 0.25))
                .collect(),
        ),
        None,
    );
    add(
        0,
        "zset:longmember",
        Owned::ZSet(vec![(vec![b'm'; 100], 1.0)]),
        None,
    );
    add(0, "zset:ttl", Owned::ZSetLp(vec![(b("a"), 1.0)]), Some(FAR));
    // other databases
    add(1, "db1:key", Owned::Str(b("in-db-1")), None);
    add(1, "db1:ttl", Owned::Str(b("in-db-1-ttl")), Some(FAR));
    add(1, "db1:list", Owned::List(strs(&["p", "q"])), Some(FAR));
    add(3, "db3:set", Owned::Intset(vec![5]), None);
    v
}

fn kv(h: &[(Vec<u8>, Vec<u8>)]) -> Vec<(&[u8], &[u8])> {
    h.iter()
        .map(|(f, v)| (f.as_slice(), v.as_slice()))
        .collect()
}

fn scored(z: &[(Vec<u8>, f64)]) -> Vec<(&[u8], f64)> {
    z.iter().map(|(m, s)| (m.as_slice(), *s)).collect()
}

fn slices(l: &[Vec<u8>]) -> Vec<&[u8]> {
    l.iter().map(|x| x.as_slice()).collect()
}

fn write_specs<W: std::io::Write>(w: W, specs: &[Spec], compress: bool, info: &SaveInfo) -> W {
    let mut wr = RdbWriter::with_info(w, info).unwrap();
    let mut dbs: Vec<usize> = specs.iter().map(|s| s.db).collect();
    dbs.dedup();
    for db in dbs {
        let keys: Vec<&Spec> = specs.iter().filter(|s| s.db == db).collect();
        let expires = keys.iter().filter(|s| s.exp.is_some()).count();
        wr.select_db(db, keys.len() as u64, expires as u64).unwrap();
        for s in keys {
            match &s.val {
                Owned::Str(v) => wr.write_entry(&s.key, &SaveValue::String(v), s.exp, compress),
                Owned::List(l) => {
                    wr.write_entry(&s.key, &SaveValue::List(&slices(l)), s.exp, compress)
                }
                Owned::Intset(i) => {
                    wr.write_entry(&s.key, &SaveValue::SetIntset(i), s.exp, compress)
                }
                Owned::Set(l) => {
                    wr.write_entry(&s.key, &SaveValue::Set(&slices(l)), s.exp, compress)
                }
                Owned::HashLp(h) => {
                    wr.write_entry(&s.key, &SaveValue::HashListpack(&kv(h)), s.exp, compress)
                }
                Owned::Hash(h) => wr.write_entry(&s.key, &SaveValue::Hash(&kv(h)), s.exp, compress),
                Owned::ZSetLp(z) => wr.write_entry(
                    &s.key,
                    &SaveValue::ZSetListpack(&scored(z)),
                    s.exp,
                    compress,
                ),
                Owned::ZSet(z) => {
                    wr.write_entry(&s.key, &SaveValue::ZSet(&scored(z)), s.exp, compress)
                }
            }
            .unwrap();
        }
    }
    wr.finish().unwrap()
}

fn test_info() -> SaveInfo {
    SaveInfo {
        redis_ver: "7.0.15".into(),
        ctime: 1_795_559_269,
        used_mem: 5_000_000_000, // beyond int32: written as digits
        aof_base: false,
        checksum: true,
    }
}

fn expected_keyspace(specs: &[Spec]) -> Keyspace {
    specs
        .iter()
        .map(|s| ((s.db, s.key.clone()), (s.expected(), s.exp)))
        .collect()
}

#[test]
fn written_file_reads_back() {
    let specs = every_kind();
    for compress in [true, false] {
        let file = write_specs(Vec::new(), &specs, compress, &test_info());
        let (entries, aux) = load_all(&file).unwrap();
        assert_eq!(
            aux,
            vec![
                (b("redis-ver"), b("7.0.15")),
                (b("redis-bits"), b("64")),
                (b("ctime"), b("1795559269")),
                (b("used-mem"), b("5000000000")),
                (b("aof-base"), b("0")),
            ]
        );
        // Same order as written, and the same contents.
        let order: Vec<&[u8]> = entries.iter().map(|e| e.key.as_slice()).collect();
        let want_order: Vec<&[u8]> = specs.iter().map(|s| s.key.as_slice()).collect();
        assert_eq!(order, want_order);
        assert_eq!(keyspace(&entries), expected_keyspace(&specs));
    }
    // Compression makes a real difference on this data.
    let c = write_specs(Vec::new(), &specs, true, &test_info());
    let u = write_specs(Vec::new(), &specs, false, &test_info());
    assert!(c.len() + 30_000 < u.len(), "{} vs {}", c.len(), u.len());
}

// ---------------------------------------------------------------------------
// Against the real redis-server and redis-check-rdb
// ---------------------------------------------------------------------------

fn redis_tools_available() -> bool {
    let ok = |bin: &str| {
        Command::new(bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if ok("redis-server") && ok("redis-check-rdb") {
        return true;
    }
    eprintln!(
        "\n*** redis-server / redis-check-rdb NOT FOUND: skipping the real-Redis RDB checks ***"
    );
    eprintln!(
        "*** install them: apt-get update && apt-get install -y redis-server redis-tools ***\n"
    );
    if std::env::var_os("CI").is_some() {
        panic!("redis-server and redis-check-rdb are required when CI is set");
    }
    false
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("miniredis-rdbfmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check_rdb(path: &Path) {
    let out = Command::new("redis-check-rdb").arg(path).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb rejected {}:\n{text}",
        path.display()
    );
}

struct RedisServer {
    child: Child,
    port: u16,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis(dir: &Path, file: &str) -> RedisServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.join("redis.log");
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir)
        .args(["--dbfilename", file, "--save", "", "--appendonly", "no"])
        .args(["--sanitize-dump-payload", "yes", "--daemonize", "no"])
        .arg("--logfile")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let mut srv = RedisServer { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = srv.child.try_wait() {
            panic!(
                "redis-server exited ({status}) loading {file}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        if let Ok(mut c) = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .and_then(|c| c.get_connection())
            && redis::cmd("PING").query::<String>(&mut c).is_ok()
        {
            return srv;
        }
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn conn(port: u16, db: usize) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/{db}"))
        .unwrap()
        .get_connection()
        .unwrap()
}

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&args.concat())))
}

fn pairs(flat: Vec<Vec<u8>>) -> Vec<(Vec<u8>, Vec<u8>)> {
    flat.chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

#[test]
fn redis_loads_what_we_write() {
    if !redis_tools_available() {
        return;
    }
    let specs = every_kind();
    for compress in [true, false] {
        let dir = tmpdir(if compress { "lzf" } else { "plain" });
        let path = dir.join("ours.rdb");
        let f = std::fs::File::create(&path).unwrap();
        write_specs(f, &specs, compress, &test_info());
        check_rdb(&path);

        let srv = start_redis(&dir, "ours.rdb");
        let mut dbs: Vec<usize> = specs.iter().map(|s| s.db).collect();
        dbs.dedup();
        for db in dbs {
            let mut c = conn(srv.port, db);
            let n: usize = q(&mut c, &[b"DBSIZE"]);
            assert_eq!(
                n,
                specs.iter().filter(|s| s.db == db).count(),
                "DBSIZE of db {db}"
            );
        }
        for s in &specs {
            let mut c = conn(srv.port, s.db);
            let k = s.key.as_slice();
            let name = String::from_utf8_lossy(k).to_string();
            let t: String = q(&mut c, &[b"TYPE", k]);
            assert_eq!(t, s.redis_type(), "{name}");
            let enc: String = q(&mut c, &[b"OBJECT", b"ENCODING", k]);
            assert_eq!(enc, s.encoding(), "OBJECT ENCODING {name}");
            let got = match &s.val {
                Owned::Str(_) => Norm::Str(q(&mut c, &[b"GET", k])),
                Owned::List(_) => Norm::List(q(&mut c, &[b"LRANGE", k, b"0", b"-1"])),
                Owned::Intset(_) | Owned::Set(_) => set_of(q(&mut c, &[b"SMEMBERS", k])),
                Owned::HashLp(_) | Owned::Hash(_) => hash_of(pairs(q(&mut c, &[b"HGETALL", k]))),
                Owned::ZSetLp(_) | Owned::ZSet(_) => {
                    let flat: Vec<Vec<u8>> = q(&mut c, &[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]);
                    let z: Vec<(Vec<u8>, f64)> = pairs(flat)
                        .into_iter()
                        .map(|(m, sc)| (m, String::from_utf8(sc).unwrap().parse::<f64>().unwrap()))
                        .collect();
                    // Redis's own order must already be ascending.
                    let mut sorted = z.clone();
                    sort_zset(&mut sorted);
                    assert_eq!(z, sorted, "{name} order");
                    Norm::ZSet(z)
                }
            };
            assert_eq!(got, s.expected(), "value of {name}");
            let pttl: i64 = q(&mut c, &[b"PTTL", k]);
            let at: i64 = q(&mut c, &[b"PEXPIRETIME", k]);
            match s.exp {
                Some(ms) => {
                    assert!(pttl > 0, "{name} PTTL {pttl}");
                    assert_eq!(at, ms, "{name} PEXPIRETIME");
                }
                None => assert_eq!(pttl, -1, "{name} PTTL"),
            }
        }

        // Redis saves it again over our file (its own encoder); our reader
        // loads that back to the same keyspace.
        let ours = std::fs::read(&path).unwrap();
        let mut c = conn(srv.port, 0);
        let _: () = q(&mut c, &[b"SAVE"]);
        drop(srv);
        let theirs = std::fs::read(&path).unwrap();
        assert_ne!(theirs, ours, "redis-server rewrote the file");
        let (entries, _) = load_all(&theirs).unwrap();
        assert_eq!(keyspace(&entries), expected_keyspace(&specs));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn redis_check_rdb_accepts_our_edge_cases() {
    if !redis_tools_available() {
        return;
    }
    let dir = tmpdir("edge");
    // An empty file, an AOF base, checksum off, a key before any SELECTDB.
    let path = dir.join("empty.rdb");
    let f = std::fs::File::create(&path).unwrap();
    RdbWriter::new(f).unwrap().finish().unwrap();
    check_rdb(&path);

    let path = dir.join("nocrc.rdb");
    let f = std::fs::File::create(&path).unwrap();
    let info = SaveInfo {
        checksum: false,
        aof_base: true,
        ..SaveInfo::now()
    };
    let mut w = RdbWriter::with_info(f, &info).unwrap();
    w.write_aux(b"repl-id", b"0123456789012345678901234567890123456789")
        .unwrap();
    w.write_entry(b"k", &SaveValue::String(b"v"), None, true)
        .unwrap();
    w.finish().unwrap();
    check_rdb(&path);
    let (entries, aux) = load_all(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(aux_get(&aux, "aof-base"), Some(&b"1"[..]));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// Damaged input: never a panic
// ---------------------------------------------------------------------------

/// A small file with one key of every value type.
fn small_file(checksum: bool) -> Vec<u8> {
    let specs: Vec<Spec> = vec![
        Spec {
            db: 0,
            key: b("s"),
            val: Owned::Str(b("hello")),
            exp: Some(FAR),
        },
        Spec {
            db: 0,
            key: b("n"),
            val: Owned::Str(b("-300")),
            exp: None,
        },
        Spec {
            db: 0,
            key: b("z"),
            val: Owned::Str(vec![b'z'; 40]),
            exp: None,
        },
        Spec {
            db: 0,
            key: b("l"),
            val: Owned::List(strs(&["a", "1", "-5000", "bb"])),
            exp: None,
        },
        Spec {
            db: 0,
            key: b("i"),
            val: Owned::Intset(vec![1, 70000]),
            exp: None,
        },
        Spec {
            db: 1,
            key: b("t"),
            val: Owned::Set(strs(&["x", "y"])),
            exp: None,
        },
        Spec {
            db: 1,
            key: b("h"),
            val: Owned::HashLp(vec![(b("f"), b("v")), (b("g"), b("2"))]),
            exp: None,
        },
        Spec {
            db: 1,
            key: b("H"),
            val: Owned::Hash(vec![(b("f"), b("v"))]),
            exp: None,
        },
        Spec {
            db: 1,
            key: b("q"),
            val: Owned::ZSetLp(vec![(b("m"), 1.5), (b("n"), 2.0)]),
            exp: None,
        },
        Spec {
            db: 1,
            key: b("Q"),
            val: Owned::ZSet(vec![(b("m"), 1.5)]),
            exp: Some(FAR),
        },
    ];
    let info = SaveInfo {
        checksum,
        ..test_info()
    };
    write_specs(Vec::new(), &specs, true, &info)
}

fn assert_no_panic_and_err(file: &[u8], what: &str) {
    match std::panic::catch_unwind(|| load_all(file)) {
        Ok(Err(_)) => {}
        Ok(Ok(_)) => panic!("{what}: damaged file loaded without error"),
        Err(_) => panic!("{what}: loader panicked"),
    }
}

#[test]
fn truncated_at_every_byte() {
    let mut files = vec![
        ("small", small_file(true)),
        ("small-nocrc", small_file(false)),
    ];
    for f in [
        "function.rdb",
        "list-plain-node.rdb",
        "plain-uncompressed.rdb",
        "lfu.rdb",
    ] {
        files.push((f, fixture(f)));
    }
    for (name, file) in &files {
        assert!(load_all(file).is_ok(), "{name}");
        for cut in 0..file.len() {
            let e = load_all(&file[..cut]);
            match e {
                Err(e) => assert!(e.offset <= cut as u64, "{name} cut {cut}: {e}"),
                Ok(_) => panic!("{name} truncated to {cut} bytes loaded"),
            }
        }
    }
    // The big fixture, at a spread of cut points.
    let big = fixture("all-types.rdb");
    for cut in (0..big.len()).step_by(97) {
        assert_no_panic_and_err(&big[..cut], &format!("all-types cut {cut}"));
    }
}

#[test]
fn every_single_byte_flip_is_caught() {
    let file = small_file(true);
    for pos in 0..file.len() {
        for flip in [0x01u8, 0x80, 0xFF, 0x3C] {
            let mut f = file.clone();
            f[pos] ^= flip;
            assert_no_panic_and_err(&f, &format!("flip {flip:#x} at {pos}"));
        }
    }
    let file = fixture("list-compressed.rdb");
    for pos in (0..file.len()).step_by(13) {
        let mut f = file.clone();
        f[pos] ^= 0x5A;
        assert_no_panic_and_err(&f, &format!("list-compressed flip at {pos}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random damage to files whose checksum is off (so the parser itself
    /// meets the damage): no panic; a load that succeeds is fine.
    #[test]
    fn random_damage_never_panics(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
        which in 0usize..4,
    ) {
        let mut file = match which {
            0 => small_file(false),
            1 => fixture("plain-uncompressed.rdb"),
            2 => small_file(true),
            _ => fixture("list-plain-node.rdb"),
        };
        let orig = file.clone();
        let checksummed = file[file.len() - 8..] != [0u8; 8];
        for (pos, x) in &flips {
            let p = pos % file.len();
            file[p] ^= x;
        }
        let cut = file.len() - cut % 4;
        let file = &file[..cut];
        let r = std::panic::catch_unwind(|| load_all(file));
        prop_assert!(r.is_ok(), "panic");
        if let Ok(Ok(_)) = r {
            // A checksummed file may only load if the damage cancelled out,
            // zeroed the checksum field, or rewrote the version to one
            // without a checksum.
            let unchanged = file == orig.as_slice();
            let zero_crc = file[file.len().saturating_sub(8)..] == [0u8; 8];
            let version_hit = file[5..9] != orig[5..9];
            prop_assert!(!checksummed || unchanged || zero_crc || version_hit);
        }
    }

    /// Garbage after a valid header.
    #[test]
    fn garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut f = b"REDIS0010".to_vec();
        f.extend_from_slice(&body);
        let r = std::panic::catch_unwind(|| load_all(&f));
        prop_assert!(r.is_ok());
    }
}
