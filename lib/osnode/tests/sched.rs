//! The scheduler's transitions (`osnode::sched`) on two OSNodes sharing a
//! core, driven at random against a model of plain queues: run queues in
//! FIFO order, sleepers woken in deadline order, notification waiters
//! woken and the others marked, the current dispatcher requeued, ended
//! ones gone from every queue, a stopped KCB taken over.

use std::collections::{HashMap, VecDeque};

use osnode::dcb::{Dcb, NOTIFIED, Resume, SYSTEM, WAITING};
use osnode::kcb::{KCB_STOPPED, Kcb};
use osnode::sched::{self, Objects};
use osnode::{DcbMemory, PAddr};
use proptest::prelude::*;

const NOTIFY: u64 = abi::dispatcher::NOTIFY_BIT;
/// Dispatchers, alternately of KCB 0 and KCB 1.
const N: usize = 8;

/// Dispatchers 0 (of KCB 0), 3 and 5 (of KCB 1) are system services.
fn system(i: usize) -> bool {
    matches!(i, 0 | 3 | 5)
}

/// Puts `i` first of its class: first of all if it is a system
/// dispatcher, right behind the system ones if not.
fn first_of_class(queue: &mut VecDeque<usize>, i: usize) {
    let at = if system(i) {
        0
    } else {
        queue.iter().take_while(|&&q| system(q)).count()
    };
    queue.insert(at, i);
}

/// Queues `i` as the kernel does: a system dispatcher behind the system
/// ones at the front, an ordinary one at the back.
fn enqueue(queue: &mut VecDeque<usize>, i: usize) {
    if system(i) {
        let at = queue.iter().take_while(|&&q| system(q)).count();
        queue.insert(at, i);
    } else {
        queue.push_back(i);
    }
}
const KCBS: [PAddr; 2] = [0x4000, 0x8000];

fn dcb_at(i: usize) -> PAddr {
    0x10_0000 + i as u64 * 0x400
}

fn owner(i: usize) -> usize {
    i % 2
}

/// The objects in hash maps; what WAITs returned, in order.
struct Fake {
    kcbs: HashMap<PAddr, Kcb>,
    dcbs: HashMap<PAddr, Dcb>,
    returned: Vec<(PAddr, Resume, bool)>,
}

impl DcbMemory for Fake {
    fn dcb(&mut self, at: PAddr) -> &mut Dcb {
        self.dcbs.get_mut(&at).expect("a DCB")
    }
}

impl Objects for Fake {
    fn kcb(&mut self, at: PAddr) -> &mut Kcb {
        self.kcbs.get_mut(&at).expect("a KCB")
    }
    fn set_wait_result(&mut self, dcb: PAddr, resume: Resume, timed_out: bool) {
        self.returned.push((dcb, resume, timed_out));
    }
}

/// The model of one KCB.
#[derive(Debug, Clone, Default)]
struct MKcb {
    queue: VecDeque<usize>,
    /// (deadline, order of insertion, dispatcher), kept sorted.
    sleepers: Vec<(u64, u64, usize)>,
    current: Option<usize>,
    stopped: bool,
}

#[derive(Debug, Clone, Default)]
struct Model {
    kcbs: [MKcb; 2],
    /// Waiting dispatchers: whether for notifications too, how they resume.
    waiting: HashMap<usize, (bool, Resume)>,
    notified: Vec<bool>,
    ended: Vec<bool>,
    returned: Vec<(PAddr, Resume, bool)>,
    inserted: u64,
}

impl Model {
    /// A notification for KCB `k`; whether anyone woke.
    fn notify(&mut self, k: usize) -> bool {
        // The dispatcher list is newest first.
        let listed: Vec<usize> = (0..N)
            .rev()
            .filter(|&i| owner(i) == k && !self.ended[i])
            .collect();
        let mut any = false;
        for i in listed {
            match self.waiting.get(&i) {
                Some(&(true, _)) => any |= self.wake(i, false),
                _ => self.notified[i] = true,
            }
        }
        any
    }

