//! Table layouts: one declaration per table, used to build rows, create Delta tables and
//! generate the data dictionary.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Where a table lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Zone {
    /// Analysts: pseudonymous keys only.
    Warehouse,
    /// Restricted: tokens and quarantine.
    Vault,
}

impl Zone {
    /// Folder name under the root.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Warehouse => "warehouse",
            Self::Vault => "vault",
        }
    }
}

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// 64-bit integer.
    Int64,
    /// 32-bit integer.
    Int32,
    /// Calendar date.
    Date,
    /// Boolean.
    Bool,
    /// A 256-bit keyed token (vault only).
    Token,
    /// Ten 64-bit keyed tokens side by side (vault only): the insured number with each of its
    /// ten digits masked in turn, so two numbers one mistyped digit apart share one token.
    MaskedTokens,
}

impl ColumnType {
    /// Arrow type.
    pub fn arrow(self) -> DataType {
        match self {
            Self::Text => DataType::Utf8,
            Self::Int64 => DataType::Int64,
            Self::Int32 => DataType::Int32,
            Self::Date => DataType::Date32,
            Self::Bool => DataType::Boolean,
            Self::Token => DataType::FixedSizeBinary(32),
            Self::MaskedTokens => DataType::FixedSizeBinary(80),
        }
    }
}

/// One column.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Column {
    /// Name (snake case; `_key`, `_code`, `_on`, `is_`, `n_` and unit suffixes by convention).
    pub name: String,
    /// Type.
    pub kind: ColumnType,
    /// Whether it may be null.
    pub nullable: bool,
    /// Japanese description.
    pub ja: String,
    /// English description.
    pub en: String,
}

/// One table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableSpec {
    /// Name.
    pub name: &'static str,
    /// Zone.
    pub zone: Zone,
    /// What one row is.
    pub grain: &'static str,
    /// Columns that identify a row (unique together within the table).
    pub key: &'static [&'static str],
    /// Description.
    pub description: &'static str,
    /// Columns, the lineage columns first.
    pub columns: Vec<Column>,
    #[serde(skip)]
    schema: SchemaRef,
}

impl TableSpec {
    /// Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Columns rows are sorted by within one insurer's part of a delivery: those of
    /// `service_month`, `identity_key`, `source_file_id`, `source_line` the table has. With the
    /// insurers written one after another, Parquet min/max statistics prune on service month,
    /// insurer and person, and the order is deterministic. Vault tables keep their input order
    /// (deterministic too): linkage reads them whole, and permuting their token columns cost
    /// more than any other sort of a load.
    pub fn sort_columns(&self) -> Vec<usize> {
        if self.zone == Zone::Vault {
            return Vec::new();
        }
        ["service_month", "identity_key", "source_file_id", "source_line"]
            .iter()
            .filter_map(|name| self.column_index(name))
            .collect()
    }

    /// Index of a column.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }
}

/// Partition column of every table.
pub const DELIVERY_MONTH: &str = "delivery_month";

fn column(name: &str, kind: ColumnType, nullable: bool, ja: &str, en: &str) -> Column {
    Column {
        name: name.into(),
        kind,
        nullable,
        ja: ja.into(),
        en: en.into(),
    }
}

/// Shorthand column constructors used by the declarations below.
mod c {
    use super::{Column, ColumnType::*, column};
    pub fn text(name: &str, ja: &str, en: &str) -> Column {
        column(name, Text, false, ja, en)
    }
    pub fn text_null(name: &str, ja: &str, en: &str) -> Column {
        column(name, Text, true, ja, en)
    }
    pub fn int(name: &str, ja: &str, en: &str) -> Column {
        column(name, Int64, false, ja, en)
    }
    pub fn int_null(name: &str, ja: &str, en: &str) -> Column {
        column(name, Int64, true, ja, en)
    }
    pub fn small(name: &str, ja: &str, en: &str) -> Column {
        column(name, Int32, false, ja, en)
    }
    pub fn small_null(name: &str, ja: &str, en: &str) -> Column {
        column(name, Int32, true, ja, en)
    }
    pub fn date(name: &str, ja: &str, en: &str) -> Column {
        column(name, Date, false, ja, en)
    }
    pub fn date_null(name: &str, ja: &str, en: &str) -> Column {
        column(name, Date, true, ja, en)
    }
    pub fn flag(name: &str, ja: &str, en: &str) -> Column {
        column(name, Bool, false, ja, en)
    }
    pub fn token(name: &str, ja: &str, en: &str) -> Column {
        column(name, Token, true, ja, en)
    }
}

