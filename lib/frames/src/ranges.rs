//! A set of physical addresses kept as at most `N` sorted, disjoint,
//! non-touching ranges in a fixed array.

use crate::{FrameError, PhysRange};

/// A set of addresses as sorted, coalesced ranges, with room for `N` ranges.
#[derive(Debug, Clone)]
pub struct RangeSet<const N: usize> {
    ranges: [PhysRange; N],
    len: usize,
}

impl<const N: usize> Default for RangeSet<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> RangeSet<N> {
    /// The empty set.
    pub const fn new() -> Self {
        Self {
            ranges: [PhysRange::new(0, 0); N],
            len: 0,
        }
    }

    /// The ranges, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = PhysRange> + '_ {
        self.ranges[..self.len].iter().copied()
    }

    /// Number of separate ranges.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether any address of `range` is in the set.
    pub fn overlaps(&self, range: PhysRange) -> bool {
        self.iter().any(|r| r.overlaps(range))
    }

    /// Whether every address of `range` is in the set (ranges are coalesced,
    /// so one stored range must hold it).
    pub fn contains(&self, range: PhysRange) -> bool {
        self.iter().any(|r| r.contains(range))
    }

    /// Whether inserting `range` (disjoint from the set) would fit.
    pub fn can_insert(&self, range: PhysRange) -> bool {
        self.len < N || self.iter().any(|r| r.touches(range))
    }

    /// Adds `range`, which must not overlap the set; merges with neighbours.
    pub fn insert(&mut self, range: PhysRange) -> Result<(), FrameError> {
        debug_assert!(!self.overlaps(range));
        let at = self.ranges[..self.len].partition_point(|r| r.base < range.base);
        let joins_prev = at > 0 && self.ranges[at - 1].end() == range.base;
        let joins_next = at < self.len && range.end() == self.ranges[at].base;
        match (joins_prev, joins_next) {
            (true, true) => {
                self.ranges[at - 1].size += range.size + self.ranges[at].size;
                self.remove_at(at);
            }
            (true, false) => self.ranges[at - 1].size += range.size,
            (false, true) => {
                self.ranges[at].base = range.base;
                self.ranges[at].size += range.size;
            }
            (false, false) => self.insert_at(at, range)?,
        }
        Ok(())
    }

    /// Removes `range`, which must lie inside one stored range.
    pub fn remove(&mut self, range: PhysRange) -> Result<(), FrameError> {
        let at = self.ranges[..self.len]
            .iter()
            .position(|r| r.contains(range))
            .ok_or(FrameError::NotFree)?;
        let outer = self.ranges[at];
        let before = PhysRange::from_bounds(outer.base, range.base);
        let after = PhysRange::from_bounds(range.end(), outer.end());
        match (before.size > 0, after.size > 0) {
            (false, false) => self.remove_at(at),
            (true, false) => self.ranges[at] = before,
            (false, true) => self.ranges[at] = after,
            (true, true) => {
                // Splitting needs one more slot; check before changing anything.
                if self.len == N {
                    return Err(FrameError::TooFragmented);
                }
                self.ranges[at] = before;
                self.insert_at(at + 1, after)?;
            }
        }
        Ok(())
    }

    fn insert_at(&mut self, at: usize, range: PhysRange) -> Result<(), FrameError> {
        if self.len == N {
            return Err(FrameError::TooFragmented);
        }
        self.ranges.copy_within(at..self.len, at + 1);
        self.ranges[at] = range;
        self.len += 1;
        Ok(())
    }

    fn remove_at(&mut self, at: usize) {
        self.ranges.copy_within(at + 1..self.len, at);
        self.len -= 1;
    }
}
