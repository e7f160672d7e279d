//! Both ends of one channel against a reference model: a bounded FIFO per
//! direction. Random sequences of sends and receives on either end must give
//! the same answers, on a frame reset from arbitrary contents, and must never
//! touch memory after the frame.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use ump::{Channel, Layout, Payload, Side, UmpError};

#[derive(Debug, Clone)]
enum Op {
    Send(Side, Payload),
    Recv(Side),
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::A), Just(Side::B)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (side(), any::<Payload>()).prop_map(|(s, p)| Op::Send(s, p)),
        2 => side().prop_map(Op::Recv),
    ]
}

/// The reference: one FIFO of at most `lines` messages per direction,
/// indexed by the sending side.
struct Model {
    lines: usize,
    queues: [VecDeque<Payload>; 2],
}

impl Model {
    fn send(&mut self, from: Side, payload: Payload) -> Result<(), UmpError> {
        let q = &mut self.queues[from.send_ring()];
        if q.len() == self.lines {
            return Err(UmpError::Full);
        }
        q.push_back(payload);
        Ok(())
    }

    fn recv(&mut self, by: Side) -> Option<Payload> {
        self.queues[by.peer().send_ring()].pop_front()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn channel_matches_model(
        lines_log2 in 1..5u32,
        junk in any::<u64>(),
        extra in 0..24usize,
        ops in prop::collection::vec(op(), 0..400),
    ) {
        let lines = 1usize << lines_log2;
        let layout = Layout::new(lines).expect("power of two");
        let memory: Vec<AtomicU64> =
            (0..layout.words() + extra).map(|_| AtomicU64::new(junk)).collect();
        layout.reset(&memory).expect("long enough");
        let mut a = Channel::new(&memory, lines, Side::A).expect("end A");
        let mut b = Channel::new(&memory, lines, Side::B).expect("end B");
        let mut model = Model { lines, queues: [VecDeque::new(), VecDeque::new()] };

        for op in ops {
            match op {
                Op::Send(s, p) => {
                    let end = if s == Side::A { &mut a } else { &mut b };
                    prop_assert_eq!(end.try_send(&p), model.send(s, p));
                }
                Op::Recv(s) => {
                    let end = if s == Side::A { &mut a } else { &mut b };
                    prop_assert_eq!(end.try_recv(), model.recv(s));
                }
            }
        }
        // Drain both directions: everything still queued arrives in order.
        for s in [Side::A, Side::B] {
            let end = if s == Side::A { &mut a } else { &mut b };
            loop {
                let expected = model.recv(s);
                prop_assert_eq!(end.try_recv(), expected);
                if expected.is_none() {
                    break;
                }
            }
        }
        for word in &memory[layout.words()..] {
            prop_assert_eq!(word.load(Ordering::Relaxed), junk);
        }
    }
}
