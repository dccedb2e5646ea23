//! The claims interchange file (介護給付費請求書・明細書 交換情報 CSV), domain.md §3.7.
//!
//! MS932, CRLF, comma-separated. A file is a control record, data records, and an end record:
//!
//! ```text
//! 1,1,1,<data records>,<data kind>,0,<insurer>,<provider>,<pref>,<medium>,<YYYYMM>,0   control
//! 2,2,"7131","01","202611","1370100421","00131011","0000012345",...                   data (quoted)
//! 3,<n>                                                                                end
//! ```
//!
//! Layout choices where the 2018 QKAN baseline is silent (documented in `docs/formats/`):
//! - レコード番号 counts every record of the file from 1 (the control record);
//! - the control record's レコード件数 is the number of **data** records;
//! - in a hub extract the control record's 保険者番号 is the delivering insurer and its
//!   事業所番号 is all zeros, since one file holds every provider's statements for that insurer;
//! - 様式第七 (8124/8125, care management) and 様式第十一 (8222, 給付管理票) are written one
//!   record per detail line with the header items repeated.
//!
//! Statements (71xx) are written as one 01 基本情報 record, then its 02 明細情報 records, then
//! one 10 集計情報 record per service kind. Invariants such as Σ 明細 = 集計 are checked by
//! ingest, not here: this module reads what is written, including wrong totals.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write},
};

use chrono::NaiveDate;
use kaigo_codes::{
    calendar::YearMonth,
    care_level::{CareLevel, Sex},
};

use crate::{
    encoding::TextEncoding,
    error::{FormatError, Result, RowError},
    flat::{LineCounter, LineTracked, check_start, decode_record},
    layout::{FieldSpec, Layout, Quoting, RowBuf, Rule, Shape},
    sensitive::Sensitive,
};

const LAYOUT: &str = "claims";
/// Claims files are MS932.
pub const ENCODING: TextEncoding = TextEncoding::Ms932;

/// データ種別 of a claims file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// 711: 介護給付費請求書・明細書 (様式第一〜第十).
    Statements,
    /// 812: 様式第七 (居宅介護支援・介護予防支援).
    CareManagement,
    /// 821: 給付管理票 (様式第十一).
    BenefitManagement,
}

impl DataKind {
    /// The 3-digit code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Statements => "711",
            Self::CareManagement => "812",
            Self::BenefitManagement => "821",
        }
    }

    /// Parse the 3-digit code.
    pub fn parse(code: &str) -> std::result::Result<Self, Rule> {
        match code {
            "711" => Ok(Self::Statements),
            "812" => Ok(Self::CareManagement),
            "821" => Ok(Self::BenefitManagement),
            _ => Err(Rule::Code),
        }
    }
}

crate::layout! {
    /// Control record (コントロールレコード, レコード種別 1).
    pub struct ControlRecord {
        /// Always "1".
        record_kind: String = ("レコード種別", "record kind", Shape::Digits(1)),
        /// Record number (1).
        record_number: u64 = ("レコード番号", "record number", Shape::Any),
        /// Volume serial.
        volume_serial: u32 = ("ボリューム通し番号", "volume serial", Shape::Any),
        /// Number of data records in the file.
        record_count: u64 = ("レコード件数", "record count", Shape::Any),
        /// 711 / 812 / 821.
        data_kind: String = ("データ種別", "data kind", Shape::Digits(3)),
        /// Always 0.
        welfare_office: String = ("福祉事務所特定番号", "welfare office number", Shape::Any),
        /// The delivering insurer (hub extract) or 000000 (provider submission).
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Provider number, or all zeros in a hub extract.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Prefecture, 00 when not applicable.
        prefecture: String = ("都道府県番号", "prefecture number", Shape::Digits(2)),
        /// 1 伝送 / 2 MO / 4 FD.
        medium: String = ("媒体区分", "medium", Shape::Digits(1)),
        /// Processing month (処理対象年月).
        processing_month: YearMonth = ("処理対象年月", "processing month", Shape::Any),
        /// Always 0.
        file_management_number: String = ("ファイル管理番号", "file management number", Shape::Any),
    }
}

