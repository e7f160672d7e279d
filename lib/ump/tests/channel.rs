//! Single-threaded behaviour of a channel: construction, filling and
//! emptying the rings, wrapping around many times, the epochs written into
//! the frame, and the published read counts.

use std::sync::atomic::{AtomicU64, Ordering};

use ump::payload::{PAYLOAD_BYTES, from_bytes, to_bytes};
use ump::{Channel, EPOCH_BIT, HEADER_WORD, LINE_WORDS, Layout, Payload, Side, UmpError};

fn memory(words: usize, fill: u64) -> Vec<AtomicU64> {
    (0..words).map(|_| AtomicU64::new(fill)).collect()
}

fn frame(lines: usize) -> Vec<AtomicU64> {
    memory(Layout::new(lines).expect("valid line count").words(), 0)
}

/// A payload identifying message `n` sent by `side`.
fn msg(side: Side, n: u64) -> Payload {
    let tag = match side {
        Side::A => 0xa000_0000,
        Side::B => 0xb000_0000,
    };
    core::array::from_fn(|i| tag + n * 8 + i as u64)
}

fn pair(memory: &[AtomicU64], lines: usize) -> (Channel<'_>, Channel<'_>) {
    let a = Channel::new(memory, lines, Side::A).expect("end A");
    let b = Channel::new(memory, lines, Side::B).expect("end B");
    (a, b)
}

#[test]
fn constructor_errors() {
    let words = Layout::new(4).expect("valid").words();
    let short = memory(words - 1, 0);
    assert_eq!(
        Channel::new(&short, 4, Side::A).err(),
        Some(UmpError::TooSmall {
            needed: words,
            given: words - 1
        })
    );
    assert_eq!(
        Channel::new(&[], 2, Side::B).err(),
        Some(UmpError::TooSmall {
            needed: 48,
            given: 0
        })
    );
    let big = memory(4096, 0);
    for lines in [0, 1, 3, 6, 10, usize::MAX] {
        assert_eq!(
            Channel::new(&big, lines, Side::A).err(),
            Some(UmpError::BadLineCount { lines })
        );
    }
    let ch = Channel::new(&big, 16, Side::B).expect("longer memory is fine");
    assert_eq!((ch.side(), ch.lines()), (Side::B, 16));
}

#[test]
fn errors_display() {
    let texts = [
        UmpError::TooSmall {
            needed: 48,
            given: 3,
        },
        UmpError::BadLineCount { lines: 3 },
        UmpError::Full,
    ]
    .map(|e| e.to_string());
    assert!(texts[0].contains("48") && texts[0].contains('3'));
    assert!(texts[1].contains("power of two"));
    assert_eq!(texts[2], "send ring full");
}

#[test]
fn all_zero_memory_is_an_empty_channel() {
    for lines in [2, 4, 8, 64] {
        let mem = frame(lines);
        let (mut a, mut b) = pair(&mem, lines);
        assert_eq!(a.try_recv(), None);
        assert_eq!(b.try_recv(), None);
        for n in 0..lines as u64 {
            a.try_send(&msg(Side::A, n)).expect("room on an empty ring");
            b.try_send(&msg(Side::B, n)).expect("room on an empty ring");
        }
        assert_eq!(a.try_send(&msg(Side::A, 99)), Err(UmpError::Full));
        assert_eq!(b.try_send(&msg(Side::B, 99)), Err(UmpError::Full));
    }
}

