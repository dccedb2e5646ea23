//! The simulation: persons month by month, insurer by insurer, writing deliveries and truth.
//!
//! Each insurer is one independent pass (run in parallel): it simulates its own persons (those
//! certified at the start and those newly certified later) and the persons who move in from other
//! insurers. A mover is simulated by both passes from the same per-person random stream, so both
//! see the same life; the origin pass writes what happens before the move, the destination pass
//! what happens after. Health, certification and death draw from the person's stream; everything
//! that depends on the insurer (providers, noise, invalid records) draws from hashes of
//! (person, month, purpose), so the two passes cannot drift apart.

use std::{
    collections::{BTreeMap, HashMap},
    fs,
    io::Write,
    path::Path,
};

use chrono::{Datelike, Duration, NaiveDate};
use kaigo_codes::{
    calendar::YearMonth,
    care_level::Sex,
    service,
    unit_price::{cost_yen, split_cost, unit_price_centiyen},
};
use kaigo_formats::{
    Sensitive,
    care_plan::{CSV_VERSION, PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
    certification::{BEDRIDDEN_RATINGS, CertificationRecord, DEMENTIA_RATINGS, SURVEY_ITEMS, application_kind},
    claims::{BasicRecord, BenefitManagementRecord, CareManagementRecord, ClaimRecord, DetailRecord, TotalsRecord},
    flat::FlatWriter,
    layout::Layout,
    life::{BARTHEL_ITEMS, LifeRecord, evaluation_point},
    register::{RegisterRecord, event_kind},
    registry::{InsurerRecord, ProviderActivityRecord, ProviderRecord},
};
use rand::Rng;
use rayon::prelude::*;

use crate::{
    SplitMix, SynthConfig, SynthError, SynthSummary,
    calibration::{CalibrationReport, Stats},
    delivery::{Delivery, FileKind, InvalidTruth, NoiseTruth, RecordTruth, TruthLines},
    mix,
    names::{self, KanaVariant, NameId},
    population::{self, Residence},
    services::{self, IN_HOME_SERVICES},
    stream,
    world::{self, Insurer, Provider},
};

type PersonId = u64;

fn person_id(insurer: usize, seq: u32) -> PersonId {
    ((insurer as u64) << 32) | u64::from(seq)
}

/// A uniform draw in [0, 1) that depends only on the seed, a person, a purpose and an index.
fn unit(seed: u64, person: PersonId, purpose: &str, index: u64) -> f64 {
    (mix(stream(seed, purpose, index) ^ mix(person)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Everything shared by all passes.
struct World<'a> {
    config: &'a SynthConfig,
    months: Vec<YearMonth>,
    insurers: Vec<Insurer>,
    providers: Vec<Provider>,
    /// Per insurer: service kind → provider indices.
    providers_by_kind: Vec<HashMap<&'static str, Vec<usize>>>,
    first_tier: [[[f64; 7]; 6]; 2],
    second_tier: [f64; 7],
    entrants: [[[f64; 7]; 6]; 2],
    monthly_transitions: [[f64; 7]; 7],
    /// Per insurer: persons newly certified in each month.
    entrant_counts: Vec<Vec<u32>>,
    /// Per destination insurer: (origin insurer, seq, move month index).
    movers_in: Vec<Vec<(usize, u32, usize)>>,
    /// Destination choice: cumulative initial persons over insurers, and per prefecture.
    destination_weights: Vec<f64>,
}

/// What a person is, fixed at birth of the simulation.
#[derive(Debug, Clone)]
struct Identity {
    sex: Sex,
    birth: NaiveDate,
    second_tier: bool,
    name: NameId,
    level: usize,
    entry: usize,
    cognition: f64,
    homonym_of: Option<PersonId>,
    twin_of: Option<PersonId>,
}

impl World<'_> {
    fn seed(&self) -> u64 {
        self.config.seed
    }

    fn initial(&self, insurer: usize) -> u32 {
        self.insurers[insurer].initial_persons
    }

    fn person_count(&self, insurer: usize) -> u32 {
        self.initial(insurer) + self.entrant_counts[insurer].iter().sum::<u32>()
    }

    fn entry_month(&self, insurer: usize, seq: u32) -> usize {
        let mut remaining = seq.saturating_sub(self.initial(insurer));
        if seq < self.initial(insurer) {
            return 0;
        }
        for (month, &count) in self.entrant_counts[insurer].iter().enumerate() {
            if remaining < count {
                return month;
            }
            remaining -= count;
        }
        self.months.len() - 1
    }

    fn base_identity(&self, insurer: usize, seq: u32) -> Identity {
        let id = person_id(insurer, seq);
        let mut rng = SplitMix::new(stream(self.seed(), "identity", id));
        let entry = self.entry_month(insurer, seq);
        let entrant = seq >= self.initial(insurer);
        let second_tier = rng.random_bool(population::SECOND_TIER_SHARE);
        let (sex, age, level) = if second_tier {
            let sex = if rng.random_bool(population::MALE_SHARE_SECOND_TIER) {
                Sex::Male
            } else {
                Sex::Female
            };
            let level = sample(&self.second_tier, rng.random());
            let age = (64.0 - (rng.random::<f64>() * rng.random::<f64>() * 25.0))
                .floor()
                .max(40.0) as u32;
            (sex, age, level)
        } else {
            let (sex, cell) = if entrant {
                let flat: Vec<f64> = self.entrants.iter().flatten().flatten().copied().collect();
                let cell = sample(&flat, rng.random());
                (if cell / 42 == 1 { Sex::Female } else { Sex::Male }, cell % 42)
            } else {
                let sex = if rng.random_bool(population::FEMALE_SHARE_FIRST_TIER) {
                    Sex::Female
                } else {
                    Sex::Male
                };
                let table = &self.first_tier[usize::from(sex == Sex::Female)];
                let flat: Vec<f64> = table.iter().flatten().copied().collect();
                (sex, sample(&flat, rng.random()))
            };
            let (band, level) = (cell / 7, cell % 7);
            let (low, high) = population::AGE_BANDS[band];
            let age = if band == 5 {
                // 90+: geometric tail.
                (90.0 + (rng.random::<f64>().ln() / (0.78f64).ln()).floor()).min(f64::from(high)) as u32
            } else {
                rng.random_range(low..=high)
            };
            (sex, age, level)
        };
        let reference = self.months[entry].first_day();
        let birth = NaiveDate::from_ymd_opt(reference.year() - age as i32 - 1, reference.month(), 1).expect("valid")
            + Duration::days(rng.random_range(0..365));
        let female = sex == Sex::Female;
        let name = NameId {
            surname: names::draw_surname(&mut rng),
            given: names::draw_given(&mut rng, female),
        };
        let cognition = (level as f64 / 6.0 * 0.6 + rng.random::<f64>() * 0.45).min(1.0);
        Identity {
            sex,
            birth,
            second_tier,
            name,
            level,
            entry,
            cognition,
            homonym_of: None,
            twin_of: None,
        }
    }

    /// A person's identity: their own draw, or a homonym / twin of the previous person.
    fn identity(&self, insurer: usize, seq: u32) -> Identity {
        let mut identity = self.base_identity(insurer, seq);
        let id = person_id(insurer, seq);
        if seq == 0 {
            return identity;
        }
        let partner = self.base_identity(insurer, seq - 1);
        let draw = unit(self.seed(), id, "homonym", 0);
        if draw < self.config.noise.homonym {
            identity.name = partner.name;
            identity.sex = partner.sex;
            identity.birth = partner.birth;
            identity.homonym_of = Some(person_id(insurer, seq - 1));
        } else if draw < self.config.noise.homonym + self.config.noise.twin {
            identity.name.surname = partner.name.surname;
            identity.sex = partner.sex;
            identity.birth = partner.birth;
            identity.twin_of = Some(person_id(insurer, seq - 1));
        }
        identity
    }

    /// Whether and when a person moves to another insurer: (month index, destination).
    fn move_of(&self, insurer: usize, seq: u32) -> Option<(usize, usize)> {
        let id = person_id(insurer, seq);
        let entry = self.entry_month(insurer, seq);
        let span = self.months.len().saturating_sub(entry + 1);
        if span == 0 || self.insurers.len() < 2 {
            return None;
        }
        let probability = 1.0 - (1.0 - self.config.rates.moves_per_year).powf(span as f64 / 12.0);
        if unit(self.seed(), id, "move", 0) >= probability {
            return None;
        }
        let month = entry + 1 + (unit(self.seed(), id, "move", 1) * span as f64) as usize;
        let total = *self.destination_weights.last().expect("insurers exist");
        let same_prefecture: Vec<usize> = (0..self.insurers.len())
            .filter(|&other| other != insurer && self.insurers[other].prefecture == self.insurers[insurer].prefecture)
            .collect();
        let destination = if !same_prefecture.is_empty() && unit(self.seed(), id, "move", 2) < 0.6 {
            same_prefecture[(unit(self.seed(), id, "move", 3) * same_prefecture.len() as f64) as usize]
        } else {
            let target = unit(self.seed(), id, "move", 4) * total;
            let chosen = self
                .destination_weights
                .partition_point(|&cumulative| cumulative <= target)
                .min(self.insurers.len() - 1);
            if chosen == insurer {
                (chosen + 1) % self.insurers.len()
            } else {
                chosen
            }
        };
        Some((month, destination))
    }

    fn insured_number(&self, insurer: usize, slot: u64) -> String {
        const MODULUS: u64 = 10_000_000_000;
        let salt = stream(self.seed(), "insured-number", insurer as u64) % MODULUS;
        // Multiplication by a number coprime to 10^10 is a bijection: numbers are unique per insurer.
        let number = (slot.wrapping_mul(7_919_449) % MODULUS + salt) % MODULUS;
        format!("{number:010}")
    }

    fn provider_for(&self, insurer: usize, kind: &str, person: PersonId) -> Option<usize> {
        let list = self.providers_by_kind[insurer].get(kind)?;
        let index = (unit(
            self.seed(),
            person,
            "provider",
            mix(kind.as_bytes()[0] as u64 * 256 + kind.as_bytes()[1] as u64),
        ) * list.len() as f64) as usize;
        list.get(index).copied()
    }
}

fn sample(weights: &[f64], draw: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = draw * total;
    for (index, &weight) in weights.iter().enumerate() {
        if target < weight {
            return index;
        }
        target -= weight;
    }
    weights.len() - 1
}

/// A certification in force.
#[derive(Debug, Clone, Copy)]
struct Cert {
    level: usize,
    start: NaiveDate,
    end: NaiveDate,
    decided: NaiveDate,
    first: NaiveDate,
}

/// A person being simulated in one pass.
struct Person {
    id: PersonId,
    seq: u32,
    origin: usize,
    identity: Identity,
    rng: SplitMix,
    latent: usize,
    cert: Option<Cert>,
    alive: bool,
    insurer: usize,
    insured_number: String,
    registered: bool,
    surname: u16,
    move_plan: Option<(usize, usize)>,
    hospital: bool,
    residence: Option<Residence>,
    service_start: usize,
    levels: Vec<u8>,
}

/// One emitted month for a person: what the pass writes.
#[derive(Default)]
struct MonthEvents {
    death: Option<NaiveDate>,
    hospital_from: Option<NaiveDate>,
    certification: Option<(&'static str, Cert, usize)>,
    moved_in: Option<NaiveDate>,
    moved_out: Option<NaiveDate>,
    surname_change: Option<NaiveDate>,
    residence_change: Option<(Option<Residence>, Option<Residence>)>,
}

pub(crate) fn run(config: &SynthConfig, out: &Path) -> Result<SynthSummary, SynthError> {
    let months: Vec<YearMonth> = config.first_month.through(config.last_month).collect();
    let insurers = world::build_insurers(config);
    let first_tier = population::first_tier_tables();
    let second_tier = population::second_tier_levels();
    let (entrants, entrant_rate) =
        population::entrant_distribution(config.rates.growth_per_year, config.rates.mortality_multiplier);
    let level_share = population::LEVEL_SHARE;
    let providers = world::build_providers(
        &insurers,
        |insurer, kind| expected_users(f64::from(insurer.initial_persons), kind, &level_share),
        config.seed,
    );
    let mut providers_by_kind: Vec<HashMap<&'static str, Vec<usize>>> = vec![HashMap::new(); insurers.len()];
    for (index, provider) in providers.iter().enumerate() {
        providers_by_kind[provider.insurer]
            .entry(provider.service_kind)
            .or_default()
            .push(index);
    }
    let entrant_counts: Vec<Vec<u32>> = insurers
        .iter()
        .map(|insurer| {
            let mut rng = SplitMix::new(stream(config.seed, "entrants", insurer.index as u64));
            let mean = f64::from(insurer.initial_persons) * entrant_rate / 12.0;
            months
                .iter()
                .enumerate()
                .map(|(index, _)| if index == 0 { 0 } else { poisson(mean, &mut rng) })
                .collect()
        })
        .collect();
    let mut destination_weights = Vec::with_capacity(insurers.len());
    let mut cumulative = 0.0;
    for insurer in &insurers {
        cumulative += f64::from(insurer.initial_persons).max(1.0);
        destination_weights.push(cumulative);
    }
    let mut world = World {
        config,
        months,
        insurers,
        providers,
        providers_by_kind,
        first_tier,
        second_tier,
        entrants,
        monthly_transitions: population::monthly_transitions(),
        entrant_counts,
        movers_in: Vec::new(),
        destination_weights,
    };
    let mut movers_in = vec![Vec::new(); world.insurers.len()];
    for insurer in 0..world.insurers.len() {
        for seq in 0..world.person_count(insurer) {
            if let Some((month, destination)) = world.move_of(insurer, seq) {
                movers_in[destination].push((insurer, seq, month));
            }
        }
    }
    world.movers_in = movers_in;

    fs::create_dir_all(out).map_err(|source| SynthError::io(out, source))?;
    let truth_parts = out.join("truth").join(".parts");
    fs::create_dir_all(&truth_parts).map_err(|source| SynthError::io(&truth_parts, source))?;
    let results: Vec<Result<Stats, SynthError>> = (0..world.insurers.len())
        .into_par_iter()
        .map(|insurer| run_pass(&world, insurer, out, &truth_parts))
        .collect();
    let mut stats = Stats::default();
    for result in results {
        stats.merge(&result?);
    }
    let deliveries = write_registries(&world, out)?;
    stats.records += deliveries.1;
    write_truth(&world, out, &truth_parts)?;
    let calibration = CalibrationReport::build(&stats, &world.insurers, &world.months);
    Ok(SynthSummary {
        insurers: world.insurers.len(),
        providers: world.providers.len(),
        deliveries: deliveries.0,
        records: stats.records,
        statements: stats.statements,
        calibration,
    })
}

fn poisson(mean: f64, rng: &mut impl Rng) -> u32 {
    if mean > 30.0 {
        // Normal approximation for large means.
        let normal: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
        return (mean + normal * mean.sqrt()).round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut count = 0;
    while product > limit {
        product *= rng.random::<f64>();
        count += 1;
    }
    count
}

/// Expected monthly users of a service kind among `persons` certified persons.
fn expected_users(persons: f64, kind: &str, level_share: &[f64; 7]) -> f64 {
    let mut users = 0.0;
    for level in 0..7 {
        let at_level = persons * level_share[level] * population::USERS_PER_CERTIFIED[level];
        let residential: f64 = population::RESIDENCE_SHARE[level].iter().sum();
        let in_home = at_level * (1.0 - residential);
        users += match kind {
            "43" if level >= 2 => in_home,
            "46" if level < 2 => in_home,
            _ => IN_HOME_SERVICES
                .iter()
                .find(|(code, _)| *code == kind)
                .map_or(0.0, |(_, p)| in_home * p[level]),
        };
        for (column, residence) in Residence::ALL.iter().enumerate() {
            if residence.service_kind(level) == kind {
                users += at_level * population::RESIDENCE_SHARE[level][column];
            }
        }
    }
    users
}

/// Validity end for a certification starting on `start` lasting `months` (ends at a month end).
fn validity_end(start: NaiveDate, months: i32) -> NaiveDate {
    let start_month = YearMonth::of(start);
    let extra = if start.day() == 1 { months - 1 } else { months };
    start_month.plus_months(extra).last_day()
}

fn pick_months(rng: &mut impl Rng, choices: &[(i32, f64)]) -> i32 {
    let weights: Vec<f64> = choices.iter().map(|choice| choice.1).collect();
    choices[sample(&weights, rng.random())].0
}

struct Pass<'w, 'a> {
    world: &'w World<'a>,
    insurer: usize,
    deliveries: BTreeMap<YearMonth, Delivery>,
    stats: Stats,
    events: Vec<u8>,
    persons: Vec<u8>,
    truth: TruthLines,
    provider_users: HashMap<usize, u32>,
}

fn run_pass(world: &World<'_>, insurer: usize, out: &Path, truth_parts: &Path) -> Result<Stats, SynthError> {
    let count = world.person_count(insurer);
    let mut persons: Vec<Person> = Vec::with_capacity(count as usize + world.movers_in[insurer].len());
    let new_person = |origin: usize, seq: u32| {
        let id = person_id(origin, seq);
        let identity = world.identity(origin, seq);
        Person {
            id,
            seq,
            origin,
            latent: identity.level,
            rng: SplitMix::new(stream(world.seed(), "life", id)),
            cert: None,
            alive: true,
            insurer: origin,
            insured_number: world.insured_number(origin, u64::from(seq)),
            registered: false,
            surname: identity.name.surname,
            move_plan: world.move_of(origin, seq),
            hospital: false,
            residence: None,
            service_start: identity.entry,
            levels: vec![u8::MAX; world.months.len()],
            identity,
        }
    };
    for seq in 0..count {
        persons.push(new_person(insurer, seq));
    }
    for (slot, &(origin, seq, _)) in world.movers_in[insurer].iter().enumerate() {
        let mut person = new_person(origin, seq);
        // The destination issues a new insured number from its own series.
        person.seq = seq;
        person.insured_number = world.insured_number(insurer, (1u64 << 32) + slot as u64);
        persons.push(person);
    }
    let mut pass = Pass {
        world,
        insurer,
        deliveries: BTreeMap::new(),
        stats: Stats::default(),
        events: Vec::new(),
        persons: Vec::new(),
        truth: TruthLines::default(),
        provider_users: HashMap::new(),
    };
    for person in persons.iter().filter(|person| person.origin == insurer) {
        let identity = &person.identity;
        let (kanji, kana) = names::full_name(identity.name, identity.sex == Sex::Female);
        writeln!(
            pass.persons,
            "{},{},{},{},{},{},{},{},{},{},{}",
            person.id,
            world.insurers[insurer].number,
            identity.sex.code(),
            identity.birth.format("%Y-%m-%d"),
            kana,
            kanji,
            if identity.second_tier { 2 } else { 1 },
            world.months[identity.entry],
            population::level(identity.level).code(),
            identity.homonym_of.map(|id| id.to_string()).unwrap_or_default(),
            identity.twin_of.map(|id| id.to_string()).unwrap_or_default(),
        )
        .expect("memory");
    }
    for month_index in 0..world.months.len() {
        pass.provider_users.clear();
        for person in persons.iter_mut() {
            pass.step(person, month_index)?;
        }
        pass.provider_activity(month_index)?;
        // Deliveries that can receive no more months are complete.
        let ready: Vec<YearMonth> = pass
            .deliveries
            .keys()
            .copied()
            .filter(|&delivery| delivery <= world.months[month_index].plus_months(1))
            .collect();
        for delivery in ready {
            let buffers = pass.deliveries.remove(&delivery).expect("present");
            pass.truth.append(buffers.flush(out)?);
        }
    }
    pass.stats.months = world.months.len() as u64;
    for (name, bytes) in [
        ("records", &pass.truth.records),
        ("noise", &pass.truth.noise),
        ("invalid", &pass.truth.invalid),
        ("events", &pass.events),
        ("persons", &pass.persons),
    ] {
        let path = truth_parts.join(format!("{insurer:05}.{name}"));
        fs::write(&path, bytes).map_err(|source| SynthError::io(&path, source))?;
    }
    Ok(pass.stats)
}

impl Pass<'_, '_> {
    fn seed(&self) -> u64 {
        self.world.seed()
    }

    fn delivery(&mut self, month_index: usize) -> Option<&mut Delivery> {
        let insurer = &self.world.insurers[self.insurer];
        let month = self.world.months[month_index];
        let delivery = month.plus_months(1).max(insurer.rollout.actual_start);
        if delivery > self.world.months.last().expect("months").plus_months(1) {
            return None;
        }
        Some(
            self.deliveries
                .entry(delivery)
                .or_insert_with(|| Delivery::new(delivery, insurer.number.as_str(), insurer.prefecture)),
        )
    }

    fn event(&mut self, person: PersonId, month_index: usize, event: &str, detail: &str) {
        writeln!(
            self.events,
            "{person},{},{event},{detail}",
            self.world.months[month_index]
        )
        .expect("memory");
    }

    /// One person, one month.
    fn step(&mut self, person: &mut Person, month_index: usize) -> Result<(), SynthError> {
        let world = self.world;
        if !person.alive || month_index < person.identity.entry {
            return Ok(());
        }
        let month = world.months[month_index];
        let mut events = MonthEvents::default();
        // Health: death, then level change. Every draw here comes from the person's own stream.
        let band = age_band(person.identity.birth, month);
        let death_probability =
            population::monthly_death_probability(person.latent, band, world.config.rates.mortality_multiplier);
        let dies = person.rng.random_bool(death_probability);
        let death_day = person.rng.random_range(1..=month.days());
        let transition = person.rng.random::<f64>();
        let change_application = person.rng.random::<f64>();
        let hospital_draw = person.rng.random::<f64>();
        let surname_draw = person.rng.random::<f64>();
        let validity_draw = person.rng.random::<f64>();
        if dies {
            events.death = Some(month.first_day() + Duration::days(i64::from(death_day) - 1));
        } else {
            person.latent = sample(&world.monthly_transitions[person.latent], transition);
        }
        // Certification.
        let mut cert_rng = SplitMix::new(mix(person.id ^ stream(self.seed(), "certification", month_index as u64)));
        let _ = validity_draw;
        match person.cert {
            None => {
                // First month seen: the certification in force (initial persons) or a new one.
                let cert =
                    if month_index == 0 && person.identity.entry == 0 && person.seq < world.initial(person.origin) {
                        let months = pick_months(&mut cert_rng, &[(6, 0.2), (12, 0.4), (24, 0.25), (36, 0.15)]);
                        let elapsed = cert_rng.random_range(0..months);
                        let start = month.plus_months(-elapsed).first_day();
                        Cert {
                            level: person.latent,
                            start,
                            end: validity_end(start, months),
                            decided: start - Duration::days(12),
                            first: start - Duration::days(cert_rng.random_range(200..2000)),
                        }
                    } else {
                        let start =
                            month.first_day() + Duration::days(cert_rng.random_range(0..i64::from(month.days()) / 2));
                        let months = pick_months(&mut cert_rng, &[(6, 0.7), (12, 0.2), (3, 0.1)]);
                        Cert {
                            level: person.latent,
                            start,
                            end: validity_end(start, months),
                            decided: start + Duration::days(cert_rng.random_range(10..25)),
                            first: start,
                        }
                    };
                let kind = if month_index == 0 && person.seq < world.initial(person.origin) {
                    application_kind::RENEWAL
                } else {
                    application_kind::NEW
                };
                person.cert = Some(cert);
                events.certification = Some((kind, cert, person.latent));
            }
            Some(cert) if !dies => {
                if YearMonth::of(cert.end) == month {
                    let same = person.latent == cert.level;
                    let months = if same {
                        pick_months(&mut cert_rng, &[(12, 0.5), (24, 0.3), (36, 0.15), (48, 0.05)])
                    } else {
                        pick_months(&mut cert_rng, &[(12, 0.7), (24, 0.2), (36, 0.1)])
                    };
                    let start = cert.end + Duration::days(1);
                    let renewed = Cert {
                        level: person.latent,
                        start,
                        end: validity_end(start, months),
                        decided: cert.end - Duration::days(cert_rng.random_range(5..20)),
                        first: cert.first,
                    };
                    events.certification = Some((application_kind::RENEWAL, renewed, cert.level));
                    // The renewed level applies from next month.
                    person.cert = Some(renewed);
                } else if person.latent > cert.level && change_application < 0.6 {
                    let start =
                        month.first_day() + Duration::days(cert_rng.random_range(0..i64::from(month.days()) / 2));
                    let months = pick_months(&mut cert_rng, &[(6, 0.7), (12, 0.3)]);
                    let changed = Cert {
                        level: person.latent,
                        start,
                        end: validity_end(start, months),
                        decided: start + Duration::days(cert_rng.random_range(10..25)),
                        first: cert.first,
                    };
                    events.certification = Some((application_kind::CHANGE, changed, cert.level));
                    person.cert = Some(changed);
                }
            }
            Some(_) => {}
        }
        // Moves.
        if let Some((move_month, destination)) = person.move_plan
            && move_month == month_index
            && !dies
        {
            let day = month.first_day() + Duration::days(i64::from(month.days()) / 3);
            if person.insurer == self.insurer && self.insurer != destination {
                events.moved_out = Some(day);
            }
            if destination == self.insurer {
                events.moved_in = Some(day);
            }
            person.insurer = destination;
            person.registered = false;
        }
        if surname_draw < world.config.rates.surname_changes_per_year / 12.0 && !dies {
            person.surname = names::draw_surname(&mut SplitMix::new(mix(person.id ^ month_index as u64)));
            events.surname_change = Some(month.first_day() + Duration::days(9));
        }
        // Level in force this month (a renewal decided now applies from next month).
        let level_now = match events.certification {
            Some((kind, _, previous)) if kind == application_kind::RENEWAL && month_index > 0 => previous,
            _ => person.cert.map_or(person.latent, |cert| cert.level),
        };
        // Setting: persistent propensities make service use, residence and basket stable over time
        // and consistent with the level; a worsening level moves a person into residence.
        let user = unit(self.seed(), person.id, "user", 0) < population::USERS_PER_CERTIFIED[level_now];
        let residence = if user {
            residence_for(self.seed(), person.id, level_now)
        } else {
            None
        };
        if residence != person.residence {
            events.residence_change = Some((person.residence, residence));
            person.residence = residence;
            person.service_start = month_index;
        }
        let was_hospital = person.hospital;
        person.hospital = residence.is_none()
            && user
            && !was_hospital
            && hospital_draw < world.config.rates.hospital_admissions_per_month;
        if person.hospital {
            events.hospital_from = Some(month.first_day() + Duration::days(i64::from(month.days()) / 2));
        }
        if was_hospital {
            person.service_start = month_index;
        }
        // After a move both passes agree on `person.insurer`; the origin still writes the loss.
        if person.insurer == self.insurer || events.moved_out.is_some() {
            self.emit(person, month_index, level_now, user, &events)?;
        }
        if dies {
            person.alive = false;
        }
        Ok(())
    }

    /// Write everything one person generates in one month into this pass's delivery.
    #[allow(clippy::too_many_lines)]
    fn emit(
        &mut self,
        person: &mut Person,
        month_index: usize,
        level: usize,
        user: bool,
        events: &MonthEvents,
    ) -> Result<(), SynthError> {
        let world = self.world;
        let month = world.months[month_index];
        let insurer = &world.insurers[self.insurer];
        let seed = self.seed();
        if let Some(day) = events.moved_out {
            // The origin writes only the loss; everything else of this month is the destination's.
            let record = self.register_record(person, day, event_kind::LOSS, "12");
            self.write_register(person, month_index, record)?;
            return Ok(());
        }
        let Some(cert) = person.cert else {
            return Ok(());
        };
        let mut emit_rng = SplitMix::new(mix(person.id ^ stream(seed, "emit", month_index as u64)));
        // Statistics: this person-month belongs to this insurer.
        self.stats.observe_person(
            level,
            person.identity.second_tier,
            person.identity.sex,
            age_band(person.identity.birth, month),
        );
        person.levels[month_index] = level as u8;
        if month_index >= 12 && person.levels[month_index - 12] != u8::MAX {
            self.stats.transitions[usize::from(person.levels[month_index - 12])][level] += 1;
        }
        if let Some(day) = events.moved_in {
            let record = self.register_record(person, day, event_kind::ACQUISITION, "02");
            self.write_register(person, month_index, record)?;
            person.registered = true;
            let origin_number = world.insured_number(person.origin, u64::from(person.seq));
            let detail = format!(
                "from {} ({}) to {} ({})",
                world.insurers[person.origin].number, origin_number, insurer.number, person.insured_number
            );
            self.event(person.id, month_index, "move", &detail);
            self.stats.moves += 1;
            // The new insurer confirms the certification carried over (受給資格証明書).
            self.write_certification(person, month_index, "4", cert, level, &mut emit_rng)?;
        }
        if !person.registered {
            let tier_birthday = if person.identity.second_tier { 40 } else { 65 };
            let day = NaiveDate::from_ymd_opt(
                person.identity.birth.year() + tier_birthday,
                person.identity.birth.month(),
                1,
            )
            .expect("valid")
            .min(month.first_day());
            let reason = if person.identity.second_tier { "03" } else { "01" };
            let record = self.register_record(person, day, event_kind::ACQUISITION, reason);
            self.write_register(person, month_index, record)?;
            person.registered = true;
        }
        if let Some(day) = events.surname_change {
            let record = self.register_record(person, day, event_kind::CHANGE, "21");
            self.write_register(person, month_index, record)?;
            self.event(
                person.id,
                month_index,
                "surname_change",
                &names::surname(person.surname).1,
            );
            self.stats.surname_changes += 1;
        }
        if let Some((kind, certification, _)) = events.certification {
            self.write_certification(
                person,
                month_index,
                kind,
                certification,
                certification.level,
                &mut emit_rng,
            )?;
            if kind != application_kind::RENEWAL || certification.level != level {
                self.event(
                    person.id,
                    month_index,
                    "certification",
                    &format!("{} {}", kind, population::level(certification.level).code()),
                );
            }
        }
        if let Some(day) = events.death {
            let record = self.register_record(person, day, event_kind::LOSS, "11");
            self.write_register(person, month_index, record)?;
            self.event(person.id, month_index, "death", &day.to_string());
            self.stats.deaths_by_level[level] += 1;
        }
        if let Some((from, to)) = events.residence_change
            && from.is_none()
            && let Some(residence) = to
            && month_index > person.identity.entry
        {
            self.event(person.id, month_index, "admission", residence.service_kind(level));
            self.stats.admissions += 1;
        }
        if let Some(day) = events.hospital_from {
            self.event(person.id, month_index, "hospital", &day.to_string());
            self.stats.hospital_admissions += 1;
        }
        if !user {
            return Ok(());
        }
        // Services this month.
        let end = events.death.or(events.hospital_from);
        let end_reason = events.death.map(|_| "4").or(events.hospital_from.map(|_| "3"));
        let days_used = |month_days: u32| end.map_or(month_days, |day| day.day().saturating_sub(1).max(1));
        let benefit_rate = match unit(seed, person.id, "copay", 0) {
            draw if draw < 0.91 => 90,
            draw if draw < 0.955 => 80,
            _ => 70,
        };
        let mut lines: Vec<(&'static str, usize, services::Line)> = Vec::new();
        if let Some(residence) = person.residence {
            let kind = residence.service_kind(level);
            if let Some(provider) = world.provider_for(self.insurer, kind, person.id) {
                let days = days_used(month.days());
                lines.push((
                    kind,
                    provider,
                    services::Line {
                        item: "1111",
                        unit_value: services::residential_daily_units(kind, level),
                        count: days,
                    },
                ));
            }
        } else if !person.hospital || events.hospital_from.is_some() {
            for (kind, probabilities) in IN_HOME_SERVICES {
                if unit(
                    seed,
                    person.id,
                    "service",
                    u64::from(kind.as_bytes()[0]) * 256 + u64::from(kind.as_bytes()[1]),
                ) < probabilities[level]
                    && let Some(provider) = world.provider_for(self.insurer, kind, person.id)
                {
                    let intensity = (unit(seed, person.id, "intensity", u64::from(kind.as_bytes()[1])) * 0.8
                        + emit_rng.random::<f64>() * 0.2)
                        .min(0.999);
                    let mut line = services::in_home_line(kind, level, intensity);
                    if end.is_some() && line.count > 1 {
                        line.count = (line.count * days_used(month.days()) / month.days()).max(1);
                    }
                    lines.push((kind, provider, line));
                }
            }
            // A user takes at least one service: if the independent draws chose none, take one in
            // proportion to how common each is at this level.
            if lines.is_empty() {
                let weights: Vec<f64> = IN_HOME_SERVICES
                    .iter()
                    .map(|(_, probabilities)| probabilities[level])
                    .collect();
                let (kind, _) =
                    IN_HOME_SERVICES[sample(&weights, unit(seed, person.id, "fallback-service", level as u64))];
                if let Some(provider) = world.provider_for(self.insurer, kind, person.id) {
                    let intensity = unit(seed, person.id, "intensity", u64::from(kind.as_bytes()[1]));
                    lines.push((kind, provider, services::in_home_line(kind, level, intensity)));
                }
            }
            // 小規模多機能 (73) is an all-in-one service and 定期巡回 (76) replaces home help: a user
            // of either does not also take what it replaces.
            if lines.iter().any(|(kind, _, _)| *kind == "73") {
                lines.retain(|(kind, _, _)| !matches!(*kind, "11" | "15" | "16" | "21" | "22" | "76" | "78"));
            } else if lines.iter().any(|(kind, _, _)| *kind == "76") {
                lines.retain(|(kind, _, _)| *kind != "11");
            }
            // Keep in-home units within the monthly limit: first fewer visits of the most used
            // service, then, if single monthly items still exceed it, drop the largest service.
            let limit = u64::from(population::level(level).monthly_limit_units().expect("certified"));
            let limited = |kind: &str| service::by_code(kind).expect("known").limit_applies;
            loop {
                let used: u64 = lines
                    .iter()
                    .filter(|(kind, _, _)| limited(kind))
                    .map(|(_, _, line)| u64::from(line.unit_value) * u64::from(line.count))
                    .sum();
                if used <= limit {
                    break;
                }
                if let Some(largest) = lines
                    .iter_mut()
                    .filter(|(kind, _, line)| limited(kind) && line.count > 1)
                    .max_by_key(|(_, _, line)| line.unit_value * line.count)
                {
                    largest.2.count -= 1;
                } else if let Some(position) = lines
                    .iter()
                    .enumerate()
                    .filter(|(_, (kind, _, _))| limited(kind))
                    .max_by_key(|(_, (_, _, line))| line.unit_value)
                    .map(|(position, _)| position)
                {
                    lines.remove(position);
                } else {
                    break;
                }
            }
        }
        let care_manager = if person.residence.is_none() && !lines.is_empty() {
            world.provider_for(self.insurer, if level < 2 { "46" } else { "43" }, person.id)
        } else {
            None
        };
        if lines.is_empty() {
            return Ok(());
        }
        self.stats.user_months_by_level[level] += 1;
        if let Some(residence) = person.residence {
            let column = Residence::ALL.iter().position(|&r| r == residence).expect("listed");
            self.stats.residence_months[level][column] += 1;
        }
        let mut total_cost = 0u64;
        for &(kind, provider_index, line) in &lines {
            *self.provider_users.entry(provider_index).or_default() += 1;
            *self.stats.service_user_months.entry(kind).or_default() += 1;
            let provider = &world.providers[provider_index];
            let cost = self.write_statement(
                person,
                month_index,
                level,
                cert,
                kind,
                provider,
                line,
                benefit_rate,
                care_manager,
                end,
                end_reason,
                &mut emit_rng,
            )?;
            total_cost += cost;
        }
        if let Some(manager) = care_manager {
            *self.provider_users.entry(manager).or_default() += 1;
            total_cost +=
                self.write_care_management(person, month_index, level, cert, manager, &lines, &mut emit_rng)?;
            self.write_care_plan(person, month_index, level, cert, manager, &lines, events)?;
        }
        if level < 2 {
            self.stats.preventive_cost_yen += total_cost;
            self.stats.preventive_user_months += 1;
        } else {
            self.stats.care_cost_yen += total_cost;
            self.stats.care_user_months += 1;
        }
        // LIFE: participating providers assess every three months, at the start and at the end.
        for &(_, provider_index, _) in &lines {
            let provider = &world.providers[provider_index];
            if !provider.life_participant {
                continue;
            }
            let since = month_index.saturating_sub(person.service_start.max(person.identity.entry));
            let ending = events.death.is_some() || events.hospital_from.is_some();
            if since.is_multiple_of(3) || ending {
                self.write_life(person, month_index, level, provider, since == 0, events, &mut emit_rng)?;
            }
        }
        Ok(())
    }

    fn register_record(&self, person: &Person, day: NaiveDate, kind: &str, reason: &str) -> RegisterRecord {
        let female = person.identity.sex == Sex::Female;
        let (kanji, kana) = names::full_name(
            NameId {
                surname: person.surname,
                given: person.identity.name.given,
            },
            female,
        );
        let insurer = &self.world.insurers[self.insurer];
        let municipality = &insurer.municipality_codes
            [(unit(self.seed(), person.id, "municipality", 0) * insurer.municipality_codes.len() as f64) as usize];
        RegisterRecord {
            insurer_number: insurer.number.to_string(),
            insured_number: Sensitive::new(person.insured_number.clone()),
            event_date: day,
            event_kind: kind.into(),
            reason: reason.into(),
            kana_name: Sensitive::new(kana),
            kanji_name: Sensitive::new(kanji),
            birth_date: Sensitive::new(person.identity.birth),
            sex: person.identity.sex,
            tier: if person.identity.second_tier { "2" } else { "1" }.into(),
            municipality_code: municipality.clone(),
        }
    }

    fn write_register(
        &mut self,
        person: &Person,
        month_index: usize,
        record: RegisterRecord,
    ) -> Result<(), SynthError> {
        let seed = self.seed();
        let mut rng = SplitMix::new(mix(person.id
            ^ stream(
                seed,
                "register-noise",
                month_index as u64 * 31 + u64::from(record.event_kind.as_bytes()[0]),
            )));
        let noise = self.world.config.noise.clone();
        let kana_field = column::<RegisterRecord>("kana_name");
        let invalid = rng.random_bool(noise.invalid);
        let variant = rng
            .random_bool(noise.kana_variant / 2.0)
            .then(|| KanaVariant::ALL[rng.random_range(0..5)]);
        let mut applied: Option<&'static str> = None;
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let line = delivery.register.write_with(&record, |row| {
            if let Some(variant) = variant
                && let Some(text) = names::kana_variant(row.field(kana_field), variant, &mut rng)
            {
                row.replace(kana_field, &text);
                applied = Some(variant_name(variant));
            }
            if invalid {
                // A birth date that makes the person younger than 40: not insured at all.
                row.replace(column::<RegisterRecord>("birth_date"), "20100401");
            }
        })?;
        delivery.records.push(RecordTruth {
            file: FileKind::Register,
            line,
            person: person.id,
        });
        if let Some(kind) = applied {
            delivery.noise.push(NoiseTruth {
                file: FileKind::Register,
                line,
                person: person.id,
                field: "kana_name",
                kind,
            });
        }
        if invalid {
            delivery.invalid.push(InvalidTruth {
                file: FileKind::Register,
                line,
                field: "birth_date",
                rule: "insured_age",
            });
        }
        self.stats.records += 1;
        if let Some(kind) = applied {
            *self.stats.noise.entry(kind).or_default() += 1;
        }
        if invalid {
            *self.stats.invalid.entry("insured_age").or_default() += 1;
        }
        Ok(())
    }

    /// Identity fields as written in a human-entered extract, with noise. Returns the written
    /// kana name, insured number, birth date and the noise applied.
    fn noisy_identity(
        &self,
        person: &Person,
        rng: &mut SplitMix,
        kana: bool,
    ) -> (String, String, NaiveDate, Vec<(&'static str, &'static str)>) {
        let noise = &self.world.config.noise;
        let female = person.identity.sex == Sex::Female;
        let (_, mut kana_name) = names::full_name(
            NameId {
                surname: person.surname,
                given: person.identity.name.given,
            },
            female,
        );
        let mut number = person.insured_number.clone();
        let mut birth = person.identity.birth;
        let mut applied = Vec::new();
        if kana && rng.random_bool(noise.kana_variant) {
            let variant = KanaVariant::ALL[rng.random_range(0..5)];
            if let Some(text) = names::kana_variant(&kana_name, variant, rng) {
                kana_name = text;
                applied.push(("kana_name", variant_name(variant)));
            }
        }
        if rng.random_bool(noise.full_width_digits) {
            number = number
                .chars()
                .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).expect("digit"))
                .collect();
            applied.push(("insured_number", "full_width_digits"));
        } else if rng.random_bool(noise.insured_number_typo) {
            number = mistype_digit(&number, rng);
            applied.push(("insured_number", "digit_typo"));
        }
        if rng.random_bool(noise.missing_birth_day) && birth.day() != 1 {
            birth = birth.with_day(1).expect("valid");
            applied.push(("birth_date", "missing_birth_day"));
        }
        (kana_name, number, birth, applied)
    }

    fn record_noise(
        &mut self,
        file: FileKind,
        line: u64,
        person: PersonId,
        applied: &[(&'static str, &'static str)],
        month_index: usize,
    ) {
        for &(field, kind) in applied {
            if let Some(delivery) = self.delivery(month_index) {
                delivery.noise.push(NoiseTruth {
                    file,
                    line,
                    person,
                    field,
                    kind,
                });
            }
            *self.stats.noise.entry(kind).or_default() += 1;
        }
    }

    fn write_certification(
        &mut self,
        person: &Person,
        month_index: usize,
        kind: &'static str,
        cert: Cert,
        level: usize,
        rng: &mut SplitMix,
    ) -> Result<(), SynthError> {
        let world = self.world;
        let (kana_name, number, birth, applied) = self.noisy_identity(person, rng, true);
        // The board's level; the computer's may differ (≈85 % same, 12 % raised by the board, 3 % lowered).
        let draw = rng.random::<f64>();
        let primary = if draw < 0.12 && level > 0 {
            level - 1
        } else if draw < 0.15 && level < 6 {
            level + 1
        } else {
            level
        };
        let (low, high) = population::base_time_band(primary);
        let base_time = low + (high - low) * rng.random::<f64>();
        let severity = (base_time / 150.0).min(1.0);
        let cognition = person.identity.cognition;
        let mut answers = [1u8; 74];
        for (index, &(number, _, _, choices)) in SURVEY_ITEMS.iter().enumerate() {
            let group = number.split('-').next().expect("item number");
            let driver = match group {
                "3" | "4" => cognition,
                "6" => (severity - 0.55).max(0.0) * 0.8,
                _ => severity,
            };
            let score = (driver + (rng.random::<f64>() - 0.5) * 0.35).clamp(0.0, 0.999);
            answers[index] = if choices == 2 && group != "3" {
                1 + u8::from(rng.random::<f64>() < driver * 0.5)
            } else {
                1 + (score * f64::from(choices)) as u8
            };
        }
        let group_score = |group: &str| {
            let items: Vec<(u8, u8)> = SURVEY_ITEMS
                .iter()
                .zip(answers)
                .filter(|((number, ..), _)| number.starts_with(group))
                .map(|((.., choices), answer)| (answer, *choices))
                .collect();
            let burden: f64 = items
                .iter()
                .map(|&(answer, choices)| f64::from(answer - 1) / f64::from(choices - 1))
                .sum::<f64>()
                / items.len() as f64;
            (100.0 * (1.0 - burden)).round() as u8
        };
        let rating = |table: &[&'static str], value: f64| {
            table[((value * table.len() as f64) as usize).min(table.len() - 1)].to_string()
        };
        let institution = world
            .provider_for(self.insurer, "31", person.id)
            .map(|index| &world.providers[index]);
        let opinion_date = cert.decided - Duration::days(rng.random_range(10..25));
        let mut record = CertificationRecord {
            insurer_number: world.insurers[self.insurer].number.to_string(),
            insured_number: Sensitive::new(number),
            kana_name: Sensitive::new(kana_name),
            birth_date: Sensitive::new(birth),
            sex: person.identity.sex,
            application_date: (cert.decided - Duration::days(rng.random_range(20..35)))
                .min(cert.start.max(cert.decided - Duration::days(40))),
            application_kind: kind.into(),
            survey_date: cert.decided - Duration::days(rng.random_range(14..21)),
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
            bedridden_rating: rating(&BEDRIDDEN_RATINGS, severity * 0.95),
            dementia_rating: rating(&DEMENTIA_RATINGS, cognition * 0.9),
            opinion_date,
            medical_institution: institution
                .map_or_else(|| "0000000000".into(), |provider| provider.number.to_string()),
            opinion_electronic: institution
                .and_then(world::opinion_electronic_since)
                .is_some_and(|since| since <= opinion_date),
            diagnosis: Some(["I63", "F03", "M17", "G20", "I50", "E11", "S72", "M48"][rng.random_range(0..8)].into()),
            stability: if severity > 0.7 && rng.random_bool(0.3) {
                "2"
            } else {
                "1"
            }
            .into(),
            specified_disease: person.identity.second_tier.then(|| rng.random_range(1..=16)),
            opinion_bedridden_rating: rating(
                &BEDRIDDEN_RATINGS,
                (severity * 0.95 + (rng.random::<f64>() - 0.5) * 0.1).clamp(0.0, 0.999),
            ),
            opinion_dementia_rating: rating(
                &DEMENTIA_RATINGS,
                (cognition * 0.9 + (rng.random::<f64>() - 0.5) * 0.1).clamp(0.0, 0.999),
            ),
            short_term_memory: 1 + u8::from(cognition > 0.45),
            decision_ability: 1 + (cognition * 3.99) as u8,
            communication: 1 + (cognition * cognition * 3.99) as u8,
            height_cm: Some(if person.identity.sex == Sex::Female {
                rng.random_range(138..162)
            } else {
                rng.random_range(152..178)
            }),
            weight_kg: Some(if person.identity.sex == Sex::Female {
                rng.random_range(35..65)
            } else {
                rng.random_range(45..80)
            }),
            base_time_tenths: (base_time * 10.0).round() as u32,
            group1_score: group_score("1-"),
            group2_score: group_score("2-"),
            group3_score: group_score("3-"),
            group4_score: group_score("4-"),
            group5_score: group_score("5-"),
            primary_level: population::level(primary),
            board_date: cert.decided,
            secondary_level: population::level(level),
            validity_start: Some(cert.start),
            validity_end: Some(cert.end),
        };
        record.set_survey_answers(answers);
        let invalid = rng.random_bool(world.config.noise.invalid);
        let defect = rng.random_range(0..3);
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let (field, rule) = [
            ("secondary_level", "care_level_code"),
            ("board_date", "date"),
            ("validity_end", "validity_order"),
        ][defect];
        let line = delivery.certification.write_with(&record, |row| {
            if invalid {
                let text = match defect {
                    0 => "26".to_string(),
                    1 => format!("{}0231", cert.decided.year()),
                    _ => kaigo_codes::calendar::format_yyyymmdd(cert.start - Duration::days(1)),
                };
                row.replace(column::<CertificationRecord>(field), &text);
            }
        })?;
        delivery.records.push(RecordTruth {
            file: FileKind::Certification,
            line,
            person: person.id,
        });
        if invalid {
            delivery.invalid.push(InvalidTruth {
                file: FileKind::Certification,
                line,
                field,
                rule,
            });
            *self.stats.invalid.entry(rule).or_default() += 1;
        }
        self.stats.records += 1;
        *self.stats.certifications.entry(kind).or_default() += 1;
        self.record_noise(FileKind::Certification, line, person.id, &applied, month_index);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn write_statement(
        &mut self,
        person: &Person,
        month_index: usize,
        level: usize,
        cert: Cert,
        kind: &'static str,
        provider: &Provider,
        line: services::Line,
        benefit_rate: u32,
        care_manager: Option<usize>,
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
            delivery.records.push(RecordTruth {
                file: FileKind::Claims,
                line,
                person: person.id,
            });
            if invalid {
                delivery.invalid.push(InvalidTruth {
                    file: FileKind::Claims,
                    line,
                    field: defect_field,
                    rule,
                });
            }
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

    #[allow(clippy::too_many_arguments)]
    fn write_care_management(
        &mut self,
        person: &Person,
        month_index: usize,
        level: usize,
        cert: Cert,
        manager: usize,
        lines: &[(&'static str, usize, services::Line)],
        rng: &mut SplitMix,
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
        let _ = rng;
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
        delivery.records.push(RecordTruth {
            file: FileKind::CareManagement,
            line,
            person: person.id,
        });
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
            delivery.records.push(RecordTruth {
                file: FileKind::BenefitManagement,
                line,
                person: person.id,
            });
            written += 1;
        }
        self.stats.records += written;
        self.stats.statements += 1;
        self.stats.benefit_lines += written - 1;
        Ok(cost)
    }

    #[allow(clippy::too_many_arguments)]
    fn write_care_plan(
        &mut self,
        person: &Person,
        month_index: usize,
        level: usize,
        cert: Cert,
        manager: usize,
        lines: &[(&'static str, usize, services::Line)],
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
        if let Some((kana_name, number, birth, applied)) = identity {
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
            let female = person.identity.sex == Sex::Female;
            let (kanji, _) = names::full_name(
                NameId {
                    surname: person.surname,
                    given: person.identity.name.given,
                },
                female,
            );
            let supplement = PlanSupplement {
                csv_version: CSV_VERSION.into(),
                insurer_number: insurer_number.clone(),
                insured_number: Sensitive::new(number),
                plan_date: month.first_day(),
                kana_name: Sensitive::new(kana_name),
                kanji_name: Sensitive::new(kanji),
                sex: person.identity.sex,
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
            delivery.records.push(RecordTruth {
                file,
                line,
                person: person.id,
            });
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

    #[allow(clippy::too_many_arguments)]
    fn write_life(
        &mut self,
        person: &Person,
        month_index: usize,
        level: usize,
        provider: &Provider,
        first: bool,
        events: &MonthEvents,
        rng: &mut SplitMix,
    ) -> Result<(), SynthError> {
        let world = self.world;
        let month = world.months[month_index];
        let (_, number, birth, applied) = self.noisy_identity(person, rng, false);
        let female = person.identity.sex == Sex::Female;
        let (kanji, _) = names::full_name(
            NameId {
                surname: person.surname,
                given: person.identity.name.given,
            },
            female,
        );
        // Barthel items fall with the latent level; each item is snapped to its 5-point steps.
        let severity = (person.latent as f64 + rng.random::<f64>()) / 7.0;
        let mut items = [0u8; 10];
        for (index, &(_, _, maximum)) in BARTHEL_ITEMS.iter().enumerate() {
            let ability = (1.0 - severity * (0.8 + 0.4 * rng.random::<f64>()) + (rng.random::<f64>() - 0.5) * 0.2)
                .clamp(0.0, 1.0);
            items[index] = ((f64::from(maximum) * ability / 5.0).round() as u8 * 5).min(maximum);
        }
        let cognition = person.identity.cognition;
        let vitality: [u8; 5] = std::array::from_fn(|_| {
            (2.0 * (1.0 - severity * 0.7 - cognition * 0.3) + (rng.random::<f64>() - 0.5))
                .clamp(0.0, 2.0)
                .round() as u8
        });
        let ending = events
            .death
            .map(|day| (day, "6"))
            .or(events.hospital_from.map(|day| (day, "5")));
        let record = LifeRecord {
            provider_number: provider.number.to_string(),
            insurer_number: world.insurers[self.insurer].number.to_string(),
            insured_number: Sensitive::new(number),
            name: Sensitive::new(kanji),
            birth_date: Sensitive::new(birth),
            sex: person.identity.sex,
            care_level: population::level(level),
            bedridden_rating: BEDRIDDEN_RATINGS[((severity * 9.0) as usize).min(8)].into(),
            dementia_rating: DEMENTIA_RATINGS[((cognition * 8.0) as usize).min(7)].into(),
            evaluation_date: month.first_day() + Duration::days(rng.random_range(0..i64::from(month.days()))),
            evaluation_point: if ending.is_some() {
                evaluation_point::END
            } else if first {
                evaluation_point::START
            } else {
                evaluation_point::DURING
            }
            .into(),
            barthel_feeding: items[0],
            barthel_transfer: items[1],
            barthel_grooming: items[2],
            barthel_toilet: items[3],
            barthel_bathing: items[4],
            barthel_walking: items[5],
            barthel_stairs: items[6],
            barthel_dressing: items[7],
            barthel_bowel: items[8],
            barthel_bladder: items[9],
            barthel_total: items.iter().sum(),
            vitality_waking: vitality[0],
            vitality_communication: vitality[1],
            vitality_eating: vitality[2],
            vitality_excretion: vitality[3],
            vitality_activity: vitality[4],
            vitality_total: vitality.iter().sum(),
            dbd13_total: ((cognition * 30.0 + rng.random::<f64>() * 8.0) as u8).min(52),
            height_mm: Some(if female {
                rng.random_range(1380..1620)
            } else {
                rng.random_range(1520..1780)
            }),
            weight_hg: Some(if female {
                rng.random_range(350..650)
            } else {
                rng.random_range(450..800)
            }),
            denture: rng.random_bool(0.6),
            choking: rng.random_bool(0.1 + severity * 0.2),
            dirty_teeth: rng.random_bool(0.2),
            gum_bleeding: rng.random_bool(0.1),
            emergency_admission_date: events.hospital_from,
            end_date: ending.map(|(day, _)| day),
            end_reason: ending.map(|(_, reason)| reason.to_string()),
        };
        let invalid = rng.random_bool(world.config.noise.invalid);
        let defect = rng.random_range(0..2);
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let (field, rule) = [("barthel_transfer", "barthel_step"), ("barthel_total", "barthel_total")][defect];
        let line = delivery.life.write_with(&record, |row| {
            if invalid {
                let text = if defect == 0 {
                    "7".to_string()
                } else {
                    (record.barthel_total.wrapping_add(5) % 105).to_string()
                };
                row.replace(column::<LifeRecord>(field), &text);
            }
        })?;
        delivery.records.push(RecordTruth {
            file: FileKind::Life,
            line,
            person: person.id,
        });
        if invalid {
            delivery.invalid.push(InvalidTruth {
                file: FileKind::Life,
                line,
                field,
                rule,
            });
            *self.stats.invalid.entry(rule).or_default() += 1;
        }
        self.stats.records += 1;
        self.stats.life_assessments += 1;
        self.record_noise(FileKind::Life, line, person.id, &applied, month_index);
        Ok(())
    }

    /// Per-provider hub use in a service month after go-live: users, consents, record views.
    fn provider_activity(&mut self, month_index: usize) -> Result<(), SynthError> {
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
                (0.15 + 0.1 * f64::from(month.months_since(since.max(go_live)).max(0) as u16)).min(0.9)
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

/// One digit of an ASCII-digit number replaced by another digit.
fn mistype_digit(number: &str, rng: &mut SplitMix) -> String {
    let mut bytes = number.as_bytes().to_vec();
    let position = rng.random_range(0..bytes.len());
    bytes[position] = b'0' + (bytes[position] - b'0' + rng.random_range(1..10)) % 10;
    String::from_utf8(bytes).expect("digits")
}

fn variant_name(variant: KanaVariant) -> &'static str {
    match variant {
        KanaVariant::SmallKana => "kana_small",
        KanaVariant::VoicedMark => "kana_voiced_mark",
        KanaVariant::LongVowel => "kana_long_vowel",
        KanaVariant::Spacing => "kana_spacing",
        KanaVariant::HalfWidth => "kana_half_width",
    }
}

/// Index of a field in a layout, by name.
fn column<L: Layout>(name: &str) -> usize {
    L::FIELDS
        .iter()
        .position(|field| field.name == name)
        .expect("field exists in layout")
}

/// Age band 0…5 for 65–69 … 90+ (2nd-tier persons count in band 0 for mortality).
fn age_band(birth: NaiveDate, month: YearMonth) -> usize {
    let age = month.year() as i32 - birth.year() - i32::from((month.month(), 1) < (birth.month(), birth.day()));
    (((age - 65).max(0) / 5) as usize).min(5)
}

fn residence_for(seed: u64, person: PersonId, level: usize) -> Option<Residence> {
    let draw = unit(seed, person, "residence", 0);
    let mut cumulative = 0.0;
    for (column, residence) in Residence::ALL.iter().enumerate() {
        cumulative += population::RESIDENCE_SHARE[level][column];
        if draw < cumulative {
            return Some(*residence);
        }
    }
    None
}

/// Spread `count` uses over the days of a month as a 31-digit string.
fn spread_days(count: u32, days: u32) -> String {
    let mut per_day = [0u32; 31];
    for use_index in 0..count {
        let day = (use_index * days / count.max(1)) as usize % days as usize;
        per_day[day] += 1;
    }
    per_day
        .iter()
        .map(|&uses| char::from(b'0' + uses.min(9) as u8))
        .collect()
}

/// Registries in every delivery folder; returns the folder names and the records written.
fn write_registries(world: &World<'_>, out: &Path) -> Result<(Vec<String>, u64), SynthError> {
    let first_live = world
        .insurers
        .iter()
        .map(|insurer| insurer.rollout.actual_start)
        .min()
        .expect("insurers exist");
    let last = world.months.last().expect("months").plus_months(1);
    let first = world.months[0].plus_months(1).max(first_live);
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
        folders.push(delivery.compact());
    }
    Ok((folders, records))
}

/// Concatenate the per-insurer truth parts in insurer order, with headers, and add the registry truth.
fn write_truth(world: &World<'_>, out: &Path, parts: &Path) -> Result<(), SynthError> {
    let truth = out.join("truth");
    let headers = [
        ("records", "file,first_line,last_line,person_id"),
        ("noise", "file,line,person_id,field,kind"),
        ("invalid", "file,line,field,rule"),
        ("events", "person_id,month,event,detail"),
        (
            "persons",
            "person_id,insurer_number,sex,birth_date,kana_name,kanji_name,tier,entry_month,entry_level,homonym_of,twin_of",
        ),
    ];
    for (name, header) in headers {
        let path = truth.join(format!("{name}.csv"));
        let mut file =
            std::io::BufWriter::new(fs::File::create(&path).map_err(|source| SynthError::io(&path, source))?);
        writeln!(file, "{header}").map_err(|source| SynthError::io(&path, source))?;
        for insurer in 0..world.insurers.len() {
            let part = parts.join(format!("{insurer:05}.{name}"));
            let bytes = fs::read(&part).map_err(|source| SynthError::io(&part, source))?;
            file.write_all(&bytes).map_err(|source| SynthError::io(&path, source))?;
        }
        file.flush().map_err(|source| SynthError::io(&path, source))?;
    }
    fs::remove_dir_all(parts).map_err(|source| SynthError::io(parts, source))?;
    let path = truth.join("insurers.csv");
    let mut text = String::from(
        "insurer_number,name,prefecture,size_class,population_65_plus_real,certified_real,initial_persons,standardisation_fiscal_year,planned_start,actual_start,slipped\n",
    );
    for insurer in &world.insurers {
        let rollout = &insurer.rollout;
        text.push_str(&format!(
            "{},{},{:02},{},{},{},{},{},{},{},{}\n",
            insurer.number,
            insurer.name,
            insurer.prefecture,
            insurer.size_class.code(),
            insurer.population_65_plus_real,
            insurer.certified_real,
            insurer.initial_persons,
            rollout
                .standardisation_fiscal_year
                .map(|year| year.to_string())
                .unwrap_or_default(),
            rollout.planned_start.map(|month| month.to_string()).unwrap_or_default(),
            rollout.actual_start,
            rollout.slipped
        ));
    }
    fs::write(&path, text).map_err(|source| SynthError::io(&path, source))?;
    let path = truth.join("params.json");
    let params = serde_json::json!({ "config": world.config, "simulated_insurers": world.insurers.len(), "providers": world.providers.len() });
    fs::write(&path, serde_json::to_vec_pretty(&params).expect("serialisable"))
        .map_err(|source| SynthError::io(&path, source))?;
    Ok(())
}
