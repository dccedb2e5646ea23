//! Service-kind codes (サービス種類コード, 2 characters; domain.md §3.1), with each kind's group,
//! labour-cost share for the unit price (§3.6), whether its units count against the monthly
//! in-home benefit limit, and the claim form (exchange-information identifier, §3.7) it is billed on.
//!
//! The labour-share assignment beyond 11–16 and 78 follows domain.md §3.6 and is marked there as
//! unverified against the ministerial notice; the same table drives the generator and validation,
//! so they cannot drift apart.

use crate::CodeError;

/// The group a service kind belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ServiceGroup {
    /// 居宅サービス (in-home services, 介護給付).
    InHome,
    /// 地域密着型サービス (community-based services).
    Community,
    /// 施設サービス (facility services).
    Facility,
    /// 居宅介護支援 (care management for 要介護).
    CareManagement,
    /// 介護予防サービス (preventive services for 要支援, incl. 介護予防支援).
    Preventive,
}

impl ServiceGroup {
    /// Stable snake-case code for SQL (`in_home`, `community`, `facility`, `care_management`,
    /// `preventive`).
    pub fn code(self) -> &'static str {
        match self {
            Self::InHome => "in_home",
            Self::Community => "community",
            Self::Facility => "facility",
            Self::CareManagement => "care_management",
            Self::Preventive => "preventive",
        }
    }

    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::InHome => "居宅",
            Self::Community => "地域密着",
            Self::Facility => "施設",
            Self::CareManagement => "居宅介護支援",
            Self::Preventive => "予防",
        }
    }
}

/// Labour-cost share used in the unit price (人件費割合).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabourShare {
    /// 70 %.
    High,
    /// 55 %.
    Middle,
    /// 45 %.
    Low,
    /// No area uplift: 10 yen per unit everywhere (福祉用具貸与, 居宅療養管理指導).
    Flat,
}

/// One service kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceKind {
    /// The 2-character code, e.g. `"11"` or `"2A"`.
    pub code: &'static str,
    /// Japanese name.
    pub name_ja: &'static str,
    /// English gloss.
    pub name_en: &'static str,
    /// Group.
    pub group: ServiceGroup,
    /// Labour share for the unit price.
    pub labour_share: LabourShare,
    /// Whether units count against the monthly in-home limit (区分支給限度基準額).
    pub limit_applies: bool,
    /// Exchange-information identifier of the statement it is billed on (2018 layout).
    pub exchange_id: &'static str,
    /// Still billable (false for kinds abolished or moved to 総合事業).
    pub current: bool,
}

macro_rules! kinds {
    ($(($code:literal, $ja:literal, $en:literal, $group:ident, $share:ident, $limit:literal, $form:literal, $current:literal)),* $(,)?) => {
        /// Every service kind in code order.
        pub const SERVICE_KINDS: &[ServiceKind] = &[$(ServiceKind {
            code: $code, name_ja: $ja, name_en: $en, group: ServiceGroup::$group,
            labour_share: LabourShare::$share, limit_applies: $limit, exchange_id: $form, current: $current,
        }),*];
    };
}

