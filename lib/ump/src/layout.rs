//! The layout of a channel frame, the formats of its lines, and resetting a
//! frame to an empty channel.
//!
//! For `n` lines per direction the frame is `2n + 2` lines of
//! [`LINE_WORDS`] words ([`LINE_BYTES`] bytes), at these word offsets:
//!
//! | words | line(s) | what | written by | read by |
//! |---|---|---|---|---|
//! | `0 .. 8n` | `0 .. n` | ring 0: messages A -> B | A | B |
//! | `8n .. 16n` | `n .. 2n` | ring 1: messages B -> A | B | A |
//! | `16n` | `2n` | A's read count of ring 1 (rest of the line unused) | A | B |
//! | `16n + 8` | `2n + 1` | B's read count of ring 0 (rest of the line unused) | B | A |
//!
//! A message line is [`PAYLOAD_WORDS`] payload words followed by the header
//! word ([`HEADER_WORD`]); bit 0 of the header ([`EPOCH_BIT`]) is the epoch,
//! the other bits are written as zero and ignored. A read count is the number
//! of messages the end has taken from the ring it reads, as a `u64` that
//! wraps. Each read count has a line to itself so that the reader's stores
//! to it never share a cache line with messages (no false sharing).
//!
//! The frame should start on a 64-byte boundary (a mapped frame always does)
//! so that lines are cache lines; the algorithm is correct at any alignment,
//! only slower.

use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::{Side, UmpError};

/// Words in a line.
pub const LINE_WORDS: usize = 8;
/// Bytes in a line: one cache line.
pub const LINE_BYTES: usize = LINE_WORDS * 8;
/// Payload words in a message line.
pub const PAYLOAD_WORDS: usize = LINE_WORDS - 1;
/// Index of the header word within a message line (the last word).
pub const HEADER_WORD: usize = PAYLOAD_WORDS;
/// The epoch bit of a header word.
pub const EPOCH_BIT: u64 = 1;
/// The fewest lines per direction.
pub const MIN_LINES: usize = 2;
/// The most lines per direction: the frame's size in bytes then still fits
/// in a `usize`.
pub const MAX_LINES: usize = 1 << (usize::BITS - 8);

/// The layout of a channel frame with a given number of lines per direction
/// (see the [module documentation](self)). Both ends must use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    lines: usize,
}

impl Layout {
    /// The layout for `lines` lines per direction, which must be a power of
    /// two from [`MIN_LINES`] to [`MAX_LINES`].
    pub const fn new(lines: usize) -> Result<Self, UmpError> {
        if lines < MIN_LINES || lines > MAX_LINES || !lines.is_power_of_two() {
            return Err(UmpError::BadLineCount { lines });
        }
        Ok(Self { lines })
    }

    /// Lines per direction.
    pub const fn lines(self) -> usize {
        self.lines
    }

    /// Words in the whole frame: `16 * lines + 16`.
    pub const fn words(self) -> usize {
        (2 * self.lines + 2) * LINE_WORDS
    }

    /// Bytes in the whole frame: `128 * lines + 128`.
    pub const fn bytes(self) -> usize {
        self.words() * 8
    }

    /// The words of the ring that `side` sends on.
    pub const fn ring(self, side: Side) -> Range<usize> {
        let start = side.send_ring() * self.lines * LINE_WORDS;
        start..start + self.lines * LINE_WORDS
    }

    /// The word in which `side` publishes its read count of the ring it
    /// reads (the first word of its own line).
    pub const fn read_count_word(self, side: Side) -> usize {
        (2 * self.lines + side.send_ring()) * LINE_WORDS
    }

    /// The word in which `side` says that it waits (blocked) for a message
    /// (the second word of its own line): 1 while waiting, else 0. See
    /// `Channel::prepare_to_wait`.
    pub const fn waiting_word(self, side: Side) -> usize {
        self.read_count_word(side) + 1
    }

