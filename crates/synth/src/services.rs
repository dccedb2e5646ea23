//! In-home service use: which services a user takes at each level, how often, and for how many
//! units. Probabilities come from national monthly users by service (domain.md §2.4.2) divided by
//! in-home users, shaped by level where the source gives a level split (訪問介護) and by plausible
//! gradients elsewhere. Units per occurrence are of the order of the 2024 fee schedule; the full
//! service-code master is not reproduced (domain.md §3.1), so item codes are illustrative.

/// An in-home service a user may take: kind, probability per in-home user by level
/// (要支援1, 要支援2, 要介護1…5).
pub const IN_HOME_SERVICES: [(&str, [f64; 7]); 19] = [
    ("11", [0.0, 0.0, 0.33, 0.34, 0.42, 0.48, 0.62]),
    ("12", [0.0, 0.0, 0.0, 0.005, 0.03, 0.07, 0.15]),
    ("13", [0.0, 0.0, 0.12, 0.17, 0.25, 0.33, 0.45]),
    ("14", [0.0, 0.0, 0.03, 0.04, 0.05, 0.05, 0.05]),
    ("15", [0.0, 0.0, 0.42, 0.42, 0.38, 0.30, 0.20]),
    ("16", [0.0, 0.0, 0.15, 0.16, 0.13, 0.10, 0.06]),
    ("17", [0.0, 0.0, 0.45, 0.75, 0.85, 0.90, 0.90]),
    ("21", [0.0, 0.0, 0.04, 0.08, 0.15, 0.17, 0.15]),
    ("22", [0.0, 0.0, 0.005, 0.01, 0.02, 0.02, 0.02]),
    ("31", [0.0, 0.0, 0.20, 0.25, 0.35, 0.45, 0.55]),
    ("73", [0.0, 0.0, 0.03, 0.03, 0.03, 0.03, 0.03]),
    ("76", [0.0, 0.0, 0.008, 0.01, 0.015, 0.02, 0.02]),
    ("78", [0.0, 0.0, 0.15, 0.14, 0.12, 0.09, 0.06]),
    ("67", [0.50, 0.55, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ("66", [0.25, 0.28, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ("63", [0.08, 0.12, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ("64", [0.03, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ("24", [0.005, 0.01, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ("34", [0.04, 0.06, 0.0, 0.0, 0.0, 0.0, 0.0]),
];

/// One line of a statement: service item code, units per occurrence and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// 4-digit item code.
    pub item: &'static str,
    /// Units per occurrence.
    pub unit_value: u32,
    /// Days or times.
    pub count: u32,
}

const LEVEL_ITEMS: [&str; 7] = ["1211", "1221", "1111", "1121", "1131", "1141", "1151"];

/// The usual monthly line for an in-home service at a level (0 = 要支援1 … 6 = 要介護5),
/// with `intensity` ∈ [0, 1) spreading use around the typical frequency.
pub fn in_home_line(kind: &str, level: usize, intensity: f64) -> Line {
    let care = level.saturating_sub(2); // 0 = 要介護1 … 4 = 要介護5
    let spread = |low: f64, high: f64| (low + (high - low) * intensity).round().max(1.0) as u32;
    let line = |item, unit_value, count| Line {
        item,
        unit_value,
        count,
    };
    match kind {
        // Home help: 身体介護 30–60 min, visits grow with level.
        "11" => line("1111", 387, spread(6.0 + 5.0 * care as f64, 16.0 + 12.0 * care as f64)),
        "12" => line("1111", 1266, spread(4.0, 9.0)),
        "13" => line("1111", 471, spread(2.0 + care as f64, 6.0 + 2.0 * care as f64)),
        "14" => line("1111", 308, spread(4.0, 8.0)),
        "15" => line(
            LEVEL_ITEMS[level],
            [0, 0, 658, 777, 900, 1023, 1148][level],
            spread(6.0, 16.0),
        ),
        "16" => line(
            LEVEL_ITEMS[level],
            [0, 0, 762, 903, 1046, 1215, 1379][level],
            spread(5.0, 12.0),
        ),
        "78" => line(
            LEVEL_ITEMS[level],
            [0, 0, 753, 890, 1032, 1172, 1312][level],
            spread(6.0, 15.0),
        ),
        // Equipment rental is billed per month at the rental price / 10 yen.
        "17" => line(
            "1001",
            spread(150.0 + 150.0 * care as f64, 600.0 + 400.0 * care as f64),
            1,
        ),
        "21" => line(
            LEVEL_ITEMS[level],
            [0, 0, 645, 715, 787, 856, 926][level],
            spread(3.0, 10.0),
        ),
        "22" => line(
            LEVEL_ITEMS[level],
            [0, 0, 827, 876, 939, 991, 1045][level],
            spread(3.0, 8.0),
        ),
        "31" => line("1111", 515, spread(1.0, 2.0)),
        "73" => line(
            LEVEL_ITEMS[level],
            [0, 0, 10_458, 15_370, 22_359, 24_677, 27_209][level],
            1,
        ),
        "76" => line(
            LEVEL_ITEMS[level],
            [0, 0, 5_446, 9_720, 16_140, 20_417, 24_692][level],
            1,
        ),
        "67" => line("1001", spread(150.0, 650.0), 1),
        "66" => line(LEVEL_ITEMS[level], [2_268, 4_228, 0, 0, 0, 0, 0][level], 1),
        "63" => line("1111", 451, spread(3.0, 8.0)),
        "64" => line("1111", 298, spread(2.0, 6.0)),
        "24" => line(LEVEL_ITEMS[level], [451, 561, 0, 0, 0, 0, 0][level], spread(2.0, 6.0)),
        "34" => line("1111", 515, spread(1.0, 2.0)),
        _ => line("1111", 100, 1),
    }
}

/// Daily units of a residential service at a level.
pub fn residential_daily_units(kind: &str, level: usize) -> u32 {
    match kind {
        "51" => [0, 0, 589, 659, 732, 802, 871][level],
        "52" => [0, 0, 717, 763, 828, 883, 932][level],
        "55" => [0, 0, 833, 943, 1_182, 1_283, 1_372][level],
        "54" => [0, 0, 600, 671, 745, 817, 887][level],
        "32" => [0, 0, 765, 801, 824, 841, 859][level],
        "37" => [0, 761, 0, 0, 0, 0, 0][level],
        "33" => [0, 0, 542, 609, 679, 744, 813][level],
        "35" => [183, 313, 0, 0, 0, 0, 0][level],
        _ => 0,
    }
}

/// 介護職員等処遇改善加算 (from June 2024) as a share of units, by kind (the highest tier, 新加算Ⅰ,
/// of the 2024 revision; 0 for kinds without it: nursing, rehabilitation, equipment, medical
/// management, care management).
pub fn improvement_rate(kind: &str) -> f64 {
    match kind {
        "11" | "12" | "71" | "76" => 0.245,
        "15" | "78" => 0.092,
        "21" | "24" => 0.14,
        "51" | "54" => 0.14,
        "52" | "22" => 0.075,
        "55" => 0.051,
        "32" | "37" => 0.186,
        "33" | "35" => 0.128,
        "73" => 0.149,
        _ => 0.0,
    }
}

/// Monthly care-management fee: 居宅介護支援 1,086 (要介護1–2) / 1,411 (3–5); 介護予防支援 442.
pub fn care_management_units(level: usize) -> u32 {
    match level {
        0 | 1 => 442,
        2 | 3 => 1_086,
        _ => 1_411,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_service_is_a_known_kind_with_units() {
        for (kind, probabilities) in IN_HOME_SERVICES {
            let service = kaigo_codes::service::by_code(kind).unwrap();
            assert!(service.current);
            for (level, probability) in probabilities.into_iter().enumerate() {
                if probability > 0.0 {
                    let line = in_home_line(kind, level, 0.5);
                    assert!(line.unit_value > 0 && line.count > 0, "{kind} at {level}");
                    assert_eq!(
                        level < 2,
                        service.group == kaigo_codes::service::ServiceGroup::Preventive,
                        "{kind}"
                    );
                }
            }
        }
    }
}
