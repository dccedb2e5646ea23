//! The care-plan extracts (ケアプラン標準仕様): sheets 1 and 2, the month's uses and the
//! supplement, for plans the care manager shares with the hub.

use chrono::Duration;
use kaigo_codes::service;
use kaigo_formats::{
    Sensitive,
    care_plan::{CSV_VERSION, PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
};

use super::{CareMonth, MonthEvents, Pass, register::WrittenIdentity, spread_days, unit};
use crate::{
    SplitMix, SynthError,
    delivery::{FileKind, NoiseTruth},
    mix,
    population::{self},
    stream,
};

impl Pass<'_, '_> {
    pub(super) fn write_care_plan(
        &mut self,
        CareMonth {
            person,
            month_index,
            level,
            cert,
            lines,
        }: CareMonth<'_>,
        manager: usize,
        events: &MonthEvents,
    ) -> Result<(), SynthError> {
        let world = self.world;
        let seed = self.seed();
        if level < 2 || unit(seed, manager as u64, "care-plan-linkage", 0) >= world.config.rates.care_plan_linkage_share
        {
            return Ok(());
        }
        let month = world.months[month_index];
        let insurer_number = world.insurers[self.insurer].number.to_string();
        let office = world.providers[manager].number.to_string();
        let new_plan =
            events.certification.is_some() || month_index == person.identity.entry || events.moved_in.is_some();
        let mut rng = SplitMix::new(mix(person.id ^ stream(seed, "care-plan", month_index as u64)));
        let mut truth: Vec<(FileKind, u64)> = Vec::new();
        let mut noise_applied = Vec::new();
        let identity = new_plan.then(|| self.noisy_identity(person, &mut rng, true));
        let insurer = &world.insurers[self.insurer];
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        if let Some(WrittenIdentity {
            kana_name,
            number,
            birth,
            sex,
            applied,
        }) = identity
        {
            let sheet1 = PlanSheet1 {
                csv_version: CSV_VERSION.into(),
                insurer_number: insurer_number.clone(),
                insured_number: Sensitive::new(person.insured_number.clone()),
                created_on: month.first_day(),
                postal_code: None,
                address1: None,
                address2: None,
                author: Some("介護支援専門員".into()),
                office_name: Some(world.providers[manager].name.clone()),
                office_postal_code: None,
                office_address1: None,
                office_address2: None,
                office_number: office.clone(),
                plan_date: month.first_day(),
                first_plan_date: cert.first.max(month.first_day() - Duration::days(3650)),
                plan_kind: if month_index == person.identity.entry {
                    "11"
                } else {
                    "21"
                }
                .into(),
                certification_status: "2".into(),
                certified_on: cert.decided,
                validity_start: cert.start,
                validity_end: cert.end,
                care_level: population::level(level),
                wishes: Some("自宅での生活を続けたい".into()),
                board_opinion: None,
                policy: Some("在宅生活の継続を支援する".into()),
                household_help_reason: None,
                other_reason: None,
                vendor_code: None,
                identifier: None,
            };
            let line = delivery.plan_sheet1.write(&sheet1)?;
            truth.push((FileKind::PlanSheet1, line));
            for (position, &(kind, provider, _)) in lines.iter().enumerate() {
                let sheet2 = PlanSheet2 {
                    csv_version: CSV_VERSION.into(),
                    insurer_number: insurer_number.clone(),
                    insured_number: Sensitive::new(person.insured_number.clone()),
                    created_on: month.first_day(),
                    plan_date: month.first_day(),
                    need_number: 1,
                    need: Some("日常生活の維持".into()),
                    goal_number: 1,
                    long_term_goal: None,
                    short_term_goal: None,
                    long_term_period: None,
                    short_term_period: None,
                    support_number: position as u16 + 1,
                    service_content: Some(service::by_code(kind).expect("known").name_ja.into()),
                    insured_service: Some("1".into()),
                    service_kind: kind.into(),
                    provider_number: Some(world.providers[provider].number.to_string()),
                    provider_name: Some(world.providers[provider].name.clone()),
                    frequency: None,
                    period: None,
                    vendor_code: None,
                    identifier: None,
                };
                let line = delivery.plan_sheet2.write(&sheet2)?;
                truth.push((FileKind::PlanSheet2, line));
            }
            let (kanji, _) = person.full_name();
            let supplement = PlanSupplement {
                csv_version: CSV_VERSION.into(),
                insurer_number: insurer_number.clone(),
                insured_number: Sensitive::new(number),
                plan_date: month.first_day(),
                kana_name: Sensitive::new(kana_name),
                kanji_name: Sensitive::new(kanji),
                sex,
                birth_date: Sensitive::new(birth),
                postal_code: Some(Sensitive::new(format!(
                    "{:07}",
                    stream(seed, "postal", person.id) % 10_000_000
                ))),
                address1: Some(Sensitive::new(format!(
                    "{}{}",
                    kaigo_codes::prefecture::by_code(insurer.prefecture)
                        .expect("valid")
                        .name_ja,
                    insurer.name
                ))),
                address2: Some(Sensitive::new(format!(
                    "{}丁目{}番{}号",
                    1 + stream(seed, "address", person.id) % 9,
                    1 + stream(seed, "address", person.id + 1) % 30,
                    1 + stream(seed, "address", person.id + 2) % 20
                ))),
                telephone: Some(Sensitive::new(format!(
                    "0{:09}",
                    stream(seed, "telephone", person.id) % 1_000_000_000
                ))),
                certified_on: Some(cert.decided),
            };
            let line = delivery.plan_supplement.write(&supplement)?;
            truth.push((FileKind::PlanSupplement, line));
            noise_applied = applied.into_iter().map(|(field, kind)| (line, field, kind)).collect();
        }
        for &(kind, provider, service_line) in lines {
            let days = spread_days(service_line.count, month.days());
            let service_code = format!("{kind}{}", service_line.item);
            for (actual, file) in [(false, FileKind::PlanMonthPlanned), (true, FileKind::PlanMonthActual)] {
                let record = PlanMonth {
                    csv_version: CSV_VERSION.into(),
                    insurer_number: insurer_number.clone(),
                    insured_number: Sensitive::new(person.insured_number.clone()),
                    target_month: month,
                    office_number: office.clone(),
                    provider_number: world.providers[provider].number.to_string(),
                    service_code: service_code.clone(),
                    plan_or_actual: if actual { "2" } else { "1" }.into(),
                    days: days.clone(),
                    total: service_line.count.min(u32::from(u16::MAX)) as u16,
                };
                let writer = if actual {
                    &mut delivery.plan_actual
                } else {
                    &mut delivery.plan_planned
                };
                let line = writer.write(&record)?;
                truth.push((file, line));
            }
        }
        for &(file, line) in &truth {
            delivery.record(file, line, person.id, None);
        }
        for &(line, field, kind) in &noise_applied {
            delivery.noise.push(NoiseTruth {
                file: FileKind::PlanSupplement,
                line,
                person: person.id,
                field,
                kind,
            });
        }
        self.stats.records += truth.len() as u64;
        for (_, _, kind) in noise_applied {
            *self.stats.noise.entry(kind).or_default() += 1;
        }
        Ok(())
    }
}
