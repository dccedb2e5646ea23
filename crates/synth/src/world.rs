//! The synthetic world outside persons: prefectures, municipalities and insurers (with their
//! size, population, area grade and roll-out schedule), and providers (with hub onboarding).
//!
//! A full-scale registry of 1,741 municipalities and 1,571 insurers is built first. A hub of N
//! persons then simulates a stratified subset of K insurers (every prefecture represented), each
//! scaled by the same factor so that per-insurer counts stay meaningful; at national size all
//! 1,571 are simulated at scale 1. The roll-out quotas are applied to the simulated insurers.

use chrono::NaiveDate;
use kaigo_codes::{
    calendar::YearMonth,
    insurer::{InsurerNumber, local_government_code},
    provider::{ProviderKind, ProviderNumber},
    unit_price::AreaGrade,
};
use rand::{Rng, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

use crate::{SynthConfig, stream};

/// Per-prefecture statistics used to spread insurers and population. Approximate values (2020
/// census population in 10,000s, share aged 65+, number of municipalities incl. Tokyo's 23 wards)
/// and certification rates (%), chosen to reproduce domain.md §2.1–2.2 (national 65+ ≈ 3,589万,
/// certification rate 19.4 %, 大阪 highest ≈ 23 %, 茨城 lowest ≈ 15.8 %).
pub const PREFECTURE_STATS: [(u32, f64, u16, f64); 47] = [
    (522, 32.2, 179, 20.0),
    (124, 33.7, 40, 19.5),
    (121, 33.6, 33, 19.5),
    (230, 28.3, 35, 19.0),
    (96, 37.5, 25, 20.0),
    (107, 33.8, 35, 18.5),
    (183, 31.7, 59, 19.5),
    (287, 29.7, 44, 15.8),
    (193, 29.6, 25, 16.5),
    (194, 30.2, 35, 17.5),
    (734, 26.7, 63, 16.8),
    (628, 27.6, 54, 17.0),
    (1405, 22.7, 62, 20.0),
    (924, 25.6, 33, 18.5),
    (220, 32.8, 30, 18.5),
    (103, 32.6, 15, 19.0),
    (113, 29.8, 19, 19.0),
    (77, 30.6, 17, 18.5),
    (81, 30.8, 27, 16.5),
    (205, 32.0, 77, 17.5),
    (198, 30.4, 42, 17.5),
    (363, 30.1, 35, 16.8),
    (754, 25.3, 54, 17.5),
    (177, 29.9, 29, 19.0),
    (141, 26.0, 19, 18.5),
    (258, 29.3, 26, 21.5),
    (884, 27.6, 43, 23.1),
    (547, 29.1, 41, 20.5),
    (132, 31.7, 39, 20.0),
    (92, 33.1, 30, 22.5),
    (55, 32.1, 19, 20.0),
    (67, 34.2, 19, 20.5),
    (189, 30.3, 27, 20.5),
    (280, 29.4, 23, 20.5),
    (134, 34.6, 19, 19.5),
    (72, 33.6, 24, 21.0),
    (95, 31.8, 17, 20.0),
    (133, 33.0, 20, 21.0),
    (69, 35.5, 34, 20.0),
    (514, 27.9, 60, 20.0),
    (81, 30.6, 20, 18.5),
    (131, 32.7, 21, 21.0),
    (174, 31.6, 45, 20.0),
    (112, 33.3, 18, 18.5),
    (107, 32.6, 26, 16.5),
    (159, 32.5, 43, 19.5),
    (147, 22.6, 41, 19.0),
];

/// Designated cities (政令指定都市): prefecture, local-government code body, name, 65+ population.
const DESIGNATED_CITIES: [(u8, &str, &str, u32); 20] = [
    (1, "01100", "札幌市", 550_000),
    (4, "04100", "仙台市", 270_000),
    (11, "11100", "さいたま市", 310_000),
    (12, "12100", "千葉市", 260_000),
    (14, "14100", "横浜市", 930_000),
    (14, "14130", "川崎市", 320_000),
    (14, "14150", "相模原市", 190_000),
    (15, "15100", "新潟市", 240_000),
    (22, "22100", "静岡市", 210_000),
    (22, "22130", "浜松市", 220_000),
    (23, "23100", "名古屋市", 570_000),
    (26, "26100", "京都市", 410_000),
    (27, "27100", "大阪市", 700_000),
    (27, "27140", "堺市", 230_000),
    (28, "28100", "神戸市", 430_000),
    (33, "33100", "岡山市", 190_000),
    (34, "34100", "広島市", 310_000),
    (40, "40100", "北九州市", 290_000),
    (40, "40130", "福岡市", 350_000),
    (43, "43100", "熊本市", 190_000),
];

/// Tokyo's 23 special wards: name and approximate 65+ population.
const WARDS: [(&str, u32); 23] = [
    ("千代田区", 12_000),
    ("中央区", 26_000),
    ("港区", 44_000),
    ("新宿区", 67_000),
    ("文京区", 46_000),
    ("台東区", 47_000),
    ("墨田区", 59_000),
    ("江東区", 112_000),
    ("品川区", 82_000),
    ("目黒区", 56_000),
    ("大田区", 165_000),
    ("世田谷区", 185_000),
    ("渋谷区", 44_000),
    ("中野区", 68_000),
    ("杉並区", 120_000),
    ("豊島区", 58_000),
    ("北区", 87_000),
    ("荒川区", 51_000),
    ("板橋区", 129_000),
    ("練馬区", 160_000),
    ("足立区", 170_000),
    ("葛飾区", 112_000),
    ("江戸川区", 145_000),
];

/// Core cities (中核市) per prefecture, 62 in all.
const CORE_CITIES: [u8; 47] = [
    2, 2, 1, 0, 1, 1, 3, 1, 1, 2, 3, 2, 1, 1, 0, 1, 1, 1, 1, 2, 1, 0, 4, 0, 1, 0, 7, 4, 1, 1, 1, 1, 1, 2, 1, 0, 1, 1,
    1, 1, 0, 2, 0, 1, 1, 1, 1,
];

/// Joint insurers (広域連合・一部事務組合): prefecture and member counts. 40 unions covering 210
/// municipalities, so that 1,741 municipalities make 1,571 insurers (domain.md §2.1); which
/// prefectures have them is a synthetic choice in the spirit of the 2021 survey.
const JOINT_INSURERS: [(u8, &[u16]); 18] = [
    (40, &[33]),
    (47, &[28]),
    (1, &[8, 6, 6, 5, 4, 4, 3, 3, 3]),
    (20, &[8, 6, 5, 4, 3]),
    (32, &[5, 4]),
    (39, &[4, 3, 3]),
    (46, &[5, 4]),
    (7, &[5, 3]),
    (2, &[3, 3]),
    (3, &[3, 2]),
    (10, &[4, 3]),
    (29, &[4, 2]),
    (43, &[4, 4]),
    (45, &[3]),
    (44, &[2]),
    (38, &[2]),
    (36, &[3]),
    (30, &[3]),
];

/// Insurer size class (規模区分), domain.md §1.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum SizeClass {
    /// 政令市・特別区.
    DesignatedOrWard,
    /// 中核市.
    CoreCity,
    /// その他市町村.
    Other,
    /// 広域連合・一部事務組合.
    Joint,
}

