//! One step of the model test: an operation on the table and on the
//! model, and the check that they agree on its outcome.

use bootctl::transitions::{HandOverPlan, ResumePlan, StopPlan};
use bootctl::{Made, Refused, Started, Table};

use super::{Error, MKcb, Model, Op, Place, apic, image, image_runs, kernel, layout};

/// Checks the outcome of a step the model expected to be refused
/// (`want` an error), to fail on the machine (`!ok`) or to succeed;
/// returns whether it succeeded (the model then follows).
fn succeeded<W, T: std::fmt::Debug>(
    want: &Result<W, Refused>,
    ok: bool,
    got: &Result<T, Error>,
) -> bool {
    match (want, ok) {
        (Err(r), _) => assert_eq!(got.as_ref().err(), Some(&Error::Refused(r.clone()))),
        (Ok(_), false) => assert_eq!(got.as_ref().err(), Some(&Error::Machine)),
        (Ok(_), true) => {
            assert!(got.is_ok(), "expected success, got {got:?}");
            return true;
        }
    }
    false
}

/// What the mechanism reports for the kernel of pick `pick`.
pub fn started(pick: usize, token: u64) -> Started<u64> {
    Started {
        kernel: kernel(pick),
        image: image(pick).into(),
        kcb_layout: layout(pick),
        installed: token,
    }
}

