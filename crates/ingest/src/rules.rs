//! Validation rules beyond a record's format: check digits, code lists, cross-field consistency
//! and plausibility. Each rule has a stable name (quarantine, manifests, tests) and a reason that
//! never contains a value from the record.

use chrono::{Datelike, NaiveDate};
use kaigo_codes::{
    calendar::YearMonth,
    care_level::CareLevel,
    insurer::InsurerNumber,
    service,
    unit_price::{AreaGrade, cost_yen, split_cost, unit_price_centiyen},
};
use kaigo_formats::layout::Rule;

/// A broken rule: which, on which field, and why (in words, without values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Stable rule name.
    pub rule: &'static str,
    /// Field to blame.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub reason: String,
}

impl Violation {
    /// A violation.
    pub fn new(rule: &'static str, field: Option<&'static str>, reason: impl Into<String>) -> Self {
        Self {
            rule,
            field,
            reason: reason.into(),
        }
    }
}

/// Result of a check.
pub type Check = Result<(), Violation>;

/// The rule name of a format-level failure of a field.
pub fn format_rule(field: Option<&'static str>, rule: Rule) -> &'static str {
    match (field, rule) {
        (Some("care_level" | "primary_level" | "secondary_level"), Rule::Code) => "care_level_code",
        (_, Rule::Date) => "date",
        (_, Rule::YearMonth) => "date",
        (_, Rule::Integer) => "integer",
        (_, Rule::Digits) => "digits",
        (_, Rule::Required) => "required",
        (_, Rule::Length) => "length",
        (_, Rule::Code) => "code",
        (_, Rule::Encoding) => "encoding",
        (_, Rule::FieldCount) => "field_count",
        (_, Rule::Unencodable) => "encoding",
        (_, Rule::ControlCharacter) => "control_character",
    }
}

/// An insurer number (6 digits, or 8 with the claims' `00` prefix) with a valid check digit.
pub fn insurer_number(field: &'static str, text: &str) -> Result<InsurerNumber, Violation> {
    let parsed = if text.len() == 8 {
        InsurerNumber::parse_padded(text)
    } else {
        InsurerNumber::parse(text)
    };
    parsed.map_err(|error| Violation::new("insurer_check_digit", Some(field), format!("insurer number: {error}")))
}

/// A known, current service-kind code.
pub fn service_kind(field: &'static str, code: &str) -> Result<&'static service::ServiceKind, Violation> {
    service::by_code(code).map_err(|_| {
        Violation::new(
            "service_kind_code",
            Some(field),
            "service kind code is not in the code list",
        )
    })
}

/// A level at which a person can be certified (要支援1 … 要介護5).
pub fn certified_level(field: &'static str, level: CareLevel) -> Check {
    if level.certified_index().is_some() {
        Ok(())
    } else {
        Err(Violation::new(
            "care_level_code",
            Some(field),
            "care level is not a certified level (要支援1–要介護5)",
        ))
    }
}

/// Validity start on or before its end.
pub fn validity_order(start: NaiveDate, end: NaiveDate) -> Check {
    if start <= end {
        Ok(())
    } else {
        Err(Violation::new(
            "validity_order",
            Some("validity_end"),
            "certification validity ends before it starts",
        ))
    }
}

/// Insured persons are 40 or older: the birth month is at least 480 months before the month of
/// the event (month granularity, since the qualifying day is the day before the birthday).
pub fn insured_age(field: &'static str, birth: NaiveDate, on: YearMonth) -> Check {
    if on.months_since(YearMonth::of(birth)) >= 480 {
        Ok(())
    } else {
        Err(Violation::new(
            "insured_age",
            Some(field),
            "birth date makes the person younger than 40, who cannot be insured",
        ))
    }
}

/// The unit price of a service kind in an area grade.
pub fn unit_price(kind: &service::ServiceKind, grade: AreaGrade, written: &str) -> Check {
    let expected = unit_price_centiyen(grade, kind.labour_share);
    if written.parse::<u32>().ok() == Some(expected) {
        Ok(())
    } else {
        Err(Violation::new(
            "unit_price",
            Some("unit_price"),
            "unit price does not match the insurer's area grade and the service's labour share",
        ))
    }
}

/// Claim and co-payment follow from units, price and benefit rate.
pub fn claim_amounts(units: u64, price: u32, benefit_rate: u32, claim: u64, user_charge: u64) -> Check {
    if split_cost(cost_yen(units, price), benefit_rate) == (claim, user_charge) {
        Ok(())
    } else {
        Err(Violation::new(
            "claim_amount",
            Some("claim_yen"),
            "claim and co-payment do not follow from units, unit price and benefit rate",
        ))
    }
}

/// A Barthel item: a multiple of 5 from 0 to its maximum.
pub fn barthel_item(field: &'static str, score: u8, maximum: u8) -> Check {
    if score <= maximum && score.is_multiple_of(5) {
        Ok(())
    } else {
        Err(Violation::new(
            "barthel_step",
            Some(field),
            "Barthel item is not a 5-point step within its range",
        ))
    }
}

/// Age in whole years on a date (for plausibility messages and tests).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    on.year() - birth.year() - i32::from((on.month(), on.day()) < (birth.month(), birth.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn rules_accept_the_valid_and_name_the_invalid() {
        assert!(insurer_number("insurer_number", "00131011").is_ok());
        assert_eq!(
            insurer_number("insurer_number", "00131012").unwrap_err().rule,
            "insurer_check_digit"
        );
        assert_eq!(
            service_kind("service_kind", "99").unwrap_err().rule,
            "service_kind_code"
        );
        assert!(certified_level("care_level", CareLevel::Care3).is_ok());
        assert!(certified_level("care_level", CareLevel::NotEligible).is_err());
        assert_eq!(
            validity_order(date(2026, 4, 1), date(2026, 3, 31)).unwrap_err().rule,
            "validity_order"
        );
        let month = YearMonth::new(2026, 11).unwrap();
        assert!(insured_age("birth_date", date(1986, 11, 15), month).is_ok());
        assert_eq!(
            insured_age("birth_date", date(1986, 12, 1), month).unwrap_err().rule,
            "insured_age"
        );
        let home_help = service::by_code("11").unwrap();
        assert!(unit_price(home_help, AreaGrade::new(1).unwrap(), "1140").is_ok());
        assert!(unit_price(home_help, AreaGrade::new(2).unwrap(), "1140").is_err());
        assert!(claim_amounts(1_234, 1105, 90, 12_271, 1_364).is_ok());
        assert!(claim_amounts(1_234, 1105, 90, 12_272, 1_363).is_err());
        assert!(barthel_item("transfer", 15, 15).is_ok());
        assert_eq!(barthel_item("transfer", 7, 15).unwrap_err().rule, "barthel_step");
        assert!(barthel_item("transfer", 20, 15).is_err());
        assert_eq!(age_on(date(1946, 12, 1), date(2026, 11, 30)), 79);
        for violation in [
            insurer_number("f", "00131012").unwrap_err(),
            insured_age("f", date(2010, 4, 1), month).unwrap_err(),
        ] {
            assert!(!violation.reason.contains("131012") && !violation.reason.contains("2010"));
        }
    }
}