#[test]
fn send_until_full_then_receive_empties_it() {
    let mem = frame(8);
    let (mut a, mut b) = pair(&mem, 8);
    for n in 0..8 {
        assert_eq!(a.try_send(&msg(Side::A, n)), Ok(()));
    }
    for _ in 0..3 {
        assert_eq!(a.try_send(&msg(Side::A, 1000)), Err(UmpError::Full));
    }
    // A full A -> B ring does not block B -> A.
    b.try_send(&msg(Side::B, 0))
        .expect("other direction is independent");
    assert_eq!(a.try_recv(), Some(msg(Side::B, 0)));
    for n in 0..8 {
        assert_eq!(b.try_recv(), Some(msg(Side::A, n)), "message {n}");
    }
    assert_eq!(b.try_recv(), None);
    assert_eq!(a.try_recv(), None);
    // Receiving one line frees exactly one line.
    for n in 8..16 {
        a.try_send(&msg(Side::A, n)).expect("emptied ring has room");
    }
    assert_eq!(a.try_send(&msg(Side::A, 1000)), Err(UmpError::Full));
    assert_eq!(b.try_recv(), Some(msg(Side::A, 8)));
    a.try_send(&msg(Side::A, 16)).expect("one line freed");
    assert_eq!(a.try_send(&msg(Side::A, 1000)), Err(UmpError::Full));
    for n in 9..17 {
        assert_eq!(b.try_recv(), Some(msg(Side::A, n)));
    }
    assert_eq!(b.try_recv(), None);
}

/// A small deterministic generator for burst lengths.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Counts of one direction in the interleaving test.
#[derive(Default)]
struct Flow {
    sent: u64,
    received: u64,
}

/// A burst of up to 10 sends then a burst of up to 10 receives on one
/// direction, checking order and that `Full`/empty come exactly when the
/// ring is full/empty.
fn burst(tx: &mut Channel<'_>, rx: &mut Channel<'_>, flow: &mut Flow, total: u64, rng: &mut u64) {
    let side = tx.side();
    for _ in 0..next(rng) % 11 {
        if flow.sent == total {
            break;
        }
        match tx.try_send(&msg(side, flow.sent)) {
            Ok(()) => flow.sent += 1,
            Err(e) => {
                assert_eq!(e, UmpError::Full);
                assert_eq!(flow.sent - flow.received, 8, "full only with 8 in flight");
                break;
            }
        }
    }
    for _ in 0..next(rng) % 11 {
        match rx.try_recv() {
            Some(p) => {
                assert_eq!(p, msg(side, flow.received));
                flow.received += 1;
            }
            None => {
                assert_eq!(flow.sent, flow.received, "empty only with none in flight");
                break;
            }
        }
    }
}

#[test]
fn wraps_around_many_times_with_interleaving() {
    const TOTAL: u64 = 10_000;
    let mem = frame(8);
    let (mut a, mut b) = pair(&mem, 8);
    let mut rng = 0x1234_5678_9abc_def1;
    let (mut ab, mut ba) = (Flow::default(), Flow::default());
    while ab.received < TOTAL || ba.received < TOTAL {
        burst(&mut a, &mut b, &mut ab, TOTAL, &mut rng);
        burst(&mut b, &mut a, &mut ba, TOTAL, &mut rng);
    }
    assert_eq!((a.try_recv(), b.try_recv()), (None, None));
}

fn header(mem: &[AtomicU64], layout: Layout, side: Side, line: usize) -> u64 {
    mem[layout.ring(side).start + line * LINE_WORDS + HEADER_WORD].load(Ordering::Relaxed)
}

#[test]
fn epochs_alternate_per_lap_and_old_lines_stay_old() {
    let lines = 4;
    let layout = Layout::new(lines).expect("valid");
    let mem = frame(lines);
    let (mut a, mut b) = pair(&mem, lines);
    for lap in 0..6u64 {
        let epoch = (lap + 1) % 2;
        for line in 0..lines {
            let n = lap * lines as u64 + line as u64;
            a.try_send(&msg(Side::A, n))
                .expect("ring drained every lap");
            assert_eq!(
                header(&mem, layout, Side::A, line),
                epoch,
                "lap {lap} line {line}"
            );
            // Lines not yet written this lap still hold the previous epoch.
            for later in line + 1..lines {
                assert_eq!(header(&mem, layout, Side::A, later), epoch ^ EPOCH_BIT);
            }
            assert_eq!(b.try_recv(), Some(msg(Side::A, n)));
            // The consumed line still carries the current epoch, but it is
            // not read twice.
            assert_eq!(b.try_recv(), None);
        }
        // Every line now carries this lap's epoch: to the reader, who now
        // expects the other one, the ring is empty.
        assert_eq!(b.try_recv(), None);
    }
    // The other ring was never written.
    for line in 0..lines {
        assert_eq!(header(&mem, layout, Side::B, line), 0);
    }
}

