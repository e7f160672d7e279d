//! Text in messages: up to `N` bytes packed little-endian into words (8
//! bytes a word), its length in the header. Longer text travels as several
//! messages ahead of the request it belongs to.

use crate::ProtoError;

/// Up to `N` bytes of text (`N` a multiple of 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<const N: usize> {
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> Chunk<N> {
    /// The most bytes a chunk holds.
    pub const MAX: usize = N;

    /// The chunk holding `bytes`, if they fit.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > N {
            return None;
        }
        let mut chunk = Self {
            len: bytes.len(),
            bytes: [0; N],
        };
        chunk.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(chunk)
    }

    /// `text` cut into chunks (none for empty text).
    pub fn split(text: &[u8]) -> impl Iterator<Item = Self> + '_ {
        text.chunks(N).filter_map(Self::new)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Packs the bytes into `words` (`N / 8` of them).
    pub fn pack(&self, words: &mut [u64]) {
        for (i, word) in words.iter_mut().enumerate().take(N / 8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(&self.bytes[i * 8..i * 8 + 8]);
            *word = u64::from_le_bytes(b);
        }
    }

    /// The chunk of `len` bytes packed in `words`; malformed (for
    /// operation `op`) if `len` is over `N` or bytes beyond `len` are set.
    pub fn unpack(op: u64, words: &[u64], len: usize) -> Result<Self, ProtoError> {
        if len > N || words.len() * 8 < N {
            return Err(ProtoError::Malformed(op));
        }
        let mut bytes = [0u8; N];
        for (i, word) in words.iter().enumerate().take(N / 8) {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        if bytes[len..].iter().any(|&b| b != 0) {
            return Err(ProtoError::Malformed(op));
        }
        Ok(Self { len, bytes })
    }
}
