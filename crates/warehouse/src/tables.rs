//! Every table of the warehouse and the vault, each declared once: its row struct is what ingest
//! and linkage fill, and its [`TableSpec`] (Arrow schema, sort order, data dictionary) is derived
//! from the same declaration ([`crate::columns`]).

use std::sync::LazyLock;

use chrono::NaiveDate;

use crate::{
    Column, TableSpec,
    columns::{Columns, RowWriter, Table},
};

const LINE_KEY: &[&str] = &["delivery_month", "source_file_id", "source_line"];

crate::columns! {
    /// Where a loaded row came from: the first columns of every table a delivery load writes.
    pub struct Lineage<'a> {
        delivery_month: &'a str = ("受領年月（処理対象年月）", "delivery (processing) month, YYYYMM; partition"),
        source_file_id: &'a str = ("元ファイルID", "source file id (see the load manifest and source_files)"),
        source_line: i64 = ("元ファイル行番号", "line in the source file where the record starts"),
    }
}

crate::columns! {
    /// The pseudonymous person of a record: insurer and keyed insured number.
    pub struct Person<'a> {
        identity_key: &'a str = ("仮名化被保険者キー", "pseudonymous key of the insurer + insured number (keyed; one per insurer a person \
             was insured by; person_map gives the linked person_key)"),
        insurer_number: &'a str = ("保険者番号", "insurer number (6 digits)"),
    }
}

crate::columns! {
    /// What every record of a claim statement (basic, lines, totals) is keyed by.
    pub struct ClaimKey<'a> {
        exchange_id: &'a str = ("交換情報識別番号", "exchange information id (form)"),
        service_month: &'a str = ("サービス提供年月", "service month, YYYYMM"),
        provider_number: &'a str = ("事業所番号", "provider number"),
        /// The statement's person.
        person: Person<'a>,
        statement_line: i64 = ("明細書の基本情報の行番号", "line of the statement's 01 record (joins lines and totals to statements)"),
    }
}

/// The 74 answer codes of the certification survey (基本調査), columns `survey_01`…`survey_74`
/// in item order.
#[derive(Debug, Clone, Copy)]
pub struct SurveyAnswers<'a>(pub &'a [u8; 74]);

impl Columns for SurveyAnswers<'_> {
    fn declare(columns: &mut Vec<Column>) {
        for item in 1..=74 {
            columns.push(Column::of::<i32>(
                &format!("survey_{item:02}"),
                &format!("基本調査 項目{item}"),
                &format!("basic survey item {item} answer code (see docs/formats/certification.md)"),
            ));
        }
    }

    fn write(self, row: &mut RowWriter<'_>) {
        for &answer in self.0 {
            row.value(i32::from(answer));
        }
    }
}

crate::table! {
    pub struct InsurerRow<'a> = "insurers" {
        zone: Warehouse,
        grain: "one insurer as published in one delivery",
        key: &["delivery_month", "insurer_number"],
        lineage: true,
        description: "Insurer registry with roll-out status (保険者一覧).",
    }
    {
        insurer_number: &'a str = ("保険者番号", "insurer number"),
        local_government_code: &'a str = ("地方公共団体コード", "local-government code"),
        prefecture_code: &'a str = ("都道府県コード", "prefecture (JIS)"),
        insurer_name: &'a str = ("保険者名", "insurer name"),
        size_class_code: &'a str = ("規模区分", "1 designated city/ward, 2 core city, 3 other, 4 joint"),
        n_member_municipalities: i32 = ("構成市町村数", "member municipalities"),
        population_65_plus: i64 = ("第1号被保険者数", "insured 65+"),
        population_40_64: i64 = ("第2号被保険者数", "insured 40–64"),
        area_grade: i32 = ("地域区分", "area grade 1–8"),
        standardisation_fiscal_year: Option<i32> = ("標準化対応完了予定年度", "standardisation fiscal year"),
        planned_start_on: Option<NaiveDate> = ("利用開始予定日", "planned start"),
        started_on: Option<NaiveDate> = ("利用開始日", "start"),
        status_code: &'a str = ("利用開始状況", "1 confirmed, 2 being arranged, 3 not yet arranged"),
        as_of_month: &'a str = ("基準年月", "month the row describes"),
    }
}

