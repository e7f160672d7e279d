//! The report lines read back what they say (to the microsecond), from
//! lines with or without a prefix, and refuse lines of another shape.

use bootctl::recovery::{NotRecovered, Recovered, RolledBack};
use bootctl::report::{Booted, BootedAll, Parked, Phases, Stopped, Unparked, Updated};
use proptest::prelude::*;

/// Nanoseconds as a report prints them (to the microsecond).
fn us(ns: u64) -> u64 {
    bootctl::template::shown_ns(ns)
}

fn kernel() -> impl Strategy<Value = String> {
    "cpudriver(-v2|-kcb1)? 0\\.1\\.0(-v2|-kcb1)?"
}

proptest! {
    #[test]
    fn boot_reports_round_trip(
        core in 0u32..128, kcb in 0u64..256, fresh: bool, kernel in kernel(),
        t in prop::array::uniform5(0u64..1 << 40), prefix in "(corectrl: )?",
    ) {
        let report = Booted {
            core, kernel, kcb, fresh,
            phases: Phases { load_ns: t[0], start_ns: t[1], kernel_ns: t[2], monitor_ns: t[3], total_ns: t[4] },
        };
        let back = Booted::parse(&format!("{prefix}{report}")).expect("parses");
        let p = report.phases;
        prop_assert_eq!(back, Booted {
            phases: Phases {
                load_ns: us(p.load_ns), start_ns: us(p.start_ns), kernel_ns: us(p.kernel_ns),
                monitor_ns: us(p.monitor_ns), total_ns: us(p.total_ns),
            },
            ..report
        });
    }

    #[test]
    fn stop_update_park_unpark_reports_round_trip(
        core in 0u32..128, other in 0u32..128, kcb in 0u64..256, n in 2u32..64,
        kernel in kernel(), t in prop::array::uniform3(0u64..1 << 40), idle in any::<bool>(),
    ) {
        let in_kernel_ns = (!idle).then_some(t[2]);
        let stop = Stopped {
            core, kcb, halted_ns: t[0], in_kernel_ns, seen_ns: t[1], cores_involved: n,
        };
        prop_assert_eq!(
            Stopped::parse(&stop.to_string()),
            Some(Stopped {
                halted_ns: us(t[0]), in_kernel_ns: in_kernel_ns.map(us), seen_ns: us(t[1]), ..stop
            })
        );
        let update = Updated { core, kernel: kernel.clone(), kcb, paused_ns: t[0], stop_ns: t[1], boot_ns: t[2] };
        prop_assert_eq!(
            Updated::parse(&update.to_string()),
            Some(Updated { paused_ns: us(t[0]), stop_ns: us(t[1]), boot_ns: us(t[2]), ..update })
        );
        let park = Parked { core, host: other, kcb, stop_ns: t[0], attach_ns: t[1] };
        prop_assert_eq!(
            Parked::parse(&park.to_string()),
            Some(Parked { stop_ns: us(t[0]), attach_ns: us(t[1]), ..park })
        );
        let all = BootedAll { booted: n - 1, tried: n, total_ns: t[1] };
        prop_assert_eq!(
            BootedAll::parse(&format!("corectrl: {all}")),
            Some(BootedAll { total_ns: us(t[1]), ..all })
        );
        let unpark = Unparked { kcb, core, kernel, boot_ns: t[2] };
        prop_assert_eq!(
            Unparked::parse(&unpark.to_string()),
            Some(Unparked { boot_ns: us(t[2]), ..unpark })
        );
    }
}

proptest! {
    #[test]
    fn rollback_reports_round_trip(
        core in 0u32..128, kcb in 0u64..256, t in 0u64..1 << 40,
        why in "[a-z0-9 ()x,]{1,60}", prefix in "(corectrl: )?",
    ) {
        let report = RolledBack {
            core, kcb, image: "cpudriver-faulty".into(), why,
            previous: "cpudriver".into(), rollback_ns: t,
        };
        let back = RolledBack::parse(&format!("{prefix}{report}"));
        prop_assert_eq!(back, Some(RolledBack { rollback_ns: us(t), ..report }));
    }

    #[test]
    fn recovery_reports_round_trip(
        core in 0u32..128, on in 0u32..128, kcb in 0u64..256, t in 0u64..1 << 40,
        cause in "[a-z0-9 ()x,]{1,60}", why in "[a-z0-9 ()x,;]{0,59}[a-z)]", prefix in "(corectrl: )?",
    ) {
        let report = Recovered {
            core, cause: cause.clone(), kcb, on, image: "cpudriver".into(), recovery_ns: t,
        };
        let back = Recovered::parse(&format!("{prefix}{report}"));
        prop_assert_eq!(back, Some(Recovered { recovery_ns: us(t), ..report }));
        let not = NotRecovered { core, cause, kcb, why };
        prop_assert_eq!(NotRecovered::parse(&format!("{prefix}{not}")), Some(not));
    }
}

#[test]
fn the_boot_drivers_lines_parse() {
    let line = "corectrl: core 3 booted: cpudriver 0.1.0, KCB 3 (new), in 76.130 ms: load 7.632, start 0.574, kernel 33.368, monitor 32.355 ms";
    let b = Booted::parse(line).expect("a boot report");
    assert_eq!(
        (b.core, b.kcb, b.fresh, b.kernel.as_str()),
        (3, 3, true, "cpudriver 0.1.0")
    );
    assert_eq!(b.phases.total_ns, 76_130_000);
    assert_eq!(b.phases.monitor_ns, 32_355_000);
    let stop = "core 3 stopped: KCB 3 kept, halted 1.077 ms after the request (0.004 ms in its kernel, seen after 1.181 ms), 2 cores involved";
    let s = Stopped::parse(stop).expect("a stop report");
    assert_eq!(
        (s.halted_ns, s.in_kernel_ns, s.seen_ns, s.cores_involved),
        (1_077_000, Some(4_000), 1_181_000, 2)
    );
    let idle = "core 3 stopped: KCB 3 kept, taken idle 0.004 ms after the request (no interrupt, seen after 0.005 ms), cores involved: 1";
    let s = Stopped::parse(idle).expect("a stop report");
    assert_eq!(
        (s.halted_ns, s.in_kernel_ns, s.seen_ns, s.cores_involved),
        (4_000, None, 5_000, 1)
    );
}

#[test]
fn other_lines_do_not_parse() {
    assert_eq!(
        Booted::parse("boot 3: core 3 is running already (KCB 3)"),
        None
    );
    assert_eq!(
        Booted::parse("core 3 booted: x, in 1 ms: load 1, start 2 ms"),
        None
    );
    assert_eq!(Stopped::parse("stop 3: core 3 is not running"), None);
    assert_eq!(
        Updated::parse("update 3: the boot archive has no kernel image `x`"),
        None
    );
}
