//! Claims are internally consistent: Σ 明細 = 集計 per service kind, 基本情報 totals = Σ 集計,
//! unit price from area grade and labour share, amounts split by the benefit rate, in-home units
//! within the monthly limit and equal to the 給付管理票 plan. Statements that the generator made
//! invalid on purpose are skipped (and must be exactly the ones that break a rule).

use std::collections::{BTreeMap, HashMap};

use kaigo_codes::{
    service,
    unit_price::{AreaGrade, cost_yen, split_cost, unit_price_centiyen},
};
use kaigo_formats::{
    claims::{ClaimRecord, ClaimsReader},
    flat::FlatReader,
    registry::InsurerRecord,
};

use crate::hub::{data_files, invalid_lines, shared};

#[test]
fn statements_satisfy_the_claims_invariants() {
    let hub = shared();
    let invalid = invalid_lines(&hub.root);
    let files = data_files(&hub.root);
    let mut grades: HashMap<String, u8> = HashMap::new();
    for (relative, path) in &files {
        if relative.ends_with("insurers.csv") {
            for (_, row) in FlatReader::<_, InsurerRecord>::open(std::fs::File::open(path).unwrap())
                .unwrap()
                .read_all()
                .unwrap()
            {
                let row = row.unwrap();
                grades.insert(row.insurer_number, row.area_grade);
            }
        }
    }
    let mut statements = 0;
    let mut broken_and_injected = 0;
    // (insurer, insured, month) → in-home limit units claimed; and planned units from 給付管理票.
    let mut limit_units: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    let mut planned: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    let mut claimed: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    for (relative, path) in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with('d') && name.ends_with(".csv")) {
            continue;
        }
        let bad = invalid.get(relative).cloned().unwrap_or_default();
        let (control, records) = ClaimsReader::open(std::fs::File::open(path).unwrap())
            .unwrap()
            .read_all()
            .unwrap();
        let grade = AreaGrade::new(grades[&control.insurer_number]).unwrap();
        // A statement is a 01 record and what follows it; a record that fails to parse is None.
        let mut current: Vec<(u64, Option<ClaimRecord>)> = Vec::new();
        let mut flush = |group: &mut Vec<(u64, Option<ClaimRecord>)>| {
            if group.is_empty() {
                return;
            }
            let injected = group.iter().any(|(line, _)| bad.contains(line));
            let ok = check_statement(group, grade, &mut limit_units, &mut claimed);
            if injected {
                broken_and_injected += 1;
                assert!(
                    group.iter().all(|(line, _)| bad.contains(line)),
                    "{relative}: an injected statement lists all its lines"
                );
            } else {
                assert!(ok, "{relative}: statement at line {} breaks an invariant", group[0].0);
                statements += 1;
            }
            group.clear();
        };
        for (line, record) in records {
            let Ok(record) = record else {
                assert!(
                    bad.contains(&line),
                    "{relative}:{line} fails to parse but was not injected"
                );
                // An injected statement's lines are contiguous: a bad line after good ones starts a new one.
                if current.iter().any(|(previous, _)| !bad.contains(previous)) {
                    flush(&mut current);
                }
                current.push((line, None));
                continue;
            };
            match &record {
                ClaimRecord::Basic(_) => {
                    flush(&mut current);
                    current.push((line, Some(record)));
                }
                ClaimRecord::Detail(_) | ClaimRecord::Totals(_) => current.push((line, Some(record))),
                ClaimRecord::BenefitManagement(benefit) => {
                    let key = (
                        benefit.insurer_number.clone(),
                        benefit.insured_number.expose().clone(),
                        benefit.target_month.compact(),
                        benefit.service_provider_number.clone(),
                    );
                    *planned.entry(key).or_default() += benefit.planned_units;
                    assert!(
                        benefit.planned_total <= u64::from(benefit.limit_units),
                        "{relative}:{line} plan above the limit"
                    );
                }
                ClaimRecord::CareManagement(care) => {
                    let price: u32 = care.unit_price.parse().unwrap();
                    assert_eq!(
                        care.claim_yen,
                        cost_yen(care.units_total, price),
                        "{relative}:{line} care-management claim"
                    );
                    assert_eq!(care.service_units, u64::from(care.unit_value) * u64::from(care.count));
                }
            }
        }
        flush(&mut current);
    }
    assert!(statements > 1000, "{statements} statements checked");
    assert!(broken_and_injected > 0, "some injected statements were seen");
    for ((insurer, _, month), (units, limit)) in &limit_units {
        assert!(
            units <= limit,
            "{insurer} {month}: in-home units {units} above the limit {limit}"
        );
    }
    // Every in-home service claimed under limit management was planned on a 給付管理票 with the
    // same units (typos in the claim's insured number aside, which break the key).
    let matched = claimed
        .iter()
        .filter(|(key, units)| planned.get(*key) == Some(units))
        .count();
    assert!(
        matched as f64 >= claimed.len() as f64 * 0.99,
        "{matched} of {} claims match their plan",
        claimed.len()
    );
}

type LimitKey = (String, String, String);
type PlanKey = (String, String, String, String);

fn check_statement(
    group: &[(u64, Option<ClaimRecord>)],
    grade: AreaGrade,
    limits: &mut BTreeMap<LimitKey, (u64, u64)>,
    claimed: &mut BTreeMap<PlanKey, u64>,
) -> bool {
    let Some(ClaimRecord::Basic(basic)) = &group[0].1 else {
        return false;
    };
    let mut detail_units: BTreeMap<String, u64> = BTreeMap::new();
    let mut totals_units = 0;
    let mut ok = true;
    for (_, record) in &group[1..] {
        let Some(record) = record else { return false };
        match record {
            ClaimRecord::Detail(detail) => {
                ok &= detail.service_units == u64::from(detail.unit_value) * u64::from(detail.count);
                *detail_units.entry(detail.service_kind.clone()).or_default() += detail.service_units;
            }
            ClaimRecord::Totals(totals) => {
                let Ok(kind) = service::by_code(&totals.service_kind) else {
                    return false;
                };
                ok &= detail_units.get(&totals.service_kind) == Some(&totals.units_total);
                let price = unit_price_centiyen(grade, kind.labour_share);
                ok &= totals.unit_price == format!("{price:04}");
                let rate: u32 = basic.benefit_rate.parse().unwrap();
                ok &=
                    (totals.claim_yen, totals.user_charge_yen) == split_cost(cost_yen(totals.units_total, price), rate);
                totals_units += totals.units_total;
                if let Some(units) = totals.limit_units.filter(|_| kind.limit_applies) {
                    let limit = u64::from(basic.care_level.monthly_limit_units().unwrap());
                    let entry = limits
                        .entry((
                            basic.insurer_number.clone(),
                            basic.insured_number.expose().clone(),
                            basic.service_month.compact(),
                        ))
                        .or_insert((0, limit));
                    entry.0 += units;
                    *claimed
                        .entry((
                            basic.insurer_number.clone(),
                            basic.insured_number.expose().clone(),
                            basic.service_month.compact(),
                            basic.provider_number.clone(),
                        ))
                        .or_default() += units;
                }
            }
            _ => return false,
        }
    }
    ok && totals_units == basic.insurance_units
}
