//! The `messages` target: every typed protocol message of `lib/proto`
//! decoded from the same words (a receiver decodes whatever a sender put
//! in a message), and every message a decoder accepts encoded and decoded
//! again to itself (one encoding per message).

use proto::{Words, hub, intermon, kernel, memserv, monitor, procmgr, serial};

use super::targets::Outcome;

/// First words of replies and kernel notices (a status or a value).
const OTHER_FIRST_WORDS: [u64; 4] = [0, 1, 2, u64::MAX];

/// Seeds: each protocol operation (`proto::LMP_OPERATIONS`, the monitors'
/// `intermon::OPERATIONS`) with no, one, two and six small arguments.
pub fn seeds() -> Vec<Vec<u8>> {
    proto::LMP_OPERATIONS
        .iter()
        .chain(&intermon::OPERATIONS)
        .chain(&OTHER_FIRST_WORDS)
        .flat_map(|&op| {
            [
                [op, 0, 0, 0, 0, 0, 0],
                [op, 1, 0, 0, 0, 0, 0],
                [op, 1, 2, 0, 0, 0, 0],
                [op, 1, 2, 3, 4, 5, 6],
            ]
        })
        .map(|words| words.iter().flat_map(|w| w.to_le_bytes()).collect())
        .collect()
}

/// Decodes `input` (as message words, zero-filled) with every decoder.
pub fn run(input: &[u8], _: bool) -> Outcome {
    let mut words = [0u64; 7];
    for (word, chunk) in words.iter_mut().zip(input.chunks(8)) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        *word = u64::from_le_bytes(bytes);
    }
    let four: Words = [words[0], words[1], words[2], words[3]];
    let mut accepted = false;
    let mut first_refusal = None;
    let mut note = |result: Result<(), proto::ProtoError>| match result {
        Ok(()) => accepted = true,
        Err(e) => {
            first_refusal.get_or_insert_with(|| e.to_string());
        }
    };
    macro_rules! round_trip {
        ($($t:ty),*) => {$(
            note(<$t>::from_words(four).map(|m| {
                assert_eq!(<$t>::from_words(m.to_words()), Ok(m), "{} does not decode its own encoding", stringify!($t));
            }));
        )*};
    }
    round_trip!(
        serial::Message,
        memserv::Request,
        memserv::Reply,
        monitor::Request,
        monitor::Reply,
        monitor::Delivery,
        hub::Request,
        hub::Reply,
        kernel::Exit,
        kernel::Interrupt,
        kernel::Missed,
        procmgr::Request,
        procmgr::Reply
    );
    note(intermon::Message::from_payload(words).map(|m| {
        assert_eq!(
            intermon::Message::from_payload(m.to_payload()),
            Ok(m),
            "intermon::Message does not decode its own encoding"
        );
    }));
    match (accepted, first_refusal) {
        (true, _) | (false, None) => Outcome::Accepted,
        (false, Some(why)) => Outcome::Refused(why),
    }
}
