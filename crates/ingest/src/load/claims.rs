//! Claims files (介護給付費明細書, QKAN CSV): a statement's records are checked together and
//! loaded or quarantined whole.

use std::{
    collections::{BTreeMap, HashSet},
    io::Read,
};

use kaigo_codes::calendar::EraDate;
use kaigo_formats::{
    RowError,
    claims::{ClaimRecord, ClaimsReader, DataKind},
};
use kaigo_warehouse::tables::{
    BenefitManagementLineRow, CareManagementClaimRow, ClaimKey, ClaimLineRow, ClaimServiceTotalRow, ClaimStatementRow,
    Person,
};
use sha2::{Digest, Sha256};

use super::{Context, FileState, Stop, digits, sex_code};
use crate::{
    identity::birth_year_month,
    rules::{self, Violation},
};

/// Statements already read in a file (form, provider, insured number, service month), kept as
/// 128-bit digests: memory stays small for large files and holds no insured number.
#[derive(Default)]
struct SeenStatements(HashSet<[u8; 16]>);

impl SeenStatements {
    /// Note a statement; false if the file had it already.
    fn insert(&mut self, fields: &[&str]) -> bool {
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update(field.as_bytes());
            // A unit separator, which no field holds, keeps ("ab", "c") apart from ("a", "bc").
            hasher.update([0x1f]);
        }
        let digest = hasher.finalize();
        self.0.insert(digest[..16].try_into().expect("16 bytes"))
    }
}

/// Open a claims file and check what its control record and name say against the folder and
/// the delivery.
fn open_claims<R: Read>(
    context: &Context<'_>,
    relative: &str,
    input: R,
    expected_insurer: Option<&str>,
) -> Result<ClaimsReader<R>, String> {
    let reader = ClaimsReader::open(input).map_err(|error| error.to_string())?;
    let control = reader.control();
    if Some(control.insurer_number.as_str()) != expected_insurer {
        return Err("control record: 保険者番号 is not the insurer whose folder holds the file".into());
    }
    if control.processing_month != context.delivery_month {
        return Err("control record: 処理対象年月 is not the delivery month".into());
    }
    // The file name carries the processing month in 和暦 (QKAN naming: d<eeMM><letter>.csv).
    let era = EraDate::from_date(context.delivery_month.first_day()).map_err(|error| error.to_string())?;
    let name = relative.rsplit('/').next().unwrap_or_default();
    if name.get(1..5) != Some(format!("{:02}{:02}", era.year, era.month).as_str()) {
        return Err(format!(
            "file name: 和暦 year and month (characters 2–5) are not the delivery month {}{}年{}月",
            era.era.name_ja(),
            era.year,
            era.month
        ));
    }
    Ok(reader)
}

/// Everything that rejects a claims file whole, without parsing its data records.
pub(super) fn claims_structure(
    context: &Context<'_>,
    relative: &str,
    input: impl Read,
    expected_insurer: Option<&str>,
) -> Result<(), String> {
    let mut reader = open_claims(context, relative, input, expected_insurer)?;
    while reader.next_line().map_err(|error| error.to_string())?.is_some() {}
    Ok(())
}

pub(super) fn claims(
    state: &mut FileState<'_, '_>,
    input: impl Read,
    expected_insurer: Option<&str>,
) -> Result<(), Stop> {
    let mut reader = open_claims(state.context, &state.relative, input, expected_insurer).map_err(Stop::Rejected)?;
    let kind = reader.data_kind();
    let mut group: Vec<(u64, Result<ClaimRecord, RowError>)> = Vec::new();
    let mut seen = SeenStatements::default();
    loop {
        let next = reader.next_record()?;
        // A statement runs from its 01 record to the next one; other claims files have one record
        // per group. A broken record still has a readable record type.
        let starts_statement = match &next {
            None => true,
            Some(_) if kind != DataKind::Statements => true,
            Some(_) => reader.last_record_type() == "01",
        };
        if starts_statement && !group.is_empty() {
            let records = std::mem::take(&mut group);
            statement(state, records, &mut seen);
            state.flush(false)?;
        }
        match next {
            Some(record) => {
                state.rows_in += 1;
                group.push(record);
            }
            None => break,
        }
    }
    Ok(())
}

fn statement(
    state: &mut FileState<'_, '_>,
    records: Vec<(u64, Result<ClaimRecord, RowError>)>,
    seen: &mut SeenStatements,
) {
    let lines: Vec<u64> = records.iter().map(|(line, _)| *line).collect();
    match check_statement(state, &records, seen) {
        Ok(()) => {
            let statement_line = lines[0];
            let mut identity_key = String::new();
            let mut insurer = String::new();
            for (line, record) in &records {
                let Ok(record) = record else { unreachable!("checked") };
                emit_claim(state, *line, statement_line, record, &mut identity_key, &mut insurer);
                state.loaded += 1;
            }
        }
        Err(violation) => {
            for line in lines {
                state.quarantine(line, &violation);
            }
        }
    }
}

