//! The long-term-care hub's extract layouts, written and read by the same code.
//!
//! One module per extract; each declares its records once with [`layout!`], and that one field
//! list drives the writer (used by the synthetic hub), the reader (used by ingest) and the
//! generated documentation in `docs/formats/`:
//!
//! | module | extract | encoding |
//! |---|---|---|
//! | [`claims`] | claims interchange file (control / data / end records; 7131, 7132, 7183, 7195, 8124/8125, 8222 …) | MS932 |
//! | [`certification`] | care-need certification: 74-item survey, physician's opinion, judgements | MS932 |
//! | [`life`] | LIFE assessments: Barthel, Vitality Index, DBD13, oral, end reason | UTF-8 |
//! | [`care_plan`] | care plans per the data-linkage standard (第1表, 第2表, 第6表, 利用者補足) | MS932 |
//! | [`register`] | insured-register changes | MS932 |
//! | [`registry`] | insurers with roll-out status, providers with onboarding, provider activity | MS932 |
//!
//! ```
//! use kaigo_formats::{flat::{FlatReader, FlatWriter}, registry::ProviderActivityRecord};
//! use kaigo_codes::calendar::YearMonth;
//!
//! let record = ProviderActivityRecord {
//!     month: YearMonth::new(2026, 11).unwrap(),
//!     provider_number: "1370100421".into(),
//!     users: 30, users_with_consent: 12, record_views: 40,
//! };
//! let mut writer = FlatWriter::<_, ProviderActivityRecord>::new(Vec::new()).unwrap();
//! assert_eq!(writer.write(&record).unwrap(), 2); // line 1 is the header
//! let bytes = writer.finish().unwrap();
//! let rows = FlatReader::<_, ProviderActivityRecord>::open(&bytes[..]).unwrap().read_all().unwrap();
//! assert_eq!(rows[0].1.as_ref().unwrap(), &record);
//! ```
//!
//! What this crate does not do: check codes against code lists beyond their shape, check
//! cross-field rules (totals, date order, check digits), pseudonymize, or decide what to do with a
//! bad row. It reports each bad row as a [`error::RowError`] (line, column, rule — never the value)
//! and each unreadable file as a [`error::FormatError`]; ingest decides the rest.

pub mod care_plan;
pub mod certification;
pub mod claims;
pub mod docs;
pub mod encoding;
pub mod error;
pub mod flat;
pub mod layout;
pub mod life;
pub mod register;
pub mod registry;
pub mod sensitive;

pub use error::{FormatError, Result, RowError};
pub use sensitive::Sensitive;

/// Whether `path` names a delivery folder of a hub drop (`<YYYYMM>`: the extract processed in
/// that month).
pub fn is_delivery_folder(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.len() == 6 && name.bytes().all(|byte| byte.is_ascii_digit()))
}

/// The delivery folders of a hub drop's root, oldest first (the order they must be loaded in).
pub fn delivery_folders(root: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let path = entry?.path();
        if path.is_dir() && is_delivery_folder(&path) {
            folders.push(path);
        }
    }
    folders.sort();
    Ok(folders)
}
