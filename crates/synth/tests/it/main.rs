//! System tests of the synthetic hub: generated files read back byte for byte, claims are
//! internally consistent, truth covers every record, deliveries follow go-live, output is
//! deterministic, and the calibration holds.

mod calibration;
mod determinism;
mod files;
mod hub;
mod statements;