fn lineage() -> Vec<Column> {
    vec![
        c::text(
            DELIVERY_MONTH,
            "受領年月（処理対象年月）",
            "delivery (processing) month, YYYYMM; partition",
        ),
        c::text(
            "source_file_id",
            "元ファイルID",
            "source file id (see the load manifest and source_files)",
        ),
        c::int(
            "source_line",
            "元ファイル行番号",
            "line in the source file where the record starts",
        ),
    ]
}

/// A table of exactly `columns`: derived tables, rewritten whole (no delivery partition, no
/// lineage); loaded tables go through [`spec`], which puts the lineage columns first.
fn derived(
    name: &'static str,
    zone: Zone,
    grain: &'static str,
    key: &'static [&'static str],
    description: &'static str,
    columns: Vec<Column>,
) -> TableSpec {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|column| Field::new(&column.name, column.kind.arrow(), column.nullable))
            .collect::<Vec<_>>(),
    ));
    TableSpec {
        name,
        zone,
        grain,
        key,
        description,
        columns,
        schema,
    }
}

fn spec(
    name: &'static str,
    zone: Zone,
    grain: &'static str,
    key: &'static [&'static str],
    description: &'static str,
    columns: Vec<Column>,
) -> TableSpec {
    let mut all = lineage();
    all.extend(columns);
    derived(name, zone, grain, key, description, all)
}

const LINE_KEY: &[&str] = &["delivery_month", "source_file_id", "source_line"];

fn person_columns() -> Vec<Column> {
    vec![
        c::text(
            "identity_key",
            "仮名化被保険者キー",
            "pseudonymous key of the insurer + insured number (keyed; one per insurer a person \
             was insured by; person_map gives the linked person_key)",
        ),
        c::text("insurer_number", "保険者番号", "insurer number (6 digits)"),
    ]
}

fn claim_key_columns() -> Vec<Column> {
    let mut columns = vec![
        c::text("exchange_id", "交換情報識別番号", "exchange information id (form)"),
        c::text("service_month", "サービス提供年月", "service month, YYYYMM"),
        c::text("provider_number", "事業所番号", "provider number"),
    ];
    columns.extend(person_columns());
    columns.push(c::int(
        "statement_line",
        "明細書の基本情報の行番号",
        "line of the statement's 01 record (joins lines and totals to statements)",
    ));
    columns
}

