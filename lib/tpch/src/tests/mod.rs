//! Host tests of the whole crate through its public interface: an
//! independent reference for the queries, partition and merge properties,
//! the generated columns against the specification, the wire form and the
//! answers' text form.

mod columns;
mod display;
mod partitions;
mod reference;
mod wire;