crate::table! {
    pub struct ProviderRow<'a> = "providers" {
        zone: Warehouse,
        grain: "one provider as published in one delivery",
        key: &["delivery_month", "provider_number"],
        lineage: true,
        description: "Provider registry with hub onboarding (事業所一覧).",
    }
    {
        provider_number: &'a str = ("事業所番号", "provider number"),
        provider_name: &'a str = ("事業所名", "name"),
        insurer_number: &'a str = ("所在地保険者番号", "insurer area"),
        service_kind_codes: &'a str = ("サービス種類", "service kinds, ;-separated"),
        area_grade: i32 = ("地域区分", "area grade"),
        capacity: Option<i32> = ("定員", "capacity"),
        is_medical_institution: bool = ("医療機関", "medical institution"),
        portal_registered_on: Option<NaiveDate> = ("ポータル登録日", "portal registration"),
        client_certificate_on: Option<NaiveDate> = ("クライアント証明書設定日", "client certificate"),
        card_reader_on: Option<NaiveDate> = ("カードリーダー設定日", "card reader"),
        subsidy_yen: Option<i64> = ("補助金交付額", "subsidy (yen)"),
        opinion_electronic_since: Option<NaiveDate> = ("意見書電子送付開始日", "opinions sent electronically since"),
    }
}

crate::table! {
    pub struct ProviderActivityRow<'a> = "provider_activity" {
        zone: Warehouse,
        grain: "one provider in one service month",
        key: LINE_KEY,
        lineage: true,
        description: "Consent registrations and record views per provider-month.",
    }
    {
        service_month: &'a str = ("対象年月", "month"),
        provider_number: &'a str = ("事業所番号", "provider"),
        insurer_number: &'a str = ("保険者番号", "delivering insurer"),
        n_users: i64 = ("利用者数", "users"),
        n_users_with_consent: i64 = ("閲覧同意登録者数", "users with consent"),
        n_record_views: i64 = ("閲覧件数", "record views"),
    }
}

crate::table! {
    pub struct RegisterEventRow<'a> = "register_events" {
        zone: Warehouse,
        grain: "one insured-register change",
        key: LINE_KEY,
        lineage: true,
        description: "Insured-register changes (被保険者台帳 異動), identifiers removed.",
    }
    {
        /// Whose register changed.
        person: Person<'a>,
        event_on: NaiveDate = ("異動年月日", "event date"),
        event_kind_code: &'a str = ("異動区分", "1 acquisition, 2 loss, 3 change"),
        reason_code: &'a str = ("異動事由", "reason"),
        sex_code: i32 = ("性別", "sex"),
        birth_year_month: &'a str = ("生年月", "birth year and month"),
        tier_code: &'a str = ("被保険者区分", "1 first tier (65+), 2 second tier (40–64)"),
        municipality_code: &'a str = ("住所地市町村コード", "municipality"),
    }
}