crate::layout! {
    /// 01 基本情報レコード: one per statement.
    pub struct BasicRecord {
        /// 交換情報識別番号 (e.g. 7131).
        exchange_id: String = ("交換情報識別番号", "exchange information id", Shape::MaxChars(4)),
        /// "01".
        record_type: String = ("レコード種別コード", "record type code", Shape::Digits(2)),
        /// Service month.
        service_month: YearMonth = ("サービス提供年月", "service month", Shape::Any),
        /// Provider number.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Insurer number, zero-padded to 8.
        insurer_number: String = ("証記載保険者番号", "insurer number (8 digits)", Shape::Digits(8)),
        /// Insured-person number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Public expense 1 payer.
        public1_payer: Option<String> = ("公費1負担者番号", "public expense 1 payer", Shape::Digits(8)),
        /// Public expense 1 recipient.
        public1_recipient: Option<Sensitive<String>> = ("公費1受給者番号", "public expense 1 recipient", Shape::Digits(7)),
        /// Public expense 2 payer.
        public2_payer: Option<String> = ("公費2負担者番号", "public expense 2 payer", Shape::Digits(8)),
        /// Public expense 2 recipient.
        public2_recipient: Option<Sensitive<String>> = ("公費2受給者番号", "public expense 2 recipient", Shape::Digits(7)),
        /// Public expense 3 payer.
        public3_payer: Option<String> = ("公費3負担者番号", "public expense 3 payer", Shape::Digits(8)),
        /// Public expense 3 recipient.
        public3_recipient: Option<Sensitive<String>> = ("公費3受給者番号", "public expense 3 recipient", Shape::Digits(7)),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Sex.
        sex: Sex = ("性別コード", "sex", Shape::Any),
        /// Care level in force.
        care_level: CareLevel = ("要介護状態区分コード", "care level", Shape::Any),
        /// 旧措置入所者特例コード (様式第八 only).
        old_measure: Option<String> = ("旧措置入所者特例コード", "former-measure resident code", Shape::Digits(1)),
        /// Certification validity start.
        validity_start: NaiveDate = ("認定有効期間開始年月日", "certification valid from", Shape::Any),
        /// Certification validity end.
        validity_end: NaiveDate = ("認定有効期間終了年月日", "certification valid to", Shape::Any),
        /// 1 居宅介護支援事業所作成 / 2 自己作成 / 3 介護予防支援事業所作成.
        plan_kind: Option<String> = ("居宅サービス計画作成区分コード", "care-plan maker kind", Shape::Digits(1)),
        /// Care-management office that made the plan.
        plan_office_number: Option<String> = ("居宅介護支援事業所番号", "care-management office", Shape::Digits(10)),
        /// Service start date.
        start_date: Option<NaiveDate> = ("開始年月日", "start date", Shape::Any),
        /// Service end date.
        end_date: Option<NaiveDate> = ("中止年月日", "end date", Shape::Any),
        /// End reason (code values not published; see docs).
        end_reason: Option<String> = ("中止理由コード", "end reason", Shape::Digits(1)),
        /// Facility admission date.
        admission_date: Option<NaiveDate> = ("入所（院）年月日", "admission date", Shape::Any),
        /// Facility discharge date.
        discharge_date: Option<NaiveDate> = ("退所（院）年月日", "discharge date", Shape::Any),
        /// Days in facility this month.
        admission_days: Option<u32> = ("入所（院）実日数", "days in facility", Shape::Any),
        /// Days out overnight.
        outing_days: Option<u32> = ("外泊日数", "nights out", Shape::Any),
        /// Status after discharge (code values not published; see docs).
        discharge_status: Option<String> = ("退所（院）後の状態コード", "status after discharge", Shape::Digits(1)),
        /// Benefit rate, 3 digits (090 / 080 / 070).
        benefit_rate: String = ("保険給付率", "benefit rate", Shape::Digits(3)),
        /// Public expense 1 benefit rate.
        public1_rate: Option<String> = ("公費1給付率", "public expense 1 rate", Shape::Digits(3)),
        /// Public expense 2 benefit rate.
        public2_rate: Option<String> = ("公費2給付率", "public expense 2 rate", Shape::Digits(3)),
        /// Public expense 3 benefit rate.
        public3_rate: Option<String> = ("公費3給付率", "public expense 3 rate", Shape::Digits(3)),
        /// Insurance: service units.
        insurance_units: u64 = ("保険サービス単位数", "insurance units", Shape::Any),
        /// Insurance: claim in yen.
        insurance_claim_yen: u64 = ("保険請求額", "insurance claim (yen)", Shape::Any),
        /// Insurance: co-payment in yen.
        insurance_user_charge_yen: u64 = ("保険利用者負担額", "user co-payment (yen)", Shape::Any),
        /// Insurance: emergency facility care claim.
        insurance_emergency_yen: Option<u64> = ("保険緊急時施設療養費請求額", "emergency care claim (yen)", Shape::Any),
        /// Insurance: specific medical cost claim.
        insurance_specific_medical_yen: Option<u64> = ("保険特定診療費請求額", "specific medical claim (yen)", Shape::Any),
        /// Insurance: food and lodging subsidy claim.
        insurance_resident_subsidy_yen: Option<u64> = ("保険特定入所者介護サービス費等請求額", "resident subsidy claim (yen)", Shape::Any),
        /// Public expense 1: units.
        public1_units: Option<u64> = ("公費1サービス単位数", "public expense 1 units", Shape::Any),
        /// Public expense 1: claim.
        public1_claim_yen: Option<u64> = ("公費1請求額", "public expense 1 claim (yen)", Shape::Any),
        /// Public expense 1: own payment.
        public1_user_charge_yen: Option<u64> = ("公費1本人負担額", "public expense 1 own payment (yen)", Shape::Any),
        /// Public expense 2: units.
        public2_units: Option<u64> = ("公費2サービス単位数", "public expense 2 units", Shape::Any),
        /// Public expense 2: claim.
        public2_claim_yen: Option<u64> = ("公費2請求額", "public expense 2 claim (yen)", Shape::Any),
        /// Public expense 2: own payment.
        public2_user_charge_yen: Option<u64> = ("公費2本人負担額", "public expense 2 own payment (yen)", Shape::Any),
        /// Public expense 3: units.
        public3_units: Option<u64> = ("公費3サービス単位数", "public expense 3 units", Shape::Any),
        /// Public expense 3: claim.
        public3_claim_yen: Option<u64> = ("公費3請求額", "public expense 3 claim (yen)", Shape::Any),
        /// Public expense 3: own payment.
        public3_user_charge_yen: Option<u64> = ("公費3本人負担額", "public expense 3 own payment (yen)", Shape::Any),
    }
}

