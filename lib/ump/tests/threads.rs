//! The two ends on two threads: a full-duplex stream through small rings and
//! a request/reply ping-pong. Every message carries a sequence number and a
//! checksum over its other words, so the receiver notices any message lost,
//! duplicated, reordered or torn.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread;
use std::time::{Duration, Instant};

use ump::{Channel, Layout, Payload, Side, UmpError};

/// Waits politely: spins briefly, then gives the core away (the tests may
/// run more threads than there are cores). Panics after [`STUCK`] without
/// progress, so that a failure on one thread (which stops it) fails the
/// test instead of leaving the other thread waiting forever.
#[derive(Default)]
struct Backoff {
    idle: u32,
    since: Option<Instant>,
}

/// How long a thread may wait for its peer before the test fails.
const STUCK: Duration = Duration::from_secs(20);

impl Backoff {
    fn idle(&mut self) {
        self.idle += 1;
        if self.idle < 32 {
            std::hint::spin_loop();
            return;
        }
        thread::yield_now();
        let since = *self.since.get_or_insert_with(Instant::now);
        assert!(
            since.elapsed() < STUCK,
            "no progress for {STUCK:?}: peer stopped?"
        );
    }

    fn progressed(&mut self) {
        self.idle = 0;
        self.since = None;
    }
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

fn checksum(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x9e37_79b9_7f4a_7c15, |acc, &w| mix(acc ^ w))
}

/// Message `seq` of the stream with key `key`: word 0 the sequence number,
/// words 1..=5 derived from it, word 6 the checksum of words 0..=5.
fn message(key: u64, seq: u64) -> Payload {
    let mut p = [0; 7];
    p[0] = seq;
    for (i, w) in p.iter_mut().enumerate().take(6).skip(1) {
        *w = mix(key ^ seq.rotate_left(i as u32 * 9));
    }
    p[6] = checksum(&p[..6]);
    p
}

/// Checks that `p` is intact and is message `seq` of stream `key`.
fn check(key: u64, seq: u64, p: &Payload) {
    assert_eq!(p[6], checksum(&p[..6]), "torn message near {seq}: {p:x?}");
    assert_eq!(p[0], seq, "lost, duplicated or reordered message");
    assert_eq!(*p, message(key, seq), "corrupted message {seq}");
}

fn shared_frame(lines: usize) -> Arc<[AtomicU64]> {
    let words = Layout::new(lines).expect("valid line count").words();
    (0..words).map(|_| AtomicU64::new(0)).collect()
}

/// Sends `count` messages of stream `send_key` while receiving `count` of
/// stream `recv_key`, interleaved.
fn duplex(mut ch: Channel<'_>, count: u64, send_key: u64, recv_key: u64) {
    let (mut sent, mut received) = (0, 0);
    let mut backoff = Backoff::default();
    while sent < count || received < count {
        let mut progress = false;
        while sent < count {
            match ch.try_send(&message(send_key, sent)) {
                Ok(()) => sent += 1,
                Err(e) => {
                    assert_eq!(e, UmpError::Full);
                    break;
                }
            }
            progress = true;
        }
        while let Some(p) = ch.try_recv() {
            check(recv_key, received, &p);
            received += 1;
            progress = true;
        }
        if progress {
            backoff.progressed();
        } else {
            backoff.idle();
        }
    }
    assert_eq!(ch.try_recv(), None, "more messages than were sent");
}

fn stream_both_ways(lines: usize, count: u64) {
    let frame = shared_frame(lines);
    thread::scope(|s| {
        let a = Channel::new(&frame, lines, Side::A).expect("end A");
        let b = Channel::new(&frame, lines, Side::B).expect("end B");
        s.spawn(move || duplex(a, count, 0xaaaa, 0xbbbb));
        s.spawn(move || duplex(b, count, 0xbbbb, 0xaaaa));
    });
}

#[test]
fn stream_both_ways_through_8_lines() {
    stream_both_ways(8, 200_000);
}

#[test]
fn stream_both_ways_through_4_lines() {
    stream_both_ways(4, 200_000);
}

#[test]
fn stream_both_ways_through_2_lines() {
    stream_both_ways(2, 50_000);
}

