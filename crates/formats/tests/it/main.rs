//! Integration tests of the extract formats: every layout round-trips, and damaged files get
//! the documented error.

mod broken_files;
mod docs;
mod round_trip;
