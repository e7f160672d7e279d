//! The boot driver's command language: every command and option parses
//! to its value, every mistake to its error, and any line at all to one of
//! the two without a panic.

use bootcmd::*;
use proptest::prelude::*;

fn boot(core: CoreSpec, kernel: &str, kcb: KcbChoice) -> Command<'_> {
    Command::Boot(Boot { core, kernel, kcb })
}

#[test]
fn commands_parse() {
    assert_eq!(parse("list"), Ok(Command::List));
    assert_eq!(parse("stop 2"), Ok(Command::Stop(2)));
    assert_eq!(parse("give 2 3"), Ok(Command::Give(2, 3)));
    assert_eq!(parse("park 2 1"), Ok(Command::Park(2, 1)));
    assert_eq!(parse("move 0 3"), Ok(Command::Move(0, 3)));
    let rt = |limit_s, program, args| {
        Ok(Command::Rt(Rt {
            core: 2,
            limit_s,
            program,
            args,
        }))
    };
    assert_eq!(parse("rt 2 jitter"), rt(RT_LIMIT_S, "jitter", ""));
    assert_eq!(
        parse(" rt 2  jitter 100  x "),
        rt(RT_LIMIT_S, "jitter", "100  x")
    );
    assert_eq!(parse("rt 2 --limit 5 nap 9"), rt(5, "nap", "9"));
    assert_eq!(parse("rt 2 --limit 0 nap"), Err(ParseError::BadNumber("0")));
    assert_eq!(
        parse("rt 2 --limit 3601 nap"),
        Err(ParseError::BadNumber("3601"))
    );
    assert_eq!(
        parse("rt 2 --limit"),
        Err(ParseError::MissingValue("--limit"))
    );
    assert_eq!(parse("rt 2 --limit 5"), Err(ParseError::MissingProgram));
    assert_eq!(
        parse("rt 2 --fast nap"),
        Err(ParseError::UnknownOption("--fast"))
    );
    assert_eq!(parse("rt 2"), Err(ParseError::MissingProgram));
    assert_eq!(parse("rt x jitter"), Err(ParseError::BadNumber("x")));
    assert_eq!(parse("unpark 2 3"), Ok(Command::Unpark(2, 3)));
    assert_eq!(parse("park 2"), Err(ParseError::MissingCore));
    assert_eq!(parse("unpark x 2"), Err(ParseError::BadNumber("x")));
    assert_eq!(parse("give"), Err(ParseError::MissingKcb));
    assert_eq!(parse("give 2"), Err(ParseError::MissingCore));
    let update = |core, kernel, check_ms| {
        Ok(Command::Update(Update {
            core,
            kernel,
            check_ms,
        }))
    };
    assert_eq!(
        parse("update 3 cpudriver-v2"),
        update(3, "cpudriver-v2", CHECK_MS)
    );
    assert_eq!(
        parse("update 0 cpudriver-faulty --check-ms 500"),
        update(0, "cpudriver-faulty", 500)
    );
    assert_eq!(
        parse("update 1 k --check-ms 0"),
        Err(ParseError::BadNumber("0"))
    );
    assert_eq!(
        parse("update 1 k --check-ms 60001"),
        Err(ParseError::BadNumber("60001"))
    );
    assert_eq!(
        parse("update 1 k --check-ms"),
        Err(ParseError::MissingValue("--check-ms"))
    );
    assert_eq!(
        parse("update 1 k --check-ms 5 --check-ms 6"),
        Err(ParseError::Repeated("--check-ms"))
    );
    assert_eq!(
        parse("update 1 --check-ms 5"),
        Err(ParseError::MissingImage)
    );
    assert_eq!(
        parse("update 1 k --fast"),
        Err(ParseError::UnknownOption("--fast"))
    );
    assert_eq!(
        parse("update 1 k extra"),
        Err(ParseError::Unexpected("extra"))
    );
    assert_eq!(parse("  help "), Ok(Command::Help));
    let fault = |core, kind| Ok(Command::Fault(Fault { core, kind }));
    assert_eq!(parse("fault 2"), fault(2, FaultKind::Fault));
    assert_eq!(parse("fault 3 --hang"), fault(3, FaultKind::Hang));
    assert_eq!(
        parse("fault 1 --mid-change"),
        fault(1, FaultKind::MidChange)
    );
    assert_eq!(parse("fault"), Err(ParseError::MissingCore));
    assert_eq!(parse("fault 2 3"), Err(ParseError::Unexpected("3")));
    assert_eq!(
        parse("fault 2 --slow"),
        Err(ParseError::UnknownOption("--slow"))
    );
    assert_eq!(parse("fault 2 --hang x"), Err(ParseError::Unexpected("x")));
    assert_eq!(parse("trace 2 on"), Ok(Command::Trace(2, TraceAction::On)));
    assert_eq!(
        parse("trace 0 off"),
        Ok(Command::Trace(0, TraceAction::Off))
    );
    assert_eq!(
        parse("trace 3 dump"),
        Ok(Command::Trace(3, TraceAction::Dump))
    );
    assert_eq!(parse("trace 3"), Err(ParseError::MissingValue("trace")));
    assert_eq!(parse("trace 3 loud"), Err(ParseError::Unexpected("loud")));
    assert_eq!(parse("trace on"), Err(ParseError::BadNumber("on")));
    assert_eq!(
        parse("boot 3"),
        Ok(boot(CoreSpec::One(3), DEFAULT_KERNEL, KcbChoice::New))
    );
    assert_eq!(
        parse("boot 2 --kernel cpudriver-v2 --kcb 7"),
        Ok(boot(
            CoreSpec::One(2),
            "cpudriver-v2",
            KcbChoice::Existing(7)
        ))
    );
    assert_eq!(
        parse("boot all --kcb new --kernel k"),
        Ok(boot(CoreSpec::All, "k", KcbChoice::New))
    );
}

