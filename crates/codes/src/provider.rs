//! Provider numbers (介護保険事業所番号), 10 digits (domain.md §3.5):
//! prefecture (2) + kind (1) + district (2) + serial (4) + check digit (1).
//!
//! The check-digit rule for provider numbers is not published; we assume the same mod-10 rule as
//! insurer numbers ([`crate::insurer::mod10_check_digit`]) and say so wherever it is checked.

use crate::{CodeError, all_ascii_digits, insurer::mod10_check_digit};

/// The kind digit (事業所区分), position 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// 0 介護予防支援事業所 (preventive care-management office).
    PreventiveSupport,
    /// 1 病院・診療所 (hospital or clinic, deemed designation).
    Medical,
    /// 3 歯科 (dental).
    Dental,
    /// 5 介護老人保健施設 (health facility, 老健).
    HealthFacility,
    /// 6 訪問看護ステーション (home-nursing station).
    NursingStation,
    /// 7 指定事業所 (designated provider, general).
    Designated,
    /// 8 基準該当 (standard-equivalent provider).
    StandardEquivalent,
    /// 9 地域密着型 (community-based provider).
    Community,
}

impl ProviderKind {
    /// All kinds in digit order.
    pub const ALL: [ProviderKind; 8] = [
        Self::PreventiveSupport,
        Self::Medical,
        Self::Dental,
        Self::HealthFacility,
        Self::NursingStation,
        Self::Designated,
        Self::StandardEquivalent,
        Self::Community,
    ];

    /// The digit written in position 3.
    pub fn digit(self) -> u8 {
        match self {
            Self::PreventiveSupport => 0,
            Self::Medical => 1,
            Self::Dental => 3,
            Self::HealthFacility => 5,
            Self::NursingStation => 6,
            Self::Designated => 7,
            Self::StandardEquivalent => 8,
            Self::Community => 9,
        }
    }

    /// The kind for a digit.
    pub fn from_digit(digit: u8) -> Result<Self, CodeError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.digit() == digit)
            .ok_or(CodeError::Unknown {
                what: "provider kind digit",
            })
    }

    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::PreventiveSupport => "介護予防支援事業所",
            Self::Medical => "病院・診療所",
            Self::Dental => "歯科",
            Self::HealthFacility => "介護老人保健施設",
            Self::NursingStation => "訪問看護ステーション",
            Self::Designated => "指定事業所",
            Self::StandardEquivalent => "基準該当",
            Self::Community => "地域密着型",
        }
    }
}

/// A provider number with a valid shape, kind and (assumed) check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderNumber([u8; 10]);

impl ProviderNumber {
    /// Assemble a provider number, computing the check digit.
    pub fn new(prefecture: u8, kind: ProviderKind, district: u8, serial: u16) -> Result<Self, CodeError> {
        crate::prefecture::by_code(prefecture)?;
        if district > 99 || serial > 9999 {
            return Err(CodeError::Shape {
                what: "provider number",
                expected: 10,
            });
        }
        let body = format!("{prefecture:02}{}{district:02}{serial:04}", kind.digit());
        let check = mod10_check_digit(body.as_bytes());
        Self::parse(&format!("{body}{check}"))
    }

    /// Parse and check a 10-digit provider number.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        const WHAT: &str = "provider number";
        if !all_ascii_digits(text, 10) {
            return Err(CodeError::Shape {
                what: WHAT,
                expected: 10,
            });
        }
        let bytes: [u8; 10] = text.as_bytes().try_into().expect("length checked");
        crate::prefecture::by_code((bytes[0] - b'0') * 10 + (bytes[1] - b'0'))?;
        ProviderKind::from_digit(bytes[2] - b'0')?;
        if mod10_check_digit(&bytes[..9]) + b'0' != bytes[9] {
            return Err(CodeError::CheckDigit { what: WHAT });
        }
        Ok(Self(bytes))
    }

    /// The 10 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }

    /// The kind digit's meaning.
    pub fn kind(&self) -> ProviderKind {
        ProviderKind::from_digit(self.0[2] - b'0').expect("checked at construction")
    }

    /// JIS prefecture code.
    pub fn prefecture_code(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }
}

impl std::fmt::Display for ProviderNumber {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_structure() {
        let number = ProviderNumber::new(13, ProviderKind::Designated, 1, 42).unwrap();
        assert!(number.as_str().starts_with("137010042"));
        assert_eq!(number.kind(), ProviderKind::Designated);
        assert_eq!(number.prefecture_code(), 13);
        assert_eq!(ProviderNumber::parse(number.as_str()).unwrap(), number);
    }

    #[test]
    fn rejects_bad_kind_check_and_shape() {
        let number = ProviderNumber::new(23, ProviderKind::Community, 12, 9).unwrap();
        let mut text = number.as_str().to_string();
        let last = text.pop().unwrap();
        text.push(if last == '9' { '0' } else { char::from(last as u8 + 1) });
        assert!(matches!(
            ProviderNumber::parse(&text),
            Err(CodeError::CheckDigit { .. })
        ));
        // Kind digit 2 is not assigned.
        let body = "232120009";
        let bad = format!("{body}{}", mod10_check_digit(body.as_bytes()));
        assert!(matches!(ProviderNumber::parse(&bad), Err(CodeError::Unknown { .. })));
        assert!(ProviderNumber::parse("123").is_err());
    }
}
