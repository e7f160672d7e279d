//! Every message of every protocol survives the trip through its words;
//! any words at all decode to an error or to the one message that encodes
//! to exactly those words (so no two encodings mean the same, and nothing
//! panics); and operations are distinct across protocols.

mod strategies;

use proptest::prelude::*;
use proto::ending::{Ending, Size, out_of_memory_code};
use proto::intermon::{self, Route};
use proto::kernel::ExitKind;
use proto::{SysError, hub, kernel, memserv, monitor, procmgr, serial};
use strategies::{INTERMON_REQUESTS, chunk, error, intermon_message, lmp_words, neighbours, word};

proptest! {
    #[test]
    fn lmp_messages_round_trip(
        bytes in any::<u64>(), limit in any::<u64>(), free in any::<u64>(), total in any::<u64>(),
        core in any::<u64>(), osnode in any::<u64>(), value in any::<u64>(),
        text in chunk::<24>(), err in error(), fail in any::<bool>(),
    ) {
        let m = memserv::Request::Alloc { bytes, limit };
        prop_assert_eq!(memserv::Request::from_words(m.to_words()), Ok(m));
        let r = memserv::Reply::Stats(if fail { Err(err) } else { Ok(memserv::Stats { free, total }) });
        prop_assert_eq!(memserv::Reply::from_words(r.to_words()), Ok(r));
        let listening = serial::Message::Listening(if fail { Err(err) } else { Ok(()) });
        for s in [serial::Message::Write(text), serial::Message::Input(text), serial::Message::Listen, listening] {
            prop_assert_eq!(serial::Message::from_words(s.to_words()), Ok(s));
        }
        for h in [
            hub::Request::Frame { core },
            hub::Request::Add { core, osnode, timeout_ms: value },
            hub::Request::Status { core, within_ms: value },
            hub::Request::Moved { osnode, core: (core != u64::MAX).then_some(core) },
            hub::Request::Kcb { osnode },
            hub::Request::Park { host: core, osnode },
            hub::Request::Unpark { host: core, osnode },
        ] {
            prop_assert_eq!(hub::Request::from_words(h.to_words()), Ok(h));
        }
        let failure = if fail { hub::HubError::NoAnswer } else { hub::HubError::Refused(err) };
        for h in [
            hub::Reply::Add(Ok(value)),
            hub::Reply::Add(Err(failure)),
            hub::Reply::Status(Ok(hub::Alive { rtt_ns: value, woken: core })),
            hub::Reply::Status(Err(failure)),
            hub::Reply::Park(Err(err)),
            hub::Reply::Unpark(Ok(())),
        ] {
            prop_assert_eq!(hub::Reply::from_words(h.to_words()), Ok(h));
        }
        for p in [
            monitor::Request::Text(text), monitor::Request::Cap, monitor::Request::Export,
            monitor::Request::Connect, monitor::Request::SendCap, monitor::Request::Revoke,
            monitor::Request::Spawn { core },
        ] {
            prop_assert_eq!(monitor::Request::from_words(p.to_words()), Ok(p));
        }
        let v = if fail { Err(err) } else { Ok(value) };
        let u = v.map(|_| ());
        for p in [
            monitor::Reply::Export(u), monitor::Reply::Connect(v), monitor::Reply::SendCap(u),
            monitor::Reply::Revoke(u), monitor::Reply::Spawn(v),
        ] {
            prop_assert_eq!(monitor::Reply::from_words(p.to_words()), Ok(p));
        }
        for d in [monitor::Delivery::Bound { binding: value }, monitor::Delivery::CapArrived] {
            prop_assert_eq!(monitor::Delivery::from_words(d.to_words()), Ok(d));
        }
        let kind = if fail { ExitKind::Faulted } else { ExitKind::Exited };
        let e = kernel::Exit { kind, id: value, code: core };
        prop_assert_eq!(kernel::Exit::from_words(e.to_words()), Ok(e));
        let i = kernel::Interrupt { vector: value as u8 };
        prop_assert_eq!(kernel::Interrupt::from_words(i.to_words()), Ok(i));
    }


    #[test]
    fn monitor_messages_round_trip(m in intermon_message()) {
        prop_assert_eq!(intermon::Message::from_payload(m.to_payload()), Ok(m));
    }

    /// Any words, random or near a message's: an error, or the message
    /// that encodes to exactly them.
    #[test]
    fn any_words_decode_canonically(random in prop::array::uniform4(word()), valid in lmp_words()) {
        for w in neighbours(valid).chain([random, valid]) {
            canonical(w)?;
        }
    }

    #[test]
    fn any_payload_decodes_canonically(
        random in prop::array::uniform7(word()),
        valid in intermon_message(),
    ) {
        for p in neighbours(valid.to_payload()).chain([random]) {
            if let Ok(m) = intermon::Message::from_payload(p) {
                prop_assert_eq!(m.to_payload(), p);
            }
        }
    }
}

