//! Care-level codes (要介護状態区分コード, domain.md §3.2) and monthly in-home benefit limits
//! (区分支給限度基準額, §3.6).

use crate::CodeError;

/// A care level as decided by certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum CareLevel {
    /// 01 非該当 (not eligible).
    NotEligible,
    /// 11 要支援（経過的要介護）, the transitional category of 2006.
    TransitionalSupport,
    /// 12 要支援1.
    Support1,
    /// 13 要支援2.
    Support2,
    /// 21 要介護1.
    Care1,
    /// 22 要介護2.
    Care2,
    /// 23 要介護3.
    Care3,
    /// 24 要介護4.
    Care4,
    /// 25 要介護5.
    Care5,
}

impl CareLevel {
    /// The seven levels a person can be certified at today, lightest first.
    pub const CERTIFIED: [CareLevel; 7] = [
        Self::Support1,
        Self::Support2,
        Self::Care1,
        Self::Care2,
        Self::Care3,
        Self::Care4,
        Self::Care5,
    ];

    /// The 2-digit code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotEligible => "01",
            Self::TransitionalSupport => "11",
            Self::Support1 => "12",
            Self::Support2 => "13",
            Self::Care1 => "21",
            Self::Care2 => "22",
            Self::Care3 => "23",
            Self::Care4 => "24",
            Self::Care5 => "25",
        }
    }

    /// Parse a 2-digit code.
    pub fn parse(code: &str) -> Result<Self, CodeError> {
        Ok(match code {
            "01" => Self::NotEligible,
            "11" => Self::TransitionalSupport,
            "12" => Self::Support1,
            "13" => Self::Support2,
            "21" => Self::Care1,
            "22" => Self::Care2,
            "23" => Self::Care3,
            "24" => Self::Care4,
            "25" => Self::Care5,
            _ => {
                return Err(CodeError::Unknown {
                    what: "care level code",
                });
            }
        })
    }

    /// Ordinal 0 (非該当) … 7 (要介護5); the transitional category ranks with 要支援1.
    pub fn ordinal(self) -> u8 {
        match self {
            Self::NotEligible => 0,
            Self::TransitionalSupport | Self::Support1 => 1,
            Self::Support2 => 2,
            Self::Care1 => 3,
            Self::Care2 => 4,
            Self::Care3 => 5,
            Self::Care4 => 6,
            Self::Care5 => 7,
        }
    }

    /// The certified level (要支援1…要介護5) with index 0…6 in [`Self::CERTIFIED`].
    pub fn from_certified_index(index: usize) -> Self {
        Self::CERTIFIED[index]
    }

    /// Index 0…6 in [`Self::CERTIFIED`], or `None` for 非該当 and the transitional category.
    pub fn certified_index(self) -> Option<usize> {
        Self::CERTIFIED.iter().position(|&level| level == self)
    }

    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::NotEligible => "非該当",
            Self::TransitionalSupport => "経過的要介護",
            Self::Support1 => "要支援1",
            Self::Support2 => "要支援2",
            Self::Care1 => "要介護1",
            Self::Care2 => "要介護2",
            Self::Care3 => "要介護3",
            Self::Care4 => "要介護4",
            Self::Care5 => "要介護5",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::NotEligible => "not eligible",
            Self::TransitionalSupport => "transitional support",
            Self::Support1 => "support 1",
            Self::Support2 => "support 2",
            Self::Care1 => "care 1",
            Self::Care2 => "care 2",
            Self::Care3 => "care 3",
            Self::Care4 => "care 4",
            Self::Care5 => "care 5",
        }
    }

    /// 要支援 (support) levels use preventive services (予防給付).
    pub fn is_support(self) -> bool {
        matches!(self, Self::TransitionalSupport | Self::Support1 | Self::Support2)
    }

    /// Monthly in-home benefit limit in units. 要介護1–5 per domain.md §3.6; the 要支援 values
    /// (5,032 / 10,531) are marked unverified there.
    pub fn monthly_limit_units(self) -> Option<u32> {
        match self {
            Self::NotEligible => None,
            Self::TransitionalSupport | Self::Support1 => Some(5_032),
            Self::Support2 => Some(10_531),
            Self::Care1 => Some(16_765),
            Self::Care2 => Some(19_705),
            Self::Care3 => Some(27_048),
            Self::Care4 => Some(30_938),
            Self::Care5 => Some(36_217),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_order() {
        for level in CareLevel::CERTIFIED {
            assert_eq!(CareLevel::parse(level.code()).unwrap(), level);
        }
        assert!(CareLevel::parse("26").is_err());
        assert!(CareLevel::Care5 > CareLevel::Support1);
        assert_eq!(CareLevel::Care3.ordinal(), 5);
        assert_eq!(CareLevel::Care1.monthly_limit_units(), Some(16_765));
        assert_eq!(CareLevel::Care5.monthly_limit_units(), Some(36_217));
    }
}

/// Sex code (性別コード): 1 男 (male), 2 女 (female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Sex {
    /// 1 男.
    Male,
    /// 2 女.
    Female,
}

impl Sex {
    /// The 1-digit code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "1",
            Self::Female => "2",
        }
    }

    /// Parse the 1-digit code.
    pub fn parse(code: &str) -> Result<Self, CodeError> {
        match code {
            "1" => Ok(Self::Male),
            "2" => Ok(Self::Female),
            _ => Err(CodeError::Unknown { what: "sex code" }),
        }
    }
}
