//! The ring reads back what a writer put in it, oldest first, whatever the
//! wrapping, and leaves out what the writer reached while it was copied;
//! any bytes read as a ring or the error that names why not; timeline lines
//! parse back to themselves.

use ktrace::ring::{self, HEADER_BYTES, RingError, header_for, slot_offset};
use ktrace::text::{Line, Summary, lines};
use ktrace::{Event, Kind};
use proptest::prelude::*;
use zerocopy::IntoBytes;

fn event() -> impl Strategy<Value = Event> {
    let t = 0u64..1 << 40;
    prop_oneof![
        (
            t.clone(),
            0u64..100_000,
            0u32..8,
            prop::option::of(1u8..22),
            0u64..30
        )
            .prop_map(|(start, d, number, cap_type, error)| Event::Syscall {
                start,
                end: start + d,
                number,
                cap_type,
                error
            }),
        (t.clone(), 0u64..100_000, 0u32..256).prop_map(|(start, d, vector)| Event::Interrupt {
            start,
            end: start + d,
            vector
        }),
        (t.clone(), 0u32..64, 0u64..256).prop_map(|(at, target, vector)| Event::Ipi {
            at,
            target,
            vector
        }),
        (t.clone(), any::<u32>()).prop_map(|(at, dcb)| Event::Dispatch { at, dcb }),
        (t, any::<u64>()).prop_map(|(at, kcb)| Event::KcbSwitch { at, kcb }),
    ]
}

/// A ring of `capacity` records with `events` written in order.
fn write_ring(capacity: usize, events: &[Event]) -> Vec<u8> {
    let bytes = HEADER_BYTES + capacity * ring::RECORD_BYTES;
    let mut mem = vec![0u8; bytes];
    let mut header = header_for(bytes, 1_000_000_000);
    for (n, e) in events.iter().enumerate() {
        let at = slot_offset(n as u64, header.capacity);
        mem[at..at + ring::RECORD_BYTES].copy_from_slice(e.record().as_bytes());
        header.written = n as u64 + 1;
    }
    mem[..HEADER_BYTES].copy_from_slice(header.as_bytes());
    mem
}

proptest! {
    #[test]
    fn a_snapshot_is_the_newest_events_in_order(
        capacity in 1usize..40, events in prop::collection::vec(event(), 0..120),
    ) {
        let mem = write_ring(capacity, &events);
        let written = events.len() as u64;
        let (header, lost, got) = ring::snapshot(&mem, written).expect("a ring");
        prop_assert_eq!(header.written, written);
        // Full: the oldest slot is left out (the next record goes there).
        let kept = if events.len() >= capacity { capacity - 1 } else { events.len() };
        prop_assert_eq!(lost, (events.len() - kept) as u64);
        prop_assert_eq!(&got[..], &events[events.len() - kept..]);
    }

    #[test]
    fn records_the_writer_reached_during_the_copy_are_left_out(
        capacity in 2usize..40, events in prop::collection::vec(event(), 1..120), more in 0u64..80,
        garbage in any::<u8>(),
    ) {
        // The copy began with `written` records in the ring; while it went
        // on, the writer wrote records `written..=after` (the last one
        // perhaps half) into their slots, so those slots hold anything.
        let mut mem = write_ring(capacity, &events);
        let written = events.len() as u64;
        let after = written + more;
        let cap = capacity as u64;
        let touched: Vec<u64> = (written..=after).map(|m| m % cap).collect();
        for &slot in &touched {
            let at = slot_offset(slot, cap);
            mem[at..at + ring::RECORD_BYTES].fill(garbage);
        }
        // What each untouched slot held when the copy began: the newest
        // record written to it.
        let mut kept: Vec<u64> = (0..cap)
            .filter(|slot| !touched.contains(slot))
            .filter_map(|slot| (0..written).rev().find(|n| n % cap == slot))
            .collect();
        kept.sort_unstable();
        let want: Vec<Event> = kept.iter().map(|&n| events[n as usize]).collect();
        let (_, lost, got) = ring::snapshot(&mem, after).expect("a ring");
        prop_assert_eq!(got, want);
        prop_assert_eq!(lost, kept.first().copied().unwrap_or(written));
    }

    #[test]
    fn any_bytes_are_a_ring_or_the_error_that_names_why_not(
        magic in prop::bool::weighted(0.8),
        capacity in 0u64..30,
        written in prop_oneof![0u64..100, any::<u64>()],
        len in 0usize..1200,
        fill in any::<u8>(),
        after in prop_oneof![0u64..200, any::<u64>()],
    ) {
        let mut bytes = vec![fill; len];
        let mut header = header_for(0, 1);
        header.magic = if magic { ktrace::MAGIC } else { u64::from(fill) };
        header.capacity = capacity;
        header.written = written;
        let head = header.as_bytes();
        let n = head.len().min(len);
        bytes[..n].copy_from_slice(&head[..n]);
        let slots = (len.saturating_sub(HEADER_BYTES) / ring::RECORD_BYTES) as u64;
        match ring::snapshot(&bytes, after) {
            Err(RingError::Short) => prop_assert!(len < HEADER_BYTES),
            Err(RingError::BadMagic) => prop_assert!(len >= HEADER_BYTES && !magic),
            Err(RingError::BadCapacity) => {
                prop_assert!(len >= HEADER_BYTES && magic && (capacity == 0 || capacity > slots));
            }
            Ok((read, lost, events)) => {
                prop_assert!(len >= HEADER_BYTES && magic && capacity >= 1 && capacity <= slots);
                prop_assert_eq!(read, header);
                // Never more than the ring holds, and never an event from
                // beyond what was written.
                prop_assert!(lost <= written);
                prop_assert!(events.len() as u64 <= (written - lost).min(capacity - 1));
            }
        }
    }

    #[test]
    fn lines_parse_back(core in 0u32..64, events in prop::collection::vec(event(), 1..40),
        prefix in "(corectrl: |\\[ *[0-9.]+ c[0-9]\\] )?") {
        for line in lines(core, &events, 2_000_000_000) {
            let back = Line::parse(&format!("{prefix}{line}"));
            prop_assert_eq!(back.as_ref(), Some(&line));
        }
        let summary = Summary::of(core, &events, 3, 2_000_000_000);
        let count = |f: fn(&Event) -> bool| events.iter().filter(|e| f(e)).count();
        prop_assert_eq!(summary.per_kind, [
            count(|e| matches!(e, Event::Syscall { .. })),
            count(|e| matches!(e, Event::Interrupt { .. })),
            count(|e| matches!(e, Event::Ipi { .. })),
            count(|e| matches!(e, Event::Dispatch { .. })),
            count(|e| matches!(e, Event::KcbSwitch { .. })),
        ]);
        prop_assert_eq!(summary.events, events.len());
        // The summary's lines are no timeline lines.
        for l in summary.to_string().lines() {
            prop_assert_eq!(Line::parse(l), None);
        }
    }
}

