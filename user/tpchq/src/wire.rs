//! The messages between the coordinator and the workers (UMP payloads of
//! seven words): `[QUERY, round]`, `[STOP]`, and a worker's partial answer
//! to round `round`, in as many `[PART, round, kind | total << 8, offset,
//! w0, w1, w2]` messages as its words need (`tpch::Q1::to_words`,
//! `tpch::Q6::to_words`).

use alloc::vec::Vec;

use corefish::SysError;
use corefish::channel::{Channel, Payload};

/// Coordinator to worker: answer both queries for this round.
pub const QUERY: u64 = 1;
/// Coordinator to worker: end.
pub const STOP: u64 = 2;
/// Worker to coordinator: part of an answer.
pub const PART: u64 = 3;
/// Answer kinds.
pub const KIND_Q1: u64 = 1;
/// Answer kinds.
pub const KIND_Q6: u64 = 2;
/// Data words per PART message.
const CHUNK: usize = 3;
/// Most words an answer may have.
const MAX_WORDS: u64 = 4096;

/// Sends `words` as the answer of `kind` to round `round`.
pub fn send_answer(
    channel: &mut Channel,
    round: u64,
    kind: u64,
    words: &[u64],
    deadline: u64,
) -> Result<(), SysError> {
    let total = words.len() as u64;
    if words.is_empty() {
        return channel.send(&[PART, round, kind, 0, 0, 0, 0], deadline);
    }
    for (i, chunk) in words.chunks(CHUNK).enumerate() {
        let mut m: Payload = [
            PART,
            round,
            kind | (total << 8),
            (i * CHUNK) as u64,
            0,
            0,
            0,
        ];
        m[4..4 + chunk.len()].copy_from_slice(chunk);
        channel.send(&m, deadline)?;
    }
    Ok(())
}

/// Collects answers from messages of one worker.
#[derive(Default)]
pub struct Answers {
    q1: Option<(u64, Vec<u64>)>,
    q6: Option<(u64, Vec<u64>)>,
}

impl Answers {
    /// Takes in a PART message of round `round`; `Err` if it is not one.
    pub fn take(&mut self, round: u64, m: &Payload) -> Result<(), SysError> {
        if m[0] != PART || m[1] != round {
            return Err(SysError::BadArgument);
        }
        let (kind, total, offset) = (m[2] & 0xff, m[2] >> 8, m[3]);
        if total > MAX_WORDS || offset >= total.max(1) {
            return Err(SysError::BadArgument);
        }
        let slot = match kind {
            KIND_Q1 => &mut self.q1,
            KIND_Q6 => &mut self.q6,
            _ => return Err(SysError::BadArgument),
        };
        let (expected, words) = slot.get_or_insert_with(|| (total, Vec::new()));
        if *expected != total || offset != words.len() as u64 {
            return Err(SysError::BadArgument);
        }
        let n = (total - offset).min(CHUNK as u64) as usize;
        words.extend_from_slice(&m[4..4 + n]);
        Ok(())
    }

    /// Both answers, once complete.
    pub fn complete(&self) -> Option<(&[u64], &[u64])> {
        match (&self.q1, &self.q6) {
            (Some((a, q1)), Some((b, q6))) if q1.len() as u64 == *a && q6.len() as u64 == *b => {
                Some((q1, q6))
            }
            _ => None,
        }
    }
}