impl SizeClass {
    /// Registry code (see `kaigo_formats::registry::SIZE_CLASSES`).
    pub fn code(self) -> &'static str {
        match self {
            Self::DesignatedOrWard => "1",
            Self::CoreCity => "2",
            Self::Other => "3",
            Self::Joint => "4",
        }
    }

    /// Short English label.
    pub fn label(self) -> &'static str {
        match self {
            Self::DesignatedOrWard => "designated city / ward",
            Self::CoreCity => "core city",
            Self::Other => "other municipality",
            Self::Joint => "joint insurer",
        }
    }
}

/// When an insurer completes standardisation and goes live on the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rollout {
    /// Fiscal year the standard-compliant system is complete; `None` = 未定.
    pub standardisation_fiscal_year: Option<u16>,
    /// Published planned start month; `None` while 未定.
    pub planned_start: Option<YearMonth>,
    /// Actual start month (the month its data first reach the hub).
    pub actual_start: YearMonth,
    /// Whether the actual start is later than planned.
    pub slipped: bool,
}

/// One insurer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Insurer {
    /// Position in the simulated list.
    pub index: usize,
    /// Insurer number.
    #[serde(serialize_with = "display")]
    pub number: InsurerNumber,
    /// Local-government code (6 digits with mod-11 check).
    pub local_government_code: String,
    /// Prefecture.
    pub prefecture: u8,
    /// Name.
    pub name: String,
    /// Size class.
    pub size_class: SizeClass,
    /// Member municipalities.
    pub members: u16,
    /// Real-scale population 65+.
    pub population_65_plus_real: u32,
    /// Real-scale certified persons.
    pub certified_real: u32,
    /// Area grade.
    #[serde(serialize_with = "grade")]
    pub area_grade: AreaGrade,
    /// Simulated population 65+ (real × scale).
    pub population_65_plus: u32,
    /// Simulated population 40–64.
    pub population_40_64: u32,
    /// Persons certified at the start of the simulated period.
    pub initial_persons: u32,
    /// Roll-out schedule.
    pub rollout: Rollout,
    /// Municipality codes of the member municipalities (registry and register use them).
    pub municipality_codes: Vec<String>,
}

