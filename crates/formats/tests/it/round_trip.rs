//! Each extract type: a record with Japanese text, empty optional fields and edge values is
//! written and read back unchanged.

use chrono::NaiveDate;
use kaigo_codes::{
    calendar::YearMonth,
    care_level::{CareLevel, Sex},
};
use kaigo_formats::{
    Sensitive,
    care_plan::{PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
    certification::CertificationRecord,
    claims::{
        BODY_IN_MEMORY, BasicRecord, BenefitManagementRecord, CareManagementRecord, ClaimRecord, ClaimsReader,
        ClaimsWriter, DataKind, DetailRecord, TotalsRecord,
    },
    flat::{FlatExtract, FlatReader, FlatWriter},
    life::LifeRecord,
    register::RegisterRecord,
    registry::{InsurerRecord, ProviderActivityRecord, ProviderRecord},
};

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

pub fn month(year: u32, month: u32) -> YearMonth {
    YearMonth::new(year, month).unwrap()
}

fn round_trip<E: FlatExtract + PartialEq + std::fmt::Debug>(records: &[E]) {
    let mut writer = FlatWriter::<_, E>::new(Vec::new()).unwrap();
    let mut lines = Vec::new();
    for record in records {
        lines.push(writer.write(record).unwrap());
    }
    let bytes = writer.finish().unwrap();
    assert!(bytes.ends_with(b"\r\n"));
    let read = FlatReader::<_, E>::open(&bytes[..]).unwrap().read_all().unwrap();
    assert_eq!(read.len(), records.len());
    for ((line, record), (expected_line, expected)) in read.iter().zip(lines.iter().zip(records)) {
        assert_eq!(line, expected_line);
        assert_eq!(record.as_ref().unwrap(), expected);
    }
    // Writing what was read gives the same bytes.
    let mut again = FlatWriter::<_, E>::new(Vec::new()).unwrap();
    for (_, record) in &read {
        again.write(record.as_ref().unwrap()).unwrap();
    }
    assert_eq!(again.finish().unwrap(), bytes);
}

pub fn certification() -> CertificationRecord {
    let mut record = CertificationRecord {
        insurer_number: "131011".into(),
        insured_number: Sensitive::new("０１２３４５６７８９".into()),
        kana_name: Sensitive::new("ｻﾄｳ ﾊﾅｺ".into()),
        birth_date: Sensitive::new(date(1935, 2, 28)),
        sex: Sex::Female,
        application_date: date(2026, 10, 1),
        application_kind: "1".into(),
        survey_date: date(2026, 10, 10),
        survey_01: 0,
        survey_02: 0,
        survey_03: 0,
        survey_04: 0,
        survey_05: 0,
        survey_06: 0,
        survey_07: 0,
        survey_08: 0,
        survey_09: 0,
        survey_10: 0,
        survey_11: 0,
        survey_12: 0,
        survey_13: 0,
        survey_14: 0,
        survey_15: 0,
        survey_16: 0,
        survey_17: 0,
        survey_18: 0,
        survey_19: 0,
        survey_20: 0,
        survey_21: 0,
        survey_22: 0,
        survey_23: 0,
        survey_24: 0,
        survey_25: 0,
        survey_26: 0,
        survey_27: 0,
        survey_28: 0,
        survey_29: 0,
        survey_30: 0,
        survey_31: 0,
        survey_32: 0,
        survey_33: 0,
        survey_34: 0,
        survey_35: 0,
        survey_36: 0,
        survey_37: 0,
        survey_38: 0,
        survey_39: 0,
        survey_40: 0,
        survey_41: 0,
        survey_42: 0,
        survey_43: 0,
        survey_44: 0,
        survey_45: 0,
        survey_46: 0,
        survey_47: 0,
        survey_48: 0,
        survey_49: 0,
        survey_50: 0,
        survey_51: 0,
        survey_52: 0,
        survey_53: 0,
        survey_54: 0,
        survey_55: 0,
        survey_56: 0,
        survey_57: 0,
        survey_58: 0,
        survey_59: 0,
        survey_60: 0,
        survey_61: 0,
        survey_62: 0,
        survey_63: 0,
        survey_64: 0,
        survey_65: 0,
        survey_66: 0,
        survey_67: 0,
        survey_68: 0,
        survey_69: 0,
        survey_70: 0,
        survey_71: 0,
        survey_72: 0,
        survey_73: 0,
        survey_74: 0,
        bedridden_rating: "B2".into(),
        dementia_rating: "Ⅲa".into(),
        opinion_date: date(2026, 10, 12),
        medical_institution: "1310100011".into(),
        opinion_electronic: true,
        diagnosis: None,
        stability: "1".into(),
        specified_disease: Some(16),
        opinion_bedridden_rating: "C1".into(),
        opinion_dementia_rating: "M".into(),
        short_term_memory: 2,
        decision_ability: 3,
        communication: 1,
        height_cm: None,
        weight_kg: Some(41),
        base_time_tenths: 1234,
        group1_score: 0,
        group2_score: 100,
        group3_score: 55,
        group4_score: 90,
        group5_score: 10,
        primary_level: CareLevel::Care2,
        board_date: date(2026, 10, 28),
        secondary_level: CareLevel::Care3,
        validity_start: Some(date(2026, 10, 1)),
        validity_end: Some(date(2027, 3, 31)),
    };
    let answers: [u8; 74] = std::array::from_fn(|index| (index % 3) as u8 + 1);
    record.set_survey_answers(answers);
    assert_eq!(record.survey_answers(), answers);
    record
}

#[test]
fn certification_round_trips_in_ms932() {
    let mut second = certification();
    second.kana_name = Sensitive::new("ヤマダ　タロウ".into());
    second.sex = Sex::Male;
    second.validity_start = None;
    second.validity_end = None;
    second.secondary_level = CareLevel::NotEligible;
    round_trip(&[certification(), second]);
}

#[test]
fn life_round_trips_in_utf8() {
    let record = LifeRecord {
        provider_number: "1370100421".into(),
        insurer_number: "131011".into(),
        insured_number: Sensitive::new("0000012345".into()),
        name: Sensitive::new("髙橋　𠮷子".into()),
        birth_date: Sensitive::new(date(1930, 1, 1)),
        sex: Sex::Female,
        care_level: CareLevel::Care4,
        bedridden_rating: "C2".into(),
        dementia_rating: "Ⅳ".into(),
        evaluation_date: date(2026, 11, 30),
        evaluation_point: "3".into(),
        barthel_feeding: 10,
        barthel_transfer: 15,
        barthel_grooming: 5,
        barthel_toilet: 10,
        barthel_bathing: 5,
        barthel_walking: 15,
        barthel_stairs: 10,
        barthel_dressing: 10,
        barthel_bowel: 10,
        barthel_bladder: 10,
        barthel_total: 100,
        vitality_waking: 2,
        vitality_communication: 2,
        vitality_eating: 2,
        vitality_excretion: 2,
        vitality_activity: 2,
        vitality_total: 10,
        dbd13_total: 52,
        height_mm: Some(1450),
        weight_hg: None,
        denture: true,
        choking: false,
        dirty_teeth: false,
        gum_bleeding: true,
        emergency_admission_date: Some(date(2026, 11, 3)),
        end_date: Some(date(2026, 11, 3)),
        end_reason: Some("5".into()),
    };
    round_trip(&[record]);
}

#[test]
fn register_and_registries_round_trip() {
    round_trip(&[RegisterRecord {
        insurer_number: "011007".into(),
        insured_number: Sensitive::new("1234567890".into()),
        event_date: date(2027, 1, 4),
        event_kind: "3".into(),
        reason: "21".into(),
        kana_name: Sensitive::new("サイトウ　ヨシコ".into()),
        kanji_name: Sensitive::new("齋藤　芳子".into()),
        birth_date: Sensitive::new(date(1944, 12, 31)),
        sex: Sex::Female,
        tier: "1".into(),
        municipality_code: "011002".into(),
    }]);
    round_trip(&[InsurerRecord {
        insurer_number: "272104".into(),
        local_government_code: "272108".into(),
        prefecture_code: "27".into(),
        name: "枚方市".into(),
        size_class: "2".into(),
        member_municipalities: 1,
        population_65_plus: 110_000,
        population_40_64: 128_000,
        area_grade: 3,
        standardisation_fiscal_year: None,
        planned_start_date: Some(date(2027, 10, 1)),
        start_date: None,
        status: "2".into(),
        as_of: month(2026, 11),
    }]);
    round_trip(&[ProviderRecord {
        provider_number: "2372101440".into(),
        name: "グループホーム「ひだまり」, 本館".into(),
        insurer_number: "231002".into(),
        service_kinds: "32;37".into(),
        area_grade: 3,
        capacity: Some(18),
        is_medical_institution: false,
        portal_registered_on: Some(date(2025, 8, 1)),
        client_certificate_on: None,
        card_reader_on: None,
        subsidy_yen: None,
        opinion_electronic_since: None,
    }]);
    round_trip(&[ProviderActivityRecord {
        month: month(2026, 12),
        provider_number: "2372101440".into(),
        users: 18,
        users_with_consent: 0,
        record_views: 0,
    }]);
}

#[test]
fn care_plans_round_trip_without_header() {
    let sheet1 = PlanSheet1 {
        csv_version: "202306".into(),
        insurer_number: "131011".into(),
        insured_number: Sensitive::new("0000000001".into()),
        created_on: date(2026, 11, 1),
        postal_code: Some(Sensitive::new("1000001".into())),
        address1: Some(Sensitive::new("東京都千代田区".into())),
        address2: None,
        author: Some("介護　花子".into()),
        office_name: None,
        office_postal_code: None,
        office_address1: None,
        office_address2: None,
        office_number: "1370100421".into(),
        plan_date: date(2026, 11, 1),
        first_plan_date: date(2020, 4, 1),
        plan_kind: "21".into(),
        certification_status: "2".into(),
        certified_on: date(2026, 10, 20),
        validity_start: date(2026, 11, 1),
        validity_end: date(2027, 10, 31),
        care_level: CareLevel::Care1,
        wishes: Some("「自宅で暮らしたい」\r\n二行目, with a comma and \"quotes\"".into()),
        board_opinion: None,
        policy: None,
        household_help_reason: Some("1".into()),
        other_reason: None,
        vendor_code: None,
        identifier: None,
    };
    let mut writer = FlatWriter::<_, PlanSheet1>::new(Vec::new()).unwrap();
    assert_eq!(
        writer.write(&sheet1).unwrap(),
        1,
        "no header: the first record is line 1"
    );
    assert_eq!(
        writer.write(&sheet1).unwrap(),
        3,
        "an embedded line break moves the next record down"
    );
    round_trip(&[sheet1]);
    round_trip(&[PlanSheet2 {
        csv_version: "202306".into(),
        insurer_number: "131011".into(),
        insured_number: Sensitive::new("0000000001".into()),
        created_on: date(2026, 11, 1),
        plan_date: date(2026, 11, 1),
        need_number: 1,
        need: None,
        goal_number: 2,
        long_term_goal: None,
        short_term_goal: None,
        long_term_period: None,
        short_term_period: None,
        support_number: 3,
        service_content: Some("通所介護".into()),
        insured_service: Some("1".into()),
        service_kind: "15".into(),
        provider_number: Some("1370100421".into()),
        provider_name: None,
        frequency: Some("週2回".into()),
        period: None,
        vendor_code: None,
        identifier: None,
    }]);
    round_trip(&[PlanMonth {
        csv_version: "202306".into(),
        insurer_number: "131011".into(),
        insured_number: Sensitive::new("0000000001".into()),
        target_month: month(2026, 11),
        office_number: "1370100421".into(),
        provider_number: "1370100439".into(),
        service_code: "151111".into(),
        plan_or_actual: "2".into(),
        days: "1000100010001000100010001000000".into(),
        total: 7,
    }]);
    round_trip(&[PlanSupplement {
        csv_version: "202306".into(),
        insurer_number: "131011".into(),
        insured_number: Sensitive::new("0000000001".into()),
        plan_date: date(2026, 11, 1),
        kana_name: Sensitive::new("スズキ　イチロウ".into()),
        kanji_name: Sensitive::new("鈴木　一郎".into()),
        sex: Sex::Male,
        birth_date: Sensitive::new(date(1940, 4, 1)),
        postal_code: None,
        address1: None,
        address2: None,
        telephone: Some(Sensitive::new("03-1234-5678".into())),
        certified_on: None,
    }]);
}

pub fn statement_records() -> Vec<ClaimRecord> {
    let basic = BasicRecord {
        exchange_id: "7131".into(),
        record_type: "01".into(),
        service_month: month(2026, 10),
        provider_number: "1370100421".into(),
        insurer_number: "00131011".into(),
        insured_number: Sensitive::new("0000012345".into()),
        public1_payer: None,
        public1_recipient: None,
        public2_payer: None,
        public2_recipient: None,
        public3_payer: None,
        public3_recipient: None,
        birth_date: Sensitive::new(date(1938, 6, 15)),
        sex: Sex::Male,
        care_level: CareLevel::Care2,
        old_measure: None,
        validity_start: date(2026, 4, 1),
        validity_end: date(2027, 3, 31),
        plan_kind: Some("1".into()),
        plan_office_number: Some("1370100439".into()),
        start_date: None,
        end_date: None,
        end_reason: None,
        admission_date: None,
        discharge_date: None,
        admission_days: None,
        outing_days: None,
        discharge_status: None,
        benefit_rate: "090".into(),
        public1_rate: None,
        public2_rate: None,
        public3_rate: None,
        insurance_units: 3_096,
        insurance_claim_yen: 31_764,
        insurance_user_charge_yen: 3_530,
        insurance_emergency_yen: None,
        insurance_specific_medical_yen: None,
        insurance_resident_subsidy_yen: None,
        public1_units: None,
        public1_claim_yen: None,
        public1_user_charge_yen: None,
        public2_units: None,
        public2_claim_yen: None,
        public2_user_charge_yen: None,
        public3_units: None,
        public3_claim_yen: None,
        public3_user_charge_yen: None,
    };
    let detail = DetailRecord {
        exchange_id: "7131".into(),
        record_type: "02".into(),
        service_month: month(2026, 10),
        provider_number: "1370100421".into(),
        insurer_number: "00131011".into(),
        insured_number: Sensitive::new("0000012345".into()),
        service_kind: "11".into(),
        service_item: "1111".into(),
        unit_value: 387,
        count: 8,
        public1_count: None,
        public2_count: None,
        public3_count: None,
        service_units: 3_096,
        public1_units: None,
        public2_units: None,
        public3_units: None,
        note: Some("身体介護".into()),
    };
    let totals = TotalsRecord {
        exchange_id: "7131".into(),
        record_type: "10".into(),
        service_month: month(2026, 10),
        provider_number: "1370100421".into(),
        insurer_number: "00131011".into(),
        insured_number: Sensitive::new("0000012345".into()),
        service_kind: "11".into(),
        actual_days: 8,
        plan_units: Some(3_096),
        limit_units: Some(3_096),
        non_limit_units: Some(0),
        short_stay_plan_days: None,
        short_stay_actual_days: None,
        units_total: 3_096,
        unit_price: "1140".into(),
        claim_yen: 31_764,
        user_charge_yen: 3_530,
        public1_units: None,
        public1_claim_yen: None,
        public1_user_charge_yen: None,
        public2_units: None,
        public2_claim_yen: None,
        public2_user_charge_yen: None,
        public3_units: None,
        public3_claim_yen: None,
        public3_user_charge_yen: None,
    };
    vec![
        ClaimRecord::Basic(Box::new(basic)),
        ClaimRecord::Detail(Box::new(detail)),
        ClaimRecord::Totals(Box::new(totals)),
    ]
}

fn claims_round_trip(kind: DataKind, records: &[ClaimRecord]) -> Vec<u8> {
    let mut writer = ClaimsWriter::new(kind, "131011", 13, month(2026, 11));
    for (index, record) in records.iter().enumerate() {
        assert_eq!(writer.write(record).unwrap(), index as u64 + 2);
    }
    let mut bytes = Vec::new();
    writer.finish(&mut bytes).unwrap();
    let (control, read) = ClaimsReader::open(&bytes[..]).unwrap().read_all().unwrap();
    assert_eq!(control.record_count, records.len() as u64);
    assert_eq!(control.insurer_number, "131011");
    assert_eq!(control.processing_month, month(2026, 11));
    let read: Vec<ClaimRecord> = read.into_iter().map(|(_, record)| record.unwrap()).collect();
    assert_eq!(read, records);
    bytes
}

#[test]
fn claims_statements_round_trip_with_control_and_end_records() {
    let bytes = claims_round_trip(DataKind::Statements, &statement_records());
    let text = encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines[0], "1,1,1,3,711,0,131011,0000000000,13,1,202611,0");
    assert!(lines[1].starts_with("2,2,\"7131\",\"01\",\"202610\",\"1370100421\",\"00131011\""));
    assert_eq!(*lines.last().unwrap(), "3,5");
    assert!(!text.replace("\r\n", "").contains('\n'), "every line ends with CRLF");
}

