//! The registry extracts: insurers and providers in every delivery folder, and each month's
//! provider activity.

use std::{fs, path::Path};

use chrono::NaiveDate;
use kaigo_codes::calendar::YearMonth;
use kaigo_formats::{
    flat::FlatWriter,
    registry::{InsurerRecord, ProviderActivityRecord, ProviderRecord},
};

use super::{Pass, Simulation, parameters, unit};
use crate::{
    SynthError,
    world::{self},
};

impl Pass<'_, '_> {
    /// Per-provider hub use in a service month after go-live: users, consents, record views.
    pub(super) fn provider_activity(&mut self, month_index: usize) -> Result<(), SynthError> {
        let world = self.world;
        let month = world.months[month_index];
        let go_live = world.insurers[self.insurer].rollout.actual_start;
        if month < go_live {
            return Ok(());
        }
        let seed = self.seed();
        let mut users: Vec<(usize, u32)> = self
            .provider_users
            .iter()
            .map(|(&provider, &count)| (provider, count))
            .collect();
        users.sort_unstable();
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let mut written = 0;
        for (provider_index, count) in users {
            let provider = &world.providers[provider_index];
            let onboarded = provider
                .client_certificate_on
                .map(YearMonth::of)
                .filter(|&since| since <= month);
            let share = onboarded.map_or(0.0, |since| {
                (parameters::CONSENT_FIRST_MONTH
                    + parameters::CONSENT_MONTHLY_GAIN
                        * f64::from(month.months_since(since.max(go_live)).max(0) as u16))
                .min(parameters::CONSENT_MAX)
            });
            let with_consent = (f64::from(count) * share).round() as u32;
            let views = (f64::from(with_consent)
                * (1.0 + 2.0 * unit(seed, provider_index as u64, "views", month_index as u64)))
            .round() as u32;
            delivery.activity.write(&ProviderActivityRecord {
                month,
                provider_number: provider.number.to_string(),
                users: count,
                users_with_consent: with_consent,
                record_views: views,
            })?;
            written += 1;
        }
        self.stats.records += written;
        Ok(())
    }
}

/// Registries in every selected delivery folder; returns the delivery months written and the
/// registry records written.
pub(super) fn write_registries(world: &Simulation<'_>, out: &Path) -> Result<(Vec<YearMonth>, u64), SynthError> {
    let last = world
        .months
        .last()
        .expect("months")
        .plus_months(1)
        .min(*world.selected.end());
    let first = world.first_delivery.max(*world.selected.start());
    let mut folders = Vec::new();
    let mut records = 0;
    if first > last {
        return Ok((folders, 0));
    }
    for delivery in first.through(last) {
        let folder = out.join(delivery.compact());
        fs::create_dir_all(&folder).map_err(|source| SynthError::io(&folder, source))?;
        let mut insurers = FlatWriter::<_, InsurerRecord>::new(Vec::new())?;
        for insurer in &world.insurers {
            let (status, planned) = world::published_status(&insurer.rollout, delivery);
            insurers.write(&InsurerRecord {
                insurer_number: insurer.number.to_string(),
                local_government_code: insurer.local_government_code.clone(),
                prefecture_code: format!("{:02}", insurer.prefecture),
                name: insurer.name.clone(),
                size_class: insurer.size_class.code().into(),
                member_municipalities: insurer.members,
                population_65_plus: insurer.population_65_plus,
                population_40_64: insurer.population_40_64,
                area_grade: insurer.area_grade.number(),
                standardisation_fiscal_year: insurer.rollout.standardisation_fiscal_year.filter(|_| status != "3"),
                planned_start_date: planned.map(YearMonth::first_day),
                start_date: (insurer.rollout.actual_start <= delivery)
                    .then(|| insurer.rollout.actual_start.first_day()),
                status: status.into(),
                as_of: delivery,
            })?;
            records += 1;
        }
        let path = folder.join("insurers.csv");
        fs::write(&path, insurers.finish()?).map_err(|source| SynthError::io(&path, source))?;
        let known = |date: Option<NaiveDate>| date.filter(|&date| YearMonth::of(date) < delivery);
        let mut providers = FlatWriter::<_, ProviderRecord>::new(Vec::new())?;
        for provider in &world.providers {
            providers.write(&ProviderRecord {
                provider_number: provider.number.to_string(),
                name: provider.name.clone(),
                insurer_number: world.insurers[provider.insurer].number.to_string(),
                service_kinds: provider.service_kind.into(),
                area_grade: world.insurers[provider.insurer].area_grade.number(),
                capacity: provider.capacity,
                is_medical_institution: world::is_medical(provider),
                portal_registered_on: known(provider.portal_registered_on),
                client_certificate_on: known(provider.client_certificate_on),
                card_reader_on: known(provider.card_reader_on),
                subsidy_yen: provider
                    .subsidy_yen
                    .filter(|_| known(provider.client_certificate_on).is_some()),
                opinion_electronic_since: known(world::opinion_electronic_since(provider)),
            })?;
            records += 1;
        }
        let path = folder.join("providers.csv");
        fs::write(&path, providers.finish()?).map_err(|source| SynthError::io(&path, source))?;
        folders.push(delivery);
    }
    Ok((folders, records))
}