    fn wake(&mut self, i: usize, timed_out: bool) -> bool {
        let Some((_, resume)) = self.waiting.remove(&i) else {
            return false;
        };
        let k = &mut self.kcbs[owner(i)];
        k.sleepers.retain(|s| s.2 != i);
        enqueue(&mut k.queue, i);
        self.returned.push((dcb_at(i), resume, timed_out));
        true
    }
}

#[derive(Debug, Clone)]
enum Op {
    Pick(bool),
    Requeue(usize, u8),
    Yield(usize, u8),
    Block {
        kcb: usize,
        deadline: Option<u64>,
        notify: bool,
        resume: u8,
    },
    Tick(u64),
    Notify(usize),
    Message(usize),
    TakeNotification(usize),
    End(usize),
    StopAndTakeOver(usize),
    RunNext(usize, usize),
    RequeueFirst(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(Op::Pick),
        1 => (0..2usize, 0..3u8).prop_map(|(k, r)| Op::Requeue(k, r)),
        1 => (0..2usize, 0..3u8).prop_map(|(k, r)| Op::Yield(k, r)),
        3 => (0..2usize, prop::option::of(1..40u64), any::<bool>(), 0..3u8)
            .prop_map(|(kcb, deadline, notify, resume)| Op::Block { kcb, deadline, notify, resume }),
        1 => (0..50u64).prop_map(Op::Tick),
        1 => (0..2usize).prop_map(Op::Notify),
        1 => (0..N).prop_map(Op::Message),
        1 => (0..N).prop_map(Op::TakeNotification),
        1 => (0..N).prop_map(Op::End),
        1 => (0..2usize).prop_map(Op::StopAndTakeOver),
        2 => (0..2usize, 0..N).prop_map(|(k, i)| Op::RunNext(k, i)),
        1 => (0..2usize, 0..3u8).prop_map(|(k, r)| Op::RequeueFirst(k, r)),
    ]
}

fn resume(r: u8) -> Resume {
    Resume::from_raw(u32::from(r))
}

fn start() -> (Fake, Model) {
    let mut fake = Fake {
        kcbs: KCBS.iter().map(|&k| (k, Kcb::new(0, k))).collect(),
        dcbs: (0..N)
            .map(|i| (dcb_at(i), Dcb::new(i as u64, KCBS[owner(i)])))
            .collect(),
        returned: Vec::new(),
    };
    sched::join_ring(&mut fake, Some(KCBS[0]), KCBS[1]);
    let mut model = Model {
        notified: vec![false; N],
        ended: vec![false; N],
        ..Model::default()
    };
    for i in 0..N {
        if system(i) {
            fake.dcb(dcb_at(i)).flags |= SYSTEM;
        }
        sched::add_dispatcher(&mut fake, KCBS[owner(i)], dcb_at(i));
        sched::make_runnable(&mut fake, KCBS[owner(i)], dcb_at(i));
        enqueue(&mut model.kcbs[owner(i)].queue, i);
    }
    (fake, model)
}