crate::table! {
    pub struct CertificationRow<'a> = "certifications" {
        zone: Warehouse,
        grain: "one certification decision",
        key: LINE_KEY,
        lineage: true,
        description: "Care-need certifications: survey, physician's opinion, judgement, validity.",
    }
    {
        /// Who applied.
        person: Person<'a>,
        sex_code: i32 = ("性別", "sex: 1 male, 2 female"),
        birth_year_month: &'a str = ("生年月", "birth year and month, YYYY-MM (day removed)"),
        application_on: NaiveDate = ("申請年月日", "application date"),
        application_kind_code: &'a str = ("申請区分", "1 new, 2 renewal, 3 change of level, 4 moved in"),
        survey_on: NaiveDate = ("認定調査実施日", "survey date"),
        /// The survey's answers.
        survey: SurveyAnswers<'a>,
        bedridden_rating: &'a str = ("障害高齢者の日常生活自立度（調査）", "bedridden rating (survey)"),
        dementia_rating: &'a str = ("認知症高齢者の日常生活自立度（調査）", "dementia rating (survey)"),
        opinion_on: NaiveDate = ("意見書記入日", "physician's opinion date"),
        medical_institution_number: &'a str = ("医療機関番号", "medical institution"),
        is_opinion_electronic: bool = ("意見書電子送付", "opinion sent electronically"),
        diagnosis_code: Option<&'a str> = ("診断名（ICD-10）", "main diagnosis (ICD-10)"),
        stability_code: &'a str = ("症状としての安定性", "1 stable, 2 unstable, 3 unknown"),
        specified_disease: Option<i32> = ("特定疾病", "specified disease 1–16 (2nd tier)"),
        opinion_bedridden_rating: &'a str = ("障害高齢者の日常生活自立度（意見書）", "bedridden rating (opinion)"),
        opinion_dementia_rating: &'a str = ("認知症高齢者の日常生活自立度（意見書）", "dementia rating (opinion)"),
        short_term_memory_code: i32 = ("短期記憶", "short-term memory: 1 no problem, 2 problem"),
        decision_ability_code: i32 = ("認知能力", "decision-making ability 1–4"),
        communication_code: i32 = ("意思の伝達能力", "ability to communicate 1–4"),
        height_cm: Option<i32> = ("身長（cm）", "height (cm)"),
        weight_kg: Option<i32> = ("体重（kg）", "weight (kg)"),
        base_time_tenth_minutes: i64 = ("要介護認定等基準時間（0.1分）", "care-need base time (0.1 min)"),
        group1_score: i32 = ("中間評価項目得点第1群", "intermediate score group 1"),
        group2_score: i32 = ("中間評価項目得点第2群", "intermediate score group 2"),
        group3_score: i32 = ("中間評価項目得点第3群", "intermediate score group 3"),
        group4_score: i32 = ("中間評価項目得点第4群", "intermediate score group 4"),
        group5_score: i32 = ("中間評価項目得点第5群", "intermediate score group 5"),
        primary_level_code: &'a str = ("一次判定結果", "primary (computer) judgement, care-level code"),
        board_on: NaiveDate = ("認定審査会開催日", "board date"),
        care_level_code: &'a str = ("二次判定結果（認定区分）", "certified level (secondary judgement), care-level code"),
        valid_from: Option<NaiveDate> = ("認定有効期間開始", "certification valid from"),
        valid_to: Option<NaiveDate> = ("認定有効期間終了", "certification valid to"),
    }
}

crate::table! {
    pub struct ClaimStatementRow<'a> = "claim_statements" {
        zone: Warehouse,
        grain: "one claim statement (01 基本情報)",
        key: LINE_KEY,
        lineage: true,
        description: "Claim statements of the 71xx forms.",
    }
    {
        /// The statement.
        claim: ClaimKey<'a>,
        sex_code: i32 = ("性別", "sex"),
        birth_year_month: &'a str = ("生年月", "birth year and month"),
        care_level_code: &'a str = ("要介護状態区分", "care level in force"),
        valid_from: NaiveDate = ("認定有効期間開始", "certification valid from"),
        valid_to: NaiveDate = ("認定有効期間終了", "certification valid to"),
        plan_kind_code: Option<&'a str> = ("居宅サービス計画作成区分", "care-plan maker kind"),
        plan_office_number: Option<&'a str> = ("居宅介護支援事業所番号", "care-management office"),
        started_on: Option<NaiveDate> = ("開始年月日", "service start"),
        ended_on: Option<NaiveDate> = ("中止年月日", "service end"),
        end_reason_code: Option<&'a str> = ("中止理由", "end reason"),
        admitted_on: Option<NaiveDate> = ("入所年月日", "facility admission"),
        discharged_on: Option<NaiveDate> = ("退所年月日", "facility discharge"),
        n_facility_days: Option<i32> = ("入所実日数", "days in facility"),
        n_nights_out: Option<i32> = ("外泊日数", "nights out"),
        discharge_status_code: Option<&'a str> = ("退所後の状態", "status after discharge"),
        benefit_rate_pct: i32 = ("保険給付率", "benefit rate (%)"),
        insurance_units: i64 = ("保険サービス単位数", "insurance units"),
        insurance_claim_yen: i64 = ("保険請求額", "insurance claim (yen)"),
        user_charge_yen: i64 = ("利用者負担額", "user co-payment (yen)"),
    }
}

crate::table! {
    pub struct ClaimLineRow<'a> = "claim_lines" {
        zone: Warehouse,
        grain: "one service line of a statement (02 明細情報)",
        key: LINE_KEY,
        lineage: true,
        description: "Claim service lines.",
    }
    {
        /// The line's statement.
        claim: ClaimKey<'a>,
        service_kind_code: &'a str = ("サービス種類コード", "service kind"),
        service_item_code: &'a str = ("サービス項目コード", "service item"),
        unit_value: i64 = ("単位数", "units per occurrence"),
        n_times: i64 = ("日数・回数", "days or times"),
        service_units: i64 = ("サービス単位数", "service units"),
    }
}