fn display<S: serde::Serializer>(value: &InsurerNumber, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.as_str())
}

fn grade<S: serde::Serializer>(value: &AreaGrade, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(value.number())
}

struct Municipality {
    prefecture: u8,
    body: String,
    name: String,
    size_class: SizeClass,
    population_65_plus: u32,
}

const NAME_HEADS: [&str; 24] = [
    "北", "南", "東", "西", "上", "下", "中", "新", "大", "小", "高", "本", "美", "豊", "若", "青", "白", "赤", "緑",
    "朝", "日", "月", "星", "松",
];
const NAME_TAILS: [&str; 24] = [
    "田", "野", "原", "山", "川", "沢", "浜", "岡", "島", "崎", "津", "谷", "瀬", "森", "里", "浦", "坂", "井", "根",
    "倉", "江", "宮", "城", "尾",
];

/// Build the full-scale registry of 1,571 insurers (deterministic in the seed).
fn national_insurers(seed: u64) -> Vec<(Insurer, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(stream(seed, "registry", 0));
    let mut insurers = Vec::new();
    for (prefecture_index, &(population, aging, municipalities, certification_rate)) in
        PREFECTURE_STATS.iter().enumerate()
    {
        let prefecture = prefecture_index as u8 + 1;
        let mut list: Vec<Municipality> = Vec::new();
        for &(pref, body, name, older) in DESIGNATED_CITIES.iter().filter(|city| city.0 == prefecture) {
            list.push(Municipality {
                prefecture: pref,
                body: body.into(),
                name: name.into(),
                size_class: SizeClass::DesignatedOrWard,
                population_65_plus: older,
            });
        }
        if prefecture == 13 {
            for (serial, &(name, older)) in WARDS.iter().enumerate() {
                list.push(Municipality {
                    prefecture,
                    body: format!("13{:03}", 101 + serial),
                    name: name.into(),
                    size_class: SizeClass::DesignatedOrWard,
                    population_65_plus: older,
                });
            }
        }
        let mut used_names: std::collections::HashSet<String> = list.iter().map(|m| m.name.clone()).collect();
        let mut synthetic_name = |rng: &mut ChaCha8Rng, suffix: &str| loop {
            let name = format!(
                "{}{}{}",
                NAME_HEADS[rng.random_range(0..24)],
                NAME_TAILS[rng.random_range(0..24)],
                suffix
            );
            if used_names.insert(name.clone()) {
                return name;
            }
        };
        for _ in 0..CORE_CITIES[prefecture_index] {
            let name = synthetic_name(&mut rng, "市");
            list.push(Municipality {
                prefecture,
                body: String::new(),
                name,
                size_class: SizeClass::CoreCity,
                population_65_plus: rng.random_range(55_000..130_000),
            });
        }
        let total_older = (f64::from(population) * 10_000.0 * aging / 100.0) as u32;
        let fixed: u32 = list.iter().map(|m| m.population_65_plus).sum();
        let others = usize::from(municipalities) - list.len();
        // Heavy-tailed sizes: most towns are small, a few cities are large.
        let weights: Vec<f64> = (0..others)
            .map(|_| (rng.random::<f64>() * 2.6 - 1.3).exp().powi(2))
            .collect();
        let weight_sum: f64 = weights.iter().sum();
        let remaining = total_older.saturating_sub(fixed).max(others as u32 * 300);
        let mut city_serial = 201;
        let mut town_serial = 301;
        for weight in weights {
            let older = ((weight / weight_sum) * f64::from(remaining)).max(60.0) as u32;
            let (suffix, serial) = if older > 15_000 {
                city_serial += 1;
                ("市", city_serial - 1)
            } else {
                town_serial += 1;
                (if rng.random_bool(0.2) { "村" } else { "町" }, town_serial - 1)
            };
            let name = synthetic_name(&mut rng, suffix);
            list.push(Municipality {
                prefecture,
                body: format!("{prefecture:02}{serial:03}"),
                name,
                size_class: SizeClass::Other,
                population_65_plus: older,
            });
        }
        for municipality in list.iter_mut().filter(|m| m.body.is_empty()) {
            municipality.body = format!("{prefecture:02}{city_serial:03}");
            city_serial += 1;
        }
        // Joint insurers take the smallest other municipalities of the prefecture.
        let mut joint_members: Vec<Vec<Municipality>> = Vec::new();
        if let Some(&(_, unions)) = JOINT_INSURERS.iter().find(|joint| joint.0 == prefecture) {
            list.sort_by_key(|m| (m.size_class != SizeClass::Other, m.population_65_plus, m.body.clone()));
            for &members in unions {
                joint_members.push(list.drain(..usize::from(members)).collect());
            }
            list.sort_by(|a, b| a.body.cmp(&b.body));
        }
        let rate = |rng: &mut ChaCha8Rng| certification_rate / 100.0 * (0.88 + 0.24 * rng.random::<f64>());
        for municipality in list {
            let number = InsurerNumber::from_body(&municipality.body).expect("synthetic bodies are valid");
            let lg = local_government_code(&municipality.body).expect("valid body");
            insurers.push((
                make_insurer(
                    number,
                    lg.clone(),
                    municipality.prefecture,
                    municipality.name,
                    municipality.size_class,
                    1,
                    municipality.population_65_plus,
                    vec![lg],
                ),
                rate(&mut rng),
            ));
        }
        for (serial, members) in joint_members.into_iter().enumerate() {
            let body = format!("{prefecture:02}{:03}", 801 + serial);
            let number = InsurerNumber::from_body(&body).expect("valid body");
            let older: u32 = members.iter().map(|m| m.population_65_plus).sum();
            let codes: Vec<String> = members
                .iter()
                .map(|m| local_government_code(&m.body).expect("valid body"))
                .collect();
            let name = format!("{}広域連合", members[0].name.trim_end_matches(['市', '町', '村']));
            insurers.push((
                make_insurer(
                    number,
                    codes[0].clone(),
                    prefecture,
                    name,
                    SizeClass::Joint,
                    members.len() as u16,
                    older,
                    codes,
                ),
                rate(&mut rng),
            ));
        }
    }
    insurers
}

