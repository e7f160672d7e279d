//! Every message of every protocol survives the trip through its words;
//! any words at all decode to an error or to the one message that encodes
//! to exactly those words (so no two encodings mean the same, and nothing
//! panics); and operations are distinct across protocols.

use proptest::prelude::*;
use proto::ending::{Ending, Size, out_of_memory_code};
use proto::intermon::{self, CapDesc, Found, Granted, Pong, Route};
use proto::kernel::ExitKind;
use proto::text::Chunk;
use proto::{SysError, hub, kernel, memserv, monitor, procmgr, serial};

/// The request operations between monitors.
const INTERMON_REQUESTS: [u64; 13] = [
    intermon::PING,
    intermon::REGISTER,
    intermon::UNREGISTER,
    intermon::LOOKUP,
    intermon::BIND,
    intermon::DELIVER,
    intermon::UNIMPORT,
    intermon::SPAWN,
    intermon::ATTACH,
    intermon::DETACH,
    intermon::GRANT,
    intermon::RETURN,
    intermon::STATUS,
];

fn error() -> impl Strategy<Value = SysError> {
    prop::sample::select(SysError::ALL.to_vec())
}

fn result<T: std::fmt::Debug + Clone>(
    ok: impl Strategy<Value = T>,
) -> impl Strategy<Value = Result<T, SysError>> {
    prop_oneof![ok.prop_map(Ok), error().prop_map(Err)]
}

fn chunk<const N: usize>() -> impl Strategy<Value = Chunk<N>> {
    prop::collection::vec(any::<u8>(), 0..=N).prop_map(|b| Chunk::new(&b).expect("fits"))
}

fn cap_desc() -> impl Strategy<Value = CapDesc> {
    (any::<u8>(), any::<u8>(), any::<u64>(), any::<u64>()).prop_map(|(ty, rights, base, size)| {
        CapDesc {
            ty,
            rights,
            base,
            size,
        }
    })
}

fn ending() -> impl Strategy<Value = Ending> {
    (any::<bool>(), any::<u64>()).prop_map(|(faulted, code)| Ending {
        kind: if faulted {
            ExitKind::Faulted
        } else {
            ExitKind::Exited
        },
        code,
    })
}

fn intermon_request() -> impl Strategy<Value = intermon::Request> {
    use intermon::Request as R;
    prop_oneof![
        chunk::<32>().prop_map(R::Text),
        Just(R::Ping),
        any::<u64>().prop_map(|handle| R::Register { handle }),
        Just(R::Lookup),
        any::<u64>().prop_map(|handle| R::Unregister { handle }),
        (any::<u64>(), cap_desc()).prop_map(|(handle, frame)| R::Bind { handle, frame }),
        (any::<u64>(), cap_desc()).prop_map(|(handle, cap)| R::Deliver { handle, cap }),
        cap_desc().prop_map(|cap| R::Unimport { cap }),
        Just(R::Spawn),
        (any::<u64>(), cap_desc()).prop_map(|(osnode, kcb)| R::Attach { osnode, kcb }),
        any::<u64>().prop_map(|osnode| R::Detach { osnode }),
        any::<u64>().prop_map(|bytes| R::Grant { bytes }),
        any::<u64>().prop_map(|id| R::Status { id }),
        (any::<u64>(), any::<u64>()).prop_map(|(base, size)| R::Return { base, size }),
    ]
}

fn intermon_reply() -> impl Strategy<Value = intermon::Reply> {
    use intermon::Reply as R;
    let unit = || result(Just(()));
    prop_oneof![
        result((any::<u64>(), any::<u64>()).prop_map(|(tsc, woken)| Pong { tsc, woken }))
            .prop_map(R::Ping),
        unit().prop_map(R::Register),
        unit().prop_map(R::Unregister),
        result((any::<u64>(), any::<u64>()).prop_map(|(osnode, handle)| Found { osnode, handle }))
            .prop_map(R::Lookup),
        result(any::<u64>()).prop_map(R::Bind),
        unit().prop_map(R::Deliver),
        unit().prop_map(R::Unimport),
        result(any::<u64>()).prop_map(R::Spawn),
        unit().prop_map(R::Attach),
        unit().prop_map(R::Detach),
        result(
            (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(base, size, quota)| Granted {
                base,
                size,
                quota
            })
        )
        .prop_map(R::Grant),
        unit().prop_map(R::Return),
        result(prop::option::of(ending())).prop_map(R::Status),
    ]
}

fn route() -> impl Strategy<Value = Route> {
    (0u64..1 << 32, 0u64..1 << 32).prop_map(|(src, dst)| Route { src, dst })
}

fn intermon_message() -> impl Strategy<Value = intermon::Message> {
    use intermon::Message as M;
    prop_oneof![
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(core, osnode, tsc)| M::Hello {
            core,
            osnode,
            tsc
        }),
        (route(), any::<u64>(), intermon_request()).prop_map(|(route, req, request)| M::Request {
            route,
            req,
            request
        }),
        (route(), any::<u64>(), intermon_reply()).prop_map(|(route, req, reply)| M::Reply {
            route,
            req,
            reply
        }),
    ]
}