crate::table! {
    pub struct ClaimServiceTotalRow<'a> = "claim_service_totals" {
        zone: Warehouse,
        grain: "one service kind of a statement (10 集計情報)",
        key: LINE_KEY,
        lineage: true,
        description: "Claim totals per service kind.",
    }
    {
        /// The total's statement.
        claim: ClaimKey<'a>,
        service_kind_code: &'a str = ("サービス種類コード", "service kind"),
        n_service_days: i32 = ("サービス実日数", "days with service"),
        planned_units: Option<i64> = ("計画単位数", "planned units"),
        limit_units: Option<i64> = ("限度額管理対象単位数", "units within limit management"),
        non_limit_units: Option<i64> = ("限度額管理対象外単位数", "units outside limit management"),
        units_total: i64 = ("保険単位数合計", "insurance units total"),
        unit_price_centiyen: i32 = ("単位数単価（0.01円）", "unit price (0.01 yen)"),
        claim_yen: i64 = ("保険請求額", "insurance claim (yen)"),
        user_charge_yen: i64 = ("利用者負担額", "user co-payment (yen)"),
    }
}

crate::table! {
    pub struct CareManagementClaimRow<'a> = "care_management_claims" {
        zone: Warehouse,
        grain: "one care-management claim line (様式第七)",
        key: LINE_KEY,
        lineage: true,
        description: "居宅介護支援・介護予防支援 claims.",
    }
    {
        exchange_id: &'a str = ("交換情報識別番号", "8124 居宅介護支援 / 8125 介護予防支援"),
        service_month: &'a str = ("サービス提供年月", "service month"),
        provider_number: &'a str = ("居宅介護支援事業所番号", "care-management office"),
        /// The person cared for.
        person: Person<'a>,
        sex_code: i32 = ("性別", "sex"),
        birth_year_month: &'a str = ("生年月", "birth year and month"),
        care_level_code: &'a str = ("要介護状態区分", "care level"),
        service_code: &'a str = ("サービスコード", "service code"),
        service_units: i64 = ("サービス単位数", "service units"),
        unit_price_centiyen: i32 = ("単位数単価（0.01円）", "unit price (0.01 yen)"),
        claim_yen: i64 = ("請求金額", "claim (yen)"),
        care_manager_number: Option<&'a str> = ("担当介護支援専門員番号", "care manager"),
    }
}

crate::table! {
    pub struct BenefitManagementLineRow<'a> = "benefit_management_lines" {
        zone: Warehouse,
        grain: "one line of a 給付管理票",
        key: LINE_KEY,
        lineage: true,
        description: "Benefit-management plans from care managers.",
    }
    {
        target_month: &'a str = ("対象年月", "target month"),
        office_number: &'a str = ("居宅介護支援事業所番号", "care-management office"),
        /// The person planned for.
        person: Person<'a>,
        care_level_code: &'a str = ("要介護状態区分", "care level"),
        limit_units: i64 = ("支給限度額（単位）", "monthly limit (units)"),
        service_provider_number: &'a str = ("サービス事業所番号", "service provider"),
        service_kind_code: &'a str = ("サービス種類コード", "service kind"),
        planned_units: i64 = ("給付計画単位数", "planned units"),
        planned_total_units: i64 = ("給付計画合計単位数", "planned total units of the person"),
    }
}