/// Runs `op` on both; `token` is fresh memory for anything installed.
pub fn step(table: &mut Table<u64, u64>, model: &mut Model, op: &Op, token: u64) {
    match *op {
        Op::BootNew {
            core,
            kernel: k,
            ok,
        } => {
            let want = model.off(core).and_then(|()| {
                if model.kcbs.len() >= bootctl::table::MAX_KCBS {
                    Err(Refused::TooManyOsNodes)
                } else {
                    Ok(model.kcbs.keys().max().map_or(0, |m| m + 1))
                }
            });
            let got = table.boot_new(core, |_, plan| {
                assert_eq!((plan.core, plan.apic), (core, apic(core)));
                assert_eq!(Ok(plan.kcb), want);
                if !ok {
                    return Err(Error::Machine);
                }
                let made = Made {
                    phys: 0x10_0000 * (plan.kcb + 1),
                    memory: token + 1,
                };
                Ok((started(k, token), made, ()))
            });
            if succeeded(&want, ok, &got) {
                let id = want.expect("the model expected success");
                model.kcbs.insert(
                    id,
                    MKcb {
                        place: Place::Stopped,
                        layout: 0,
                        image: String::new(),
                        phys: 0x10_0000 * (id + 1),
                        memory: Some(token + 1),
                        damaged: false,
                    },
                );
                let back = model.install(core, id, k, token);
                assert_eq!(got.expect("boot succeeded").0, back);
            }
        }
        Op::BootStopped {
            core,
            kcb,
            kernel: k,
            ok,
        } => {
            let want = model.off(core).and_then(|()| {
                let m = model.kcb(kcb)?;
                if m.damaged {
                    return Err(Refused::KcbDamaged(kcb));
                }
                match m.place {
                    Place::Stopped => Ok(ResumePlan {
                        core,
                        apic: apic(core),
                        kcb,
                        phys: m.phys,
                        layout: m.layout,
                    }),
                    Place::On(core) => Err(Refused::KcbRunning { kcb, core }),
                    Place::Parked(host) => Err(Refused::KcbParked { kcb, host }),
                }
            });
            assert_eq!(table.plan_resume(core, kcb), want);
            let got = table.boot_stopped(core, kcb, |_, plan| {
                assert_eq!(Ok(plan), want.as_ref());
                if ok {
                    Ok((started(k, token), ()))
                } else {
                    Err(Error::Machine)
                }
            });
            if succeeded(&want, ok, &got) {
                let back = model.install(core, kcb, k, token);
                assert_eq!(got.expect("boot succeeded").0, back);
            }
        }
        Op::MarkDamaged { kcb } => {
            let want = model.kcb(kcb).and_then(|m| match m.place {
                Place::Stopped => Ok(()),
                Place::On(core) => Err(Refused::KcbRunning { kcb, core }),
                Place::Parked(host) => Err(Refused::KcbParked { kcb, host }),
            });
            assert_eq!(table.mark_damaged(kcb), want);
            if want.is_ok() {
                model.kcbs.get_mut(&kcb).expect("exists").damaged = true;
            }
        }
        Op::Stop { core, ok } => {
            let want = model.running(core).and_then(|kcb| {
                if core == model.my_core() {
                    Err(Refused::StopSelf(core))
                } else {
                    Ok(StopPlan {
                        core,
                        apic: apic(core),
                        kcb,
                        parked_here: model.parked_on(core),
                    })
                }
            });
            let got = table.stop(core, |_, plan| {
                let mut plan = plan.clone();
                plan.parked_here.sort_unstable();
                assert_eq!(Ok(&plan), want.as_ref());
                if ok { Ok(()) } else { Err(Error::Machine) }
            });
            if succeeded(&want, ok, &got) {
                let plan = want.expect("the model expected success");
                for id in std::iter::once(plan.kcb).chain(plan.parked_here) {
                    model.kcbs.get_mut(&id).expect("exists").place = Place::Stopped;
                }
                model.kernel_of[core as usize] = None;
            }
        }
        Op::CheckPark { core, host } => {
            let want = model.running(host).and_then(|_| {
                if host == core {
                    return Err(Refused::ParkOnItself(core));
                }
                let host_kernel = model.kernel_of[host as usize].clone().expect("runs");
                match model.runs(core) {
                    Some(kcb) => {
                        let layout = model.kcbs[&kcb].layout;
                        if layout == 0 || host_kernel.layouts.runs_kcb_layout(layout) {
                            Ok(())
                        } else {
                            Err(Refused::KcbLayout {
                                kcb,
                                layout,
                                kernel: host_kernel.version,
                                oldest: host_kernel.layouts.kcb_oldest,
                                newest: host_kernel.layouts.kcb_newest,
                            })
                        }
                    }
                    None => Ok(()),
                }
            });
            assert_eq!(table.check_park(core, host), want);
        }
        Op::Park { kcb, host, ok } => {
            let want = model.running(host).and_then(|host_kcb| {
                let m = model.kcb(kcb)?;
                if m.damaged {
                    return Err(Refused::KcbDamaged(kcb));
                }
                match m.place {
                    Place::Stopped => {}
                    Place::On(core) => return Err(Refused::KcbRunning { kcb, core }),
                    Place::Parked(host) => return Err(Refused::KcbParked { kcb, host }),
                }
                let host_kernel = model.kernel_of[host as usize].clone().expect("runs");
                if m.layout != 0 && !host_kernel.layouts.runs_kcb_layout(m.layout) {
                    return Err(Refused::KcbLayout {
                        kcb,
                        layout: m.layout,
                        kernel: host_kernel.version,
                        oldest: host_kernel.layouts.kcb_oldest,
                        newest: host_kernel.layouts.kcb_newest,
                    });
                }
                Ok(host_kcb)
            });
            let got = table.park(kcb, host, image_runs, |_, plan| {
                assert_eq!(
                    (plan.kcb, plan.host, plan.host_apic),
                    (kcb, host, apic(host))
                );
                assert_eq!(plan.phys, model.kcbs[&kcb].phys);
                if ok { Ok(()) } else { Err(Error::Machine) }
            });
            if succeeded(&want, ok, &got) {
                let host_kcb = want.expect("the model expected success");
                let newest = model.kernel_of[host as usize]
                    .as_ref()
                    .expect("host runs")
                    .layouts
                    .kcb_newest;
                let host_image = model.kcbs[&host_kcb].image.clone();
                let m = model.kcbs.get_mut(&kcb).expect("exists");
                m.place = Place::Parked(host);
                m.layout = newest;
                if !image_runs(&m.image, m.layout) {
                    m.image = host_image;
                }
            }
        }
        Op::Unpark { kcb, ok } => {
            let want = model.kcb(kcb).and_then(|m| match m.place {
                Place::Parked(host) => Ok(host),
                _ => Err(Refused::NotParked(kcb)),
            });
            let got = table.unpark(kcb, |_, plan| {
                assert_eq!(Ok(plan.host), want);
                if ok { Ok(()) } else { Err(Error::Machine) }
            });
            if succeeded(&want, ok, &got) {
                model.kcbs.get_mut(&kcb).expect("exists").place = Place::Stopped;
            }
        }
        Op::Replace {
            core,
            kernel: k,
            ok,
        } => {
            let want = model.running(core).and_then(|kcb| {
                if kcb != 0 {
                    Err(Refused::CoreRunning { core, kcb })
                } else if !model.parked_on(core).is_empty() {
                    Err(Refused::HostsParked(core))
                } else {
                    Ok(())
                }
            });
            let got = table.replace(core, |_, plan| {
                assert_eq!((plan.core, plan.phys), (core, model.kcbs[&0].phys));
                if ok {
                    Ok((started(k, token), ()))
                } else {
                    Err(Error::Machine)
                }
            });
            if succeeded(&want, ok, &got) {
                let back = model.install(core, 0, k, token);
                assert_eq!(got.expect("replaced").0, back);
            }
        }
        Op::HandOver {
            from,
            to,
            kernel: k,
            ok,
        } => {
            let want = model.running(from).and_then(|kcb| {
                if kcb != 0 {
                    return Err(Refused::CoreRunning { core: from, kcb });
                }
                model.off(to)?;
                Ok(HandOverPlan {
                    from,
                    from_apic: apic(from),
                    to,
                    to_apic: apic(to),
                    phys: model.kcbs[&0].phys,
                    image: model.kcbs[&0].image.clone(),
                    parked_here: model.parked_on(from),
                })
            });
            let got = table.hand_over(from, to, |_, plan| {
                let mut plan = plan.clone();
                plan.parked_here.sort_unstable();
                assert_eq!(Ok(&plan), want.as_ref());
                if ok {
                    Ok((started(k, token), ()))
                } else {
                    Err(Error::Machine)
                }
            });
            if succeeded(&want, ok, &got) {
                let plan = want.expect("the model expected success");
                for id in plan.parked_here {
                    model.kcbs.get_mut(&id).expect("exists").place = Place::Stopped;
                }
                model.kernel_of[from as usize] = None;
                let back = model.install(to, 0, k, token);
                assert_eq!(got.expect("handed over").0, back);
            }
        }
    }
}
