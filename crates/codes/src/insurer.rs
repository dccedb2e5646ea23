//! Insurer numbers (保険者番号) and local-government codes (全国地方公共団体コード).
//!
//! An LTC insurer number has 6 digits: prefecture (2) + insurer-specific number (3) + a check
//! digit (domain.md §3.3). The check digit is a mod-10 (Luhn-type) digit over the 5-digit body:
//! multiply body digits alternately by 2 and 1 starting with ×2 on the **rightmost** digit, add
//! the digits of each product, and take 10 − (sum mod 10), or 0 when the sum ends in 0.
//!
//! The local-government code is a different number with a mod-11 check digit; the registry keeps
//! both (e.g. 枚方市: insurer 272104, local-government code 272108).
//!
//! Claims carry the insurer number zero-padded to 8 characters (証記載保険者番号, "00131011").

use crate::{CodeError, all_ascii_digits};

/// Luhn-type check digit over ASCII digits, ×2 on the rightmost digit (domain.md §3.3).
/// Also used for provider numbers, where the rule is assumed (not published).
pub fn mod10_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(position, &digit)| {
            let value = u32::from(digit - b'0');
            let product = if position % 2 == 0 { value * 2 } else { value };
            product / 10 + product % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The mod-11 check digit of a 5-digit local-government code body (weights 6,5,4,3,2).
pub fn mod11_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(&digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let remainder = sum % 11;
    // A remainder of 0 gives check 0; 11 − 1 = 10 is written as 0 as well (JIS X 0402).
    match remainder {
        0 | 1 => 0,
        r => (11 - r) as u8,
    }
}

/// A valid 6-digit LTC insurer number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InsurerNumber([u8; 6]);

impl InsurerNumber {
    /// Parse and check a 6-digit insurer number.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        const WHAT: &str = "insurer number";
        if !all_ascii_digits(text, 6) {
            return Err(CodeError::Shape {
                what: WHAT,
                expected: 6,
            });
        }
        let bytes: [u8; 6] = text.as_bytes().try_into().expect("length checked");
        if mod10_check_digit(&bytes[..5]) + b'0' != bytes[5] {
            return Err(CodeError::CheckDigit { what: WHAT });
        }
        let prefecture = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        crate::prefecture::by_code(prefecture)?;
        Ok(Self(bytes))
    }

    /// Parse the 8-character zero-padded form used on claims (証記載保険者番号).
    pub fn parse_padded(text: &str) -> Result<Self, CodeError> {
        match text.strip_prefix("00") {
            Some(rest) if text.len() == 8 => Self::parse(rest),
            _ => Err(CodeError::Shape {
                what: "insurer number (8-digit claim form)",
                expected: 8,
            }),
        }
    }

    /// Build from the 5-digit body (prefecture + serial), adding the check digit.
    pub fn from_body(body: &str) -> Result<Self, CodeError> {
        if !all_ascii_digits(body, 5) {
            return Err(CodeError::Shape {
                what: "insurer number body",
                expected: 5,
            });
        }
        let mut bytes = [0u8; 6];
        bytes[..5].copy_from_slice(body.as_bytes());
        bytes[5] = mod10_check_digit(&bytes[..5]) + b'0';
        Self::parse(std::str::from_utf8(&bytes).expect("ASCII digits"))
    }

    /// The 6 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }

    /// The 8-character zero-padded claim form.
    pub fn padded(&self) -> String {
        format!("00{}", self.as_str())
    }

    /// JIS prefecture code (first two digits).
    pub fn prefecture_code(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }
}

impl std::fmt::Display for InsurerNumber {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A local-government code (6 digits: 5-digit body + mod-11 check digit) from its body.
pub fn local_government_code(body: &str) -> Result<String, CodeError> {
    if !all_ascii_digits(body, 5) {
        return Err(CodeError::Shape {
            what: "local-government code body",
            expected: 5,
        });
    }
    let check = mod11_check_digit(body.as_bytes());
    Ok(format!("{body}{check}"))
}

/// Whether a 6-digit local-government code has a correct check digit.
pub fn is_valid_local_government_code(text: &str) -> bool {
    all_ascii_digits(text, 6) && mod11_check_digit(&text.as_bytes()[..5]) + b'0' == text.as_bytes()[5]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_published_examples() {
        // domain.md §3.3: 千代田区, 札幌市, 中央区, 枚方市 (LTC insurer number).
        for (body, number) in [
            ("13101", "131011"),
            ("01100", "011007"),
            ("13102", "131029"),
            ("27210", "272104"),
        ] {
            assert_eq!(InsurerNumber::from_body(body).unwrap().as_str(), number);
            assert!(InsurerNumber::parse(number).is_ok());
        }
        // The 8-digit health-insurer worked example: 3312001 → 5.
        assert_eq!(mod10_check_digit(b"3312001"), 5);
    }

    #[test]
    fn wrong_check_digit_shape_or_prefecture_is_rejected() {
        assert_eq!(
            InsurerNumber::parse("131012"),
            Err(CodeError::CheckDigit { what: "insurer number" })
        );
        assert!(matches!(InsurerNumber::parse("13101"), Err(CodeError::Shape { .. })));
        assert!(matches!(InsurerNumber::parse("13101a"), Err(CodeError::Shape { .. })));
        assert!(matches!(InsurerNumber::parse("１31011"), Err(CodeError::Shape { .. })));
        // Prefecture 99 does not exist even with a correct check digit.
        let body = "99101";
        let check = mod10_check_digit(body.as_bytes());
        assert!(matches!(
            InsurerNumber::parse(&format!("{body}{check}")),
            Err(CodeError::Unknown { .. })
        ));
    }

    #[test]
    fn padded_claim_form_round_trips() {
        let number = InsurerNumber::parse("131011").unwrap();
        assert_eq!(number.padded(), "00131011");
        assert_eq!(InsurerNumber::parse_padded("00131011").unwrap(), number);
        assert!(InsurerNumber::parse_padded("10131011").is_err());
        assert_eq!(number.prefecture_code(), 13);
    }

    #[test]
    fn local_government_code_uses_mod_11() {
        // domain.md §3.3: 27210 → 58 mod 11 = 3 → 8.
        assert_eq!(local_government_code("27210").unwrap(), "272108");
        assert!(is_valid_local_government_code("272108"));
        assert!(!is_valid_local_government_code("272104"));
        assert_eq!(local_government_code("13101").unwrap(), "131016");
    }
}