#[test]
fn care_and_benefit_management_round_trip() {
    let care = CareManagementRecord {
        exchange_id: "8124".into(),
        provider_number: "1370100439".into(),
        designation: "1".into(),
        service_month: month(2026, 10),
        insurer_number: "00131011".into(),
        unit_price: "1140".into(),
        insured_number: Sensitive::new("0000012345".into()),
        public_payer: None,
        public_recipient: None,
        birth_date: Sensitive::new(date(1938, 6, 15)),
        sex: Sex::Male,
        care_level: CareLevel::Care2,
        validity_start: date(2026, 4, 1),
        validity_end: date(2027, 3, 31),
        plan_request_date: Some(date(2020, 4, 1)),
        line_number: 1,
        service_code: "431111".into(),
        unit_value: 1_086,
        count: 1,
        service_units: 1_086,
        units_total: 1_086,
        claim_yen: 12_380,
        care_manager_number: Some("13000001".into()),
        note: None,
    };
    claims_round_trip(DataKind::CareManagement, &[ClaimRecord::CareManagement(Box::new(care))]);
    let benefit = BenefitManagementRecord {
        exchange_id: "8222".into(),
        target_month: month(2026, 10),
        insurer_number: "00131011".into(),
        office_number: "1370100439".into(),
        creation_kind: "1".into(),
        creation_date: date(2026, 10, 31),
        form_kind: "3".into(),
        line_number: 1,
        insured_number: Sensitive::new("0000012345".into()),
        birth_date: Sensitive::new(date(1938, 6, 15)),
        sex: Sex::Male,
        care_level: CareLevel::Care2,
        limit_start: month(2026, 4),
        limit_end: month(2027, 3),
        limit_units: 19_705,
        plan_kind: "1".into(),
        service_provider_number: "1370100421".into(),
        designation: "1".into(),
        service_kind: "11".into(),
        planned_units: 3_096,
        previous_days: None,
        designated_subtotal: 3_096,
        standard_subtotal: None,
        planned_total: 3_096,
        care_manager_number: Some("13000001".into()),
        subcontract_office: None,
        subcontract_manager: None,
    };
    claims_round_trip(
        DataKind::BenefitManagement,
        &[ClaimRecord::BenefitManagement(Box::new(benefit))],
    );
    claims_round_trip(DataKind::Statements, &[]);
}