static TABLES: LazyLock<Vec<TableSpec>> = LazyLock::new(|| {
    use Zone::{Vault, Warehouse};
    let mut certification_columns = person_columns();
    certification_columns.extend([
        c::small("sex_code", "性別", "sex: 1 male, 2 female"),
        c::text(
            "birth_year_month",
            "生年月",
            "birth year and month, YYYY-MM (day removed)",
        ),
        c::date("application_on", "申請年月日", "application date"),
        c::text(
            "application_kind_code",
            "申請区分",
            "1 new, 2 renewal, 3 change of level, 4 moved in",
        ),
        c::date("survey_on", "認定調査実施日", "survey date"),
    ]);
    for index in 1..=74 {
        certification_columns.push(c::small(
            &format!("survey_{index:02}"),
            &format!("基本調査 項目{index}"),
            &format!("basic survey item {index} answer code (see docs/formats/certification.md)"),
        ));
    }
    certification_columns.extend([
        c::text(
            "bedridden_rating",
            "障害高齢者の日常生活自立度（調査）",
            "bedridden rating (survey)",
        ),
        c::text(
            "dementia_rating",
            "認知症高齢者の日常生活自立度（調査）",
            "dementia rating (survey)",
        ),
        c::date("opinion_on", "意見書記入日", "physician's opinion date"),
        c::text("medical_institution_number", "医療機関番号", "medical institution"),
        c::flag("is_opinion_electronic", "意見書電子送付", "opinion sent electronically"),
        c::text_null("diagnosis_code", "診断名（ICD-10）", "main diagnosis (ICD-10)"),
        c::text(
            "stability_code",
            "症状としての安定性",
            "1 stable, 2 unstable, 3 unknown",
        ),
        c::small_null("specified_disease", "特定疾病", "specified disease 1–16 (2nd tier)"),
        c::text(
            "opinion_bedridden_rating",
            "障害高齢者の日常生活自立度（意見書）",
            "bedridden rating (opinion)",
        ),
        c::text(
            "opinion_dementia_rating",
            "認知症高齢者の日常生活自立度（意見書）",
            "dementia rating (opinion)",
        ),
        c::small(
            "short_term_memory_code",
            "短期記憶",
            "short-term memory: 1 no problem, 2 problem",
        ),
        c::small("decision_ability_code", "認知能力", "decision-making ability 1–4"),
        c::small("communication_code", "意思の伝達能力", "ability to communicate 1–4"),
        c::small_null("height_cm", "身長（cm）", "height (cm)"),
        c::small_null("weight_kg", "体重（kg）", "weight (kg)"),
        c::int(
            "base_time_tenth_minutes",
            "要介護認定等基準時間（0.1分）",
            "care-need base time (0.1 min)",
        ),
        c::small("group1_score", "中間評価項目得点第1群", "intermediate score group 1"),
        c::small("group2_score", "中間評価項目得点第2群", "intermediate score group 2"),
        c::small("group3_score", "中間評価項目得点第3群", "intermediate score group 3"),
        c::small("group4_score", "中間評価項目得点第4群", "intermediate score group 4"),
        c::small("group5_score", "中間評価項目得点第5群", "intermediate score group 5"),
        c::text(
            "primary_level_code",
            "一次判定結果",
            "primary (computer) judgement, care-level code",
        ),
        c::date("board_on", "認定審査会開催日", "board date"),
        c::text(
            "care_level_code",
            "二次判定結果（認定区分）",
            "certified level (secondary judgement), care-level code",
        ),
        c::date_null("valid_from", "認定有効期間開始", "certification valid from"),
        c::date_null("valid_to", "認定有効期間終了", "certification valid to"),
    ]);

    let mut statement_columns = claim_key_columns();
    statement_columns.extend([
        c::small("sex_code", "性別", "sex"),
        c::text("birth_year_month", "生年月", "birth year and month"),
        c::text("care_level_code", "要介護状態区分", "care level in force"),
        c::date("valid_from", "認定有効期間開始", "certification valid from"),
        c::date("valid_to", "認定有効期間終了", "certification valid to"),
        c::text_null("plan_kind_code", "居宅サービス計画作成区分", "care-plan maker kind"),
        c::text_null("plan_office_number", "居宅介護支援事業所番号", "care-management office"),
        c::date_null("started_on", "開始年月日", "service start"),
        c::date_null("ended_on", "中止年月日", "service end"),
        c::text_null("end_reason_code", "中止理由", "end reason"),
        c::date_null("admitted_on", "入所年月日", "facility admission"),
        c::date_null("discharged_on", "退所年月日", "facility discharge"),
        c::small_null("n_facility_days", "入所実日数", "days in facility"),
        c::small_null("n_nights_out", "外泊日数", "nights out"),
        c::text_null("discharge_status_code", "退所後の状態", "status after discharge"),
        c::small("benefit_rate_pct", "保険給付率", "benefit rate (%)"),
        c::int("insurance_units", "保険サービス単位数", "insurance units"),
        c::int("insurance_claim_yen", "保険請求額", "insurance claim (yen)"),
        c::int("user_charge_yen", "利用者負担額", "user co-payment (yen)"),
    ]);
    let mut line_columns = claim_key_columns();
    line_columns.extend([
        c::text("service_kind_code", "サービス種類コード", "service kind"),
        c::text("service_item_code", "サービス項目コード", "service item"),
        c::int("unit_value", "単位数", "units per occurrence"),
        c::int("n_times", "日数・回数", "days or times"),
        c::int("service_units", "サービス単位数", "service units"),
    ]);
    let mut totals_columns = claim_key_columns();
    totals_columns.extend([
        c::text("service_kind_code", "サービス種類コード", "service kind"),
        c::small("n_service_days", "サービス実日数", "days with service"),
        c::int_null("planned_units", "計画単位数", "planned units"),
        c::int_null("limit_units", "限度額管理対象単位数", "units within limit management"),
        c::int_null(
            "non_limit_units",
            "限度額管理対象外単位数",
            "units outside limit management",
        ),
        c::int("units_total", "保険単位数合計", "insurance units total"),
        c::small("unit_price_centiyen", "単位数単価（0.01円）", "unit price (0.01 yen)"),
        c::int("claim_yen", "保険請求額", "insurance claim (yen)"),
        c::int("user_charge_yen", "利用者負担額", "user co-payment (yen)"),
    ]);
    let mut care_management_columns = vec![
        c::text(
            "exchange_id",
            "交換情報識別番号",
            "8124 居宅介護支援 / 8125 介護予防支援",
        ),
        c::text("service_month", "サービス提供年月", "service month"),
        c::text("provider_number", "居宅介護支援事業所番号", "care-management office"),
    ];
    care_management_columns.extend(person_columns());
    care_management_columns.extend([
        c::small("sex_code", "性別", "sex"),
        c::text("birth_year_month", "生年月", "birth year and month"),
        c::text("care_level_code", "要介護状態区分", "care level"),
        c::text("service_code", "サービスコード", "service code"),
        c::int("service_units", "サービス単位数", "service units"),
        c::small("unit_price_centiyen", "単位数単価（0.01円）", "unit price (0.01 yen)"),
        c::int("claim_yen", "請求金額", "claim (yen)"),
        c::text_null("care_manager_number", "担当介護支援専門員番号", "care manager"),
    ]);
    let mut benefit_columns = vec![
        c::text("target_month", "対象年月", "target month"),
        c::text("office_number", "居宅介護支援事業所番号", "care-management office"),
    ];
    benefit_columns.extend(person_columns());
    benefit_columns.extend([
        c::text("care_level_code", "要介護状態区分", "care level"),
        c::int("limit_units", "支給限度額（単位）", "monthly limit (units)"),
        c::text("service_provider_number", "サービス事業所番号", "service provider"),
        c::text("service_kind_code", "サービス種類コード", "service kind"),
        c::int("planned_units", "給付計画単位数", "planned units"),
        c::int(
            "planned_total_units",
            "給付計画合計単位数",
            "planned total units of the person",
        ),
    ]);
    let mut life_columns = vec![c::text("provider_number", "事業所番号", "provider")];
    life_columns.extend(person_columns());
    life_columns.extend([
        c::small("sex_code", "性別", "sex"),
        c::text("birth_year_month", "生年月", "birth year and month"),
        c::text("care_level_code", "要介護度", "care level"),
        c::text("bedridden_rating", "障害高齢者の日常生活自立度", "bedridden rating"),
        c::text("dementia_rating", "認知症高齢者の日常生活自立度", "dementia rating"),
        c::date("evaluated_on", "評価日", "evaluation date"),
        c::text("evaluation_point_code", "評価時点", "1 start, 2 during, 3 end"),
    ]);
    for (name, ja) in [
        ("feeding", "食事"),
        ("transfer", "移乗"),
        ("grooming", "整容"),
        ("toilet", "トイレ動作"),
        ("bathing", "入浴"),
        ("walking", "平地歩行"),
        ("stairs", "階段昇降"),
        ("dressing", "更衣"),
        ("bowel", "排便コントロール"),
        ("bladder", "排尿コントロール"),
    ] {
        life_columns.push(c::small(
            &format!("barthel_{name}"),
            &format!("Barthel {ja}"),
            &format!("Barthel item: {name}"),
        ));
    }
    life_columns.extend([
        c::small("barthel_total", "Barthel Index 合計", "Barthel Index 0–100"),
        c::small("vitality_total", "Vitality Index 合計", "Vitality Index 0–10"),
        c::small("dbd13_total", "DBD13 合計", "DBD13 0–52"),
        c::small_null("height_mm", "身長（mm）", "height (mm)"),
        c::small_null("weight_hg", "体重（0.1kg）", "weight (0.1 kg)"),
        c::flag("has_denture", "義歯の使用", "uses dentures"),
        c::flag("has_choking", "むせ", "choking"),
        c::date_null("emergency_admission_on", "緊急入院日", "emergency admission"),
        c::date_null("ended_on", "終了日", "service end"),
        c::text_null("end_reason_code", "終了理由", "service end reason"),
    ]);
    let mut register_columns = person_columns();
    register_columns.extend([
        c::date("event_on", "異動年月日", "event date"),
        c::text("event_kind_code", "異動区分", "1 acquisition, 2 loss, 3 change"),
        c::text("reason_code", "異動事由", "reason"),
        c::small("sex_code", "性別", "sex"),
        c::text("birth_year_month", "生年月", "birth year and month"),
        c::text("tier_code", "被保険者区分", "1 first tier (65+), 2 second tier (40–64)"),
        c::text("municipality_code", "住所地市町村コード", "municipality"),
    ]);
    let mut plan_columns = person_columns();
    plan_columns.extend([
        c::text("office_number", "介護支援事業者コード", "care-management office"),
        c::date("plan_on", "居宅サービス計画作成(変更)日", "plan date"),
        c::date("first_plan_on", "初回居宅サービス計画作成日", "first plan date"),
        c::text("plan_kind_code", "計画書区分", "plan kind"),
        c::text("care_level_code", "要介護状態区分", "care level"),
        c::date("valid_from", "認定有効期間開始", "valid from"),
        c::date("valid_to", "認定有効期間終了", "valid to"),
    ]);
    let mut plan_service_columns = person_columns();
    plan_service_columns.extend([
        c::date("plan_on", "計画作成(変更)日", "plan date"),
        c::small("support_number", "援助内容NO", "support line number"),
        c::text("service_kind_code", "サービス種別", "service kind"),
        c::text_null("provider_number", "サービス事業者コード", "service provider"),
    ]);
    let mut plan_use_columns = person_columns();
    plan_use_columns.extend([
        c::text("target_month", "対象年月", "target month"),
        c::text("office_number", "居宅介護支援事業所番号", "care-management office"),
        c::text("provider_number", "サービス事業所番号", "service provider"),
        c::text("service_code", "サービスコード", "service code"),
        c::flag("is_actual", "実績", "actual use (true) or plan (false)"),
        c::text("uses_by_day", "日別回数", "uses per day, days 1–31"),
        c::small("n_uses", "合計回数", "total uses"),
    ]);
    let mut token_columns = vec![
        c::text("extract", "抽出種別", "extract the record came from"),
        c::text("identity_key", "仮名化被保険者キー", "identity key assigned at load"),
        c::text_null(
            "event_month",
            "事象年月",
            "month the record speaks for (service, application, assessment, change or plan month)",
        ),
        c::flag(
            "ends_person",
            "死亡異動",
            "the record reports the person's death (register 異動事由 11)",
        ),
    ];
    for (name, ja) in [
        ("insurer_number", "保険者番号"),
        ("insured_number", "被保険者番号"),
        ("insurer_insured", "保険者番号＋被保険者番号"),
        ("kana_name", "氏名カナ（厳密）"),
        ("kana_name_loose", "氏名カナ（緩和）"),
        ("kana_surname", "姓カナ（厳密）"),
        ("kana_surname_loose", "姓カナ（緩和）"),
        ("kana_given", "名カナ（厳密）"),
        ("kana_given_loose", "名カナ（緩和）"),
        ("kanji_name", "氏名（厳密）"),
        ("kanji_name_loose", "氏名（緩和）"),
        ("birth_date", "生年月日"),
        ("birth_year_month", "生年月"),
        ("birth_year", "生年"),
        ("sex", "性別"),
        ("municipality", "市町村"),
    ] {
        token_columns.push(c::token(
            &format!("{name}_token"),
            &format!("{ja}トークン"),
            &format!("HMAC-SHA256 token of the normalized {name}"),
        ));
    }
    token_columns.push(Column {
        name: "insured_number_masked_tokens".into(),
        kind: ColumnType::MaskedTokens,
        nullable: true,
        ja: "被保険者番号（1桁マスク）トークン×10".into(),
        en: "ten 64-bit tokens of insurer + insured number with digit 1…10 masked (typo-tolerant)".into(),
    });
    vec![
        spec(
            "insurers",
            Warehouse,
            "one insurer as published in one delivery",
            &["delivery_month", "insurer_number"],
            "Insurer registry with roll-out status (保険者一覧).",
            vec![
                c::text("insurer_number", "保険者番号", "insurer number"),
                c::text("local_government_code", "地方公共団体コード", "local-government code"),
                c::text("prefecture_code", "都道府県コード", "prefecture (JIS)"),
                c::text("insurer_name", "保険者名", "insurer name"),
                c::text(
                    "size_class_code",
                    "規模区分",
                    "1 designated city/ward, 2 core city, 3 other, 4 joint",
                ),
                c::small("n_member_municipalities", "構成市町村数", "member municipalities"),
                c::int("population_65_plus", "第1号被保険者数", "insured 65+"),
                c::int("population_40_64", "第2号被保険者数", "insured 40–64"),
                c::small("area_grade", "地域区分", "area grade 1–8"),
                c::small_null(
                    "standardisation_fiscal_year",
                    "標準化対応完了予定年度",
                    "standardisation fiscal year",
                ),
                c::date_null("planned_start_on", "利用開始予定日", "planned start"),
                c::date_null("started_on", "利用開始日", "start"),
                c::text(
                    "status_code",
                    "利用開始状況",
                    "1 confirmed, 2 being arranged, 3 not yet arranged",
                ),
                c::text("as_of_month", "基準年月", "month the row describes"),
            ],
        ),
        spec(
            "providers",
            Warehouse,
            "one provider as published in one delivery",
            &["delivery_month", "provider_number"],
            "Provider registry with hub onboarding (事業所一覧).",
            vec![
                c::text("provider_number", "事業所番号", "provider number"),
                c::text("provider_name", "事業所名", "name"),
                c::text("insurer_number", "所在地保険者番号", "insurer area"),
                c::text("service_kind_codes", "サービス種類", "service kinds, ;-separated"),
                c::small("area_grade", "地域区分", "area grade"),
                c::small_null("capacity", "定員", "capacity"),
                c::flag("is_medical_institution", "医療機関", "medical institution"),
                c::date_null("portal_registered_on", "ポータル登録日", "portal registration"),
                c::date_null(
                    "client_certificate_on",
                    "クライアント証明書設定日",
                    "client certificate",
                ),
                c::date_null("card_reader_on", "カードリーダー設定日", "card reader"),
                c::int_null("subsidy_yen", "補助金交付額", "subsidy (yen)"),
                c::date_null(
                    "opinion_electronic_since",
                    "意見書電子送付開始日",
                    "opinions sent electronically since",
                ),
            ],
        ),
        spec(
            "provider_activity",
            Warehouse,
            "one provider in one service month",
            &["delivery_month", "source_file_id", "source_line"],
            "Consent registrations and record views per provider-month.",
            vec![
                c::text("service_month", "対象年月", "month"),
                c::text("provider_number", "事業所番号", "provider"),
                c::text("insurer_number", "保険者番号", "delivering insurer"),
                c::int("n_users", "利用者数", "users"),
                c::int("n_users_with_consent", "閲覧同意登録者数", "users with consent"),
                c::int("n_record_views", "閲覧件数", "record views"),
            ],
        ),
        spec(
            "register_events",
            Warehouse,
            "one insured-register change",
            LINE_KEY,
            "Insured-register changes (被保険者台帳 異動), identifiers removed.",
            register_columns,
        ),
        spec(
            "certifications",
            Warehouse,
            "one certification decision",
            LINE_KEY,
            "Care-need certifications: survey, physician's opinion, judgement, validity.",
            certification_columns,
        ),
        spec(
            "claim_statements",
            Warehouse,
            "one claim statement (01 基本情報)",
            LINE_KEY,
            "Claim statements of the 71xx forms.",
            statement_columns,
        ),
        spec(
            "claim_lines",
            Warehouse,
            "one service line of a statement (02 明細情報)",
            LINE_KEY,
            "Claim service lines.",
            line_columns,
        ),
        spec(
            "claim_service_totals",
            Warehouse,
            "one service kind of a statement (10 集計情報)",
            LINE_KEY,
            "Claim totals per service kind.",
            totals_columns,
        ),
        spec(
            "care_management_claims",
            Warehouse,
            "one care-management claim line (様式第七)",
            LINE_KEY,
            "居宅介護支援・介護予防支援 claims.",
            care_management_columns,
        ),
        spec(
            "benefit_management_lines",
            Warehouse,
            "one line of a 給付管理票",
            LINE_KEY,
            "Benefit-management plans from care managers.",
            benefit_columns,
        ),
        spec(
            "life_assessments",
            Warehouse,
            "one LIFE assessment",
            LINE_KEY,
            "LIFE assessments: Barthel, Vitality Index, DBD13, oral, end reason.",
            life_columns,
        ),
        spec(
            "care_plans",
            Warehouse,
            "one care plan (第1表)",
            LINE_KEY,
            "Care plans, free text removed.",
            plan_columns,
        ),
        spec(
            "care_plan_services",
            Warehouse,
            "one service line of a care plan (第2表)",
            LINE_KEY,
            "Planned services, free text removed.",
            plan_service_columns,
        ),
        spec(
            "care_plan_uses",
            Warehouse,
            "one service of one person in one month, planned or actual (第6表)",
            LINE_KEY,
            "Planned and actual service use by day.",
            plan_use_columns,
        ),
        spec(
            "source_files",
            Warehouse,
            "one input file of a delivery",
            &["delivery_month", "source_file_id"],
            "Input files with their checksum and row accounting.",
            vec![
                c::text("path", "ファイルパス", "path relative to the hub root"),
                c::text("extract", "抽出種別", "extract type"),
                c::text("sha256", "SHA-256", "checksum of the file"),
                c::int("n_bytes", "バイト数", "size"),
                c::int("n_rows_in", "入力行数", "data records read"),
                c::int("n_rows_loaded", "取込行数", "records loaded"),
                c::int("n_rows_quarantined", "隔離行数", "records quarantined"),
                c::text_null(
                    "rejected_reason",
                    "ファイル却下理由",
                    "why the whole file was rejected, if it was",
                ),
            ],
        ),
        spec(
            "record_tokens",
            Vault,
            "one identity-bearing record",
            LINE_KEY,
            "Per-field linkage tokens of every record with identifiers (restricted).",
            token_columns,
        ),
        spec(
            "quarantine",
            Vault,
            "one quarantined record",
            LINE_KEY,
            "Records that broke a validation rule (restricted).",
            vec![
                c::text("path", "ファイルパス", "path relative to the hub root"),
                c::text("extract", "抽出種別", "extract type"),
                c::text("rule", "規則", "rule broken"),
                c::text_null("field", "項目", "field to blame, if one is"),
                c::text("reason", "理由", "what is wrong (never a value from the record)"),
            ],
        ),
    ]
});

