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
    ops::RangeInclusive,
    path::Path,
};

use chrono::{Datelike, Duration, NaiveDate};
use kaigo_codes::{calendar::YearMonth, care_level::Sex, service};
use kaigo_formats::{
    certification::application_kind,
    layout::Layout,
    register::{event_kind, reason},
};
use rand::Rng;
use rayon::prelude::*;

use crate::{
    SplitMix, SynthConfig, SynthError, SynthSummary,
    calibration::{CalibrationReport, Stats},
    delivery::{Delivery, TruthLines},
    mix,
    names::{self, KanaVariant, NameId},
    population::{self, Residence},
    services::{self, IN_HOME_SERVICES},
    stream,
    world::{self, Insurer, Provider},
};

mod care_plan;
mod certification;
mod claims;
mod life;
mod parameters;
mod register;
mod registry;
mod truth;

type PersonId = u64;

/// First insured-number slot of re-issued numbers: beyond every first issue (slots below 2³²)
/// and movers' numbers (from 2³²).
const REISSUE_SLOTS: u64 = 2 << 32;

fn person_id(insurer: usize, seq: u32) -> PersonId {
    ((insurer as u64) << 32) | u64::from(seq)
}

/// A uniform draw in [0, 1) that depends only on the seed, a person, a purpose and an index.
fn unit(seed: u64, person: PersonId, purpose: &str, index: u64) -> f64 {
    (mix(stream(seed, purpose, index) ^ mix(person)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Everything shared by all passes: the configuration, the generated world (`crate::world`:
/// insurers, providers) and the tables drawn from it once (level mixes, entrants, movers).
struct Simulation<'a> {
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
    /// Delivery folders to write; the others are simulated and dropped.
    selected: RangeInclusive<YearMonth>,
    /// The first delivery folder of the hub (the first go-live); its truth carries the life
    /// events of every month before it.
    first_delivery: YearMonth,
    /// Months to simulate: through the service months of the last selected delivery.
    simulated_months: usize,
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

impl Simulation<'_> {
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
            let age = (64.0 - (rng.random::<f64>() * rng.random::<f64>() * parameters::SECOND_TIER_AGE_SPREAD))
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
                (90.0 + (rng.random::<f64>().ln() / parameters::NINETY_PLUS_YEAR_SHARE.ln()).floor())
                    .min(f64::from(high)) as u32
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
            surname: names::draw_surname(&mut rng, self.config.narrow_names),
            given: names::draw_given(&mut rng, female, birth.year(), self.config.narrow_names),
        };
        let cognition = (level as f64 / 6.0 * parameters::COGNITION_FROM_LEVEL
            + rng.random::<f64>() * parameters::COGNITION_NOISE)
            .min(1.0);
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
        let destination =
            if !same_prefecture.is_empty() && unit(self.seed(), id, "move", 2) < parameters::MOVES_WITHIN_PREFECTURE {
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

/// A certified person's service month: what each claim, care plan and assessment written for
/// the month is about.
#[derive(Clone, Copy)]
struct CareMonth<'p> {
    person: &'p Person,
    month_index: usize,
    level: usize,
    cert: Cert,
    /// The month's services: kind, provider, and the line billed.
    lines: &'p [(&'static str, usize, services::Line)],
}

/// One service line of a month, as its claim statement bills it.
#[derive(Clone, Copy)]
struct Statement<'w> {
    kind: &'static str,
    provider: &'w Provider,
    line: services::Line,
    benefit_rate: u32,
    care_manager: Option<usize>,
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

impl Person {
    /// The person's name as the hub writes it: (kanji, kana), the surname as it is now.
    fn full_name(&self) -> (String, String) {
        names::full_name(
            NameId {
                surname: self.surname,
                given: self.identity.name.given,
            },
            self.identity.sex == Sex::Female,
        )
    }
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
    /// The insured number this month replaced (a new one issued at the same insurer).
    number_reissued: Option<String>,
    residence_change: Option<(Option<Residence>, Option<Residence>)>,
}

pub(crate) fn run(
    config: &SynthConfig,
    out: &Path,
    selected: &RangeInclusive<YearMonth>,
) -> Result<SynthSummary, SynthError> {
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
    let first_delivery = insurers
        .iter()
        .map(|insurer| insurer.rollout.actual_start)
        .min()
        .expect("insurers exist")
        .max(months[0].plus_months(1));
    // Delivery D carries service months up to D − 1: nothing after that can change it.
    let simulated_months = months.iter().take_while(|&&month| month < *selected.end()).count();
    let mut world = Simulation {
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
        selected: selected.clone(),
        first_delivery,
        simulated_months,
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
    // Parts left by an interrupted run must not be concatenated into this one's truth.
    if truth_parts.exists() {
        fs::remove_dir_all(&truth_parts).map_err(|source| SynthError::io(&truth_parts, source))?;
    }
    fs::create_dir_all(&truth_parts).map_err(|source| SynthError::io(&truth_parts, source))?;
    let results: Vec<Result<Stats, SynthError>> = (0..world.insurers.len())
        .into_par_iter()
        .map(|insurer| run_pass(&world, insurer, out, &truth_parts))
        .collect();
    let mut stats = Stats::default();
    for result in results {
        stats.merge(&result?);
    }
    let (deliveries, registry_records) = registry::write_registries(&world, out)?;
    stats.records += registry_records;
    truth::write_truth(&world, out, &truth_parts, &deliveries)?;
    let calibration = CalibrationReport::build(&stats, &world.insurers, &world.months[..world.simulated_months]);
    Ok(SynthSummary {
        insurers: world.insurers.len(),
        providers: world.providers.len(),
        deliveries: deliveries.iter().map(|month| month.compact()).collect(),
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
    world: &'w Simulation<'a>,
    /// The hub's folder, where large claims files wait for their count.
    out: &'w Path,
    insurer: usize,
    deliveries: BTreeMap<YearMonth, Delivery>,
    stats: Stats,
    /// Life events by the delivery whose truth carries them.
    events: BTreeMap<YearMonth, Vec<u8>>,
    persons: Vec<u8>,
    provider_users: HashMap<usize, u32>,
}

fn run_pass(world: &Simulation<'_>, insurer: usize, out: &Path, truth_parts: &Path) -> Result<Stats, SynthError> {
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
        out,
        insurer,
        deliveries: BTreeMap::new(),
        stats: Stats::default(),
        events: BTreeMap::new(),
        persons: Vec::new(),
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
    let part = |delivery: YearMonth, name: &str| {
        truth_parts
            .join(delivery.compact())
            .join(format!("{insurer:05}.{name}"))
    };
    for month_index in 0..world.simulated_months {
        pass.provider_users.clear();
        for person in persons.iter_mut() {
            pass.step(person, month_index)?;
        }
        pass.provider_activity(month_index)?;
        // Deliveries that can receive no more months are complete (only selected ones exist).
        let later = world.months[month_index].plus_months(2);
        let pending = pass.deliveries.split_off(&later);
        let ready = std::mem::replace(&mut pass.deliveries, pending);
        for (delivery, buffers) in ready {
            let TruthLines {
                records,
                noise,
                invalid,
            } = buffers.flush(out)?;
            for (name, bytes) in [("records", records), ("noise", noise), ("invalid", invalid)] {
                write_part(&part(delivery, name), &bytes)?;
            }
        }
        let pending = pass.events.split_off(&later);
        let ready = std::mem::replace(&mut pass.events, pending);
        for (delivery, bytes) in ready {
            if world.selected.contains(&delivery) {
                write_part(&part(delivery, "events"), &bytes)?;
            }
        }
    }
    pass.stats.months = world.simulated_months as u64;
    write_part(&truth_parts.join(format!("{insurer:05}.persons")), &pass.persons)?;
    Ok(pass.stats)
}

fn write_part(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder).map_err(|source| SynthError::io(folder, source))?;
    }
    fs::write(path, bytes).map_err(|source| SynthError::io(path, source))
}

impl Pass<'_, '_> {
    fn seed(&self) -> u64 {
        self.world.seed()
    }

    fn delivery(&mut self, month_index: usize) -> Option<&mut Delivery> {
        let insurer = &self.world.insurers[self.insurer];
        let month = self.world.months[month_index];
        let delivery = month.plus_months(1).max(insurer.rollout.actual_start);
        // Records of a delivery not selected are not formatted at all. What a record draws comes
        // from streams of (person, month, purpose), so skipping one changes nothing after it.
        if !self.world.selected.contains(&delivery)
            || delivery > self.world.months.last().expect("months").plus_months(1)
        {
            return None;
        }
        Some(
            self.deliveries
                .entry(delivery)
                .or_insert_with(|| Delivery::new(delivery, insurer.number.as_str(), insurer.prefecture, self.out)),
        )
    }

    fn event(&mut self, person: PersonId, month_index: usize, event: &str, detail: &str) {
        let month = self.world.months[month_index];
        let delivery = month.plus_months(1).max(self.world.first_delivery);
        writeln!(
            self.events.entry(delivery).or_default(),
            "{person},{month},{event},{detail}"
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
        // Once the validity period's draw; no longer used (validity comes from `cert_rng`), but
        // kept so that every later draw of the person's stream, and every hub, stays the same.
        let _ = person.rng.random::<f64>();
        if dies {
            events.death = Some(month.first_day() + Duration::days(i64::from(death_day) - 1));
        } else {
            person.latent = sample(&world.monthly_transitions[person.latent], transition);
        }
        // Certification.
        let mut cert_rng = SplitMix::new(mix(person.id ^ stream(self.seed(), "certification", month_index as u64)));
        match person.cert {
            None => {
                // First month seen: the certification in force (initial persons) or a new one.
                let cert =
                    if month_index == 0 && person.identity.entry == 0 && person.seq < world.initial(person.origin) {
                        let months = pick_months(&mut cert_rng, &parameters::VALIDITY_IN_FORCE);
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
                        let months = pick_months(&mut cert_rng, &parameters::VALIDITY_NEW);
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
                        pick_months(&mut cert_rng, &parameters::VALIDITY_RENEWAL_SAME_LEVEL)
                    } else {
                        pick_months(&mut cert_rng, &parameters::VALIDITY_RENEWAL_OTHER_LEVEL)
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
                } else if person.latent > cert.level && change_application < parameters::CHANGE_APPLICATION_SHARE {
                    let start =
                        month.first_day() + Duration::days(cert_rng.random_range(0..i64::from(month.days()) / 2));
                    let months = pick_months(&mut cert_rng, &parameters::VALIDITY_CHANGE);
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
        // A new number at the same insurer, once, for persons who never move (their slot
        // beyond every first issue keeps numbers unique within the insurer).
        if person.move_plan.is_none()
            && !dies
            && unit(world.seed(), person.id, "number-reissue", month_index as u64)
                < world.config.rates.number_reissues_per_year / 12.0
        {
            let reissued = world.insured_number(person.origin, REISSUE_SLOTS + u64::from(person.seq));
            if person.insured_number != reissued {
                events.number_reissued = Some(std::mem::replace(&mut person.insured_number, reissued));
            }
        }
        if surname_draw < world.config.rates.surname_changes_per_year / 12.0 && !dies {
            person.surname = names::draw_surname(
                &mut SplitMix::new(mix(person.id ^ month_index as u64)),
                world.config.narrow_names,
            );
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
            let record = self.register_record(person, day, event_kind::LOSS, reason::MOVED_OUT);
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
            let record = self.register_record(person, day, event_kind::ACQUISITION, reason::MOVED_IN);
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
        if let Some(old) = &events.number_reissued {
            // The register shows the new number as a change (その他変更) without the old one.
            let record = self.register_record(person, month.first_day(), event_kind::CHANGE, reason::OTHER_CHANGE);
            self.write_register(person, month_index, record)?;
            let detail = format!("from {old} to {}", person.insured_number);
            self.event(person.id, month_index, "number_reissue", &detail);
            self.stats.number_reissues += 1;
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
            let record = self.register_record(person, day, event_kind::LOSS, reason::DEATH);
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
            draw if draw < parameters::COPAY_BOUNDS[0] => 90,
            draw if draw < parameters::COPAY_BOUNDS[1] => 80,
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
                    let intensity = (unit(seed, person.id, "intensity", u64::from(kind.as_bytes()[1]))
                        * parameters::INTENSITY_PERSONAL
                        + emit_rng.random::<f64>() * parameters::INTENSITY_MONTHLY)
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
        let care = CareMonth {
            person,
            month_index,
            level,
            cert,
            lines: &lines,
        };
        let mut total_cost = 0u64;
        for &(kind, provider_index, line) in &lines {
            *self.provider_users.entry(provider_index).or_default() += 1;
            *self.stats.service_user_months.entry(kind).or_default() += 1;
            let provider = &world.providers[provider_index];
            let statement = Statement {
                kind,
                provider,
                line,
                benefit_rate,
                care_manager,
            };
            let cost = self.write_statement(care, statement, end, end_reason, &mut emit_rng)?;
            total_cost += cost;
        }
        if let Some(manager) = care_manager {
            *self.provider_users.entry(manager).or_default() += 1;
            total_cost += self.write_care_management(care, manager)?;
            self.write_care_plan(care, manager, events)?;
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
                self.write_life(care, provider, since == 0, events, &mut emit_rng)?;
            }
        }
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
        KanaVariant::NameOrder => "kana_name_order",
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
