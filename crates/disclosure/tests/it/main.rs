//! Integration tests of kaigo-disclosure: hand-computed and random tables, and the release of a
//! generated hub.

mod linked;
#[path = "../../benches/common/national_source.rs"]
mod national_source;
mod protect;
mod regularities;
mod release;