kinds![
    ("11", "訪問介護", "home help", InHome, High, true, "7131", true),
    ("12", "訪問入浴介護", "home bathing", InHome, High, true, "7131", true),
    ("13", "訪問看護", "home nursing", InHome, High, true, "7131", true),
    (
        "14",
        "訪問リハビリテーション",
        "home rehabilitation",
        InHome,
        Middle,
        true,
        "7131",
        true
    ),
    ("15", "通所介護", "day service", InHome, Low, true, "7131", true),
    (
        "16",
        "通所リハビリテーション",
        "day rehabilitation",
        InHome,
        Middle,
        true,
        "7131",
        true
    ),
    (
        "17",
        "福祉用具貸与",
        "equipment rental",
        InHome,
        Flat,
        true,
        "7131",
        true
    ),
    (
        "21",
        "短期入所生活介護",
        "short stay (welfare)",
        InHome,
        Middle,
        true,
        "7143",
        true
    ),
    (
        "22",
        "短期入所療養介護（介護老人保健施設）",
        "short stay (health facility)",
        InHome,
        Low,
        true,
        "7155",
        true
    ),
    (
        "23",
        "短期入所療養介護（病院等）",
        "short stay (hospital etc.)",
        InHome,
        Low,
        true,
        "7164",
        true
    ),
    (
        "2A",
        "短期入所療養介護（介護医療院）",
        "short stay (care-medical institution)",
        InHome,
        Low,
        true,
        "7155",
        true
    ),
    (
        "24",
        "介護予防短期入所生活介護",
        "preventive short stay (welfare)",
        Preventive,
        Middle,
        true,
        "7144",
        true
    ),
    (
        "25",
        "介護予防短期入所療養介護（介護老人保健施設）",
        "preventive short stay (health facility)",
        Preventive,
        Low,
        true,
        "7156",
        true
    ),
    (
        "26",
        "介護予防短期入所療養介護（病院等）",
        "preventive short stay (hospital etc.)",
        Preventive,
        Low,
        true,
        "7165",
        true
    ),
    (
        "2B",
        "介護予防短期入所療養介護（介護医療院）",
        "preventive short stay (care-medical institution)",
        Preventive,
        Low,
        true,
        "7156",
        true
    ),
    (
        "27",
        "特定施設入居者生活介護（短期利用）",
        "specified facility, short-term",
        InHome,
        Low,
        true,
        "7171",
        true
    ),
    (
        "28",
        "地域密着型特定施設入居者生活介護（短期利用）",
        "community specified facility, short-term",
        Community,
        Low,
        true,
        "7171",
        true
    ),
    (
        "31",
        "居宅療養管理指導",
        "in-home medical management",
        InHome,
        Flat,
        false,
        "7131",
        true
    ),
    (
        "32",
        "認知症対応型共同生活介護（短期利用以外）",
        "dementia group home",
        Community,
        Low,
        false,
        "7171",
        true
    ),
    (
        "33",
        "特定施設入居者生活介護（短期利用以外）",
        "specified facility",
        InHome,
        Low,
        false,
        "7171",
        true
    ),
    (
        "34",
        "介護予防居宅療養管理指導",
        "preventive in-home medical management",
        Preventive,
        Flat,
        false,
        "7132",
        true
    ),
    (
        "35",
        "介護予防特定施設入居者生活介護",
        "preventive specified facility",
        Preventive,
        Low,
        false,
        "7171",
        true
    ),
    (
        "36",
        "地域密着型特定施設入居者生活介護",
        "community specified facility",
        Community,
        Low,
        false,
        "7171",
        true
    ),
    (
        "37",
        "介護予防認知症対応型共同生活介護（短期利用以外）",
        "preventive dementia group home",
        Preventive,
        Low,
        false,
        "7171",
        true
    ),
    (
        "38",
        "認知症対応型共同生活介護（短期利用）",
        "dementia group home, short-term",
        Community,
        Low,
        true,
        "7171",
        true
    ),
    (
        "39",
        "介護予防認知症対応型共同生活介護（短期利用）",
        "preventive dementia group home, short-term",
        Preventive,
        Low,
        true,
        "7171",
        true
    ),
    (
        "43",
        "居宅介護支援",
        "care management",
        CareManagement,
        High,
        false,
        "8124",
        true
    ),
    (
        "46",
        "介護予防支援",
        "preventive care management",
        Preventive,
        High,
        false,
        "8125",
        true
    ),
    (
        "51",
        "介護福祉施設サービス",
        "welfare facility (特養)",
        Facility,
        Low,
        false,
        "7183",
        true
    ),
    (
        "52",
        "介護保健施設サービス",
        "health facility (老健)",
        Facility,
        Low,
        false,
        "7195",
        true
    ),
    (
        "53",
        "介護療養施設サービス",
        "LTC sanatorium (abolished FY2023)",
        Facility,
        Low,
        false,
        "71A3",
        false
    ),
    (
        "54",
        "地域密着型介護老人福祉施設入所者生活介護",
        "small welfare facility",
        Community,
        Low,
        false,
        "7183",
        true
    ),
    (
        "55",
        "介護医療院サービス",
        "care-medical institution",
        Facility,
        Low,
        false,
        "7195",
        true
    ),
    (
        "61",
        "介護予防訪問介護",
        "preventive home help (moved to 総合事業)",
        Preventive,
        High,
        true,
        "7132",
        false
    ),
    (
        "62",
        "介護予防訪問入浴介護",
        "preventive home bathing",
        Preventive,
        High,
        true,
        "7132",
        true
    ),
    (
        "63",
        "介護予防訪問看護",
        "preventive home nursing",
        Preventive,
        High,
        true,
        "7132",
        true
    ),
    (
        "64",
        "介護予防訪問リハビリテーション",
        "preventive home rehabilitation",
        Preventive,
        Middle,
        true,
        "7132",
        true
    ),
    (
        "65",
        "介護予防通所介護",
        "preventive day service (moved to 総合事業)",
        Preventive,
        Low,
        true,
        "7132",
        false
    ),
    (
        "66",
        "介護予防通所リハビリテーション",
        "preventive day rehabilitation",
        Preventive,
        Middle,
        true,
        "7132",
        true
    ),
    (
        "67",
        "介護予防福祉用具貸与",
        "preventive equipment rental",
        Preventive,
        Flat,
        true,
        "7132",
        true
    ),
    (
        "68",
        "小規模多機能型居宅介護（短期利用）",
        "multi-function small home, short-term",
        Community,
        Middle,
        true,
        "7131",
        true
    ),
    (
        "69",
        "介護予防小規模多機能型居宅介護（短期利用）",
        "preventive multi-function small home, short-term",
        Preventive,
        Middle,
        true,
        "7132",
        true
    ),
    (
        "71",
        "夜間対応型訪問介護",
        "night home help",
        Community,
        High,
        true,
        "7131",
        true
    ),
    (
        "72",
        "認知症対応型通所介護",
        "dementia day service",
        Community,
        Middle,
        true,
        "7131",
        true
    ),
    (
        "73",
        "小規模多機能型居宅介護（短期利用以外）",
        "multi-function small home",
        Community,
        Middle,
        true,
        "7131",
        true
    ),
    (
        "74",
        "介護予防認知症対応型通所介護",
        "preventive dementia day service",
        Preventive,
        Middle,
        true,
        "7132",
        true
    ),
    (
        "75",
        "介護予防小規模多機能型居宅介護（短期利用以外）",
        "preventive multi-function small home",
        Preventive,
        Middle,
        true,
        "7132",
        true
    ),
    (
        "76",
        "定期巡回・随時対応型訪問介護看護",
        "24-hour regular and on-call visits",
        Community,
        High,
        true,
        "7131",
        true
    ),
    (
        "77",
        "看護小規模多機能型居宅介護（短期利用以外）",
        "nursing multi-function small home",
        Community,
        Middle,
        true,
        "7131",
        true
    ),
    (
        "78",
        "地域密着型通所介護",
        "small day service",
        Community,
        Low,
        true,
        "7131",
        true
    ),
    (
        "79",
        "看護小規模多機能型居宅介護（短期利用）",
        "nursing multi-function small home, short-term",
        Community,
        Middle,
        true,
        "7131",
        true
    ),
];