#[allow(clippy::too_many_arguments)]
fn make_insurer(
    number: InsurerNumber,
    local_government_code: String,
    prefecture: u8,
    name: String,
    size_class: SizeClass,
    members: u16,
    population_65_plus_real: u32,
    municipality_codes: Vec<String>,
) -> Insurer {
    let metropolitan = matches!(prefecture, 11 | 12 | 13 | 14 | 23 | 27);
    let grade = match size_class {
        SizeClass::DesignatedOrWard if prefecture == 13 => 1,
        SizeClass::DesignatedOrWard => 3,
        SizeClass::CoreCity => 5,
        _ if population_65_plus_real > 20_000 && metropolitan => 4,
        _ if population_65_plus_real > 20_000 => 6,
        _ if population_65_plus_real > 8_000 => 7,
        _ => 8,
    };
    Insurer {
        index: 0,
        number,
        local_government_code,
        prefecture,
        name,
        size_class,
        members,
        population_65_plus_real,
        certified_real: 0,
        area_grade: AreaGrade::new(grade).expect("1..=8"),
        population_65_plus: 0,
        population_40_64: 0,
        initial_persons: 0,
        rollout: Rollout {
            standardisation_fiscal_year: None,
            planned_start: None,
            actual_start: YearMonth::new(2028, 4).expect("valid"),
            slipped: false,
        },
        municipality_codes,
    }
}

/// Number of insurers simulated for a hub of `persons` certified persons.
pub fn simulated_insurer_count(persons: u64) -> usize {
    ((persons as f64 / 300.0).round() as usize).clamp(47, 1571)
}