#[test]
fn read_counts_are_published_in_their_own_lines() {
    let lines = 4;
    let layout = Layout::new(lines).expect("valid");
    let mem = frame(lines);
    let (mut a, mut b) = pair(&mem, lines);
    let count = |side| mem[layout.read_count_word(side)].load(Ordering::Relaxed);
    for n in 0..11 {
        a.try_send(&msg(Side::A, n)).expect("room");
        assert_eq!(count(Side::B), n);
        b.try_recv().expect("sent just now");
        assert_eq!(count(Side::B), n + 1);
    }
    assert_eq!(count(Side::A), 0);
    b.try_send(&msg(Side::B, 0)).expect("room");
    a.try_recv().expect("sent just now");
    assert_eq!(count(Side::A), 1);
    // The rest of each count line is untouched.
    for side in [Side::A, Side::B] {
        let w = layout.read_count_word(side);
        for word in &mem[w + 1..w + LINE_WORDS] {
            assert_eq!(word.load(Ordering::Relaxed), 0);
        }
    }
}

#[test]
fn a_bogus_peer_count_is_ignored() {
    let lines = 2;
    let layout = Layout::new(lines).expect("valid");
    let mem = frame(lines);
    let (mut a, mut b) = pair(&mem, lines);
    a.try_send(&msg(Side::A, 0)).expect("room");
    a.try_send(&msg(Side::A, 1)).expect("room");
    // B claims to have read more than A has sent: A must not overwrite.
    mem[layout.read_count_word(Side::B)].store(5, Ordering::Relaxed);
    assert_eq!(a.try_send(&msg(Side::A, 2)), Err(UmpError::Full));
    mem[layout.read_count_word(Side::B)].store(0, Ordering::Relaxed);
    assert_eq!(b.try_recv(), Some(msg(Side::A, 0)));
    assert_eq!(b.try_recv(), Some(msg(Side::A, 1)));
    a.try_send(&msg(Side::A, 2))
        .expect("B's real count frees the ring");
    assert_eq!(b.try_recv(), Some(msg(Side::A, 2)));
}

#[test]
fn reset_makes_a_used_or_dirty_frame_empty_and_spares_the_rest() {
    let lines = 4;
    let layout = Layout::new(lines).expect("valid");
    let mem = memory(layout.words() + 5, u64::MAX);
    {
        // Dirty memory is not a channel: every header has epoch 1, which
        // reads as a message.
        let (_, mut b) = pair(&mem, lines);
        assert_eq!(b.try_recv(), Some([u64::MAX; 7]));
    }
    layout.reset(&mem).expect("long enough");
    {
        let (mut a, mut b) = pair(&mem, lines);
        assert_eq!((a.try_recv(), b.try_recv()), (None, None));
        for n in 0..3 {
            a.try_send(&msg(Side::A, n)).expect("room");
        }
    }
    // A used frame is reset to an empty channel too.
    layout.reset(&mem).expect("long enough");
    let (mut a, mut b) = pair(&mem, lines);
    assert_eq!((a.try_recv(), b.try_recv()), (None, None));
    for word in &mem[layout.words()..] {
        assert_eq!(word.load(Ordering::Relaxed), u64::MAX);
    }
    assert_eq!(
        layout.reset(&mem[..layout.words() - 1]),
        Err(UmpError::TooSmall {
            needed: layout.words(),
            given: layout.words() - 1
        })
    );
}

#[test]
fn bytes_travel_through_payloads() {
    let mem = frame(2);
    let (mut a, mut b) = pair(&mem, 2);
    let mut text = [b' '; PAYLOAD_BYTES];
    text[..21].copy_from_slice(b"hello from dispatcher");
    a.try_send(&from_bytes(&text)).expect("room");
    let got = b.try_recv().expect("sent");
    assert_eq!(to_bytes(&got), text);
}
