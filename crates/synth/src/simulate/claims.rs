//! The claims extract (介護給付費明細書): service statements and care-management statements.

use chrono::NaiveDate;
use kaigo_codes::{
    calendar::YearMonth,
    service,
    unit_price::{cost_yen, split_cost, unit_price_centiyen},
};
use kaigo_formats::{
    Sensitive,
    claims::{BasicRecord, BenefitManagementRecord, CareManagementRecord, ClaimRecord, DetailRecord, TotalsRecord},
};
use rand::Rng;

use super::{CareMonth, Pass, Statement, column, mistype_digit};
use crate::{
    SplitMix, SynthError,
    delivery::{FileKind, NoiseTruth},
    population::{self},
    services::{self},
    stream,
};

impl Pass<'_, '_> {
    pub(super) fn write_statement(
        &mut self,
        CareMonth {
            person,
            month_index,
            level,
            cert,
            ..
        }: CareMonth<'_>,
        Statement {
            kind,
            provider,
            line,
            benefit_rate,
            care_manager,
        }: Statement<'_>,
        end: Option<NaiveDate>,
        end_reason: Option<&'static str>,
        rng: &mut SplitMix,
    ) -> Result<u64, SynthError> {
        let world = self.world;
        let month = world.months[month_index];
        let insurer = &world.insurers[self.insurer];
        let service = service::by_code(kind).expect("known kind");
        let price = unit_price_centiyen(insurer.area_grade, service.labour_share);
        let padded = insurer.number.padded();
        let mut number = person.insured_number.clone();
        let mut applied = Vec::new();
        if rng.random_bool(world.config.noise.insured_number_typo / 4.0) {
            number = mistype_digit(&number, rng);
            applied.push(("insured_number", "digit_typo"));
        }
        let residential = person.residence.is_some();
        let mut details = vec![line];
        if residential {
            // Add-ons (加算): staffing and, for LIFE participants, 科学的介護推進体制加算.
            details.push(services::Line {
                item: "6101",
                unit_value: [12, 18, 22, 25, 30][(line.unit_value as usize / 300).min(4)],
                count: line.count,
            });
            if provider.life_participant {
                details.push(services::Line {
                    item: "6361",
                    unit_value: 40,
                    count: 1,
                });
            }
        }
        // 介護職員等処遇改善加算: a percentage of the month's units, outside limit management.
        let base_units: u64 = details
            .iter()
            .map(|detail| u64::from(detail.unit_value) * u64::from(detail.count))
            .sum();
        let improvement = services::improvement_rate(kind);
        if improvement > 0.0 {
            details.push(services::Line {
                item: "6269",
                unit_value: (base_units as f64 * improvement).round() as u32,
                count: 1,
            });
        }
        let units: u64 = details
            .iter()
            .map(|detail| u64::from(detail.unit_value) * u64::from(detail.count))
            .sum();
        let cost = cost_yen(units, price);
        let (claim, user_charge) = split_cost(cost, benefit_rate);
        let key = |record_type: &str| (service.exchange_id.to_string(), record_type.to_string());
        let start_date =
            (person.service_start == month_index && month_index > person.identity.entry).then(|| month.first_day());
        let basic = BasicRecord {
            exchange_id: key("01").0,
            record_type: "01".into(),
            service_month: month,
            provider_number: provider.number.to_string(),
            insurer_number: padded.clone(),
            insured_number: Sensitive::new(number.clone()),
            public1_payer: None,
            public1_recipient: None,
            public2_payer: None,
            public2_recipient: None,
            public3_payer: None,
            public3_recipient: None,
            birth_date: Sensitive::new(person.identity.birth),
            sex: person.identity.sex,
            care_level: population::level(level),
            old_measure: None,
            validity_start: cert.start,
            validity_end: cert.end,
            plan_kind: (!residential).then(|| if level < 2 { "3" } else { "1" }.to_string()),
            plan_office_number: care_manager.map(|index| world.providers[index].number.to_string()),
            start_date,
            end_date: end,
            end_reason: end_reason.map(str::to_string),
            admission_date: residential
                .then(|| world.months[person.service_start.max(person.identity.entry)].first_day()),
            discharge_date: if residential { end } else { None },
            admission_days: residential.then_some(line.count),
            outing_days: residential.then_some(0),
            discharge_status: if residential {
                end_reason.map(str::to_string)
            } else {
                None
            },
            benefit_rate: format!("{benefit_rate:03}"),
            public1_rate: None,
            public2_rate: None,
            public3_rate: None,
            insurance_units: units,
            insurance_claim_yen: claim,
            insurance_user_charge_yen: user_charge,
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
        let limit_applies = service.limit_applies;
        let totals = TotalsRecord {
            exchange_id: key("10").0,
            record_type: "10".into(),
            service_month: month,
            provider_number: provider.number.to_string(),
            insurer_number: padded.clone(),
            insured_number: Sensitive::new(number.clone()),
            service_kind: kind.into(),
            actual_days: line.count.min(month.days()),
            plan_units: Some(units),
            limit_units: limit_applies.then_some(base_units),
            non_limit_units: Some(if limit_applies { units - base_units } else { units }),
            short_stay_plan_days: matches!(kind, "21" | "22" | "24").then_some(line.count),
            short_stay_actual_days: matches!(kind, "21" | "22" | "24").then_some(line.count),
            units_total: units,
            unit_price: format!("{price:04}"),
            claim_yen: claim,
            user_charge_yen: user_charge,
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
        // Invalid statements: one defect per statement; every line of it is to be quarantined.
        let invalid = rng.random_bool(world.config.noise.invalid);
        let defect = rng.random_range(0..6);
        let (defect_field, rule) = [
            ("insurer_number", "insurer_check_digit"),
            ("care_level", "care_level_code"),
            ("units_total", "statement_totals"),
            ("service_units", "integer"),
            ("unit_price", "unit_price"),
            ("service_kind", "service_kind_code"),
        ][defect];
        let bad_insurer = {
            let text = padded.clone();
            let check = text.as_bytes()[7] - b'0';
            format!("{}{}", &text[..7], (check + 1) % 10)
        };
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(cost);
        };
        let mut lines_written = Vec::new();
        let first = delivery
            .claims
            .write_with(&ClaimRecord::Basic(Box::new(basic)), |row| {
                if invalid && defect == 0 {
                    row.replace(column::<BasicRecord>("insurer_number"), &bad_insurer);
                }
                if invalid && defect == 1 {
                    row.replace(column::<BasicRecord>("care_level"), "26");
                }
            })?;
        lines_written.push(first);
        for (position, detail) in details.iter().enumerate() {
            let record = DetailRecord {
                exchange_id: key("02").0,
                record_type: "02".into(),
                service_month: month,
                provider_number: provider.number.to_string(),
                insurer_number: padded.clone(),
                insured_number: Sensitive::new(number.clone()),
                service_kind: kind.into(),
                service_item: detail.item.into(),
                unit_value: detail.unit_value,
                count: detail.count,
                public1_count: None,
                public2_count: None,
                public3_count: None,
                service_units: u64::from(detail.unit_value) * u64::from(detail.count),
                public1_units: None,
                public2_units: None,
                public3_units: None,
                note: None,
            };
            let line = delivery
                .claims
                .write_with(&ClaimRecord::Detail(Box::new(record)), |row| {
                    if invalid && defect == 3 && position == 0 {
                        row.replace(column::<DetailRecord>("service_units"), "-5");
                    }
                    if invalid && defect == 5 && position == 0 {
                        row.replace(column::<DetailRecord>("service_kind"), "99");
                    }
                })?;
            lines_written.push(line);
        }
        let last = delivery
            .claims
            .write_with(&ClaimRecord::Totals(Box::new(totals)), |row| {
                if invalid && defect == 2 {
                    row.replace(column::<TotalsRecord>("units_total"), &(units + 1).to_string());
                }
                if invalid && defect == 4 {
                    row.replace(
                        column::<TotalsRecord>("unit_price"),
                        if price == 1234 { "1235" } else { "1234" },
                    );
                }
            })?;
        lines_written.push(last);
        for &line in &lines_written {
            delivery.record(
                FileKind::Claims,
                line,
                person.id,
                invalid.then_some((defect_field, rule)),
            );
        }
        if let Some((field, kind)) = applied.first() {
            for &line in &lines_written {
                delivery.noise.push(NoiseTruth {
                    file: FileKind::Claims,
                    line,
                    person: person.id,
                    field,
                    kind,
                });
            }
            *self.stats.noise.entry(kind).or_default() += 1;
        }
        if invalid {
            *self.stats.invalid.entry(rule).or_default() += 1;
        }
        self.stats.records += lines_written.len() as u64;
        self.stats.statements += 1;
        Ok(cost)
    }

    pub(super) fn write_care_management(
        &mut self,
        CareMonth {
            person,
            month_index,
            level,
            cert,
            lines,
        }: CareMonth<'_>,
        manager: usize,
    ) -> Result<u64, SynthError> {
        let world = self.world;
        let month = world.months[month_index];
        let insurer = &world.insurers[self.insurer];
        let office = &world.providers[manager];
        let kind = if level < 2 { "46" } else { "43" };
        let service = service::by_code(kind).expect("known");
        let price = unit_price_centiyen(insurer.area_grade, service.labour_share);
        let units = u64::from(services::care_management_units(level));
        // Care management carries no co-payment: the whole cost is claimed.
        let cost = cost_yen(units, price);
        let manager_number = format!(
            "{:08}",
            stream(self.seed(), "care-manager", manager as u64) % 100_000_000
        );
        let record = CareManagementRecord {
            exchange_id: service.exchange_id.into(),
            provider_number: office.number.to_string(),
            designation: "1".into(),
            service_month: month,
            insurer_number: insurer.number.padded(),
            unit_price: format!("{price:04}"),
            insured_number: Sensitive::new(person.insured_number.clone()),
            public_payer: None,
            public_recipient: None,
            birth_date: Sensitive::new(person.identity.birth),
            sex: person.identity.sex,
            care_level: population::level(level),
            validity_start: cert.start,
            validity_end: cert.end,
            plan_request_date: Some(cert.first),
            line_number: 1,
            service_code: format!("{kind}{}", if level < 4 { "1111" } else { "1121" }),
            unit_value: units as u32,
            count: 1,
            service_units: units,
            units_total: units,
            claim_yen: cost,
            care_manager_number: Some(manager_number.clone()),
            note: None,
        };
        let limit = population::level(level).monthly_limit_units().expect("certified");
        let limited: Vec<&(&'static str, usize, services::Line)> = lines
            .iter()
            .filter(|(kind, _, _)| service::by_code(kind).expect("known").limit_applies)
            .collect();
        let planned_total: u64 = limited
            .iter()
            .map(|(_, _, line)| u64::from(line.unit_value) * u64::from(line.count))
            .sum();
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(cost);
        };
        let line = delivery
            .care_management
            .write(&ClaimRecord::CareManagement(Box::new(record)))?;
        delivery.record(FileKind::CareManagement, line, person.id, None);
        let mut written = 1;
        for (position, &&(kind, provider, service_line)) in limited.iter().enumerate() {
            let units = u64::from(service_line.unit_value) * u64::from(service_line.count);
            let record = BenefitManagementRecord {
                exchange_id: "8222".into(),
                target_month: month,
                insurer_number: insurer.number.padded(),
                office_number: office.number.to_string(),
                creation_kind: "1".into(),
                creation_date: month.last_day(),
                form_kind: "3".into(),
                line_number: position as u32 + 1,
                insured_number: Sensitive::new(person.insured_number.clone()),
                birth_date: Sensitive::new(person.identity.birth),
                sex: person.identity.sex,
                care_level: population::level(level),
                limit_start: YearMonth::of(cert.start),
                limit_end: YearMonth::of(cert.end),
                limit_units: limit,
                plan_kind: if level < 2 { "3" } else { "1" }.into(),
                service_provider_number: world.providers[provider].number.to_string(),
                designation: "1".into(),
                service_kind: kind.into(),
                planned_units: units,
                previous_days: None,
                designated_subtotal: units,
                standard_subtotal: None,
                planned_total,
                care_manager_number: Some(manager_number.clone()),
                subcontract_office: None,
                subcontract_manager: None,
            };
            let line = delivery
                .benefit_management
                .write(&ClaimRecord::BenefitManagement(Box::new(record)))?;
            delivery.record(FileKind::BenefitManagement, line, person.id, None);
            written += 1;
        }
        self.stats.records += written;
        self.stats.statements += 1;
        self.stats.benefit_lines += written - 1;
        Ok(cost)
    }
}