/// Build the simulated insurers: select, scale and schedule.
pub fn build_insurers(config: &SynthConfig) -> Vec<Insurer> {
    let national = national_insurers(config.seed);
    debug_assert_eq!(national.len(), 1571);
    let mut rng = ChaCha8Rng::seed_from_u64(stream(config.seed, "selection", 0));
    let target = simulated_insurer_count(config.persons);
    // Allocate the target across prefectures in proportion to their insurer counts, at least one
    // each (largest remainder), then sample within each prefecture.
    let mut by_prefecture: Vec<Vec<usize>> = vec![Vec::new(); 47];
    for (position, (insurer, _)) in national.iter().enumerate() {
        by_prefecture[usize::from(insurer.prefecture) - 1].push(position);
    }
    let sizes: Vec<u64> = by_prefecture.iter().map(|list| list.len() as u64).collect();
    let mut quotas = largest_remainder(
        &sizes.iter().map(|&size| size as f64).collect::<Vec<_>>(),
        target as u64,
        1,
    );
    // A prefecture cannot give more insurers than it has: move the excess to prefectures with room.
    loop {
        let excess: u64 = quotas
            .iter()
            .zip(&sizes)
            .map(|(quota, size)| quota.saturating_sub(*size))
            .sum();
        if excess == 0 {
            break;
        }
        for (quota, size) in quotas.iter_mut().zip(&sizes) {
            *quota = (*quota).min(*size);
        }
        let room: Vec<f64> = quotas
            .iter()
            .zip(&sizes)
            .map(|(quota, size)| (size - quota) as f64)
            .collect();
        for (quota, extra) in quotas.iter_mut().zip(largest_remainder(&room, excess, 0)) {
            *quota += extra;
        }
    }
    let mut chosen: Vec<usize> = Vec::new();
    for (list, quota) in by_prefecture.iter_mut().zip(quotas) {
        list.shuffle(&mut rng);
        chosen.extend(list.iter().take(quota as usize));
    }
    chosen.sort_unstable();
    let mut insurers: Vec<Insurer> = chosen
        .iter()
        .map(|&position| {
            let (insurer, rate) = &national[position];
            let mut insurer = insurer.clone();
            insurer.certified_real = (f64::from(insurer.population_65_plus_real) * rate * 1.019) as u32;
            insurer
        })
        .collect();
    let certified_total: f64 = insurers.iter().map(|insurer| f64::from(insurer.certified_real)).sum();
    let scale = config.persons as f64 / certified_total;
    let persons = largest_remainder(
        &insurers
            .iter()
            .map(|insurer| f64::from(insurer.certified_real))
            .collect::<Vec<_>>(),
        config.persons,
        0,
    );
    for (index, (insurer, persons)) in insurers.iter_mut().zip(persons).enumerate() {
        insurer.index = index;
        insurer.initial_persons = persons as u32;
        insurer.population_65_plus =
            ((f64::from(insurer.population_65_plus_real) * scale).round() as u32).max(persons as u32);
        // 40–64 population ≈ 1.2 × 65+ nationally (2nd-tier insured ≈ 4,200万 vs 3,589万).
        insurer.population_40_64 = (f64::from(insurer.population_65_plus) * 1.17).round() as u32;
    }
    schedule_rollout(&mut insurers, config, &mut rng);
    insurers
}

/// Split `total` in proportion to `weights`, each at least `minimum`, by largest remainder.
pub fn largest_remainder(weights: &[f64], total: u64, minimum: u64) -> Vec<u64> {
    let reserved = minimum * weights.len() as u64;
    let spread = total.saturating_sub(reserved) as f64;
    let weight_sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exact: Vec<f64> = weights.iter().map(|weight| weight / weight_sum * spread).collect();
    let mut counts: Vec<u64> = exact.iter().map(|value| value.floor() as u64 + minimum).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut left = total.saturating_sub(counts.iter().sum());
    for index in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        counts[index] += 1;
        left -= 1;
    }
    counts
}

/// Share of each size class done with standardisation by FY2025: 1 − P(difficult by end
/// FY2025) from the Sept-2024 survey (domain.md §1.6): 0.08 / 0.21 / 0.46. Joint insurers were not
/// asked separately; we give them the small-municipality share.
fn early_share(class: SizeClass) -> f64 {
    match class {
        SizeClass::DesignatedOrWard => 0.08,
        SizeClass::CoreCity => 0.21,
        SizeClass::Other | SizeClass::Joint => 0.46,
    }
}