#[test]
fn bad_rings_are_named() {
    assert_eq!(ring::snapshot(&[0; 10], 0).err(), Some(RingError::Short));
    assert_eq!(
        ring::snapshot(&[0; 200], 0).err(),
        Some(RingError::BadMagic)
    );
    let mut mem = write_ring(4, &[]);
    mem[8] = 200; // capacity beyond the bytes
    assert_eq!(ring::snapshot(&mem, 0).err(), Some(RingError::BadCapacity));
}

#[test]
fn the_text_says_what_happened() {
    let events = [
        Event::Syscall {
            start: 1000,
            end: 2500,
            number: 0,
            cap_type: Some(12),
            error: 0,
        },
        Event::Syscall {
            start: 3000,
            end: 3200,
            number: 0,
            cap_type: Some(11),
            error: 14,
        },
        Event::Interrupt {
            start: 4000,
            end: 4300,
            vector: 0x30,
        },
        Event::Ipi {
            at: 5000,
            target: 3,
            vector: 0x31,
        },
        Event::Dispatch { at: 6000, dcb: 7 },
        Event::KcbSwitch {
            at: 7000,
            kcb: 0x19c000,
        },
    ];
    let text: Vec<String> = lines(2, &events, 1_000_000_000)
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(
        text[0],
        "trace 2 @0 us +1.500 us syscall INVOKE on EndPoint -> ok"
    );
    assert_eq!(
        text[1],
        "trace 2 @2.000 us +0.200 us syscall INVOKE on Dispatcher -> InsufficientRights"
    );
    assert_eq!(text[2], "trace 2 @3.000 us +0.300 us interrupt vector 0x30");
    assert_eq!(
        text[3],
        "trace 2 @4.000 us +0 us ipi to APIC 3, vector 0x31"
    );
    assert_eq!(text[4], "trace 2 @5.000 us +0 us dispatch dispatcher 7");
    assert_eq!(
        text[5],
        "trace 2 @6.000 us +0 us kcb-switch KCB at 0x19c000"
    );
    let summary = Summary::of(2, &events, 0, 1_000_000_000).to_string();
    assert!(summary.starts_with("trace 2 summary: 6 events over 6.000 us (0 earlier ones overwritten): 2 system calls, 1 interrupts, 1 IPIs sent, 1 dispatcher switches, 1 KCB switches; 2.000 us in the kernel (33.3%)"), "{summary}");
    assert!(summary.ends_with("trace 2 top system calls: INVOKE on Dispatcher 1x (0.200 us), INVOKE on EndPoint 1x (1.500 us)"), "{summary}");
    assert_eq!(Kind::from_code(9), None);
}

#[test]
fn a_dump_becomes_a_chrome_trace() {
    let dump = "\
corefish> corectrl trace 2 dump
trace 2 @0 us +1.500 us syscall INVOKE on EndPoint -> ok
trace 2 @4.000 us +0 us ipi to APIC 3, vector 0x31
trace 2 summary: 2 events over 4.000 us (0 earlier ones overwritten): ...
trace 2 top system calls: INVOKE on EndPoint 1x (1.500 us)";
    let lines: Vec<Line> = dump.lines().filter_map(Line::parse).collect();
    assert_eq!(lines.len(), 2);
    let json = ktrace::chrome::to_json(&lines);
    assert_eq!(
        json,
        "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n\
{\"name\":\"INVOKE on EndPoint -> ok\",\"cat\":\"syscall\",\"pid\":1,\"tid\":2,\"ts\":0.000,\"ph\":\"X\",\"dur\":1.500},\n\
{\"name\":\"to APIC 3, vector 0x31\",\"cat\":\"ipi\",\"pid\":1,\"tid\":2,\"ts\":4.000,\"ph\":\"i\",\"s\":\"t\"}\n]}\n"
    );
}
