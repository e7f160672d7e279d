//! A half-open physical address range.

/// The physical range `[base, base + size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PhysRange {
    /// First byte.
    pub base: u64,
    /// Length in bytes.
    pub size: u64,
}

impl PhysRange {
    /// The range `[base, base + size)`.
    pub const fn new(base: u64, size: u64) -> Self {
        Self { base, size }
    }

    /// The range `[base, end)`; empty when `end <= base`.
    pub const fn from_bounds(base: u64, end: u64) -> Self {
        Self {
            base,
            size: end.saturating_sub(base),
        }
    }

    /// One past the last byte (saturating at `u64::MAX`).
    pub const fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }

    /// Whether the two ranges share a byte.
    pub const fn overlaps(&self, other: PhysRange) -> bool {
        self.base < other.end() && other.base < self.end()
    }

    /// Whether `other` lies entirely inside `self`.
    pub const fn contains(&self, other: PhysRange) -> bool {
        other.base >= self.base && other.end() <= self.end()
    }

    /// Whether the ranges overlap or touch (so their union is one range).
    pub const fn touches(&self, other: PhysRange) -> bool {
        self.base <= other.end() && other.base <= self.end()
    }

    /// The overlap of two ranges, if any.
    pub fn intersection(&self, other: PhysRange) -> Option<PhysRange> {
        let base = self.base.max(other.base);
        let end = self.end().min(other.end());
        (base < end).then(|| PhysRange::from_bounds(base, end))
    }

    /// The smallest range aligned to `align` (a power of two) that holds
    /// `self`, or `None` if it would overflow.
    pub fn align_out(&self, align: u64) -> Option<PhysRange> {
        let base = self.base & !(align - 1);
        let end = self.end().checked_next_multiple_of(align)?;
        Some(PhysRange::from_bounds(base, end))
    }

    /// The largest range aligned to `align` (a power of two) inside `self`,
    /// or `None` if there is none.
    pub fn align_in(&self, align: u64) -> Option<PhysRange> {
        let base = self.base.checked_next_multiple_of(align)?;
        let end = self.end() & !(align - 1);
        (base < end).then(|| PhysRange::from_bounds(base, end))
    }
}