/// Checks that `w` decodes, under every protocol, to an error or to the
/// message that encodes to exactly `w`.
fn canonical(w: [u64; 4]) -> Result<(), TestCaseError> {
    {
        fn check<M>(
            w: [u64; 4],
            decode: fn([u64; 4]) -> Result<M, proto::ProtoError>,
            encode: fn(&M) -> [u64; 4],
        ) -> Result<(), TestCaseError> {
            if let Ok(m) = decode(w) {
                prop_assert_eq!(encode(&m), w);
            }
            Ok(())
        }
        check(w, procmgr::Request::from_words, procmgr::Request::to_words)?;
        check(w, procmgr::Reply::from_words, procmgr::Reply::to_words)?;
        check(w, memserv::Request::from_words, memserv::Request::to_words)?;
        check(w, memserv::Reply::from_words, memserv::Reply::to_words)?;
        check(w, serial::Message::from_words, serial::Message::to_words)?;
        check(w, hub::Request::from_words, hub::Request::to_words)?;
        check(w, hub::Reply::from_words, hub::Reply::to_words)?;
        check(w, monitor::Request::from_words, monitor::Request::to_words)?;
        check(w, monitor::Reply::from_words, monitor::Reply::to_words)?;
        check(
            w,
            monitor::Delivery::from_words,
            monitor::Delivery::to_words,
        )?;
        check(w, kernel::Exit::from_words, kernel::Exit::to_words)?;
        check(
            w,
            kernel::Interrupt::from_words,
            kernel::Interrupt::to_words,
        )?;
    }
    Ok(())
}

#[test]
fn operations_are_distinct_across_protocols() {
    let ops: Vec<u64> = proto::LMP_OPERATIONS
        .into_iter()
        .chain(intermon::OPERATIONS)
        .collect();
    // Every request between monitors is among them.
    assert!(INTERMON_REQUESTS.iter().all(|op| ops.contains(op)));
    let mut seen = std::collections::BTreeSet::new();
    for op in ops {
        assert!(op <= 0xffff, "{op:#x} does not fit a header");
        assert!(seen.insert(op), "{op:#x} is used twice");
    }
}

#[test]
fn wrong_fields_are_errors_not_panics() {
    assert_eq!(
        serial::Message::from_words([serial::WRITE | 25 << 32, 0, 0, 0]),
        Err(proto::ProtoError::Malformed(serial::WRITE))
    );
    assert_eq!(
        memserv::Reply::from_words([memserv::ALLOC | proto::REPLY_BIT, 999, 0, 0]),
        Err(proto::ProtoError::Malformed(memserv::ALLOC))
    );
    assert!(hub::Request::from_words([0xdead, 0, 0, 0]).is_err_and(|e| e.is_unknown()));
    assert_eq!(
        kernel::Exit::from_words([kernel::EXIT, 7, 0, 0]),
        Err(proto::ProtoError::Malformed(kernel::EXIT))
    );
}

#[test]
fn the_messages_left_out_above_round_trip_too() {
    for r in [
        procmgr::Request::Connect,
        procmgr::Request::Command { len: 17 },
        procmgr::Request::Ready,
        procmgr::Request::More,
    ] {
        assert_eq!(procmgr::Request::from_words(r.to_words()), Ok(r));
    }
    let answer = |failed| procmgr::Answer {
        failed,
        len: 5,
        rest: 70_000,
        child: 9,
    };
    for r in [
        procmgr::Reply::Command(Ok(answer(false))),
        procmgr::Reply::Command(Ok(answer(true))),
        procmgr::Reply::Command(Err(SysError::DispatcherNotReady)),
        procmgr::Reply::Ready(Ok(())),
    ] {
        assert_eq!(procmgr::Reply::from_words(r.to_words()), Ok(r));
    }
    assert_eq!(
        memserv::Request::from_words(memserv::Request::Stats.to_words()),
        Ok(memserv::Request::Stats)
    );
    for r in [
        memserv::Reply::Alloc(Ok(())),
        memserv::Reply::Alloc(Err(SysError::OutOfBounds)),
    ] {
        assert_eq!(memserv::Reply::from_words(r.to_words()), Ok(r));
    }
}