/// Assign standardisation years and start dates by quota (domain.md §1.6, §6.1): exact shares
/// 32.9 / 27.8 / 28.6 / 3.0 % and 7.7 % unknown. Large insurers lag: the FY2025 group is filled
/// per size class at the survey's share (large and core-city quotas exactly, the rest from smaller
/// insurers); later groups are filled by a lateness score that favours small insurers. About 10 %
/// of insurers go live in FY2026 from November 2026; everyone planned by April 2028 except the
/// FY2028+ group; some later plans slip.
fn schedule_rollout(insurers: &mut [Insurer], config: &SynthConfig, rng: &mut ChaCha8Rng) {
    let count = insurers.len();
    let month = |year, month| YearMonth::new(year, month).expect("valid");
    let groups = largest_remainder(&[32.9, 27.8, 28.6, 3.0, 7.7], count as u64, 0);
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(rng);
    let unknown: Vec<usize> = order.drain(..groups[4] as usize).collect();
    // FY2025: the large classes' quotas first, then the remainder from the other classes.
    let mut early: Vec<usize> = Vec::new();
    for class in [SizeClass::DesignatedOrWard, SizeClass::CoreCity] {
        let members: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&index| insurers[index].size_class == class)
            .collect();
        let quota = (members.len() as f64 * early_share(class)).round() as usize;
        early.extend(members.into_iter().take(quota));
    }
    let small: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&index| matches!(insurers[index].size_class, SizeClass::Other | SizeClass::Joint))
        .collect();
    let remaining = (groups[0] as usize).saturating_sub(early.len());
    early.extend(small.into_iter().take(remaining));
    early.sort_unstable();
    let mut rest: Vec<(f64, usize)> = order
        .iter()
        .copied()
        .filter(|index| early.binary_search(index).is_err())
        .map(|index| {
            let bonus = match insurers[index].size_class {
                SizeClass::DesignatedOrWard => 0.5,
                SizeClass::CoreCity => 0.3,
                SizeClass::Joint | SizeClass::Other => 0.0,
            };
            (rng.random::<f64>() + bonus, index)
        })
        .collect();
    rest.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // The FY2025 group in random order: its first ~10 % of all insurers start in FY2026.
    let mut early_ordered: Vec<usize> = early.clone();
    early_ordered.shuffle(rng);
    let live_in_fy2026 = ((count as f64 * 0.10).round() as usize).min(early_ordered.len());
    let mut assignments: Vec<(usize, usize, usize)> = early_ordered
        .iter()
        .enumerate()
        .map(|(slot, &index)| (index, 0, slot))
        .collect();
    let mut position = 0;
    for group in 1..4 {
        for slot in 0..groups[group] as usize {
            if let Some(&(_, index)) = rest.get(position) {
                assignments.push((index, group, slot));
            }
            position += 1;
        }
    }
    for (index, group, slot) in assignments {
        let fiscal_year = 2025 + group as u16;
        let planned = match group {
            0 if slot < live_in_fy2026 => month(2026, 11).plus_months((slot * 5 / live_in_fy2026.max(1)) as i32),
            0 => month(2027, 4).plus_months(rng.random_range(0..12)),
            1 => month(2027, 4).plus_months(rng.random_range(3..12)),
            2 => month(2027, 9).plus_months(rng.random_range(0..7)),
            _ => month(2028, 4).plus_months(rng.random_range(0..12)),
        };
        // Early starters are the confirmed pioneers; later plans slip at the configured rate.
        let slips = planned >= month(2027, 4) && rng.random_bool(config.rates.rollout_slip_rate);
        let actual = if slips {
            planned.plus_months(rng.random_range(1..=6))
        } else {
            planned
        };
        insurers[index].rollout = Rollout {
            standardisation_fiscal_year: Some(fiscal_year),
            planned_start: Some(planned),
            actual_start: actual,
            slipped: slips,
        };
    }
    for index in unknown {
        let actual = month(2027, 10).plus_months(rng.random_range(0..12));
        insurers[index].rollout = Rollout {
            standardisation_fiscal_year: None,
            planned_start: None,
            actual_start: actual,
            slipped: false,
        };
    }
}

/// Roll-out status as published in a given month: (status code, planned start shown).
/// 確定 once live or within six months of the plan; 日程調整中 when planned further out;
/// 未定 for insurers without a plan until three months before they start.
pub fn published_status(rollout: &Rollout, as_of: YearMonth) -> (&'static str, Option<YearMonth>) {
    if rollout.actual_start <= as_of {
        return ("1", rollout.planned_start.or(Some(rollout.actual_start)));
    }
    match rollout.planned_start {
        Some(planned) if planned.months_since(as_of) <= 6 => ("1", Some(planned)),
        Some(_) => ("2", None),
        None if rollout.actual_start.months_since(as_of) <= 3 => ("1", Some(rollout.actual_start)),
        None => ("3", None),
    }
}

/// Average users per provider by service kind (national users ÷ providers, domain.md §2.4–2.5).
pub fn users_per_provider(service_kind: &str) -> f64 {
    match service_kind {
        "11" => 37.0,
        "12" => 47.0,
        "13" | "63" => 60.0,
        "14" | "64" => 28.0,
        "15" => 55.0,
        "16" | "66" => 59.0,
        "17" | "67" => 320.0,
        "21" | "24" => 29.0,
        "22" => 30.0,
        "31" | "34" => 90.0,
        "32" | "37" => 15.0,
        "33" | "35" => 50.0,
        "43" => 104.0,
        "46" => 180.0,
        "51" => 66.0,
        "52" => 80.0,
        "54" => 25.0,
        "55" => 53.0,
        "73" => 18.0,
        "76" => 45.0,
        "78" => 21.0,
        _ => 40.0,
    }
}

/// Provider kind digit for a service kind (domain.md §3.5).
pub fn provider_kind_for(service_kind: &str) -> ProviderKind {
    match service_kind {
        "13" | "63" => ProviderKind::NursingStation,
        "52" | "22" => ProviderKind::HealthFacility,
        "31" | "34" => ProviderKind::Medical,
        "46" => ProviderKind::PreventiveSupport,
        "32" | "37" | "54" | "71" | "72" | "73" | "76" | "77" | "78" => ProviderKind::Community,
        _ => ProviderKind::Designated,
    }
}