/// The words of any message of an LMP protocol.
fn lmp_words() -> impl Strategy<Value = [u64; 4]> {
    let n = any::<u64>;
    let unit = || result(Just(()));
    prop_oneof![
        prop_oneof![
            Just(procmgr::Request::Connect),
            n().prop_map(|len| procmgr::Request::Command { len }),
            Just(procmgr::Request::Ready),
            Just(procmgr::Request::More),
        ]
        .prop_map(|r| r.to_words()),
        prop_oneof![
            result((any::<bool>(), any::<u32>(), any::<u32>(), n()).prop_map(
                |(failed, len, rest, child)| procmgr::Answer {
                    failed,
                    len,
                    rest,
                    child
                }
            ))
            .prop_map(procmgr::Reply::Command),
            unit().prop_map(procmgr::Reply::Ready),
        ]
        .prop_map(|r| r.to_words()),
        prop_oneof![
            (n(), n()).prop_map(|(bytes, limit)| memserv::Request::Alloc { bytes, limit }),
            Just(memserv::Request::Stats),
            Just(memserv::Request::Free),
            n().prop_map(|client| memserv::Request::Release { client }),
            (n(), n()).prop_map(|(client, bytes)| memserv::Request::Quota { client, bytes }),
            n().prop_map(|client| memserv::Request::Admit { client }),
        ]
        .prop_map(|r| r.to_words()),
        prop_oneof![
            unit().prop_map(memserv::Reply::Alloc),
            result((n(), n()).prop_map(|(free, total)| memserv::Stats { free, total }))
                .prop_map(memserv::Reply::Stats),
            unit().prop_map(memserv::Reply::Free),
            result(n()).prop_map(memserv::Reply::Release),
            unit().prop_map(memserv::Reply::Quota),
            unit().prop_map(memserv::Reply::Admit),
        ]
        .prop_map(|r| r.to_words()),
        prop_oneof![
            chunk::<24>().prop_map(serial::Message::Write),
            chunk::<24>().prop_map(serial::Message::Input),
            Just(serial::Message::Listen),
            unit().prop_map(serial::Message::Listening),
        ]
        .prop_map(|m| m.to_words()),
        prop_oneof![
            chunk::<24>().prop_map(monitor::Request::Text),
            Just(monitor::Request::Export),
            n().prop_map(|core| monitor::Request::Spawn { core }),
            n().prop_map(|badge| monitor::Request::Ended { badge }),
            (n(), n()).prop_map(|(core, id)| monitor::Request::Status { core, id }),
        ]
        .prop_map(|m| m.to_words()),
        prop_oneof![
            result(n()).prop_map(monitor::Reply::Connect),
            unit().prop_map(monitor::Reply::Revoke),
            n().prop_map(|binding| monitor::Reply::Spawn(Ok(binding))),
            result(prop::option::of(ending())).prop_map(monitor::Reply::Status),
        ]
        .prop_map(|m| m.to_words()),
        prop_oneof![
            n().prop_map(|core| hub::Request::Status { core }),
            (n(), n()).prop_map(|(osnode, core)| hub::Request::Moved {
                osnode,
                core: Some(core >> 1)
            }),
            (n(), n()).prop_map(|(host, osnode)| hub::Request::Unpark { host, osnode }),
        ]
        .prop_map(|m| m.to_words()),
        prop_oneof![
            n().prop_map(|tsc| hub::Reply::Add(Ok(tsc))),
            Just(hub::Reply::Status(Err(hub::HubError::NoAnswer))),
            unit().prop_map(hub::Reply::Park),
        ]
        .prop_map(|m| m.to_words()),
        (n(), n()).prop_map(|(id, code)| kernel::Exit {
            kind: ExitKind::Faulted,
            id,
            code
        }
        .to_words()),
        any::<u8>().prop_map(|vector| kernel::Interrupt { vector }.to_words()),
    ]
}

/// Every word list near `words`: each word in turn zeroed, all ones, or
/// with one of its bits flipped.
fn neighbours<const N: usize>(words: [u64; N]) -> impl Iterator<Item = [u64; N]> {
    (0..N).flat_map(move |i| {
        let flips = (0..64).map(move |bit| words[i] ^ (1 << bit));
        [0, u64::MAX].into_iter().chain(flips).map(move |value| {
            let mut w = words;
            w[i] = value;
            w
        })
    })
}

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
            hub::Request::Status { core },
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

/// Words that hit the protocols' operations and small values often.
fn word() -> impl Strategy<Value = u64> {
    let ops: Vec<u64> = proto::LMP_OPERATIONS
        .into_iter()
        .chain(intermon::OPERATIONS)
        .collect();
    prop_oneof![
        prop::sample::select(ops.to_vec()),
        prop::sample::select(ops.to_vec()).prop_map(|op| op | proto::REPLY_BIT),
        (prop::sample::select(ops.to_vec()), 0u64..40).prop_map(|(op, len)| op | len << 32),
        0u64..30,
        Just(u64::MAX),
        any::<u64>(),
    ]
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
