//! Every transition of the boot driver's table, driven at random (with the
//! machine-side work succeeding or failing at random) against a model that
//! keeps only "where is each KCB" and derives the cores' states from it.
//! After every step the refusal (or success), the states, the routes of
//! the OSNode table, the plans handed to the mechanism and the memory
//! handed back must agree with the model, and the table's invariants hold.

use std::collections::BTreeMap;

use bootctl::{CoreState, FirstOsNode, KcbState, Kernel, Made, Refused, Table};
use bootproto::starter::CpuDriverInfo;
use proptest::prelude::*;

mod step;
use step::{started, step};

/// Kernel images: (name, oldest layout, newest layout).
const KERNELS: [(&str, u32, u32); 3] = [
    ("cpudriver", 1, 2),
    ("cpudriver-kcb1", 1, 1),
    ("cpudriver-v2", 1, 2),
];

/// How many kernels an operation picks from: each image, acknowledging
/// each layout it runs (some twice).
const PICKS: usize = KERNELS.len() * 2;

/// The kernel of pick `index`. Its version text has nothing to do with
/// its image's name, so that a table mixing the two up is caught.
fn kernel(index: usize) -> Kernel {
    let (_, oldest, newest) = KERNELS[index % KERNELS.len()];
    Kernel {
        version: format!("build {index}"),
        layouts: CpuDriverInfo {
            kcb_oldest: oldest,
            kcb_newest: newest,
        },
    }
}

/// The image of pick `index`.
fn image(index: usize) -> &'static str {
    KERNELS[index % KERNELS.len()].0
}

/// The KCB layout the kernel of pick `index` acknowledges: any in its
/// range, not always the newest.
fn layout(index: usize) -> u32 {
    let (_, oldest, newest) = KERNELS[index % KERNELS.len()];
    oldest + (index / KERNELS.len()) as u32 % (newest - oldest + 1)
}

fn image_runs(image: &str, layout: u32) -> bool {
    KERNELS
        .iter()
        .any(|&(name, oldest, newest)| name == image && (oldest..=newest).contains(&layout))
}

fn apic(core: u32) -> u32 {
    core * 2 + 1
}

#[derive(Debug, Clone)]
enum Op {
    BootNew {
        core: u32,
        kernel: usize,
        ok: bool,
    },
    BootStopped {
        core: u32,
        kcb: u64,
        kernel: usize,
        ok: bool,
    },
    Stop {
        core: u32,
        ok: bool,
    },
    CheckPark {
        core: u32,
        host: u32,
    },
    Park {
        kcb: u64,
        host: u32,
        ok: bool,
    },
    Unpark {
        kcb: u64,
        ok: bool,
    },
    MarkDamaged {
        kcb: u64,
    },
    Replace {
        core: u32,
        kernel: usize,
        ok: bool,
    },
    HandOver {
        from: u32,
        to: u32,
        kernel: usize,
        ok: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    // Mostly cores and KCBs that exist, and work that succeeds, so that
    // runs reach parked KCBs on stopped hosts and the like; now and then
    // one that does not.
    let core = prop_oneof![8 => 0u32..4, 1 => 0u32..7];
    let kcb = prop_oneof![8 => 0u64..5, 1 => 0u64..9];
    let kernel = 0usize..PICKS;
    let ok = || prop::bool::weighted(0.85);
    prop_oneof![
        (core.clone(), kernel.clone(), ok()).prop_map(|(core, kernel, ok)| Op::BootNew {
            core,
            kernel,
            ok
        }),
        (core.clone(), kcb.clone(), kernel.clone(), ok()).prop_map(|(core, kcb, kernel, ok)| {
            Op::BootStopped {
                core,
                kcb,
                kernel,
                ok,
            }
        }),
        (core.clone(), ok()).prop_map(|(core, ok)| Op::Stop { core, ok }),
        (core.clone(), core.clone()).prop_map(|(core, host)| Op::CheckPark { core, host }),
        (kcb.clone(), core.clone(), ok()).prop_map(|(kcb, host, ok)| Op::Park { kcb, host, ok }),
        (kcb.clone(), ok()).prop_map(|(kcb, ok)| Op::Unpark { kcb, ok }),
        kcb.prop_map(|kcb| Op::MarkDamaged { kcb }),
        (core.clone(), kernel.clone(), ok()).prop_map(|(core, kernel, ok)| Op::Replace {
            core,
            kernel,
            ok
        }),
        (core.clone(), core, kernel, ok()).prop_map(|(from, to, kernel, ok)| {
            Op::HandOver {
                from,
                to,
                kernel,
                ok,
            }
        }),
    ]
}

/// Where a KCB is, in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    On(u32),
    Parked(u32),
    Stopped,
}

#[derive(Debug, Clone)]
struct MKcb {
    place: Place,
    layout: u32,
    image: String,
    phys: u64,
    memory: Option<u64>,
    damaged: bool,
}

/// The model: where each KCB is; cores know only their kernel and the
/// memory token of the kernel last installed.
#[derive(Debug, Clone)]
struct Model {
    cores: usize,
    kcbs: BTreeMap<u64, MKcb>,
    kernel_of: Vec<Option<Kernel>>,
    installed: Vec<Option<u64>>,
}

#[derive(Debug, PartialEq)]
enum Error {
    Refused(Refused),
    Machine,
}

impl From<Refused> for Error {
    fn from(r: Refused) -> Self {
        Self::Refused(r)
    }
}

