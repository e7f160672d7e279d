//! The generators of the protocol tests: any message of any protocol, as
//! values and as words, and words near the protocols' operations.

use proptest::prelude::*;
use proto::ending::Ending;
use proto::intermon::{self, CapDesc, Found, Granted, Pong, Route};
use proto::kernel::ExitKind;
use proto::text::Chunk;
use proto::{SysError, hub, kernel, memserv, monitor, procmgr, serial};

/// The request operations between monitors.
pub const INTERMON_REQUESTS: [u64; 13] = [
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

pub fn error() -> impl Strategy<Value = SysError> {
    prop::sample::select(SysError::ALL.to_vec())
}

pub fn result<T: std::fmt::Debug + Clone>(
    ok: impl Strategy<Value = T>,
) -> impl Strategy<Value = Result<T, SysError>> {
    prop_oneof![ok.prop_map(Ok), error().prop_map(Err)]
}

pub fn chunk<const N: usize>() -> impl Strategy<Value = Chunk<N>> {
    prop::collection::vec(any::<u8>(), 0..=N).prop_map(|b| Chunk::new(&b).expect("fits"))
}

pub fn cap_desc() -> impl Strategy<Value = CapDesc> {
    (any::<u8>(), any::<u8>(), any::<u64>(), any::<u64>()).prop_map(|(ty, rights, base, size)| {
        CapDesc {
            ty,
            rights,
            base,
            size,
        }
    })
}

pub fn ending() -> impl Strategy<Value = Ending> {
    (any::<bool>(), any::<u64>()).prop_map(|(faulted, code)| Ending {
        kind: if faulted {
            ExitKind::Faulted
        } else {
            ExitKind::Exited
        },
        code,
    })
}

pub fn intermon_request() -> impl Strategy<Value = intermon::Request> {
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

pub fn intermon_reply() -> impl Strategy<Value = intermon::Reply> {
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

pub fn route() -> impl Strategy<Value = Route> {
    (0u64..1 << 32, 0u64..1 << 32).prop_map(|(src, dst)| Route { src, dst })
}

pub fn intermon_message() -> impl Strategy<Value = intermon::Message> {
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
pub fn lmp_words() -> impl Strategy<Value = [u64; 4]> {
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
            (n(), n()).prop_map(|(core, within_ms)| hub::Request::Status { core, within_ms }),
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
pub fn neighbours<const N: usize>(words: [u64; N]) -> impl Iterator<Item = [u64; N]> {
    (0..N).flat_map(move |i| {
        let flips = (0..64).map(move |bit| words[i] ^ (1 << bit));
        [0, u64::MAX].into_iter().chain(flips).map(move |value| {
            let mut w = words;
            w[i] = value;
            w
        })
    })
}

/// Words that hit the protocols' operations and small values often.
pub fn word() -> impl Strategy<Value = u64> {
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
