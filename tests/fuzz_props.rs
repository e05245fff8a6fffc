//! The fuzz targets' bodies (src/fuzz.rs) on stable, with a fixed number
//! of cases, so `make test` runs them without nightly: random bytes, and
//! mutations (byte flips, cuts, splices) of the committed seed corpus
//! (fuzz/corpus/<target>: the hand-made seeds plus the corpus libFuzzer
//! built, minimized with `cargo fuzz cmin`). Crashes libFuzzer finds
//! become seeds or cases here. `make fuzz` runs the same bodies under
//! libFuzzer.

use proptest::prelude::*;
use std::path::Path;

/// Seeds by target, read once per test process.
type SeedCache = Vec<(String, &'static [Vec<u8>])>;

/// The seeds of a target, read once per test process.
fn corpus(target: &str) -> &'static [Vec<u8>] {
    static CACHE: std::sync::Mutex<SeedCache> = std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, seeds)) = cache.iter().find(|(t, _)| t == target) {
        return seeds;
    }
    let seeds: &'static [Vec<u8>] = Box::leak(read_corpus(target).into_boxed_slice());
    cache.push((target.to_string(), seeds));
    seeds
}

fn read_corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed corpus {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// A seed changed the way a fuzzer would: some bytes flipped or set to
/// interesting values, maybe cut short, maybe a slice spliced in.
#[derive(Debug, Clone)]
struct Mutation {
    seed: usize,
    edits: Vec<(usize, u8)>,
    cut: Option<usize>,
    splice: Option<(usize, Vec<u8>)>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        any::<usize>(),
        proptest::collection::vec(
            (
                any::<usize>(),
                prop_oneof![any::<u8>(), Just(0u8), Just(0xff), Just(b'\r'), Just(b'$')],
            ),
            0..8,
        ),
        proptest::option::of(any::<usize>()),
        proptest::option::of((
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..16),
        )),
    )
        .prop_map(|(seed, edits, cut, splice)| Mutation {
            seed,
            edits,
            cut,
            splice,
        })
}

fn apply(seeds: &[Vec<u8>], m: &Mutation) -> Vec<u8> {
    let mut d = seeds[m.seed % seeds.len()].clone();
    if d.is_empty() {
        return d;
    }
    for &(at, b) in &m.edits {
        let i = at % d.len();
        d[i] = b;
    }
    if let Some((at, bytes)) = &m.splice {
        let i = at % (d.len() + 1);
        d.splice(i..i, bytes.iter().copied());
    }
    if let Some(cut) = m.cut {
        d.truncate(cut % (d.len() + 1));
    }
    d
}

/// Rule-like words, so ACL inputs reach past the first syntax error.
fn acl_words() -> impl Strategy<Value = Vec<u8>> {
    let word = prop_oneof![
        Just("on".to_string()),
        Just("off".to_string()),
        Just("nopass".to_string()),
        Just("resetpass".to_string()),
        Just(">pw".to_string()),
        Just("<pw".to_string()),
        Just("#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()),
        Just("allkeys".to_string()),
        Just("resetkeys".to_string()),
        Just("allchannels".to_string()),
        Just("resetchannels".to_string()),
        Just("allcommands".to_string()),
        Just("nocommands".to_string()),
        Just("clearselectors".to_string()),
        Just("reset".to_string()),
        Just("sanitize-payload".to_string()),
        Just("skip-sanitize-payload".to_string()),
        "[+-]@(all|read|write|string|admin|dangerous|fast|slow|keyspace|pubsub|scripting|nope)",
        "[+-](get|set|del|config|client|select|debug|acl|object|memory|nope)",
        "[+-](config|client|object|acl)\\|(get|set|id|kill|help|freq|whoami|nope)",
        "\\+(select|debug|get)\\|[a-z0-9]{1,3}",
        "(~|%R~|%W~|%RW~|%)[a-z*?\\[\\]]{0,4}",
        "&[a-z*]{0,4}",
        "\\((\\+get|~x\\*|&c|-@all|on| ){0,4}\\)?",
        "[ -~]{0,6}",
    ];
    proptest::collection::vec(word, 0..12).prop_map(|w| w.join(" ").into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn resp_random(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        miniredis::fuzz::resp(&data);
    }

    #[test]
    fn resp_mutated(m in mutation()) {
        miniredis::fuzz::resp(&apply(corpus("resp"), &m));
    }

    #[test]
    fn inline_random(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        miniredis::fuzz::inline(&data);
    }

    #[test]
    fn inline_mutated(m in mutation()) {
        miniredis::fuzz::inline(&apply(corpus("inline"), &m));
    }

    #[test]
    fn acl_rule_words(data in acl_words()) {
        miniredis::fuzz::acl_rules(&data);
    }

    #[test]
    fn acl_mutated(m in mutation()) {
        miniredis::fuzz::acl_rules(&apply(corpus("acl_rules"), &m));
    }
}

proptest! {
    // Each case loads a file into a server: fewer of them.
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rdb_mutated(m in mutation()) {
        miniredis::fuzz::rdb(&apply(corpus("rdb"), &m));
    }

    #[test]
    fn aof_mutated(m in mutation()) {
        miniredis::fuzz::aof(&apply(corpus("aof"), &m));
    }

    #[test]
    fn rdb_and_aof_random(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut rdb = b"REDIS0010".to_vec();
        rdb.extend_from_slice(&data);
        miniredis::fuzz::rdb(&rdb);
        miniredis::fuzz::aof(&data);
    }
}

#[test]
fn every_seed_runs_clean() {
    for s in corpus("resp") {
        miniredis::fuzz::resp(s);
    }
    for s in corpus("inline") {
        miniredis::fuzz::inline(s);
    }
    for s in corpus("acl_rules") {
        miniredis::fuzz::acl_rules(s);
    }
    for s in corpus("rdb") {
        miniredis::fuzz::rdb(s);
    }
    for s in corpus("aof") {
        miniredis::fuzz::aof(s);
    }
}
