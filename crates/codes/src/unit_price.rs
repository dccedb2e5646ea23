//! Area grades (地域区分) and the price of one unit (1単位の単価) in yen (domain.md §3.6).
//!
//! Unit price = 10 yen + 10 yen × area uplift × labour share, rounded half-up to 0.01 yen.
//! Money is kept as integers: prices in hundredths of a yen ("centi-yen", e.g. 1140 = 11.40 yen,
//! which is also how the claim's 集計情報 writes 単位数単価), amounts in whole yen.

use crate::service::LabourShare;

/// Area grade: 1級地 … 7級地 and その他 (written here as grade 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaGrade(u8);

impl AreaGrade {
    /// その他 (no uplift).
    pub const OTHER: AreaGrade = AreaGrade(8);

    /// Grade 1–7, or 8 for その他.
    pub fn new(grade: u8) -> Option<Self> {
        (1..=8).contains(&grade).then_some(Self(grade))
    }

    /// 1–8.
    pub fn number(self) -> u8 {
        self.0
    }

    /// Uplift over 10 yen in percent: 20, 16, 15, 12, 10, 6, 3, 0.
    pub fn uplift_percent(self) -> u32 {
        [20, 16, 15, 12, 10, 6, 3, 0][usize::from(self.0 - 1)]
    }

    /// Japanese label, e.g. "1級地" or "その他".
    pub fn label_ja(self) -> String {
        if self.0 == 8 {
            "その他".to_string()
        } else {
            format!("{}級地", self.0)
        }
    }
}

impl LabourShare {
    /// Percent of the unit price that is labour cost (0 for flat-priced kinds).
    pub fn percent(self) -> u32 {
        match self {
            Self::High => 70,
            Self::Middle => 55,
            Self::Low => 45,
            Self::Flat => 0,
        }
    }
}

/// The unit price in hundredths of a yen (1140 = 11.40 yen).
pub fn unit_price_centiyen(grade: AreaGrade, share: LabourShare) -> u32 {
    // In ten-thousandths of a yen: 10 yen = 100_000; uplift = 10 × uplift% × share%.
    let ten_thousandths = 100_000 + 10 * grade.uplift_percent() * share.percent();
    (ten_thousandths + 50) / 100
}

/// Total cost (費用額) in yen for a number of units: truncated to the yen.
pub fn cost_yen(units: u64, price_centiyen: u32) -> u64 {
    units * u64::from(price_centiyen) / 100
}

/// Split a cost into the insurance claim (請求額) and the user's co-payment (利用者負担額)
/// at a benefit rate in percent (90, 80 or 70). The claim is truncated to the yen and the user
/// pays the rest. The interface specification's exact rounding rule was not found (domain.md §3.7);
/// this is the rule both the generator and validation use.
pub fn split_cost(cost_yen: u64, benefit_rate_percent: u32) -> (u64, u64) {
    let claim = cost_yen * u64::from(benefit_rate_percent) / 100;
    (claim, cost_yen - claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_table_matches_domain_reference() {
        // domain.md §3.6, rows 70 % / 55 % / 45 %, columns 1級地 … その他.
        let expected = [
            (LabourShare::High, [1140, 1112, 1105, 1084, 1070, 1042, 1021, 1000]),
            (LabourShare::Middle, [1110, 1088, 1083, 1066, 1055, 1033, 1017, 1000]),
            (LabourShare::Low, [1090, 1072, 1068, 1054, 1045, 1027, 1014, 1000]),
        ];
        for (share, row) in expected {
            for (grade, price) in (1..=8).zip(row) {
                assert_eq!(unit_price_centiyen(AreaGrade::new(grade).unwrap(), share), price);
            }
        }
        assert_eq!(unit_price_centiyen(AreaGrade::new(1).unwrap(), LabourShare::Flat), 1000);
        assert!(AreaGrade::new(0).is_none() && AreaGrade::new(9).is_none());
    }

    #[test]
    fn amounts_truncate_to_the_yen() {
        // 1,234 units at 11.05 yen = 13,635.7 yen → 13,635 yen.
        assert_eq!(cost_yen(1_234, 1105), 13_635);
        // 90 % of 13,635 = 12,271.5 → claim 12,271, user pays 1,364.
        assert_eq!(split_cost(13_635, 90), (12_271, 1_364));
        assert_eq!(split_cost(10_000, 70), (7_000, 3_000));
        assert_eq!(split_cost(0, 90), (0, 0));
    }
}