fn step(fake: &mut Fake, model: &mut Model, op: &Op) {
    match *op {
        Op::Pick(second_first) => {
            if model.kcbs.iter().any(|k| k.current.is_some()) {
                return; // the kernel picks only when nothing runs
            }
            let ring = sched::ring(fake, Some(KCBS[usize::from(second_first)]));
            let order = if second_first { [1, 0] } else { [0, 1] };
            assert_eq!(ring.as_slice(), &[KCBS[order[0]], KCBS[order[1]]]);
            let want = order.into_iter().find_map(|k| {
                let i = model.kcbs[k].queue.pop_front()?;
                model.kcbs[k].current = Some(i);
                Some((KCBS[k], dcb_at(i)))
            });
            assert_eq!(sched::pick(fake, &ring), want);
        }
        Op::Requeue(k, r) => {
            if let Some(i) = model.kcbs[k].current.take() {
                sched::requeue(fake, KCBS[k], dcb_at(i), resume(r));
                enqueue(&mut model.kcbs[k].queue, i);
                assert_eq!(fake.dcb(dcb_at(i)).resume_mode(), resume(r));
            }
        }
        Op::Yield(k, r) => {
            if let Some(i) = model.kcbs[k].current.take() {
                sched::yield_back(fake, KCBS[k], dcb_at(i), resume(r));
                model.kcbs[k].queue.push_back(i);
                assert_eq!(fake.dcb(dcb_at(i)).resume_mode(), resume(r));
            }
        }
        Op::Block {
            kcb: k,
            deadline,
            notify,
            resume: r,
        } => {
            let Some(i) = model.kcbs[k].current.take() else {
                return;
            };
            fake.dcb(dcb_at(i)).wait_rings = if notify { NOTIFY | 1 } else { 1 };
            sched::block(fake, KCBS[k], dcb_at(i), deadline.unwrap_or(0), resume(r));
            model.waiting.insert(i, (notify, resume(r)));
            if let Some(d) = deadline {
                model.inserted += 1;
                let k = &mut model.kcbs[k];
                k.sleepers.push((d, model.inserted, i));
                k.sleepers.sort_unstable();
            }
        }
        Op::Tick(now) => {
            for (k, &kcb) in KCBS.iter().enumerate() {
                let due: Vec<usize> = model.kcbs[k]
                    .sleepers
                    .iter()
                    .filter(|s| s.0 <= now)
                    .map(|s| s.2)
                    .collect();
                let mut any = false;
                for i in due {
                    any |= model.wake(i, true);
                }
                assert_eq!(sched::wake_expired(fake, kcb, now), any);
            }
        }
        Op::Notify(k) => {
            let want = model.notify(k);
            assert_eq!(sched::notify(fake, KCBS[k]), want);
        }
        Op::Message(i) => {
            let want = model.wake(i, false);
            assert_eq!(sched::wake(fake, KCBS[owner(i)], dcb_at(i), false), want);
        }
        Op::TakeNotification(i) => {
            let want = std::mem::take(&mut model.notified[i]);
            assert_eq!(sched::take_notification(fake, dcb_at(i), NOTIFY), want);
        }
        Op::End(i) => {
            fake.dcb(dcb_at(i)).flags &= !WAITING;
            sched::remove_dispatcher(fake, KCBS[owner(i)], dcb_at(i));
            model.ended[i] = true;
            model.waiting.remove(&i);
            let k = &mut model.kcbs[owner(i)];
            k.queue.retain(|&q| q != i);
            k.sleepers.retain(|s| s.2 != i);
            if k.current == Some(i) {
                k.current = None;
            }
        }
        Op::RunNext(k, i) => {
            // Only a dispatcher queued on that KCB moves (first of its class).
            let queue = &mut model.kcbs[k].queue;
            let want = match queue.iter().position(|&q| q == i) {
                Some(at) => {
                    queue.remove(at);
                    first_of_class(queue, i);
                    true
                }
                None => false,
            };
            assert_eq!(sched::run_next(fake, KCBS[k], dcb_at(i)), want);
        }
        Op::RequeueFirst(k, r) => {
            if let Some(i) = model.kcbs[k].current.take() {
                sched::requeue_first(fake, KCBS[k], dcb_at(i), resume(r));
                first_of_class(&mut model.kcbs[k].queue, i);
                assert_eq!(fake.dcb(dcb_at(i)).resume_mode(), resume(r));
            }
        }
        Op::StopAndTakeOver(k) => {
            // A stop requeues the running dispatcher of the current KCB and
            // stops the ring; another core takes this KCB over.
            let ring = sched::ring(fake, Some(KCBS[0]));
            for (j, model_kcb) in model.kcbs.iter_mut().enumerate() {
                if let Some(i) = model_kcb.current.take() {
                    sched::requeue(fake, KCBS[j], dcb_at(i), Resume::Run);
                    enqueue(&mut model_kcb.queue, i);
                }
                model_kcb.stopped = true;
            }
            sched::stop(fake, &ring);
            check(fake, model);
            assert_eq!(sched::take_over(fake, KCBS[k], 3, 7), Ok(None));
            model.kcbs[k].stopped = false;
            model.notify(k);
            assert_eq!(
                (fake.kcb(KCBS[k]).last_core, fake.kcb(KCBS[k]).last_apic),
                (3, 7)
            );
            check(fake, model);
            // The other one is taken over on this core as well.
            let other = 1 - k;
            assert_eq!(sched::take_over(fake, KCBS[other], 3, 7), Ok(None));
            model.kcbs[other].stopped = false;
            model.notify(other);
        }
    }
}

