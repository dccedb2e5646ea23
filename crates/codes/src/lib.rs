//! Code lists and rules of Japan's long-term-care (LTC) insurance, with no I/O.
//!
//! Everything here is a pure function or a constant table, sourced from `shared/domain.md`
//! (section numbers are given on each item):
//!
//! - [`prefecture`]: the 47 prefectures in JIS X 0401 order.
//! - [`insurer`]: the 6-digit insurer number (保険者番号) and its check digit, the 6-digit
//!   local-government code (全国地方公共団体コード) and its mod-11 check digit.
//! - [`provider`]: the 10-digit provider number (事業所番号) structure.
//! - [`service`]: service-kind codes (サービス種類コード) with their group and labour share.
//! - [`care_level`]: care-level codes (要介護状態区分コード) and in-home benefit limits.
//! - [`unit_price`]: area grades (地域区分) and the price of one unit in yen.
//! - [`calendar`]: months, fiscal years (April–March) and Japanese eras (和暦).
//!
//! ```
//! use kaigo_codes::insurer::InsurerNumber;
//! let chiyoda = InsurerNumber::from_body("13101").unwrap();
//! assert_eq!(chiyoda.as_str(), "131011");
//! assert!(InsurerNumber::parse("131012").is_err());
//! ```
//!
//! What this crate does not do: read files, validate whole records, or know anything about
//! persons. Those belong to `kaigo-formats` and later stages.

pub mod calendar;
pub mod care_level;
pub mod insurer;
pub mod prefecture;
pub mod provider;
pub mod service;
pub mod unit_price;

/// A code or number that does not follow its rule. The message names the rule, never the value,
/// because codes sit next to personal data in the same records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The text has the wrong length or contains a non-digit.
    #[error("{what}: expected {expected} ASCII digits")]
    Shape {
        /// Which kind of code.
        what: &'static str,
        /// Expected number of digits.
        expected: usize,
    },
    /// The check digit does not match the body.
    #[error("{what}: check digit does not match")]
    CheckDigit {
        /// Which kind of code.
        what: &'static str,
    },
    /// The code is well formed but not in the code list.
    #[error("{what}: not in the code list")]
    Unknown {
        /// Which kind of code.
        what: &'static str,
    },
    /// A date or era date that does not exist.
    #[error("{what}: no such date")]
    Date {
        /// Which kind of date.
        what: &'static str,
    },
}

pub(crate) fn all_ascii_digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|byte| byte.is_ascii_digit())
}