crate::table! {
    pub struct LifeAssessmentRow<'a> = "life_assessments" {
        zone: Warehouse,
        grain: "one LIFE assessment",
        key: LINE_KEY,
        lineage: true,
        description: "LIFE assessments: Barthel, Vitality Index, DBD13, oral, end reason.",
    }
    {
        provider_number: &'a str = ("事業所番号", "provider"),
        /// The person assessed.
        person: Person<'a>,
        sex_code: i32 = ("性別", "sex"),
        birth_year_month: &'a str = ("生年月", "birth year and month"),
        care_level_code: &'a str = ("要介護度", "care level"),
        bedridden_rating: &'a str = ("障害高齢者の日常生活自立度", "bedridden rating"),
        dementia_rating: &'a str = ("認知症高齢者の日常生活自立度", "dementia rating"),
        evaluated_on: NaiveDate = ("評価日", "evaluation date"),
        evaluation_point_code: &'a str = ("評価時点", "1 start, 2 during, 3 end"),
        barthel_feeding: i32 = ("Barthel 食事", "Barthel item: feeding"),
        barthel_transfer: i32 = ("Barthel 移乗", "Barthel item: transfer"),
        barthel_grooming: i32 = ("Barthel 整容", "Barthel item: grooming"),
        barthel_toilet: i32 = ("Barthel トイレ動作", "Barthel item: toilet"),
        barthel_bathing: i32 = ("Barthel 入浴", "Barthel item: bathing"),
        barthel_walking: i32 = ("Barthel 平地歩行", "Barthel item: walking"),
        barthel_stairs: i32 = ("Barthel 階段昇降", "Barthel item: stairs"),
        barthel_dressing: i32 = ("Barthel 更衣", "Barthel item: dressing"),
        barthel_bowel: i32 = ("Barthel 排便コントロール", "Barthel item: bowel"),
        barthel_bladder: i32 = ("Barthel 排尿コントロール", "Barthel item: bladder"),
        barthel_total: i32 = ("Barthel Index 合計", "Barthel Index 0–100"),
        vitality_total: i32 = ("Vitality Index 合計", "Vitality Index 0–10"),
        dbd13_total: i32 = ("DBD13 合計", "DBD13 0–52"),
        height_mm: Option<i32> = ("身長（mm）", "height (mm)"),
        weight_hg: Option<i32> = ("体重（0.1kg）", "weight (0.1 kg)"),
        has_denture: bool = ("義歯の使用", "uses dentures"),
        has_choking: bool = ("むせ", "choking"),
        emergency_admission_on: Option<NaiveDate> = ("緊急入院日", "emergency admission"),
        ended_on: Option<NaiveDate> = ("終了日", "service end"),
        end_reason_code: Option<&'a str> = ("終了理由", "service end reason"),
    }
}

crate::table! {
    pub struct CarePlanRow<'a> = "care_plans" {
        zone: Warehouse,
        grain: "one care plan (第1表)",
        key: LINE_KEY,
        lineage: true,
        description: "Care plans, free text removed.",
    }
    {
        /// The person planned for.
        person: Person<'a>,
        office_number: &'a str = ("介護支援事業者コード", "care-management office"),
        plan_on: NaiveDate = ("居宅サービス計画作成(変更)日", "plan date"),
        first_plan_on: NaiveDate = ("初回居宅サービス計画作成日", "first plan date"),
        plan_kind_code: &'a str = ("計画書区分", "plan kind"),
        care_level_code: &'a str = ("要介護状態区分", "care level"),
        valid_from: NaiveDate = ("認定有効期間開始", "valid from"),
        valid_to: NaiveDate = ("認定有効期間終了", "valid to"),
    }
}

crate::table! {
    pub struct CarePlanServiceRow<'a> = "care_plan_services" {
        zone: Warehouse,
        grain: "one service line of a care plan (第2表)",
        key: LINE_KEY,
        lineage: true,
        description: "Planned services, free text removed.",
    }
    {
        /// The person planned for.
        person: Person<'a>,
        plan_on: NaiveDate = ("計画作成(変更)日", "plan date"),
        support_number: i32 = ("援助内容NO", "support line number"),
        service_kind_code: &'a str = ("サービス種別", "service kind"),
        provider_number: Option<&'a str> = ("サービス事業者コード", "service provider"),
    }
}

crate::table! {
    pub struct CarePlanUseRow<'a> = "care_plan_uses" {
        zone: Warehouse,
        grain: "one service of one person in one month, planned or actual (第6表)",
        key: LINE_KEY,
        lineage: true,
        description: "Planned and actual service use by day.",
    }
    {
        /// The person planned for.
        person: Person<'a>,
        target_month: &'a str = ("対象年月", "target month"),
        office_number: &'a str = ("居宅介護支援事業所番号", "care-management office"),
        provider_number: &'a str = ("サービス事業所番号", "service provider"),
        service_code: &'a str = ("サービスコード", "service code"),
        is_actual: bool = ("実績", "actual use (true) or plan (false)"),
        uses_by_day: &'a str = ("日別回数", "uses per day, days 1–31"),
        n_uses: i32 = ("合計回数", "total uses"),
    }
}