crate::layout! {
    /// 02 明細情報レコード: one per service line.
    pub struct DetailRecord {
        /// 交換情報識別番号.
        exchange_id: String = ("交換情報識別番号", "exchange information id", Shape::MaxChars(4)),
        /// "02".
        record_type: String = ("レコード種別コード", "record type code", Shape::Digits(2)),
        /// Service month.
        service_month: YearMonth = ("サービス提供年月", "service month", Shape::Any),
        /// Provider number.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Insurer number (8).
        insurer_number: String = ("証記載保険者番号", "insurer number (8 digits)", Shape::Digits(8)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Service kind (2 characters).
        service_kind: String = ("サービス種類コード", "service kind", Shape::MaxChars(2)),
        /// Service item (4 digits).
        service_item: String = ("サービス項目コード", "service item", Shape::Digits(4)),
        /// Units per occurrence.
        unit_value: u32 = ("単位数", "units per occurrence", Shape::Any),
        /// Days or times.
        count: u32 = ("日数・回数", "days or times", Shape::Any),
        /// Public expense 1 days or times.
        public1_count: Option<u32> = ("公費1対象日数・回数", "public expense 1 days", Shape::Any),
        /// Public expense 2 days or times.
        public2_count: Option<u32> = ("公費2対象日数・回数", "public expense 2 days", Shape::Any),
        /// Public expense 3 days or times.
        public3_count: Option<u32> = ("公費3対象日数・回数", "public expense 3 days", Shape::Any),
        /// Service units = units × count.
        service_units: u64 = ("サービス単位数", "service units", Shape::Any),
        /// Public expense 1 units.
        public1_units: Option<u64> = ("公費1対象サービス単位数", "public expense 1 units", Shape::Any),
        /// Public expense 2 units.
        public2_units: Option<u64> = ("公費2対象サービス単位数", "public expense 2 units", Shape::Any),
        /// Public expense 3 units.
        public3_units: Option<u64> = ("公費3対象サービス単位数", "public expense 3 units", Shape::Any),
        /// Free-text note.
        note: Option<String> = ("摘要", "note", Shape::MaxChars(20)),
    }
}

crate::layout! {
    /// 10 集計情報レコード: one per service kind per statement.
    pub struct TotalsRecord {
        /// 交換情報識別番号.
        exchange_id: String = ("交換情報識別番号", "exchange information id", Shape::MaxChars(4)),
        /// "10".
        record_type: String = ("レコード種別コード", "record type code", Shape::Digits(2)),
        /// Service month.
        service_month: YearMonth = ("サービス提供年月", "service month", Shape::Any),
        /// Provider number.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Insurer number (8).
        insurer_number: String = ("証記載保険者番号", "insurer number (8 digits)", Shape::Digits(8)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Service kind.
        service_kind: String = ("サービス種類コード", "service kind", Shape::MaxChars(2)),
        /// Days with service.
        actual_days: u32 = ("サービス実日数", "days with service", Shape::Any),
        /// Planned units.
        plan_units: Option<u64> = ("計画単位数", "planned units", Shape::Any),
        /// Units subject to the monthly limit.
        limit_units: Option<u64> = ("限度額管理対象単位数", "units within limit management", Shape::Any),
        /// Units outside the limit.
        non_limit_units: Option<u64> = ("限度額管理対象外単位数", "units outside limit management", Shape::Any),
        /// Short-stay planned days.
        short_stay_plan_days: Option<u32> = ("短期入所計画日数", "short-stay planned days", Shape::Any),
        /// Short-stay actual days.
        short_stay_actual_days: Option<u32> = ("短期入所実日数", "short-stay days", Shape::Any),
        /// Insurance unit total.
        units_total: u64 = ("保険単位数合計", "insurance units total", Shape::Any),
        /// Unit price in hundredths of a yen (1140 = 11.40).
        unit_price: String = ("保険単位数単価", "unit price (0.01 yen)", Shape::Digits(4)),
        /// Insurance claim.
        claim_yen: u64 = ("保険請求額", "insurance claim (yen)", Shape::Any),
        /// User co-payment.
        user_charge_yen: u64 = ("保険利用者負担額", "user co-payment (yen)", Shape::Any),
        /// Public expense 1 units.
        public1_units: Option<u64> = ("公費1単位数合計", "public expense 1 units", Shape::Any),
        /// Public expense 1 claim.
        public1_claim_yen: Option<u64> = ("公費1請求額", "public expense 1 claim (yen)", Shape::Any),
        /// Public expense 1 own payment.
        public1_user_charge_yen: Option<u64> = ("公費1本人負担額", "public expense 1 own payment (yen)", Shape::Any),
        /// Public expense 2 units.
        public2_units: Option<u64> = ("公費2単位数合計", "public expense 2 units", Shape::Any),
        /// Public expense 2 claim.
        public2_claim_yen: Option<u64> = ("公費2請求額", "public expense 2 claim (yen)", Shape::Any),
        /// Public expense 2 own payment.
        public2_user_charge_yen: Option<u64> = ("公費2本人負担額", "public expense 2 own payment (yen)", Shape::Any),
        /// Public expense 3 units.
        public3_units: Option<u64> = ("公費3単位数合計", "public expense 3 units", Shape::Any),
        /// Public expense 3 claim.
        public3_claim_yen: Option<u64> = ("公費3請求額", "public expense 3 claim (yen)", Shape::Any),
        /// Public expense 3 own payment.
        public3_user_charge_yen: Option<u64> = ("公費3本人負担額", "public expense 3 own payment (yen)", Shape::Any),
    }
}

crate::layout! {
    /// 様式第七 (8124 居宅介護支援 / 8125 介護予防支援): one record per detail line.
    pub struct CareManagementRecord {
        /// 8124 or 8125.
        exchange_id: String = ("交換情報識別番号", "exchange information id", Shape::Digits(4)),
        /// Care-management office.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// 1 指定 / 2 基準該当 / 3 相当サービス / 4 その他 / 5 地域密着型.
        designation: String = ("指定/基準該当等事業所区分コード", "designation kind", Shape::Digits(1)),
        /// Service month.
        service_month: YearMonth = ("サービス提供年月", "service month", Shape::Any),
        /// Insurer number (8).
        insurer_number: String = ("証記載保険者番号", "insurer number (8 digits)", Shape::Digits(8)),
        /// Unit price (0.01 yen).
        unit_price: String = ("単位数単価", "unit price (0.01 yen)", Shape::Digits(4)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Public expense payer.
        public_payer: Option<String> = ("公費負担者番号", "public expense payer", Shape::Digits(8)),
        /// Public expense recipient.
        public_recipient: Option<Sensitive<String>> = ("公費受給者番号", "public expense recipient", Shape::Digits(7)),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Sex.
        sex: Sex = ("性別コード", "sex", Shape::Any),
        /// Care level.
        care_level: CareLevel = ("要介護状態区分コード", "care level", Shape::Any),
        /// Validity start.
        validity_start: NaiveDate = ("認定有効期間開始年月日", "certification valid from", Shape::Any),
        /// Validity end.
        validity_end: NaiveDate = ("認定有効期間終了年月日", "certification valid to", Shape::Any),
        /// Date the plan request was notified.
        plan_request_date: Option<NaiveDate> = ("居宅サービス計画作成依頼届出年月日", "plan request notified on", Shape::Any),
        /// Line number.
        line_number: u32 = ("明細行番号", "line number", Shape::Any),
        /// Service code: kind (2) + item (4).
        service_code: String = ("サービスコード", "service code", Shape::Digits(6)),
        /// Units per occurrence.
        unit_value: u32 = ("単位数", "units", Shape::Any),
        /// Times.
        count: u32 = ("回数", "times", Shape::Any),
        /// Service units of the line.
        service_units: u64 = ("サービス単位数", "service units", Shape::Any),
        /// Total units of the statement.
        units_total: u64 = ("サービス単位数合計", "service units total", Shape::Any),
        /// Claim of the statement.
        claim_yen: u64 = ("請求金額", "claim (yen)", Shape::Any),
        /// Care manager number.
        care_manager_number: Option<String> = ("担当介護支援専門員番号", "care manager number", Shape::Digits(8)),
        /// Note.
        note: Option<String> = ("摘要", "note", Shape::MaxChars(20)),
    }
}

crate::layout! {
    /// 様式第十一 (8222 給付管理票): one record per service provider and kind.
    pub struct BenefitManagementRecord {
        /// 8222.
        exchange_id: String = ("交換情報識別番号", "exchange information id", Shape::Digits(4)),
        /// Target month.
        target_month: YearMonth = ("対象年月", "target month", Shape::Any),
        /// Insurer number (8).
        insurer_number: String = ("証記載保険者番号", "insurer number (8 digits)", Shape::Digits(8)),
        /// Care-management office.
        office_number: String = ("居宅介護支援事業所番号", "care-management office", Shape::Digits(10)),
        /// 1 新規 / 2 修正 / 3 取消.
        creation_kind: String = ("給付管理票作成区分コード", "creation kind", Shape::Digits(1)),
        /// Creation date.
        creation_date: NaiveDate = ("給付管理票作成年月日", "created on", Shape::Any),
        /// 1 訪問通所 / 2 短期入所 / 3 居宅サービス区分.
        form_kind: String = ("給付管理票種別区分コード", "form kind", Shape::Digits(1)),
        /// Line number.
        line_number: u32 = ("給付管理票明細行番号", "line number", Shape::Any),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Sex.
        sex: Sex = ("性別コード", "sex", Shape::Any),
        /// Care level.
        care_level: CareLevel = ("要介護状態区分コード", "care level", Shape::Any),
        /// Limit period start.
        limit_start: YearMonth = ("限度額適用期間開始年月", "limit period from", Shape::Any),
        /// Limit period end.
        limit_end: YearMonth = ("限度額適用期間終了年月", "limit period to", Shape::Any),
        /// Monthly limit in units.
        limit_units: u32 = ("居宅・介護予防支給限度額", "monthly limit (units)", Shape::Any),
        /// Plan maker kind.
        plan_kind: String = ("居宅サービス計画作成区分コード", "care-plan maker kind", Shape::Digits(1)),
        /// Service provider.
        service_provider_number: String = ("サービス事業所番号", "service provider", Shape::Digits(10)),
        /// Designation kind.
        designation: String = ("指定/基準該当等事業所区分コード", "designation kind", Shape::Digits(1)),
        /// Service kind.
        service_kind: String = ("サービス種類コード", "service kind", Shape::MaxChars(2)),
        /// Planned units (or days for short stays).
        planned_units: u64 = ("給付計画単位数/日数", "planned units or days", Shape::Any),
        /// Planned days up to the previous month.
        previous_days: Option<u32> = ("前月までの給付計画日数", "planned days to previous month", Shape::Any),
        /// Subtotal for designated services.
        designated_subtotal: u64 = ("指定サービス分小計", "designated services subtotal", Shape::Any),
        /// Subtotal for standard-equivalent services.
        standard_subtotal: Option<u64> = ("基準該当サービス分小計", "standard-equivalent subtotal", Shape::Any),
        /// Planned total.
        planned_total: u64 = ("給付計画合計単位数/日数", "planned total", Shape::Any),
        /// Care manager.
        care_manager_number: Option<String> = ("担当介護支援専門員番号", "care manager number", Shape::Digits(8)),
        /// Subcontracted office.
        subcontract_office: Option<String> = ("委託先の居宅介護支援事業所番号", "subcontracted office", Shape::Digits(10)),
        /// Subcontracted care manager.
        subcontract_manager: Option<String> = ("委託先の担当介護支援専門員番号", "subcontracted care manager", Shape::Digits(8)),
    }
}

/// One data record of a claims file.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimRecord {
    /// 01 基本情報.
    Basic(Box<BasicRecord>),
    /// 02 明細情報.
    Detail(Box<DetailRecord>),
    /// 10 集計情報.
    Totals(Box<TotalsRecord>),
    /// 様式第七 line.
    CareManagement(Box<CareManagementRecord>),
    /// 給付管理票 line.
    BenefitManagement(Box<BenefitManagementRecord>),
}

impl ClaimRecord {
    fn write_fields(&self, row: &mut RowBuf) {
        match self {
            Self::Basic(record) => record.write_fields(row),
            Self::Detail(record) => record.write_fields(row),
            Self::Totals(record) => record.write_fields(row),
            Self::CareManagement(record) => record.write_fields(row),
            Self::BenefitManagement(record) => record.write_fields(row),
        }
    }

    /// The field list of this record's layout.
    pub fn fields(&self) -> &'static [FieldSpec] {
        match self {
            Self::Basic(_) => BasicRecord::FIELDS,
            Self::Detail(_) => DetailRecord::FIELDS,
            Self::Totals(_) => TotalsRecord::FIELDS,
            Self::CareManagement(_) => CareManagementRecord::FIELDS,
            Self::BenefitManagement(_) => BenefitManagementRecord::FIELDS,
        }
    }
}

/// A data record as read: its line and the record or the rule it breaks.
pub type ReadRecord = (u64, std::result::Result<ClaimRecord, RowError>);

/// Offset of the first layout field in a data record (after `2,<record number>`).
pub const DATA_PREFIX_FIELDS: usize = 2;

/// Writes a claims file. Data records are held until [`ClaimsWriter::finish`] writes control +
/// data + end, because the control record carries the record count: in memory up to
/// [`BODY_IN_MEMORY`] bytes, then in an unnamed temporary file (in the OS temporary folder, or
/// the folder [`ClaimsWriter::spill_into`] names), so that an insurer's go-live delivery (its
/// whole back-fill) costs disk rather than memory.
pub struct ClaimsWriter {
    control: ControlRecord,
    body: Body,
    spill_folder: Option<std::path::PathBuf>,
    row: RowBuf,
    line: Vec<u8>,
    data_records: u64,
    next_line: u64,
}

/// Data records of a claims file held in memory up to this size; beyond it, on disk.
pub const BODY_IN_MEMORY: usize = 16 << 20;

/// Where a claims file's data records wait for the count.
enum Body {
    Memory(Vec<u8>),
    /// An unnamed temporary file (removed by the system when closed).
    Spilled(BufWriter<File>),
}

impl ClaimsWriter {
    /// Start a hub-extract claims file for one insurer and processing month.
    pub fn new(kind: DataKind, insurer_number: &str, prefecture: u8, processing_month: YearMonth) -> Self {
        Self {
            control: ControlRecord {
                record_kind: "1".into(),
                record_number: 1,
                volume_serial: 1,
                record_count: 0,
                data_kind: kind.code().into(),
                welfare_office: "0".into(),
                insurer_number: insurer_number.into(),
                provider_number: "0000000000".into(),
                prefecture: format!("{prefecture:02}"),
                medium: "1".into(),
                processing_month,
                file_management_number: "0".into(),
            },
            body: Body::Memory(Vec::new()),
            spill_folder: None,
            row: RowBuf::new(),
            line: Vec::new(),
            data_records: 0,
            next_line: 2,
        }
    }

    /// Spill data records beyond [`BODY_IN_MEMORY`] into `folder` rather than the OS temporary
    /// folder (the output's own disk).
    pub fn spill_into(mut self, folder: &std::path::Path) -> Self {
        self.spill_folder = Some(folder.to_path_buf());
        self
    }

    /// Write a data record; returns its line number.
    pub fn write(&mut self, record: &ClaimRecord) -> Result<u64> {
        self.write_with(record, |_| {})
    }

    /// Write a data record after editing its field texts (fields are indexed from the
    /// layout's first field, i.e. without the `2,<record number>` prefix).
    pub fn write_with(&mut self, record: &ClaimRecord, edit: impl FnOnce(&mut RowBuf)) -> Result<u64> {
        self.row.clear();
        record.write_fields(&mut self.row);
        edit(&mut self.row);
        let record_number = self.data_records + 2;
        self.line.clear();
        self.line.extend_from_slice(b"2,");
        self.line
            .extend_from_slice(itoa::Buffer::new().format(record_number).as_bytes());
        self.line.push(b',');
        if let Err(index) = self.row.encode_line(ENCODING, Quoting::All, &mut self.line) {
            return Err(FormatError::Unencodable {
                layout: LAYOUT,
                field: record.fields().get(index).map_or("(extra)", |field| field.name),
                encoding: ENCODING.name(),
            });
        }
        match &mut self.body {
            Body::Memory(bytes) if bytes.len() + self.line.len() > BODY_IN_MEMORY => {
                let file = match &self.spill_folder {
                    Some(folder) => tempfile::tempfile_in(folder)?,
                    None => tempfile::tempfile()?,
                };
                let mut file = BufWriter::new(file);
                file.write_all(bytes)?;
                file.write_all(&self.line)?;
                self.body = Body::Spilled(file);
            }
            Body::Memory(bytes) => bytes.extend_from_slice(&self.line),
            Body::Spilled(file) => file.write_all(&self.line)?,
        }
        self.data_records += 1;
        let line = self.next_line;
        self.next_line += self.line.iter().filter(|&&byte| byte == b'\n').count() as u64;
        Ok(line)
    }

    /// True when the data records have moved to a temporary file.
    pub fn is_spilled(&self) -> bool {
        matches!(self.body, Body::Spilled(_))
    }

    /// Number of data records written so far.
    pub fn data_records(&self) -> u64 {
        self.data_records
    }

    /// Write the whole file to `out`.
    pub fn finish(mut self, out: &mut impl Write) -> Result<()> {
        self.control.record_count = self.data_records;
        let mut head = Vec::new();
        self.row.clear();
        self.control.write_fields(&mut self.row);
        self.row
            .encode_line(ENCODING, Quoting::Minimal, &mut head)
            .expect("control record is ASCII");
        out.write_all(&head)?;
        match self.body {
            Body::Memory(bytes) => out.write_all(&bytes)?,
            Body::Spilled(file) => {
                let mut file = file.into_inner().map_err(|error| error.into_error())?;
                file.seek(SeekFrom::Start(0))?;
                std::io::copy(&mut file, out)?;
            }
        }
        let end_number = self.data_records + 2;
        out.write_all(format!("3,{end_number}\r\n").as_bytes())?;
        out.flush()?;
        Ok(())
    }
}

/// Streams a claims file: the control record on open, then data records, and the end-record
/// and count checks when the data run out.
pub struct ClaimsReader<R: Read> {
    csv: csv::Reader<LineTracked<BufReader<R>>>,
    record: csv::ByteRecord,
    control: ControlRecord,
    data_kind: DataKind,
    data_records: u64,
    finished: bool,
    lines: LineCounter,
}

impl<R: Read> ClaimsReader<R> {
    /// Open and read the control record.
    pub fn open(input: R) -> Result<Self> {
        let mut input = BufReader::with_capacity(1 << 16, input);
        check_start(&mut input, LAYOUT, ENCODING)?;
        let (input, lines) = LineCounter::track(input);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut record = csv::ByteRecord::new();
        let syntax = |line| FormatError::Syntax { layout: LAYOUT, line };
        if !csv.read_byte_record(&mut record).map_err(|_| syntax(1))? || record.get(0) != Some(b"1") {
            return Err(FormatError::MissingControlRecord {
                layout: LAYOUT,
                line: 1,
            });
        }
        lines.record_line(&csv, &record);
        let control: ControlRecord = decode_record(&record, ENCODING, 1, 0).map_err(|error| match error.field {
            Some((_, field)) => FormatError::ControlRecord {
                layout: LAYOUT,
                line: 1,
                field,
                rule: error.rule,
            },
            None => FormatError::ControlRecord {
                layout: LAYOUT,
                line: 1,
                field: "(record)",
                rule: error.rule,
            },
        })?;
        let data_kind = DataKind::parse(&control.data_kind).map_err(|rule| FormatError::ControlRecord {
            layout: LAYOUT,
            line: 1,
            field: "data_kind",
            rule,
        })?;
        if control.record_number != 1 {
            return Err(FormatError::RecordNumber {
                layout: LAYOUT,
                line: 1,
                expected: 1,
            });
        }
        Ok(Self {
            csv,
            record,
            control,
            data_kind,
            data_records: 0,
            finished: false,
            lines,
        })
    }

    /// The control record.
    pub fn control(&self) -> &ControlRecord {
        &self.control
    }

    /// The file's data kind.
    pub fn data_kind(&self) -> DataKind {
        self.data_kind
    }

    /// The レコード種別コード (`01`, `02`, `10`) of the data record read last, as written — also
    /// when that record failed to parse, so a caller can still tell where a statement starts.
    pub fn last_record_type(&self) -> &str {
        let text = |index: usize| {
            self.record
                .get(index)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or("")
        };
        text(DATA_PREFIX_FIELDS + 1)
    }

    /// The next data record, `Ok(None)` after a correct end record. A bad data record is a
    /// [`RowError`]; structural damage (missing end record, wrong counts, numbering gaps, data
    /// after the end) is a [`FormatError`] for the whole file.
    pub fn next_record(&mut self) -> Result<Option<(u64, std::result::Result<ClaimRecord, RowError>)>> {
        Ok(self.next_line()?.map(|line| (line, self.decode_data(line))))
    }

    /// Like [`Self::next_record`] without parsing the data record's fields: the line of the next
    /// data record, `Ok(None)` after a correct end record, and the same [`FormatError`]s. A pass
    /// of this over a file tells whether it will be read to its end (see `kaigo-ingest`, which
    /// loads a file only after such a pass).
    pub fn next_line(&mut self) -> Result<Option<u64>> {
        if self.finished {
            return Ok(None);
        }
        let more = self
            .csv
            .read_byte_record(&mut self.record)
            .map_err(|_| FormatError::Syntax {
                layout: LAYOUT,
                line: self.lines.current(&self.csv),
            })?;
        if !more {
            return Err(FormatError::MissingEndRecord { layout: LAYOUT });
        }
        let line = self.lines.record_line(&self.csv, &self.record);
        let expected_number = self.data_records + 2;
        let number_ok = self
            .record
            .get(1)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .and_then(|text| text.parse::<u64>().ok())
            == Some(expected_number);
        match self.record.get(0) {
            Some(b"3") => {
                if !number_ok || self.record.len() != 2 {
                    return Err(FormatError::RecordNumber {
                        layout: LAYOUT,
                        line,
                        expected: expected_number,
                    });
                }
                if self.control.record_count != self.data_records {
                    return Err(FormatError::RecordCount {
                        layout: LAYOUT,
                        declared: self.control.record_count,
                        found: self.data_records,
                    });
                }
                self.finished = true;
                let mut trailing = csv::ByteRecord::new();
                if self
                    .csv
                    .read_byte_record(&mut trailing)
                    .map_err(|_| FormatError::Syntax { layout: LAYOUT, line })?
                {
                    return Err(FormatError::DataAfterEnd {
                        layout: LAYOUT,
                        line: self.lines.record_line(&self.csv, &trailing),
                    });
                }
                Ok(None)
            }
            Some(b"2") => {
                if !number_ok {
                    return Err(FormatError::RecordNumber {
                        layout: LAYOUT,
                        line,
                        expected: expected_number,
                    });
                }
                self.data_records += 1;
                Ok(Some(line))
            }
            _ => Err(FormatError::RecordNumber {
                layout: LAYOUT,
                line,
                expected: expected_number,
            }),
        }
    }

    fn decode_data(&self, line: u64) -> std::result::Result<ClaimRecord, RowError> {
        let record = &self.record;
        let text = |index: usize| {
            record
                .get(index)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or("")
        };
        let exchange_id = text(DATA_PREFIX_FIELDS);
        let bad_id = RowError {
            line,
            field: Some((DATA_PREFIX_FIELDS, "exchange_id")),
            rule: Rule::Code,
        };
        let skip = DATA_PREFIX_FIELDS;
        match (self.data_kind, exchange_id) {
            (DataKind::Statements, id) if kaigo_codes::service::is_statement_exchange_id(id) => {
                match text(DATA_PREFIX_FIELDS + 1) {
                    "01" => decode_record(record, ENCODING, line, skip).map(|r| ClaimRecord::Basic(Box::new(r))),
                    "02" => decode_record(record, ENCODING, line, skip).map(|r| ClaimRecord::Detail(Box::new(r))),
                    "10" => decode_record(record, ENCODING, line, skip).map(|r| ClaimRecord::Totals(Box::new(r))),
                    _ => Err(RowError {
                        line,
                        field: Some((DATA_PREFIX_FIELDS + 1, "record_type")),
                        rule: Rule::Code,
                    }),
                }
            }
            (DataKind::CareManagement, "8124" | "8125") => {
                decode_record(record, ENCODING, line, skip).map(|r| ClaimRecord::CareManagement(Box::new(r)))
            }
            (DataKind::BenefitManagement, "8222") => {
                decode_record(record, ENCODING, line, skip).map(|r| ClaimRecord::BenefitManagement(Box::new(r)))
            }
            _ => Err(bad_id),
        }
    }

    /// Read every record (for tests and small files).
    pub fn read_all(mut self) -> Result<(ControlRecord, Vec<ReadRecord>)> {
        let mut records = Vec::new();
        while let Some(record) = self.next_record()? {
            records.push(record);
        }
        Ok((self.control, records))
    }
}
