//! The soak (`qemu_tests::soak`) for 100 operations on 5 cores: stop and
//! resume, updates, updates that roll back, tracing on and off, park and
//! unpark, give, move and kernel faults recovered, at random on OSNodes
//! 1-3, while `umpmesh` on every OSNode exchanges numbered, checksummed
//! messages and `tpchq` checks its answers; `corectrl list` agrees with a
//! model after every operation. `cargo xtask soak` runs longer ones.

use qemu_tests::soak::{self, Soak};
use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config};

#[test]
fn soak_a_hundred_operations_while_programs_exchange_messages() -> Result<(), HarnessError> {
    let plan = Soak {
        ops: 100,
        seed: 0x5eed_2026_1126,
        cores: 5,
        messages: 300_000,
        tpch: true,
    };
    let mut m = Machine::start(&config(plan.cores, 512)?, "decoupled_soak")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let report = soak::run(&mut m, &plan, |_| {}).unwrap_or_else(|e| panic!("soak: {e}"));
    assert_eq!(report.per_kind.values().sum::<usize>(), plan.ops);
    // Every kind of operation came up.
    for kind in [
        "stop and resume",
        "update",
        "update rolled back",
        "trace on and off",
        "park",
        "unpark",
        "give",
        "move",
        "fault recovered",
    ] {
        assert!(
            report.per_kind.contains_key(kind),
            "no `{kind}`: {report:?}"
        );
    }
    // What the programs counted: 4 of them, each from 3 peers.
    assert_eq!(report.messages, 4 * 3 * plan.messages);
    assert!(report.tpch_rounds >= 1, "{report:?}");
    Ok(())
}

#[test]
fn interleaved_lines_come_out_of_a_listing_wherever_they_land() {
    let text = "   3  runni[   21.534203 c4] INFO  kernel `cpudriver`\n[   21.537214 c4] INFO  core 4 runs\nng on core 3\n   4  stopped [not a report]\n   4  running  cpudriver 0.1.0tpch: interval 16 at 8978 ms: 41 rounds\n\n KCB  STATE";
    assert_eq!(
        qemu_tests::interleaved::without_interleaved(text),
        "   3  running on core 3\n   4  stopped [not a report]\n   4  running  cpudriver 0.1.0\n KCB  STATE"
    );
}