crate::table! {
    pub struct SourceFileRow<'a> = "source_files" {
        zone: Warehouse,
        grain: "one input file of a delivery",
        key: &["delivery_month", "source_file_id"],
        lineage: true,
        description: "Input files with their checksum and row accounting.",
    }
    {
        path: &'a str = ("ファイルパス", "path relative to the hub root"),
        extract: &'a str = ("抽出種別", "extract type"),
        sha256: &'a str = ("SHA-256", "checksum of the file"),
        n_bytes: i64 = ("バイト数", "size"),
        n_rows_in: i64 = ("入力行数", "data records read"),
        n_rows_loaded: i64 = ("取込行数", "records loaded"),
        n_rows_quarantined: i64 = ("隔離行数", "records quarantined"),
        rejected_reason: Option<&'a str> = ("ファイル却下理由", "why the whole file was rejected, if it was"),
    }
}

crate::table! {
    pub struct RecordTokenRow<'a> = "record_tokens" {
        zone: Vault,
        grain: "one identity-bearing record",
        key: LINE_KEY,
        lineage: true,
        description: "Per-field linkage tokens of every record with identifiers (restricted).",
    }
    {
        extract: &'a str = ("抽出種別", "extract the record came from"),
        identity_key: &'a str = ("仮名化被保険者キー", "identity key assigned at load"),
        event_month: Option<&'a str> = ("事象年月", "month the record speaks for (service, application, assessment, change or plan month)"),
        register_reason: Option<&'a str> = ("異動事由", "a register record's reason for the change (11 死亡 death, 12 転出 moved out, 02 転入 moved in, …); null in other extracts"),
        insurer_number_token: Option<&'a [u8; 32]> = ("保険者番号トークン", "HMAC-SHA256 token of the normalized insurer_number"),
        insured_number_token: Option<&'a [u8; 32]> = ("被保険者番号トークン", "HMAC-SHA256 token of the normalized insured_number"),
        insurer_insured_token: Option<&'a [u8; 32]> = ("保険者番号＋被保険者番号トークン", "HMAC-SHA256 token of the normalized insurer_insured"),
        kana_name_token: Option<&'a [u8; 32]> = ("氏名カナ（厳密）トークン", "HMAC-SHA256 token of the normalized kana_name"),
        kana_name_loose_token: Option<&'a [u8; 32]> = ("氏名カナ（緩和）トークン", "HMAC-SHA256 token of the normalized kana_name_loose"),
        kana_surname_token: Option<&'a [u8; 32]> = ("姓カナ（厳密）トークン", "HMAC-SHA256 token of the normalized kana_surname"),
        kana_surname_loose_token: Option<&'a [u8; 32]> = ("姓カナ（緩和）トークン", "HMAC-SHA256 token of the normalized kana_surname_loose"),
        kana_given_token: Option<&'a [u8; 32]> = ("名カナ（厳密）トークン", "HMAC-SHA256 token of the normalized kana_given"),
        kana_given_loose_token: Option<&'a [u8; 32]> = ("名カナ（緩和）トークン", "HMAC-SHA256 token of the normalized kana_given_loose"),
        kanji_name_token: Option<&'a [u8; 32]> = ("氏名（厳密）トークン", "HMAC-SHA256 token of the normalized kanji_name"),
        kanji_name_loose_token: Option<&'a [u8; 32]> = ("氏名（緩和）トークン", "HMAC-SHA256 token of the normalized kanji_name_loose"),
        birth_date_token: Option<&'a [u8; 32]> = ("生年月日トークン", "HMAC-SHA256 token of the normalized birth_date"),
        birth_year_month_token: Option<&'a [u8; 32]> = ("生年月トークン", "HMAC-SHA256 token of the normalized birth_year_month"),
        birth_year_token: Option<&'a [u8; 32]> = ("生年トークン", "HMAC-SHA256 token of the normalized birth_year"),
        birth_year_day_token: Option<&'a [u8; 32]> = ("生年＋生日トークン", "HMAC-SHA256 token of the birth year and day, the month left out (a month written wrong still agrees)"),
        sex_token: Option<&'a [u8; 32]> = ("性別トークン", "HMAC-SHA256 token of the normalized sex"),
        municipality_token: Option<&'a [u8; 32]> = ("市町村トークン", "HMAC-SHA256 token of the normalized municipality"),
        insured_number_masked_tokens: Option<&'a [u8; 80]> = ("被保険者番号（1桁マスク）トークン×10", "ten 64-bit tokens of insurer + insured number with digit 1…10 masked (typo-tolerant)"),
    }
}

