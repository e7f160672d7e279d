//! The primitives against the standard library's, on random lengths,
//! alignments, contents and overlaps (they are what every Corefish image
//! copies, fills and compares with).

use proptest::prelude::*;

use crate::mem;

/// Lengths around every boundary of the three parts (blocks, quadwords,
/// bytes), and some long ones.
fn length() -> impl Strategy<Value = usize> {
    prop_oneof![0..200usize, 200..2000usize]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn copies_as_the_standard_library_does(
        n in length(), from in 0..16usize, to in 0..16usize, seed in any::<u64>(),
    ) {
        let src: Vec<u8> = (0..n + 16).map(|i| (seed >> (i % 57)) as u8 ^ i as u8).collect();
        let mut dst = vec![0xa5u8; n + 32];
        let mut want = dst.clone();
        want[to..to + n].copy_from_slice(&src[from..from + n]);
        // SAFETY: both ranges lie inside their vectors.
        unsafe { crate::memcpy(dst.as_mut_ptr().add(to), src.as_ptr().add(from), n) };
        prop_assert_eq!(dst, want);
    }

    #[test]
    fn overlapping_moves_go_either_way(
        n in length(), from in 0..300usize, to in 0..300usize, seed in any::<u64>(),
    ) {
        let mut buf: Vec<u8> = (0..n + 300).map(|i| (seed >> (i % 61)) as u8 ^ i as u8).collect();
        let mut want = buf.clone();
        want.copy_within(from..from + n, to);
        let base = buf.as_mut_ptr();
        // SAFETY: both ranges lie inside the vector.
        unsafe { crate::memmove(base.add(to), base.add(from), n) };
        prop_assert_eq!(buf, want);
    }

    #[test]
    fn fills_as_the_standard_library_does(n in length(), at in 0..16usize, byte in any::<u8>()) {
        let mut dst = vec![0x5au8; n + 32];
        let mut want = dst.clone();
        want[at..at + n].fill(byte);
        // SAFETY: the range lies inside the vector.
        unsafe { crate::memset(dst.as_mut_ptr().add(at), i32::from(byte), n) };
        prop_assert_eq!(dst, want);
    }

    #[test]
    fn compares_as_the_standard_library_does(
        n in length(), diff in prop::option::of(0..2000usize), x in any::<u8>(), y in any::<u8>(),
        at in 0..16usize,
    ) {
        let a: Vec<u8> = (0..n + 16).map(|i| i as u8).collect();
        let mut b = a.clone();
        if let Some(d) = diff.filter(|&d| d < n) {
            b[at + d] = b[at + d].wrapping_add(x | 1);
            if d + 1 < n {
                b[at + d + 1] ^= y;
            }
        }
        let (sa, sb) = (&a[at..at + n], &b[at..at + n]);
        let want = sa.iter().zip(sb).position(|(p, q)| p != q).unwrap_or(n);
        // SAFETY: both ranges lie inside their vectors.
        let (first, order, equal) = unsafe {
            (
                mem::first_difference(sa.as_ptr(), sb.as_ptr(), n),
                crate::memcmp(sa.as_ptr(), sb.as_ptr(), n),
                crate::bcmp(sa.as_ptr(), sb.as_ptr(), n),
            )
        };
        prop_assert_eq!(first, want);
        prop_assert_eq!(order.signum(), sa.cmp(sb) as i32);
        prop_assert_eq!(equal == 0, sa == sb);
        if want < n {
            prop_assert_eq!(order, i32::from(sa[want]) - i32::from(sb[want]));
        }
    }
}