/// The service kind with this code.
pub fn by_code(code: &str) -> Result<&'static ServiceKind, CodeError> {
    SERVICE_KINDS
        .iter()
        .find(|kind| kind.code == code)
        .ok_or(CodeError::Unknown {
            what: "service kind code",
        })
}

/// Whether an exchange-information identifier is a per-line statement layout handled as
/// 基本情報 (01) + 明細情報 (02) + 集計情報 (10) records.
pub fn is_statement_exchange_id(exchange_id: &str) -> bool {
    SERVICE_KINDS
        .iter()
        .any(|kind| kind.exchange_id == exchange_id && !exchange_id.starts_with('8'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        for (index, kind) in SERVICE_KINDS.iter().enumerate() {
            assert_eq!(kind.code.len(), 2);
            assert!(SERVICE_KINDS[index + 1..].iter().all(|other| other.code != kind.code));
        }
        assert_eq!(by_code("43").unwrap().group, ServiceGroup::CareManagement);
        assert_eq!(by_code("2A").unwrap().exchange_id, "7155");
        assert!(by_code("99").is_err());
    }

    #[test]
    fn forms_match_domain_reference() {
        assert_eq!(by_code("11").unwrap().exchange_id, "7131");
        assert_eq!(by_code("67").unwrap().exchange_id, "7132");
        assert_eq!(by_code("51").unwrap().exchange_id, "7183");
        assert_eq!(by_code("52").unwrap().exchange_id, "7195");
        assert_eq!(by_code("55").unwrap().exchange_id, "7195");
        assert!(is_statement_exchange_id("7131"));
        assert!(!is_statement_exchange_id("8124"));
    }
}
