//! Integration tests of kaigo-disclosure: hand-computed and random tables, and the release of a
//! generated hub.

mod linked;
mod protect;
mod regularities;
mod release;