fn check_statement(
    state: &FileState<'_, '_>,
    records: &[(u64, Result<ClaimRecord, RowError>)],
    seen: &mut SeenStatements,
) -> Result<(), Violation> {
    for (_, record) in records {
        if let Err(error) = record {
            return Err(FileState::row_error(error));
        }
    }
    let record = |index: usize| records[index].1.as_ref().expect("checked above");
    match record(0) {
        ClaimRecord::Basic(basic) => {
            let insurer = rules::insurer_number("insurer_number", &basic.insurer_number)?;
            let grade = state.grade(insurer.as_str())?;
            rules::certified_level("care_level", basic.care_level)?;
            rules::validity_order(basic.validity_start, basic.validity_end)?;
            rules::insured_age("birth_date", *basic.birth_date.expose(), basic.service_month)?;
            if !seen.insert(&[
                &basic.exchange_id,
                &basic.provider_number,
                basic.insured_number.expose(),
                &basic.service_month.compact(),
            ]) {
                return Err(Violation::new(
                    "duplicate_statement",
                    None,
                    "a statement for the same form, provider, insured person and month appears earlier in the file",
                ));
            }
            let benefit_rate: u32 = basic.benefit_rate.parse().unwrap_or(0);
            let mut line_units: BTreeMap<&str, u64> = BTreeMap::new();
            let mut totals_units = 0;
            let mut has_totals = false;
            for (_, record) in &records[1..] {
                match record.as_ref().expect("checked") {
                    ClaimRecord::Detail(detail) => {
                        rules::service_kind("service_kind", &detail.service_kind)?;
                        if detail.service_units != u64::from(detail.unit_value) * u64::from(detail.count) {
                            return Err(Violation::new(
                                "statement_totals",
                                Some("service_units"),
                                "line units are not units per occurrence × times",
                            ));
                        }
                        *line_units.entry(detail.service_kind.as_str()).or_default() += detail.service_units;
                    }
                    ClaimRecord::Totals(totals) => {
                        has_totals = true;
                        let kind = rules::service_kind("service_kind", &totals.service_kind)?;
                        if line_units.get(totals.service_kind.as_str()).copied().unwrap_or(0) != totals.units_total {
                            return Err(Violation::new(
                                "statement_totals",
                                Some("units_total"),
                                "totals record does not equal the sum of its service lines",
                            ));
                        }
                        rules::unit_price(kind, grade, &totals.unit_price)?;
                        let price: u32 = totals.unit_price.parse().unwrap_or(0);
                        rules::claim_amounts(
                            totals.units_total,
                            price,
                            benefit_rate,
                            totals.claim_yen,
                            totals.user_charge_yen,
                        )?;
                        totals_units += totals.units_total;
                    }
                    _ => {
                        return Err(Violation::new(
                            "record_order",
                            None,
                            "a statement holds only 01, 02 and 10 records",
                        ));
                    }
                }
            }
            if !has_totals || totals_units != basic.insurance_units {
                return Err(Violation::new(
                    "statement_totals",
                    Some("insurance_units"),
                    "basic record units do not equal the sum of the totals records",
                ));
            }
            Ok(())
        }
        ClaimRecord::CareManagement(care) => {
            let insurer = rules::insurer_number("insurer_number", &care.insurer_number)?;
            let grade = state.grade(insurer.as_str())?;
            let kind = rules::service_kind("service_code", care.service_code.get(..2).unwrap_or_default())?;
            rules::unit_price(kind, grade, &care.unit_price)?;
            rules::insured_age("birth_date", *care.birth_date.expose(), care.service_month)?;
            let price: u32 = care.unit_price.parse().unwrap_or(0);
            if care.claim_yen != kaigo_codes::unit_price::cost_yen(care.units_total, price) {
                return Err(Violation::new(
                    "claim_amount",
                    Some("claim_yen"),
                    "care-management claim does not follow from units and unit price",
                ));
            }
            Ok(())
        }
        ClaimRecord::BenefitManagement(benefit) => {
            rules::insurer_number("insurer_number", &benefit.insurer_number)?;
            rules::service_kind("service_kind", &benefit.service_kind)?;
            rules::insured_age("birth_date", *benefit.birth_date.expose(), benefit.target_month)?;
            if benefit.planned_total > u64::from(benefit.limit_units) {
                return Err(Violation::new(
                    "plan_over_limit",
                    Some("planned_total"),
                    "planned units exceed the monthly limit",
                ));
            }
            Ok(())
        }
        ClaimRecord::Detail(_) | ClaimRecord::Totals(_) => Err(Violation::new(
            "orphan_record",
            None,
            "service line or totals record without a basic record before it",
        )),
    }
}