/// One provider.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Provider number.
    pub number: ProviderNumber,
    /// Insurer area (index into the simulated insurers).
    pub insurer: usize,
    /// Service kind it offers (one per provider in this world).
    pub service_kind: &'static str,
    /// Name.
    pub name: String,
    /// Whether it submits LIFE assessments.
    pub life_participant: bool,
    /// Portal registration.
    pub portal_registered_on: Option<NaiveDate>,
    /// Client certificate.
    pub client_certificate_on: Option<NaiveDate>,
    /// Card reader.
    pub card_reader_on: Option<NaiveDate>,
    /// Subsidy granted.
    pub subsidy_yen: Option<u32>,
    /// Capacity for residential kinds.
    pub capacity: Option<u32>,
}

/// Medical institutions that write physicians' opinions and provide 居宅療養管理指導 (kind "31").
pub fn is_medical(provider: &Provider) -> bool {
    provider.service_kind == "31"
}

/// Service kinds for which the world creates providers.
pub const PROVIDED_KINDS: [&str; 27] = [
    "11", "12", "13", "14", "15", "16", "17", "21", "22", "31", "32", "33", "43", "46", "51", "52", "54", "55", "63",
    "64", "66", "67", "73", "76", "78", "24", "35",
];

/// Create every provider, insurer by insurer, given expected monthly users per insurer and kind.
/// Numbers are allocated per (prefecture, kind digit): serial 0001–9999, then the next district.
pub fn build_providers(
    insurers: &[Insurer],
    expected_users: impl Fn(&Insurer, &str) -> f64,
    seed: u64,
) -> Vec<Provider> {
    let mut counters: std::collections::HashMap<(u8, ProviderKind), u32> = std::collections::HashMap::new();
    let mut providers = Vec::new();
    for insurer in insurers {
        let mut rng = ChaCha8Rng::seed_from_u64(stream(seed, "providers", insurer.index as u64));
        let go_live = insurer.rollout.actual_start.first_day();
        for kind in PROVIDED_KINDS {
            let count = (expected_users(insurer, kind) / users_per_provider(kind))
                .round()
                .max(1.0) as usize;
            for _ in 0..count {
                let provider_kind = provider_kind_for(kind);
                let counter = counters.entry((insurer.prefecture, provider_kind)).or_insert(0);
                *counter += 1;
                let district = (*counter / 10_000 + 1) as u8;
                let serial = (*counter % 10_000) as u16;
                let number = ProviderNumber::new(insurer.prefecture, provider_kind, district, serial)
                    .expect("synthetic provider numbers are valid");
                let service = kaigo_codes::service::by_code(kind).expect("known kind");
                // Onboarding: most register on the portal around the insurer's go-live.
                let registered = rng.random_bool(0.9).then(|| {
                    let offset = rng.random_range(-240..300);
                    (go_live + chrono::Duration::days(offset)).max(NaiveDate::from_ymd_opt(2025, 8, 1).expect("valid"))
                });
                let certificate = registered
                    .filter(|_| rng.random_bool(0.85))
                    .map(|date| date + chrono::Duration::days(rng.random_range(7..90)));
                let card_reader = certificate
                    .filter(|_| rng.random_bool(0.9))
                    .map(|date| date + chrono::Duration::days(rng.random_range(0..30)));
                let subsidy = certificate
                    .filter(|_| rng.random_bool(0.7))
                    .map(|_| [32_000, 55_000, 64_000][rng.random_range(0..3)]);
                let residential = matches!(kind, "32" | "33" | "51" | "52" | "54" | "55");
                providers.push(Provider {
                    number,
                    insurer: insurer.index,
                    service_kind: service.code,
                    name: format!(
                        "{}{}",
                        insurer.name.trim_end_matches(['市', '町', '村', '区']),
                        provider_label(kind, serial)
                    ),
                    life_participant: rng.random_bool(if residential || matches!(kind, "15" | "16" | "78") {
                        0.6
                    } else {
                        0.0
                    }),
                    portal_registered_on: registered,
                    client_certificate_on: certificate,
                    card_reader_on: card_reader,
                    subsidy_yen: subsidy,
                    capacity: residential.then(|| rng.random_range(18..120)),
                });
            }
        }
    }
    providers
}

