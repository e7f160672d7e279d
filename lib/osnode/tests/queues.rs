//! The intrusive queues against simple models (VecDeque, Vec, sorted Vec),
//! over random operation sequences.

use std::collections::{HashMap, VecDeque};

use osnode::dcb::Dcb;
use osnode::queue::{DispatcherList, RunQueue, WakeQueue};
use osnode::{DcbMemory, PAddr};
use proptest::prelude::*;

/// DCBs in a hash map keyed by fake physical addresses.
struct Fake(HashMap<PAddr, Dcb>);

impl DcbMemory for Fake {
    fn dcb(&mut self, at: PAddr) -> &mut Dcb {
        self.0.get_mut(&at).expect("a DCB at that address")
    }
}

const N: u64 = 12;

fn addr(i: u64) -> PAddr {
    0x10_0000 + i * 0x400
}

fn memory() -> Fake {
    Fake((0..N).map(|i| (addr(i), Dcb::new(i, 0x1000))).collect())
}

#[derive(Debug, Clone)]
enum Op {
    Push(u64),
    Pop,
    Remove(u64),
    List(u64),
    Unlist(u64),
    Sleep(u64, u64),
    Wake(u64),
    Expire(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..N).prop_map(Op::Push),
        Just(Op::Pop),
        (0..N).prop_map(Op::Remove),
        (0..N).prop_map(Op::List),
        (0..N).prop_map(Op::Unlist),
        (0..N, 0..50u64).prop_map(|(i, d)| Op::Sleep(i, d)),
        (0..N).prop_map(Op::Wake),
        (0..50u64).prop_map(Op::Expire),
    ]
}

fn run_queue_order(q: &RunQueue, mem: &mut Fake) -> Vec<PAddr> {
    let mut out = Vec::new();
    let mut at = q.head;
    while at != 0 {
        out.push(at);
        assert!(out.len() <= N as usize, "cycle in run queue");
        at = mem.dcb(at).run_next;
    }
    // The backward links agree.
    let mut back = Vec::new();
    let mut at = q.tail;
    while at != 0 {
        back.push(at);
        assert!(back.len() <= N as usize, "cycle in run queue (backwards)");
        at = mem.dcb(at).run_prev;
    }
    back.reverse();
    assert_eq!(out, back);
    out
}

fn wake_order(q: &WakeQueue, mem: &mut Fake) -> Vec<PAddr> {
    let mut out = Vec::new();
    let mut at = q.head;
    while at != 0 {
        out.push(at);
        assert!(out.len() <= N as usize, "cycle in wakeup queue");
        at = mem.dcb(at).wake_next;
    }
    out
}

fn list_order(l: &DispatcherList, mem: &mut Fake) -> Vec<PAddr> {
    let mut out = Vec::new();
    let mut at = l.next(mem, 0);
    while at != 0 {
        out.push(at);
        assert!(out.len() <= N as usize, "cycle in dispatcher list");
        at = l.next(mem, at);
    }
    out
}

proptest! {
    #[test]
    fn queues_match_models(ops in proptest::collection::vec(op(), 1..120)) {
        let mut mem = memory();
        let (mut run, mut list, mut wake) = (RunQueue::new(), DispatcherList::new(), WakeQueue::new());
        let mut run_model: VecDeque<PAddr> = VecDeque::new();
        let mut list_model: Vec<PAddr> = Vec::new();
        let mut wake_model: Vec<(u64, u64, PAddr)> = Vec::new(); // (deadline, insertion stamp, dcb)
        let mut stamp = 0;
        for op in ops {
            match op {
                Op::Push(i) => {
                    run.push_back(&mut mem, addr(i));
                    if !run_model.contains(&addr(i)) { run_model.push_back(addr(i)); }
                }
                Op::Pop => prop_assert_eq!(run.pop_front(&mut mem), run_model.pop_front()),
                Op::Remove(i) => {
                    run.remove(&mut mem, addr(i));
                    run_model.retain(|&a| a != addr(i));
                }
                Op::List(i) => {
                    list.insert(&mut mem, addr(i));
                    if !list_model.contains(&addr(i)) { list_model.insert(0, addr(i)); }
                }
                Op::Unlist(i) => {
                    list.remove(&mut mem, addr(i));
                    list_model.retain(|&a| a != addr(i));
                }
                Op::Sleep(i, d) => {
                    wake.insert(&mut mem, addr(i), d);
                    wake_model.retain(|e| e.2 != addr(i));
                    stamp += 1;
                    wake_model.push((d, stamp, addr(i)));
                    wake_model.sort();
                }
                Op::Wake(i) => {
                    wake.remove(&mut mem, addr(i));
                    wake_model.retain(|e| e.2 != addr(i));
                }
                Op::Expire(now) => {
                    let want = wake_model.first().filter(|e| e.0 <= now).map(|e| e.2);
                    prop_assert_eq!(wake.pop_expired(&mut mem, now), want);
                    if want.is_some() { wake_model.remove(0); }
                }
            }
            prop_assert_eq!(run_queue_order(&run, &mut mem), run_model.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(run.len, run_model.len() as u64);
            prop_assert_eq!(list_order(&list, &mut mem), list_model.clone());
            prop_assert_eq!(list.len, list_model.len() as u64);
            prop_assert_eq!(wake_order(&wake, &mut mem), wake_model.iter().map(|e| e.2).collect::<Vec<_>>());
            prop_assert_eq!(wake.next_deadline(&mut mem), wake_model.first().map(|e| e.0));
            prop_assert_eq!(wake.len, wake_model.len() as u64);
        }
    }
}
