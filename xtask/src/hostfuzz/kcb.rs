//! The `kcb` target: KCB layout conversion (`osnode::kcb::Kcb::adopt`), on
//! KCBs whose identifying fields and state words come from the input (a
//! field-wise generator: `Kcb` is plain `repr(C)` integers, but not a
//! zerocopy type, so the input fills its fields in layout order instead of
//! being cast). The conversion must accept exactly the layouts it converts
//! and refuse the rest with a reason, changing nothing it refuses; an
//! accepted KCB must end at this build's layout with `resumes` set to 0 by
//! a conversion, and every other field as it was. Seeds: a KCB of each
//! layout this build runs (the oldest it converts up to its own).

use osnode::kcb::{KCB_MAGIC, KCB_VERSION, Kcb, OLDEST_CONVERTIBLE};

use super::targets::Outcome;

/// The fields the input fills but `resumes`, in layout order (what the
/// checks compare).
fn fields(k: &Kcb) -> [u64; 13] {
    [
        k.magic,
        u64::from(k.version),
        u64::from(k.flags),
        k.id,
        k.mdb_root,
        k.current,
        k.quantum_ns,
        k.next_dispatcher_id,
        k.ring_next,
        k.ring_prev,
        u64::from(k.last_core),
        u64::from(k.last_apic),
        k.dispatch_count,
    ]
}

/// A KCB with its fields read from `input` in layout order (missing bytes
/// read as zero), `resumes` last.
fn kcb_of(input: &[u8]) -> Kcb {
    let mut at = 0;
    let mut take = |n: usize| {
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().take(n).enumerate() {
            *b = input.get(at + i).copied().unwrap_or(0);
        }
        at += n;
        u64::from_le_bytes(bytes)
    };
    let mut k = Kcb::new(0, 0);
    k.magic = take(8);
    k.version = take(4) as u32;
    k.flags = take(4) as u32;
    k.id = take(8);
    k.mdb_root = take(8);
    k.current = take(8);
    k.quantum_ns = take(8);
    k.next_dispatcher_id = take(8);
    k.ring_next = take(8);
    k.ring_prev = take(8);
    k.last_core = take(4) as u32;
    k.last_apic = take(4) as u32;
    k.dispatch_count = take(8);
    k.resumes = take(8);
    k
}

/// The bytes of a started, stopped KCB of layout `version`.
fn seed(version: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&KCB_MAGIC.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&3u32.to_le_bytes());
    for word in [
        2u64, 0x20_0000, 0x21_0000, 10_000_000, 7, 0x19c000, 0x19c000,
    ] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&1234u64.to_le_bytes());
    out.extend_from_slice(&9u64.to_le_bytes());
    out
}

/// The seeds: a KCB of each layout this build runs.
pub fn seeds() -> Vec<Vec<u8>> {
    (OLDEST_CONVERTIBLE..=KCB_VERSION).map(seed).collect()
}

/// Converts the KCB the input makes, and checks what the conversion did.
pub fn run(input: &[u8], _: bool) -> Outcome {
    let before = kcb_of(input);
    let mut k = before;
    let result = k.adopt();
    let (was, now) = (fields(&before), fields(&k));
    match result {
        Err(e) => {
            assert!(
                before.magic != KCB_MAGIC
                    || !(OLDEST_CONVERTIBLE..=KCB_VERSION).contains(&before.version),
                "a KCB of layout {} refused: {e}",
                before.version
            );
            assert_eq!(now, was, "a refused KCB was changed");
            assert_eq!(k.resumes, before.resumes, "a refused KCB was changed");
            Outcome::Refused(e.to_string())
        }
        Ok(None) => {
            assert_eq!(before.version, KCB_VERSION);
            assert_eq!(now, was, "a KCB of this layout was changed");
            assert_eq!(
                k.resumes, before.resumes,
                "a KCB of this layout was changed"
            );
            Outcome::Accepted
        }
        Ok(Some(found)) => {
            assert_eq!(found, before.version);
            assert!(
                (OLDEST_CONVERTIBLE..KCB_VERSION).contains(&found),
                "converted from layout {found}"
            );
            assert_eq!(k.version, KCB_VERSION, "not converted to this layout");
            assert_eq!(k.resumes, 0, "a converted KCB keeps a stale resume count");
            let mut expected = was;
            expected[1] = u64::from(KCB_VERSION);
            assert_eq!(now, expected, "the conversion changed another field");
            Outcome::Accepted
        }
    }
}