crate::table! {
    pub struct QuarantineRow<'a> = "quarantine" {
        zone: Vault,
        grain: "one quarantined record",
        key: LINE_KEY,
        lineage: true,
        description: "Records that broke a validation rule (restricted).",
    }
    {
        path: &'a str = ("ファイルパス", "path relative to the hub root"),
        extract: &'a str = ("抽出種別", "extract type"),
        rule: &'a str = ("規則", "rule broken"),
        field: Option<&'a str> = ("項目", "field to blame, if one is"),
        reason: &'a str = ("理由", "what is wrong (never a value from the record)"),
    }
}

crate::table! {
    pub struct PersonMapRow<'a> = "person_map" {
        zone: Warehouse,
        grain: "one identity (insurer + insured number) seen in any delivery",
        key: &["identity_key"],
        lineage: false,
        description: "Linkage result: the person each identity_key belongs to. Rewritten whole by each linkage \
         run; a person_key stays the same while the person's earliest identity does.",
    }
    {
        identity_key: &'a str = ("仮名化被保険者キー", "identity key, as on the loaded tables"),
        person_key: &'a str = ("仮名化個人キー", "pseudonymous key of the linked person (keyed; reveals nothing without the key)"),
    }
}

/// Every table a delivery load writes, in load order.
pub fn tables() -> &'static [&'static TableSpec] {
    static TABLES: LazyLock<Vec<&'static TableSpec>> = LazyLock::new(|| {
        vec![
            InsurerRow::spec(),
            ProviderRow::spec(),
            ProviderActivityRow::spec(),
            RegisterEventRow::spec(),
            CertificationRow::spec(),
            ClaimStatementRow::spec(),
            ClaimLineRow::spec(),
            ClaimServiceTotalRow::spec(),
            CareManagementClaimRow::spec(),
            BenefitManagementLineRow::spec(),
            LifeAssessmentRow::spec(),
            CarePlanRow::spec(),
            CarePlanServiceRow::spec(),
            CarePlanUseRow::spec(),
            SourceFileRow::spec(),
            RecordTokenRow::spec(),
            QuarantineRow::spec(),
        ]
    });
    &TABLES
}

/// Tables derived after loading (linkage), each rewritten whole.
pub fn derived_tables() -> &'static [&'static TableSpec] {
    static DERIVED: LazyLock<Vec<&'static TableSpec>> = LazyLock::new(|| vec![PersonMapRow::spec()]);
    &DERIVED
}

/// A table by the name a user gave (code names tables by their row type's `spec()`).
pub fn table(name: &str) -> Option<&'static TableSpec> {
    tables()
        .iter()
        .chain(derived_tables())
        .find(|spec| spec.name == name)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnType, Zone};

    #[test]
    fn names_are_unique_and_keys_exist() {
        let all: Vec<&TableSpec> = tables().iter().chain(derived_tables()).copied().collect();
        for (index, spec) in all.iter().enumerate() {
            assert!(all[index + 1..].iter().all(|other| other.name != spec.name));
            for key in spec.key {
                assert!(spec.column_index(key).is_some(), "{}.{key}", spec.name);
            }
            let mut names: Vec<&str> = spec.columns.iter().map(|column| column.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), spec.columns.len(), "{}: duplicate column", spec.name);
        }
    }

    #[test]
    fn warehouse_tables_are_sorted_and_vault_tables_keep_input_order() {
        let names = |spec: &TableSpec| -> Vec<String> {
            spec.sort_columns()
                .into_iter()
                .map(|index| spec.columns[index].name.clone())
                .collect()
        };
        assert_eq!(
            names(ClaimLineRow::spec()),
            ["service_month", "identity_key", "source_file_id", "source_line"]
        );
        assert_eq!(
            names(CertificationRow::spec()),
            ["identity_key", "source_file_id", "source_line"]
        );
        assert!(names(RecordTokenRow::spec()).is_empty());
    }

    #[test]
    fn warehouse_tables_carry_no_identifier_columns() {
        let forbidden = [
            "insured_number",
            "kana",
            "kanji",
            "birth_date",
            "address",
            "telephone",
            "postal",
            "token",
        ];
        for spec in tables()
            .iter()
            .chain(derived_tables())
            .filter(|spec| spec.zone == Zone::Warehouse)
        {
            for column in &spec.columns {
                assert!(
                    !forbidden.iter().any(|word| column.name.contains(word)),
                    "{}.{}",
                    spec.name,
                    column.name
                );
                assert_ne!(column.kind, ColumnType::Token);
                assert_ne!(column.kind, ColumnType::MaskedTokens);
            }
        }
    }
}