    /// The frame at the start of `memory`, as lines; words after it are
    /// never touched.
    pub fn frame(self, memory: &[AtomicU64]) -> Result<&[[AtomicU64; LINE_WORDS]], UmpError> {
        let words = memory.get(..self.words()).ok_or(self.too_small(memory))?;
        Ok(words.as_chunks::<LINE_WORDS>().0)
    }

    /// The error for `memory` being shorter than the frame.
    pub(crate) fn too_small(self, memory: &[AtomicU64]) -> UmpError {
        UmpError::TooSmall {
            needed: self.words(),
            given: memory.len(),
        }
    }

    /// Makes the frame at the start of `memory` an empty channel by zeroing
    /// it (memory that is known to be zero already is one).
    ///
    /// The reset must happen before either end is created, and both ends
    /// must see it: hand the frame over after resetting it, through
    /// something that orders memory (a message, a thread spawn, a lock).
    pub fn reset(self, memory: &[AtomicU64]) -> Result<(), UmpError> {
        for word in self.frame(memory)?.as_flattened() {
            word.store(0, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let l = Layout::new(8).expect("8 lines is valid");
        assert_eq!(l.lines(), 8);
        assert_eq!(l.words(), 144);
        assert_eq!(l.bytes(), 1152);
        assert_eq!(l.ring(Side::A), 0..64);
        assert_eq!(l.ring(Side::B), 64..128);
        assert_eq!(l.read_count_word(Side::A), 128);
        assert_eq!(l.read_count_word(Side::B), 136);

        let l = Layout::new(2).expect("2 lines is valid");
        assert_eq!((l.words(), l.bytes()), (48, 384));
        assert_eq!((l.ring(Side::A), l.ring(Side::B)), (0..16, 16..32));
        assert_eq!(
            (l.read_count_word(Side::A), l.read_count_word(Side::B)),
            (32, 40)
        );
    }

    #[test]
    fn parts_are_disjoint_whole_lines_covering_the_frame() {
        for shift in 1..12 {
            let l = Layout::new(1 << shift).expect("power of two");
            let (a, b) = (l.ring(Side::A), l.ring(Side::B));
            let (pa, pb) = (l.read_count_word(Side::A), l.read_count_word(Side::B));
            assert_eq!(a.end, b.start);
            assert_eq!(b.end, pa);
            assert_eq!(pa + LINE_WORDS, pb);
            assert_eq!(pb + LINE_WORDS, l.words());
            for x in [a.start, b.start, pa, pb] {
                assert_eq!(x % LINE_WORDS, 0);
            }
        }
    }

    #[test]
    fn line_counts() {
        for lines in [
            0,
            1,
            3,
            5,
            6,
            7,
            12,
            100,
            MAX_LINES + 1,
            MAX_LINES * 2,
            usize::MAX,
        ] {
            assert_eq!(Layout::new(lines), Err(UmpError::BadLineCount { lines }));
        }
        for lines in [2, 4, 1024, MAX_LINES] {
            assert!(Layout::new(lines).is_ok());
        }
        // The largest layout's arithmetic does not overflow.
        let l = Layout::new(MAX_LINES).expect("largest is valid");
        assert_eq!(l.bytes(), 128 * MAX_LINES + 128);
        assert_eq!(l.read_count_word(Side::B) + LINE_WORDS, l.words());
    }

    #[test]
    fn frame_needs_enough_words_and_ignores_the_rest() {
        let l = Layout::new(4).expect("valid");
        let short: [AtomicU64; 79] = core::array::from_fn(|_| AtomicU64::new(7));
        assert_eq!(
            l.frame(&short).err(),
            Some(UmpError::TooSmall {
                needed: 80,
                given: 79
            })
        );
        let long: [AtomicU64; 83] = core::array::from_fn(|_| AtomicU64::new(7));
        assert_eq!(l.frame(&long).map(<[_]>::len), Ok(10));
        l.reset(&long).expect("long enough");
        for (i, w) in long.iter().enumerate() {
            let expected = if i < 80 { 0 } else { 7 };
            assert_eq!(w.load(Ordering::Relaxed), expected, "word {i}");
        }
    }
}