static DERIVED: LazyLock<Vec<TableSpec>> = LazyLock::new(|| {
    vec![derived(
        "person_map",
        Zone::Warehouse,
        "one identity (insurer + insured number) seen in any delivery",
        &["identity_key"],
        "Linkage result: the person each identity_key belongs to. Rewritten whole by each linkage \
         run; a person_key stays the same while the person's earliest identity does.",
        vec![
            c::text(
                "identity_key",
                "仮名化被保険者キー",
                "identity key, as on the loaded tables",
            ),
            c::text(
                "person_key",
                "仮名化個人キー",
                "pseudonymous key of the linked person (keyed; reveals nothing without the key)",
            ),
        ],
    )]
});

/// Every table a delivery load writes, in load order.
pub fn tables() -> &'static [TableSpec] {
    &TABLES
}

/// Tables derived after loading (linkage), each rewritten whole.
pub fn derived_tables() -> &'static [TableSpec] {
    &DERIVED
}

/// A table by name, loaded or derived.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().chain(DERIVED.iter()).find(|spec| spec.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_keys_exist() {
        let all: Vec<&TableSpec> = tables().iter().chain(derived_tables()).collect();
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
            names(table("claim_lines").unwrap()),
            ["service_month", "identity_key", "source_file_id", "source_line"]
        );
        assert_eq!(
            names(table("certifications").unwrap()),
            ["identity_key", "source_file_id", "source_line"]
        );
        assert!(names(table("record_tokens").unwrap()).is_empty());
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