fn emit_claim(
    state: &mut FileState<'_, '_>,
    line: u64,
    statement_line: u64,
    record: &ClaimRecord,
    identity_key: &mut String,
    insurer: &mut String,
) {
    match record {
        ClaimRecord::Basic(basic) => {
            let birth = *basic.birth_date.expose();
            let tokens = state.claim_tokens(
                line,
                &basic.insurer_number,
                basic.insured_number.expose(),
                birth,
                basic.sex,
                basic.service_month,
            );
            *identity_key = tokens.identity_key;
            *insurer = tokens.insurer_number;
            let service_month = basic.service_month.compact();
            let birth_year_month = birth_year_month(birth);
            let row = ClaimStatementRow {
                claim: claim_key(
                    &basic.exchange_id,
                    &service_month,
                    &basic.provider_number,
                    identity_key,
                    insurer,
                    statement_line,
                ),
                sex_code: sex_code(basic.sex),
                birth_year_month: &birth_year_month,
                care_level_code: basic.care_level.code(),
                valid_from: basic.validity_start,
                valid_to: basic.validity_end,
                plan_kind_code: basic.plan_kind.as_deref(),
                plan_office_number: basic.plan_office_number.as_deref(),
                started_on: basic.start_date,
                ended_on: basic.end_date,
                end_reason_code: basic.end_reason.as_deref(),
                admitted_on: basic.admission_date,
                discharged_on: basic.discharge_date,
                n_facility_days: basic.admission_days.map(|days| days as i32),
                n_nights_out: basic.outing_days.map(|days| days as i32),
                discharge_status_code: basic.discharge_status.as_deref(),
                benefit_rate_pct: digits(&basic.benefit_rate),
                insurance_units: basic.insurance_units as i64,
                insurance_claim_yen: basic.insurance_claim_yen as i64,
                user_charge_yen: basic.insurance_user_charge_yen as i64,
            };
            state.push(line, row);
        }
        ClaimRecord::Detail(detail) => {
            let service_month = detail.service_month.compact();
            let row = ClaimLineRow {
                claim: claim_key(
                    &detail.exchange_id,
                    &service_month,
                    &detail.provider_number,
                    identity_key,
                    insurer,
                    statement_line,
                ),
                service_kind_code: &detail.service_kind,
                service_item_code: &detail.service_item,
                unit_value: i64::from(detail.unit_value),
                n_times: i64::from(detail.count),
                service_units: detail.service_units as i64,
            };
            state.push(line, row);
        }
        ClaimRecord::Totals(totals) => {
            let service_month = totals.service_month.compact();
            let row = ClaimServiceTotalRow {
                claim: claim_key(
                    &totals.exchange_id,
                    &service_month,
                    &totals.provider_number,
                    identity_key,
                    insurer,
                    statement_line,
                ),
                service_kind_code: &totals.service_kind,
                n_service_days: totals.actual_days as i32,
                planned_units: totals.plan_units.map(|value| value as i64),
                limit_units: totals.limit_units.map(|value| value as i64),
                non_limit_units: totals.non_limit_units.map(|value| value as i64),
                units_total: totals.units_total as i64,
                unit_price_centiyen: digits(&totals.unit_price),
                claim_yen: totals.claim_yen as i64,
                user_charge_yen: totals.user_charge_yen as i64,
            };
            state.push(line, row);
        }
        ClaimRecord::CareManagement(care) => {
            let birth = *care.birth_date.expose();
            let tokens = state.claim_tokens(
                line,
                &care.insurer_number,
                care.insured_number.expose(),
                birth,
                care.sex,
                care.service_month,
            );
            let (service_month, birth_year_month) = (care.service_month.compact(), birth_year_month(birth));
            let row = CareManagementClaimRow {
                exchange_id: &care.exchange_id,
                service_month: &service_month,
                provider_number: &care.provider_number,
                person: tokens.person(),
                sex_code: sex_code(care.sex),
                birth_year_month: &birth_year_month,
                care_level_code: care.care_level.code(),
                service_code: &care.service_code,
                service_units: care.service_units as i64,
                unit_price_centiyen: digits(&care.unit_price),
                claim_yen: care.claim_yen as i64,
                care_manager_number: care.care_manager_number.as_deref(),
            };
            state.push(line, row);
        }
        ClaimRecord::BenefitManagement(benefit) => {
            let birth = *benefit.birth_date.expose();
            let tokens = state.claim_tokens(
                line,
                &benefit.insurer_number,
                benefit.insured_number.expose(),
                birth,
                benefit.sex,
                benefit.target_month,
            );
            let target_month = benefit.target_month.compact();
            let row = BenefitManagementLineRow {
                target_month: &target_month,
                office_number: &benefit.office_number,
                person: tokens.person(),
                care_level_code: benefit.care_level.code(),
                limit_units: i64::from(benefit.limit_units),
                service_provider_number: &benefit.service_provider_number,
                service_kind_code: &benefit.service_kind,
                planned_units: benefit.planned_units as i64,
                planned_total_units: benefit.planned_total as i64,
            };
            state.push(line, row);
        }
    }
}

fn claim_key<'a>(
    exchange_id: &'a str,
    service_month: &'a str,
    provider_number: &'a str,
    identity_key: &'a str,
    insurer_number: &'a str,
    statement_line: u64,
) -> ClaimKey<'a> {
    ClaimKey {
        exchange_id,
        service_month,
        provider_number,
        person: Person {
            identity_key,
            insurer_number,
        },
        statement_line: statement_line as i64,
    }
}