#[test]
fn bad_commands_are_named() {
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse("reboot"), Err(ParseError::UnknownCommand("reboot")));
    assert_eq!(parse("boot"), Err(ParseError::MissingCore));
    assert_eq!(parse("boot --kernel x"), Err(ParseError::MissingCore));
    assert_eq!(parse("boot one"), Err(ParseError::BadNumber("one")));
    assert_eq!(parse("boot -1"), Err(ParseError::BadNumber("-1")));
    assert_eq!(
        parse("boot 1 --kcb"),
        Err(ParseError::MissingValue("--kcb"))
    );
    assert_eq!(parse("boot 1 --kcb x"), Err(ParseError::BadNumber("x")));
    assert_eq!(
        parse("boot 1 --kernel"),
        Err(ParseError::MissingValue("--kernel"))
    );
    assert_eq!(
        parse("boot 1 --kernel a --kernel b"),
        Err(ParseError::Repeated("--kernel"))
    );
    assert_eq!(
        parse("boot 1 --fast"),
        Err(ParseError::UnknownOption("--fast"))
    );
    assert_eq!(parse("boot 1 2"), Err(ParseError::Unexpected("2")));
    assert_eq!(parse("list cores"), Err(ParseError::Unexpected("cores")));
    assert_eq!(parse("boot all --kcb 1"), Err(ParseError::AllWithKcb));
    assert_eq!(parse("stop"), Err(ParseError::MissingCore));
    assert_eq!(parse("stop all"), Err(ParseError::BadNumber("all")));
    assert_eq!(parse("stop 1 2"), Err(ParseError::Unexpected("2")));
    assert_eq!(parse("update 1"), Err(ParseError::MissingImage));
    assert_eq!(parse("update x k"), Err(ParseError::BadNumber("x")));
    assert_eq!(parse("update 1 k j"), Err(ParseError::Unexpected("j")));
}

#[test]
fn config_lines_are_numbered_and_checked() {
    let text = "# cores at startup\n\nboot 1\nboot 2 --kernel cpudriver-v2 # newer\nlist\nboot x\n";
    let lines: Vec<_> = config(text).collect();
    assert_eq!(
        lines,
        [
            (
                3,
                Ok(Boot {
                    core: CoreSpec::One(1),
                    kernel: DEFAULT_KERNEL,
                    kcb: KcbChoice::New
                })
            ),
            (
                4,
                Ok(Boot {
                    core: CoreSpec::One(2),
                    kernel: "cpudriver-v2",
                    kcb: KcbChoice::New
                })
            ),
            (5, Err(ParseError::NotInConfig("list"))),
            (6, Err(ParseError::BadNumber("x"))),
        ]
    );
    let default: Vec<_> = config(DEFAULT_CONFIG).collect();
    assert_eq!(
        default,
        [(
            1,
            Ok(Boot {
                core: CoreSpec::All,
                kernel: DEFAULT_KERNEL,
                kcb: KcbChoice::New
            })
        )]
    );
}

proptest! {
    /// Any input parses or is refused with a reason that displays; it
    /// never panics.
    #[test]
    fn any_line_is_answered(line in "\\PC{0,40}") {
        match parse(&line) {
            Ok(_) => {}
            Err(e) => {
                let text = std::format!("{e}");
                prop_assert!(!text.is_empty());
            }
        }
        let _ = config(&line).count();
    }

    /// Well-formed boot commands round-trip their values.
    #[test]
    fn boot_values_survive(core in 0u32..1000, kcb in proptest::option::of(0u64..1000), kernel in "[a-z][a-z0-9-]{0,20}") {
        let mut line = std::format!("boot {core} --kernel {kernel}");
        if let Some(id) = kcb {
            line += &std::format!(" --kcb {id}");
        }
        let expected = kcb.map_or(KcbChoice::New, KcbChoice::Existing);
        prop_assert_eq!(parse(&line), Ok(boot(CoreSpec::One(core), &kernel, expected)));
    }
}