#[test]
fn claims_larger_than_the_memory_budget_spill_to_disk_and_come_back_whole() {
    let statement = statement_records();
    let folder = tempfile::tempdir().unwrap();
    let mut writer = ClaimsWriter::new(DataKind::Statements, "131011", 13, month(2026, 11)).spill_into(folder.path());
    let mut written = Vec::new();
    // Past the budget, then as many again on disk.
    while !writer.is_spilled() {
        for record in &statement {
            writer.write(record).unwrap();
            written.push(record.clone());
        }
    }
    let in_memory = written.len();
    for _ in 0..in_memory {
        let record = &statement[written.len() % statement.len()];
        writer.write(record).unwrap();
        written.push(record.clone());
    }
    let mut bytes = Vec::new();
    writer.finish(&mut bytes).unwrap();
    // The spill file had no name and is gone.
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    assert!(bytes.len() > 2 * BODY_IN_MEMORY - 4096);
    let (control, read) = ClaimsReader::open(&bytes[..]).unwrap().read_all().unwrap();
    assert_eq!(control.record_count, written.len() as u64);
    let lines: Vec<u64> = read.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, (2..written.len() as u64 + 2).collect::<Vec<_>>());
    let read: Vec<ClaimRecord> = read.into_iter().map(|(_, record)| record.unwrap()).collect();
    assert_eq!(read, written);
}
