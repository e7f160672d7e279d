//! Converting a message's payload to and from bytes, for ends that exchange
//! byte strings rather than words.
//!
//! Word `i` holds bytes `8i .. 8i + 8` in little-endian order. Anything more
//! (a length, a sequence number, a checksum, messages spanning several
//! lines) is a convention between the two ends, not part of the channel.

use crate::{PAYLOAD_WORDS, Payload};

/// Bytes in a payload.
pub const PAYLOAD_BYTES: usize = PAYLOAD_WORDS * 8;

/// The payload holding `bytes`.
pub fn from_bytes(bytes: &[u8; PAYLOAD_BYTES]) -> Payload {
    let mut payload = [0; PAYLOAD_WORDS];
    for (word, chunk) in payload.iter_mut().zip(bytes.as_chunks::<8>().0) {
        *word = u64::from_le_bytes(*chunk);
    }
    payload
}

/// The bytes `payload` holds.
pub fn to_bytes(payload: &Payload) -> [u8; PAYLOAD_BYTES] {
    let mut bytes = [0; PAYLOAD_BYTES];
    for (chunk, word) in bytes.as_chunks_mut::<8>().0.iter_mut().zip(payload) {
        *chunk = word.to_le_bytes();
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_words_in_order() {
        let bytes: [u8; PAYLOAD_BYTES] = core::array::from_fn(|i| i as u8);
        let payload = from_bytes(&bytes);
        assert_eq!(payload[0], 0x0706_0504_0302_0100);
        assert_eq!(payload[6], 0x3736_3534_3332_3130);
        assert_eq!(to_bytes(&payload), bytes);
    }
}
