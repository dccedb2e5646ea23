//! Care plans per the care-plan data-linkage standard (ケアプランデータ連携 標準仕様, domain.md
//! §3.12): MS932, CRLF, no header, the CSV version (YYYYMM) in the first column of every row.
//!
//! 第1表 (UP1KYO) and 第2表 (UP2KYO) follow the standard's column order; 利用者補足 (UPHOSOKU)
//! has its first 13 columns. The column list of 第6表 (サービス利用票, UPPLAN 予定 / UPJSK 実績) was
//! not found; our 第6表 has the identifying items, the service code and one column per day of the
//! month, which is the shape the standard describes.

use chrono::NaiveDate;
use kaigo_codes::{
    calendar::YearMonth,
    care_level::{CareLevel, Sex},
};

use crate::{encoding::TextEncoding, flat::FlatExtract, layout::Shape, sensitive::Sensitive};

/// CSV version written in column 1.
pub const CSV_VERSION: &str = "202306";

crate::layout! {
    /// 第1表 居宅サービス計画書(1).
    pub struct PlanSheet1 {
        /// CSV version.
        csv_version: String = ("CSVバージョン", "CSV version", Shape::Digits(6)),
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Created on.
        created_on: NaiveDate = ("作成年月日", "created on", Shape::Any),
        /// User postal code.
        postal_code: Option<Sensitive<String>> = ("利用者郵便番号", "user postal code", Shape::Digits(7)),
        /// User address 1.
        address1: Option<Sensitive<String>> = ("利用者住所1", "user address 1", Shape::MaxChars(60)),
        /// User address 2.
        address2: Option<Sensitive<String>> = ("利用者住所2", "user address 2", Shape::MaxChars(60)),
        /// Plan author.
        author: Option<String> = ("居宅サービス計画作成者氏名", "plan author", Shape::MaxChars(40)),
        /// Care-management provider name.
        office_name: Option<String> = ("介護支援事業者名", "care-management provider name", Shape::MaxChars(60)),
        /// Office postal code.
        office_postal_code: Option<String> = ("郵便番号", "office postal code", Shape::Digits(7)),
        /// Office address 1.
        office_address1: Option<String> = ("住所1", "office address 1", Shape::MaxChars(60)),
        /// Office address 2.
        office_address2: Option<String> = ("住所2", "office address 2", Shape::MaxChars(60)),
        /// Care-management office number.
        office_number: String = ("介護支援事業者コード", "care-management office", Shape::Digits(10)),
        /// Plan created or changed on.
        plan_date: NaiveDate = ("居宅サービス計画作成(変更)日", "plan created or changed on", Shape::Any),
        /// First plan created on.
        first_plan_date: NaiveDate = ("初回居宅サービス計画作成日", "first plan created on", Shape::Any),
        /// 11 初回 / 12 紹介 / 21 継続 / 51–54.
        plan_kind: String = ("計画書区分", "plan kind", Shape::Digits(2)),
        /// Certification status kind.
        certification_status: String = ("認定状況区分", "certification status", Shape::Digits(1)),
        /// Certified on.
        certified_on: NaiveDate = ("認定日", "certified on", Shape::Any),
        /// Validity start.
        validity_start: NaiveDate = ("認定の有効期間開始", "valid from", Shape::Any),
        /// Validity end.
        validity_end: NaiveDate = ("認定の有効期間終了", "valid to", Shape::Any),
        /// Care level.
        care_level: CareLevel = ("要介護状態区分", "care level", Shape::Any),
        /// Assessment of the user's and family's wishes.
        wishes: Option<String> = ("利用者及び家族の生活に対する意向を踏まえた課題分析の結果", "assessment of wishes", Shape::Text(1000)),
        /// Board opinion.
        board_opinion: Option<String> = ("介護認定審査会の意見及びサービスの種類の指定", "board opinion", Shape::Text(1000)),
        /// Overall policy.
        policy: Option<String> = ("総合的な援助の方針", "overall policy", Shape::Text(1000)),
        /// Reason for household-help-centred visits (1/2/3).
        household_help_reason: Option<String> = ("生活援助中心型の算定理由", "household-help reason", Shape::Digits(1)),
        /// Other reason.
        other_reason: Option<String> = ("その他理由", "other reason", Shape::Text(100)),
        /// Vendor code.
        vendor_code: Option<String> = ("更新業者コード", "vendor code", Shape::MaxChars(20)),
        /// Identifier.
        identifier: Option<String> = ("識別子", "identifier", Shape::MaxChars(40)),
    }
}