impl Model {
    fn runs(&self, core: u32) -> Option<u64> {
        self.kcbs
            .iter()
            .find(|(_, k)| k.place == Place::On(core))
            .map(|(&id, _)| id)
    }
    fn exists(&self, core: u32) -> Result<(), Refused> {
        if (core as usize) < self.cores {
            Ok(())
        } else {
            Err(Refused::NoSuchCore {
                core,
                cores: self.cores,
            })
        }
    }
    fn off(&self, core: u32) -> Result<(), Refused> {
        self.exists(core)?;
        match self.runs(core) {
            Some(kcb) => Err(Refused::CoreRunning { core, kcb }),
            None => Ok(()),
        }
    }
    fn running(&self, core: u32) -> Result<u64, Refused> {
        self.exists(core)?;
        self.runs(core).ok_or(Refused::NotRunning(core))
    }
    fn my_core(&self) -> u32 {
        match self.kcbs[&0].place {
            Place::On(core) => core,
            _ => unreachable!("KCB 0 always runs"),
        }
    }
    fn parked_on(&self, core: u32) -> Vec<u64> {
        self.kcbs
            .iter()
            .filter(|(_, k)| k.place == Place::Parked(core))
            .map(|(&id, _)| id)
            .collect()
    }
    fn kcb(&self, id: u64) -> Result<&MKcb, Refused> {
        self.kcbs.get(&id).ok_or(Refused::NoSuchKcb(id))
    }
    fn route(&self, id: u64) -> Option<u32> {
        match self.kcbs.get(&id)?.place {
            Place::On(c) | Place::Parked(c) => Some(apic(c)),
            Place::Stopped => None,
        }
    }
    /// Installs the kernel of pick `pick` with memory `token` on `core`
    /// for `kcb`; the previous token comes back.
    fn install(&mut self, core: u32, kcb: u64, pick: usize, token: u64) -> Option<u64> {
        let k = self.kcbs.get_mut(&kcb).expect("installed KCB exists");
        k.place = Place::On(core);
        k.image = image(pick).into();
        k.layout = layout(pick);
        self.kernel_of[core as usize] = Some(kernel(pick));
        self.installed[core as usize].replace(token)
    }
}

/// Checks that the table says what the model says.
fn agree(table: &Table<u64, u64>, model: &Model) {
    table
        .check_invariants()
        .expect("the table's invariants hold");
    assert_eq!(table.cores().len(), model.cores);
    for (id, core) in table.cores().iter().enumerate() {
        let id = id as u32;
        assert_eq!(core.apic, apic(id));
        match (&core.state, model.runs(id)) {
            (CoreState::Off, None) => {}
            (CoreState::Running { kcb, kernel }, Some(m)) => {
                assert_eq!(*kcb, m, "core {id}");
                assert_eq!(Some(kernel), model.kernel_of[id as usize].as_ref());
            }
            (state, m) => panic!("core {id}: table {state:?}, model runs {m:?}"),
        }
        assert_eq!(core.installed().copied(), model.installed[id as usize]);
    }
    assert_eq!(table.kcbs().len(), model.kcbs.len());
    for (&id, m) in &model.kcbs {
        let k = table.kcb(id).expect("every model KCB is in the table");
        let place = match k.state {
            KcbState::Running { core } => Place::On(core),
            KcbState::Parked { host } => Place::Parked(host),
            KcbState::Stopped => Place::Stopped,
        };
        assert_eq!(place, m.place, "KCB {id}");
        assert_eq!((k.layout, &k.image, k.phys), (m.layout, &m.image, m.phys));
        assert_eq!(k.memory().copied(), m.memory);
        assert_eq!(k.damaged, m.damaged, "KCB {id} damaged");
        assert_eq!(table.route(id), model.route(id), "route of KCB {id}");
    }
    assert_eq!(table.my_core(), model.my_core());
}

fn first(cores: usize, core: u32) -> (Table<u64, u64>, Model) {
    let k = kernel(0);
    let first = FirstOsNode {
        core,
        phys: 0x18_c000,
        layout: 2,
        kernel: k.clone(),
        image: "cpudriver".into(),
    };
    let table = Table::new((0..cores as u32).map(apic), first);
    let mut kernel_of = vec![None; cores];
    kernel_of[core as usize] = Some(k);
    let mut kcbs = BTreeMap::new();
    kcbs.insert(
        0,
        MKcb {
            place: Place::On(core),
            layout: 2,
            image: "cpudriver".into(),
            phys: 0x18_c000,
            memory: None,
            damaged: false,
        },
    );
    let model = Model {
        cores,
        kcbs,
        kernel_of,
        installed: vec![None; cores],
    };
    (table, model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn transitions_agree_with_the_model(
        cores in 3usize..6,
        first_core in 0u32..2,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let (mut table, mut model) = first(cores, first_core);
        agree(&table, &model);
        for (i, op) in ops.iter().enumerate() {
            step(&mut table, &mut model, op, 1000 + 2 * i as u64);
            agree(&table, &model);
        }
    }
}

/// A long run that reaches the OSNode limit: ids keep coming until it
/// refuses, and the refusal changes nothing.
#[test]
fn new_kcbs_stop_at_the_limit() {
    let (mut table, _) = first(2, 0);
    let mut token = 1;
    loop {
        let before = table.kcbs().len();
        let result = table.boot_new(1, |_, _| {
            Ok::<_, Error>((
                started(0, token),
                Made {
                    phys: token,
                    memory: token,
                },
                (),
            ))
        });
        token += 2;
        match result {
            Ok(_) => {
                let stopped = table.stop(1, |_, _| Ok::<_, Error>(()));
                assert_eq!(stopped, Ok(()));
            }
            Err(e) => {
                assert_eq!(e, Error::Refused(Refused::TooManyOsNodes));
                assert_eq!(table.kcbs().len(), before);
                assert_eq!(before, bootctl::table::MAX_KCBS);
                break;
            }
        }
    }
    table.check_invariants().expect("invariants hold");
}