fn provider_label(kind: &str, serial: u16) -> String {
    let stem = match kind {
        "11" => "ヘルパーステーション",
        "12" => "入浴サービス",
        "13" | "63" => "訪問看護ステーション",
        "14" | "64" => "訪問リハビリ",
        "15" => "デイサービスセンター",
        "16" | "66" => "デイケア",
        "17" | "67" => "福祉用具センター",
        "21" | "24" => "ショートステイ",
        "22" => "老健ショートステイ",
        "31" | "34" => "クリニック",
        "32" | "37" => "グループホーム",
        "33" | "35" => "ケアハウス",
        "43" => "居宅介護支援事業所",
        "46" => "地域包括支援センター",
        "51" => "特別養護老人ホーム",
        "52" => "介護老人保健施設",
        "54" => "地域密着型特養",
        "55" => "介護医療院",
        "73" => "小規模多機能ホーム",
        "76" => "定期巡回ステーション",
        "78" => "小規模デイサービス",
        _ => "事業所",
    };
    format!("{stem}{}", serial % 100 + 1)
}

/// Medical institutions send physicians' opinions electronically a month after their client
/// certificate, for 60 % of them (assumption; no published take-up).
pub fn opinion_electronic_since(provider: &Provider) -> Option<NaiveDate> {
    if !is_medical(provider) {
        return None;
    }
    let draw = (crate::mix(provider.number.as_str().parse::<u64>().unwrap_or(0)) >> 11) as f64 / (1u64 << 53) as f64;
    provider
        .client_certificate_on
        .filter(|_| draw < 0.6)
        .map(|date| date + chrono::Duration::days(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_registry_has_the_published_counts() {
        let national = national_insurers(7);
        assert_eq!(national.len(), 1571);
        let joint = national
            .iter()
            .filter(|(insurer, _)| insurer.size_class == SizeClass::Joint)
            .count();
        assert_eq!(joint, 40);
        let large = national
            .iter()
            .filter(|(insurer, _)| insurer.size_class == SizeClass::DesignatedOrWard)
            .count();
        assert_eq!(large, 43);
        let numbers: std::collections::HashSet<_> = national.iter().map(|(insurer, _)| insurer.number).collect();
        assert_eq!(numbers.len(), 1571, "insurer numbers are unique");
        let sapporo = national.iter().find(|(insurer, _)| insurer.name == "札幌市").unwrap();
        assert_eq!(sapporo.0.number.as_str(), "011007");
        let older: u64 = national
            .iter()
            .map(|(insurer, _)| u64::from(insurer.population_65_plus_real))
            .sum();
        assert!((34_000_000..38_000_000).contains(&older), "65+ population {older}");
    }

    #[test]
    fn every_insurer_is_simulated_at_national_size() {
        let month = |y, m| YearMonth::new(y, m).unwrap();
        for persons in [7_100_000, 471_300, 100_000, 20_000, 100] {
            let config = SynthConfig::new(persons, month(2028, 3), month(2028, 3), 7);
            let insurers = build_insurers(&config);
            assert_eq!(insurers.len(), simulated_insurer_count(persons), "{persons} persons");
            let prefectures: std::collections::HashSet<u8> =
                insurers.iter().map(|insurer| insurer.prefecture).collect();
            assert_eq!(prefectures.len(), 47);
            assert_eq!(
                insurers
                    .iter()
                    .map(|insurer| u64::from(insurer.initial_persons))
                    .sum::<u64>(),
                persons
            );
        }
    }

    #[test]
    fn largest_remainder_is_exact_and_respects_minimum() {
        let counts = largest_remainder(&[1.0, 1.0, 1.0], 10, 0);
        assert_eq!(counts.iter().sum::<u64>(), 10);
        let counts = largest_remainder(&[100.0, 0.0], 5, 1);
        assert_eq!(counts, vec![4, 1]);
    }

    #[test]
    fn status_follows_plan_and_go_live() {
        let month = |y, m| YearMonth::new(y, m).unwrap();
        let rollout = Rollout {
            standardisation_fiscal_year: Some(2026),
            planned_start: Some(month(2027, 9)),
            actual_start: month(2027, 11),
            slipped: true,
        };
        assert_eq!(published_status(&rollout, month(2026, 11)), ("2", None));
        assert_eq!(published_status(&rollout, month(2027, 4)), ("1", Some(month(2027, 9))));
        assert_eq!(published_status(&rollout, month(2027, 11)).0, "1");
        let unknown = Rollout {
            standardisation_fiscal_year: None,
            planned_start: None,
            actual_start: month(2028, 2),
            slipped: false,
        };
        assert_eq!(published_status(&unknown, month(2027, 6)), ("3", None));
        assert_eq!(published_status(&unknown, month(2027, 12)), ("1", Some(month(2028, 2))));
    }
}