crate::layout! {
    /// 第2表 居宅サービス計画書(2): one row per service line.
    pub struct PlanSheet2 {
        /// CSV version.
        csv_version: String = ("CSVバージョン", "CSV version", Shape::Digits(6)),
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Created on.
        created_on: NaiveDate = ("作成年月日", "created on", Shape::Any),
        /// Plan created or changed on.
        plan_date: NaiveDate = ("計画作成(変更)日", "plan created or changed on", Shape::Any),
        /// Need number.
        need_number: u16 = ("課題NO", "need number", Shape::Any),
        /// Need.
        need: Option<String> = ("生活全般の解決すべき課題（ニーズ）", "need", Shape::Text(200)),
        /// Goal number.
        goal_number: u16 = ("援助目標NO", "goal number", Shape::Any),
        /// Long-term goal.
        long_term_goal: Option<String> = ("長期目標", "long-term goal", Shape::Text(200)),
        /// Short-term goal.
        short_term_goal: Option<String> = ("短期目標", "short-term goal", Shape::Text(200)),
        /// Long-term period.
        long_term_period: Option<String> = ("長期期間", "long-term period", Shape::MaxChars(40)),
        /// Short-term period.
        short_term_period: Option<String> = ("短期期間", "short-term period", Shape::MaxChars(40)),
        /// Support number.
        support_number: u16 = ("援助内容NO", "support number", Shape::Any),
        /// Service content.
        service_content: Option<String> = ("サービス内容", "service content", Shape::Text(200)),
        /// Covered by insurance (1) or not (0).
        insured_service: Option<String> = ("保険給付対象区分", "covered by insurance", Shape::Digits(1)),
        /// Service kind code.
        service_kind: String = ("サービス種別", "service kind", Shape::MaxChars(2)),
        /// Service provider.
        provider_number: Option<String> = ("サービス事業者コード", "service provider", Shape::Digits(10)),
        /// Provider name.
        provider_name: Option<String> = ("サービス事業所名", "provider name", Shape::MaxChars(60)),
        /// Frequency.
        frequency: Option<String> = ("頻度", "frequency", Shape::MaxChars(40)),
        /// Period.
        period: Option<String> = ("期間", "period", Shape::MaxChars(40)),
        /// Vendor code.
        vendor_code: Option<String> = ("更新業者コード", "vendor code", Shape::MaxChars(20)),
        /// Identifier.
        identifier: Option<String> = ("識別子", "identifier", Shape::MaxChars(40)),
    }
}

crate::layout! {
    /// 第6表 サービス利用票: planned (UPPLAN) or actual (UPJSK) use of one service in one month.
    pub struct PlanMonth {
        /// CSV version.
        csv_version: String = ("CSVバージョン", "CSV version", Shape::Digits(6)),
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Target month.
        target_month: YearMonth = ("対象年月", "target month", Shape::Any),
        /// Care-management office.
        office_number: String = ("居宅介護支援事業所番号", "care-management office", Shape::Digits(10)),
        /// Service provider.
        provider_number: String = ("サービス事業所番号", "service provider", Shape::Digits(10)),
        /// Service code: kind (2) + item (4).
        service_code: String = ("サービスコード", "service code", Shape::MaxChars(6)),
        /// 1 予定 / 2 実績.
        plan_or_actual: String = ("予定実績区分", "planned (1) or actual (2)", Shape::Digits(1)),
        /// Uses per day, days 1–31, as a 31-character string of digits (0 where none; days past
        /// the month's end are 0).
        days: String = ("日別回数（1日〜31日）", "uses per day (days 1–31)", Shape::Digits(31)),
        /// Total uses in the month.
        total: u16 = ("合計回数", "total uses", Shape::Any),
    }
}

crate::layout! {
    /// 利用者補足情報 (UPHOSOKU), first 13 columns.
    pub struct PlanSupplement {
        /// CSV version.
        csv_version: String = ("CSVバージョン", "CSV version", Shape::Digits(6)),
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Plan created or changed on.
        plan_date: NaiveDate = ("計画作成(変更)日", "plan created or changed on", Shape::Any),
        /// Name in kana.
        kana_name: Sensitive<String> = ("氏名フリガナ", "name (kana)", Shape::MaxChars(40)),
        /// Name.
        kanji_name: Sensitive<String> = ("氏名", "name", Shape::MaxChars(40)),
        /// Sex.
        sex: Sex = ("性別", "sex", Shape::Any),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Postal code.
        postal_code: Option<Sensitive<String>> = ("郵便番号", "postal code", Shape::Digits(7)),
        /// Address 1.
        address1: Option<Sensitive<String>> = ("住所1", "address 1", Shape::MaxChars(60)),
        /// Address 2.
        address2: Option<Sensitive<String>> = ("住所2", "address 2", Shape::MaxChars(60)),
        /// Telephone.
        telephone: Option<Sensitive<String>> = ("電話番号", "telephone", Shape::MaxChars(15)),
        /// Certified on.
        certified_on: Option<NaiveDate> = ("認定日", "certified on", Shape::Any),
    }
}

macro_rules! care_plan_extract {
    ($type:ty, $name:literal, $ja:literal, $en:literal) => {
        impl FlatExtract for $type {
            const NAME: &'static str = $name;
            const ENCODING: TextEncoding = TextEncoding::Ms932;
            const HEADER: bool = false;
            const TITLE_JA: &'static str = $ja;
            const TITLE_EN: &'static str = $en;
        }
    };
}

care_plan_extract!(PlanSheet1, "UP1KYO", "居宅サービス計画書(1) 第1表", "Care plan sheet 1");
care_plan_extract!(
    PlanSheet2,
    "UP2KYO",
    "居宅サービス計画書(2) 第2表",
    "Care plan sheet 2 (service lines)"
);
care_plan_extract!(
    PlanMonth,
    "UPPLAN",
    "サービス利用票 第6表（予定・実績）",
    "Service-use sheet 6 (planned and actual)"
);
care_plan_extract!(PlanSupplement, "UPHOSOKU", "利用者補足情報", "User supplement");