#[test]
fn ping_pong() {
    const ROUNDS: u64 = 20_000;
    const LINES: usize = 4;
    let frame = shared_frame(LINES);

    let server_frame = Arc::clone(&frame);
    let server = thread::spawn(move || {
        let mut ch = Channel::new(&server_frame, LINES, Side::B).expect("end B");
        let mut backoff = Backoff::default();
        let mut served = 0;
        while served < ROUNDS {
            let Some(request) = ch.try_recv() else {
                backoff.idle();
                continue;
            };
            backoff.progressed();
            check(1, served, &request);
            // Only one request is ever outstanding, so the reply always fits.
            ch.try_send(&message(2, request[0])).expect("reply fits");
            served += 1;
        }
        assert_eq!(ch.try_recv(), None);
    });

    let mut ch = Channel::new(&frame, LINES, Side::A).expect("end A");
    let mut backoff = Backoff::default();
    for seq in 0..ROUNDS {
        ch.try_send(&message(1, seq))
            .expect("one request outstanding");
        let reply = loop {
            if let Some(reply) = ch.try_recv() {
                break reply;
            }
            backoff.idle();
        };
        backoff.progressed();
        check(2, seq, &reply);
    }
    server.join().expect("server thread");
    assert_eq!(ch.try_recv(), None);
}

/// A doorbell: a count of rings, and a condition to sleep on (the test's
/// stand-in for an IPI).
#[derive(Default)]
struct Doorbell {
    rings: std::sync::Mutex<u64>,
    wake: std::sync::Condvar,
}

impl Doorbell {
    fn ring(&self) {
        *self.rings.lock().unwrap() += 1;
        self.wake.notify_one();
    }

    /// Sleeps until rung (consuming one ring) or `timeout`; whether rung.
    fn sleep(&self, timeout: Duration) -> bool {
        let guard = self.rings.lock().unwrap();
        let (mut rings, result) = self
            .wake
            .wait_timeout_while(guard, timeout, |r| *r == 0)
            .unwrap();
        if result.timed_out() {
            return false;
        }
        *rings -= 1;
        true
    }
}

/// A receiver that blocks whenever its ring is empty, woken only by the
/// sender's doorbell (rung when `peer_waiting` says so), never loses a
/// wakeup: every message arrives, and it never sleeps through one.
#[test]
fn a_blocked_receiver_is_always_woken() {
    const MESSAGES: u64 = 20_000;
    let layout = Layout::new(4).unwrap();
    let memory: Arc<[AtomicU64]> = (0..layout.words()).map(|_| AtomicU64::new(0)).collect();
    let bell = Arc::new(Doorbell::default());
    let receiver = {
        let (memory, bell) = (Arc::clone(&memory), Arc::clone(&bell));
        thread::spawn(move || {
            let mut end = Channel::new(&memory, 4, Side::B).unwrap();
            let mut sleeps = 0u64;
            for seq in 0..MESSAGES {
                let message = loop {
                    if let Some(m) = end.try_recv() {
                        break m;
                    }
                    end.prepare_to_wait();
                    if let Some(m) = end.try_recv() {
                        end.stop_waiting();
                        break m;
                    }
                    // Only the sender wakes it: a lost wakeup times out.
                    assert!(bell.sleep(STUCK), "lost wakeup before message {seq}");
                    end.stop_waiting();
                    sleeps += 1;
                };
                assert_eq!(message[0], seq);
            }
            sleeps
        })
    };
    let mut end = Channel::new(&memory, 4, Side::A).unwrap();
    for seq in 0..MESSAGES {
        let mut backoff = Backoff::default();
        while end.try_send(&[seq, 0, 0, 0, 0, 0, 0]) == Err(UmpError::Full) {
            backoff.idle();
        }
        if end.peer_waiting() {
            bell.ring();
        }
        if seq % 64 == 0 {
            // Give the receiver time to block now and then.
            thread::sleep(Duration::from_micros(50));
        }
    }
    let sleeps = receiver.join().expect("receiver");
    assert!(
        sleeps > 0,
        "the receiver never blocked: the test tested nothing"
    );
}
