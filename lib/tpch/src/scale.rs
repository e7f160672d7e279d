//! The size of the database: [`Scale`] (the TPC-H scale factor in
//! thousandths) with the table cardinalities it implies, and [`partition`],
//! which splits the orders among workers.

use core::ops::Range;

/// The TPC-H scale factor SF in thousandths: SF = `milli` / 1000, so
/// `Scale { milli: 1000 }` is SF 1 and `Scale { milli: 10 }` is SF 0.01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scale {
    /// SF × 1000.
    pub milli: u32,
}

impl Scale {
    /// Orders in the database: SF × 1,500,000, at least 1.
    pub fn orders(&self) -> u64 {
        (1_500_000 * u64::from(self.milli) / 1000).max(1)
    }

    /// Parts: SF × 200,000, at least 1 (and at most `u32::MAX`).
    pub fn parts(&self) -> u32 {
        clamp_u32(200_000 * u64::from(self.milli) / 1000).max(1)
    }

    /// Suppliers: SF × 10,000, at least 4 (the supplier formula of the
    /// specification needs S / 4 ≥ 1) and at most `u32::MAX`.
    pub fn suppliers(&self) -> u32 {
        clamp_u32(10_000 * u64::from(self.milli) / 1000).max(4)
    }
}

/// `value`, or `u32::MAX` if it does not fit.
fn clamp_u32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The order indices (0-based) that worker `index` of `count` owns: the
/// `index`-th of `count` contiguous slices of `0..scale.orders()` whose
/// sizes differ by at most one. The slices of workers `0..count` tile the
/// orders exactly; `count == 0` or `index >= count` gives an empty range.
pub fn partition(scale: Scale, index: u32, count: u32) -> Range<u64> {
    if index >= count {
        return 0..0;
    }
    let orders = u128::from(scale.orders());
    let bound = |i: u32| (orders * u128::from(i) / u128::from(count)) as u64;
    bound(index)..bound(index + 1)
}
