//! The access boundaries of `kaigo serve` and `kaigo extract`, attacked through the real `kaigo` binary: every
//! attack of the adversarial review (issue #24) and the ones a careful reviewer tries next.
//! Servers and extracts run over one small warehouse built once per run (a copy where a test
//! damages it). The client-compatibility suite (tests/clients/) shares that server set-up.

#[path = "../clients/mod.rs"]
mod clients;
mod extracts;
mod fixture;
mod flight;
mod serve;
mod serve_login;