fn queue_of(fake: &mut Fake, k: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = fake.kcb(KCBS[k]).run_queue.head;
    while at != 0 {
        out.push(((at - dcb_at(0)) / 0x400) as usize);
        assert!(out.len() <= N, "cycle");
        at = fake.dcb(at).run_next;
    }
    out
}

fn sleepers_of(fake: &mut Fake, k: usize) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    let mut at = fake.kcb(KCBS[k]).wakeups.head;
    while at != 0 {
        let d = fake.dcb(at);
        out.push((d.deadline_ns, ((at - dcb_at(0)) / 0x400) as usize));
        assert!(out.len() <= N, "cycle");
        at = d.wake_next;
    }
    out
}

fn check(fake: &mut Fake, model: &Model) {
    for (k, &kcb) in KCBS.iter().enumerate() {
        let m = &model.kcbs[k];
        assert_eq!(
            queue_of(fake, k),
            Vec::from(m.queue.clone()),
            "run queue of KCB {k}"
        );
        let sleepers: Vec<(u64, usize)> = m.sleepers.iter().map(|s| (s.0, s.2)).collect();
        assert_eq!(sleepers_of(fake, k), sleepers, "sleepers of KCB {k}");
        let current = fake.kcb(kcb).current;
        assert_eq!(current, m.current.map_or(0, dcb_at), "current of KCB {k}");
        assert_eq!(fake.kcb(kcb).flags & KCB_STOPPED != 0, m.stopped);
    }
    for i in 0..N {
        let d = fake.dcb(dcb_at(i));
        assert_eq!(
            d.flags & WAITING != 0,
            model.waiting.contains_key(&i),
            "dispatcher {i} waiting"
        );
        assert_eq!(
            d.flags & NOTIFIED != 0,
            model.notified[i],
            "dispatcher {i} notified"
        );
    }
    assert_eq!(fake.returned, model.returned);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scheduling_agrees_with_the_model(ops in prop::collection::vec(op(), 1..120)) {
        let (mut fake, mut model) = start();
        check(&mut fake, &model);
        for op in &ops {
            step(&mut fake, &mut model, op);
            check(&mut fake, &model);
        }
    }
}

#[test]
fn the_earliest_deadline_of_a_ring_counts() {
    let (mut fake, _) = start();
    let ring = sched::ring(&mut fake, Some(KCBS[0]));
    assert_eq!(sched::next_deadline(&mut fake, &ring), None);
    let (kcb, dcb) = sched::pick(&mut fake, &ring).expect("someone runs");
    sched::block(&mut fake, kcb, dcb, 30, Resume::Enabled);
    let (kcb, dcb) = sched::pick(&mut fake, &ring).expect("someone runs");
    sched::block(&mut fake, kcb, dcb, 20, Resume::Enabled);
    assert_eq!(sched::next_deadline(&mut fake, &ring), Some(20));
    assert_eq!(sched::next_deadline(&mut fake, &ring[1..]), None);
    sched::leave_ring(&mut fake, KCBS[1]);
    assert_eq!(sched::ring(&mut fake, Some(KCBS[0])).as_slice(), &[KCBS[0]]);
    assert_eq!(sched::ring(&mut fake, Some(KCBS[1])).as_slice(), &[KCBS[1]]);
}