/// A server's refusal of a request it cannot serve reads, in the client's
/// decoder, as that error answering that request.
#[test]
fn refusals_read_as_errors_in_the_client() {
    let e = SysError::InvalidOperation;
    let refusal = |op| proto::refusal(op, e);
    assert_eq!(
        procmgr::Reply::from_words(refusal(procmgr::COMMAND)),
        Ok(procmgr::Reply::Command(Err(e)))
    );
    assert_eq!(
        procmgr::Reply::from_words(refusal(procmgr::READY)),
        Ok(procmgr::Reply::Ready(Err(e)))
    );
    assert_eq!(
        memserv::Reply::from_words(refusal(memserv::ALLOC)),
        Ok(memserv::Reply::Alloc(Err(e)))
    );
    assert_eq!(
        memserv::Reply::from_words(refusal(memserv::RELEASE)),
        Ok(memserv::Reply::Release(Err(e)))
    );
    assert_eq!(
        memserv::Reply::from_words(refusal(memserv::STATS)),
        Ok(memserv::Reply::Stats(Err(e)))
    );
    for (op, want) in [
        (monitor::EXPORT, monitor::Reply::Export(Err(e))),
        (monitor::CONNECT, monitor::Reply::Connect(Err(e))),
        (monitor::SEND_CAP, monitor::Reply::SendCap(Err(e))),
        (monitor::REVOKE, monitor::Reply::Revoke(Err(e))),
        (monitor::SPAWN, monitor::Reply::Spawn(Err(e))),
        (monitor::STATUS, monitor::Reply::Status(Err(e))),
    ] {
        assert_eq!(monitor::Reply::from_words(refusal(op)), Ok(want));
    }
    let hub_refused = hub::HubError::Refused(e);
    for (op, want) in [
        (hub::ADD, hub::Reply::Add(Err(hub_refused))),
        (hub::STATUS, hub::Reply::Status(Err(hub_refused))),
        (hub::PARK, hub::Reply::Park(Err(e))),
        (hub::UNPARK, hub::Reply::Unpark(Err(e))),
    ] {
        assert_eq!(hub::Reply::from_words(refusal(op)), Ok(want));
    }
    // The header's unused bits (a text length) do not reach the reply.
    assert_eq!(
        memserv::Reply::from_words(proto::refusal(memserv::ALLOC | 3 << 32, e)),
        Ok(memserv::Reply::Alloc(Err(e)))
    );
}

/// Every request operation between monitors has a refusal, which the
/// envelope of its payload lets a monitor address without decoding it.
#[test]
fn monitor_requests_can_be_refused() {
    for op in INTERMON_REQUESTS {
        let refusal = intermon::Reply::refusal(op, SysError::BadArgument).expect("a refusal");
        assert_eq!(refusal.op(), op);
    }
    assert_eq!(
        intermon::Reply::refusal(intermon::TEXT, SysError::BadArgument),
        None
    );
    let m = intermon::Message::Request {
        route: Route { src: 3, dst: 0 },
        req: 7,
        request: intermon::Request::Ping,
    };
    let p = intermon::Message::stamped(m.to_payload(), 5);
    let (header, route, req) = intermon::Message::envelope(&p).expect("routed");
    assert_eq!(
        (header.op, route.src, route.dst, req),
        (intermon::PING, 5, 0, 7)
    );
    let hello = intermon::Message::Hello {
        core: 1,
        osnode: 1,
        tsc: 9,
    };
    assert_eq!(intermon::Message::envelope(&hello.to_payload()), None);
}

/// Every badge comes back from its word, and a word either is a badge
/// that writes back to it or is none.
#[test]
fn badges_round_trip() {
    use proto::badge::{Badge, MAX_ID};
    for id in [0, 1, 7, MAX_ID] {
        for badge in [
            Badge::Program(id),
            Badge::Shell(id),
            Badge::Hosted(id),
            Badge::Exit(id),
        ] {
            let word = badge.to_word().expect("an id a badge carries");
            assert_eq!(Badge::from_word(word), Some(badge));
        }
        assert_eq!(Badge::Program(MAX_ID + 1).to_word(), None);
    }
    for badge in [Badge::Unbadged, Badge::BootDriver] {
        assert_eq!(
            Badge::from_word(badge.to_word().expect("a word")),
            Some(badge)
        );
    }
    assert!(Badge::Shell(3).is_program() && !Badge::Exit(3).is_program());
    assert!(!Badge::BootDriver.is_program() && !Badge::Unbadged.is_program());
}

proptest! {
    #[test]
    fn badge_words_are_canonical(word in any::<u64>()) {
        if let Some(badge) = proto::badge::Badge::from_word(word) {
            prop_assert_eq!(badge.to_word(), Some(word));
        }
    }
}

#[test]
fn endings_read_as_people_say_them() {
    let ended = |kind, code| Ending { kind, code }.to_string();
    assert_eq!(ended(ExitKind::Exited, 0), "exited with code 0");
    assert_eq!(ended(ExitKind::Exited, 101), "panicked (exit code 101)");
    assert_eq!(ended(ExitKind::Faulted, 14), "was killed by exception 14");
    assert_eq!(
        ended(ExitKind::Exited, out_of_memory_code(2_400_000)),
        "ran out of memory (2.4 MB)"
    );
    // A size too large for the code is capped, never taken for another end.
    let huge = Ending {
        kind: ExitKind::Exited,
        code: out_of_memory_code(u64::MAX),
    };
    assert_eq!(huge.out_of_memory(), Some((1 << 48) - 1));
    // A fault with the same code is a fault.
    let fault = Ending {
        kind: ExitKind::Faulted,
        code: out_of_memory_code(5),
    };
    assert_eq!(fault.out_of_memory(), None);
    assert_eq!(Size(512).to_string(), "512 bytes");
    assert_eq!(Size(4096).to_string(), "4 KB");
    assert_eq!(Size(12_345_678).to_string(), "12.3 MB");
}
