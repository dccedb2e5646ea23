//! The pages: index (national roll-out, tile map), one per prefecture, and about (definitions,
//! rules). Every count shown carries `data-count="indicator|area|month"` so [`crate::scan`] can
//! check it against the release.

use maud::{DOCTYPE, Markup, html};

use kaigo_codes::prefecture::{PREFECTURES, Prefecture};

use crate::{
    Published,
    svg::{FunnelPoint, Series, Tile, funnel_plot, line_chart, tile_map},
};

/// The one stylesheet, shared by every page.
pub const STYLE: &str = include_str!("style.css");

/// The mark of a suppressed cell.
const SUPPRESSED: &str = "―";

/// The end of the FY2027 target (every insurer live by 2028-03).
const TARGET_MONTH: u32 = 202803;

fn month_label(month: u32) -> String {
    format!("{}-{:02}", month / 100, month % 100)
}

fn page(title: &str, root: &str, body: Markup, as_of: u32) -> String {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href={ (root) "style.css" };
            }
            body {
                header {
                    a href={ (root) "index.html" } { "介護情報基盤 導入状況" span.en { " LTC information hub roll-out" } }
                    nav { a href={ (root) "about.html" } { "定義・秘匿基準 " span.en { "Definitions and suppression rules" } } }
                }
                main { (body) }
                footer {
                    "データ時点 " span.en { "Data as of " } strong data-headline="as_of" { (month_label(as_of)) }
                    " · 秘匿処理済みの公表表のみから作成 " span.en { "Built only from the disclosure-controlled release." }
                }
            }
        }
    }
    .into_string()
}

/// A count as shown, tagged for the scan.
fn count(published: &Published, indicator: &str, area: &str, month: u32) -> Markup {
    match published.month_cell(indicator, area, month) {
        Some(cell) => html! { td.num data-count={ (indicator) "|" (area) "|" (month) } { (cell.display) } },
        None => html! { td.num { (SUPPRESSED) } },
    }
}

/// A rate as shown: its display, "*" when unstable; tagged like a count.
fn rate(published: &Published, indicator: &str, area: &str, month: u32) -> Markup {
    match published.month_cell(indicator, area, month) {
        Some(cell) => html! {
            td.num data-rate={ (indicator) "|" (area) "|" (month) } { (cell.display) @if cell.is_unstable { sup { "*" } } }
        },
        None => html! { td.num { (SUPPRESSED) } },
    }
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}", part / whole * 100.0)
    } else {
        "…".into()
    }
}

/// Coverage of the 65+ population by live insurers in a set of registry rows (None: no rows).
fn coverage<'a>(rows: impl Iterator<Item = &'a crate::Insurer>) -> Option<f64> {
    let (mut live, mut all) = (0u64, 0u64);
    let mut any = false;
    for row in rows {
        any = true;
        all += row.population_65_plus;
        if row.is_live {
            live += row.population_65_plus;
        }
    }
    any.then(|| if all > 0 { live as f64 / all as f64 * 100.0 } else { 0.0 })
}

pub fn index(published: &Published) -> String {
    let as_of = published.as_of();
    let latest: Vec<&crate::Insurer> = published.registry_at(as_of).collect();
    let n_insurers = latest.len();
    let n_live = latest.iter().filter(|row| row.is_live).count();
    let n_scheduled = latest.iter().filter(|row| row.is_scheduled_by_target).count();
    let population_covered = coverage(latest.iter().copied()).unwrap_or(0.0);
    // Certified persons covered: from the municipal counts the release shows (a hidden count
    // cannot be added back in), so the share is over the municipalities shown.
    let (mut certified_live, mut certified_shown, mut n_shown) = (0.0, 0.0, 0);
    for row in &latest {
        if let Some(value) = published
            .month_cell("n_certified", &row.insurer_number, as_of)
            .and_then(|cell| cell.value)
        {
            n_shown += 1;
            certified_shown += value;
            if row.is_live {
                certified_live += value;
            }
        }
    }
    let months = published.months();
    let live_series = Series {
        label: "利用開始 live",
        class: "actual",
        points: months
            .iter()
            .map(|month| {
                (
                    *month,
                    published.registry_at(*month).filter(|row| row.is_live).count() as f64,
                )
            })
            .collect(),
    };
    // The plan as the latest registry states it: started or planned to start by each month.
    let mut plan_months = months.clone();
    let mut month = *months.last().unwrap_or(&as_of);
    while month < TARGET_MONTH {
        month = if month % 100 == 12 { month + 89 } else { month + 1 };
        plan_months.push(month);
    }
    let planned_series = Series {
        label: "予定 planned",
        class: "planned",
        points: plan_months
            .iter()
            .map(|month| {
                let n = latest
                    .iter()
                    .filter(|row| {
                        row.started_month_key
                            .or(row.planned_start_month_key)
                            .is_some_and(|start| start <= *month)
                    })
                    .count();
                (*month, n as f64)
            })
            .collect(),
    };
    let chart = line_chart(
        "利用開始保険者数の推移 Insurers live by month",
        &[live_series, planned_series],
        Some(("目標 FY2027 target", n_insurers as f64)),
    );
    let tiles: Vec<Tile> = PREFECTURES
        .iter()
        .map(|prefecture| {
            let code = format!("{:02}", prefecture.code);
            Tile {
                code: prefecture.code,
                // One suffix off (京都府 → 京都, not 京); 北海道 keeps its 道 (北海 is not its name).
                label: match prefecture.code {
                    1 => prefecture.name_ja.to_string(),
                    _ => prefecture
                        .name_ja
                        .strip_suffix(['都', '府', '県'])
                        .unwrap_or(prefecture.name_ja)
                        .to_string(),
                },
                value: coverage(latest.iter().copied().filter(|row| row.prefecture_code == code)),
                href: format!("pref/{code}.html"),
            }
        })
        .collect();
    let map = tile_map(
        "都道府県別 65歳以上人口カバー率 Coverage of the 65+ population by prefecture",
        &tiles,
    );
    let size_classes = [
        ("1", "政令市・特別区", "designated cities, Tokyo wards"),
        ("2", "中核市", "core cities"),
        ("3", "その他の市町村", "other municipalities"),
        ("4", "広域連合等", "joint insurers"),
    ];
    let national = |indicator: &str| published.month_cell(indicator, "00", as_of);
    let body = html! {
        h1 { "介護情報基盤の導入状況 " span.en { "Roll-out of the LTC information hub" } }
        section.headline {
            div {
                p.big { strong data-headline="n_live" { (n_live) } " / " span data-headline="n_insurers" { (n_insurers) } }
                p { "利用開始済み保険者 " span.en { "insurers live" } }
            }
            div {
                p.big { strong data-headline="population_covered_pct" { (format!("{population_covered:.1}")) } "%" }
                p { "65歳以上人口のカバー率 " span.en { "of the 65+ population covered" } }
            }
            div {
                p.big { strong data-headline="certified_covered_pct" { (percent(certified_live, certified_shown)) } "%" }
                p { "認定者のカバー率 " span.en { "of certified persons covered" } sup { "†" } }
            }
            div {
                p.big { strong data-headline="n_scheduled_by_target" { (n_scheduled) } " / " (n_insurers) }
                p { "FY2027末までに開始・予定 " span.en { "started or planned by the FY2027 target" } }
            }
        }
        p.note {
            "† 認定者数が公表されている" (n_shown) "保険者についての割合。 "
            span.en { "† Over the " (n_shown) " insurers whose count of certified persons is shown (a hidden count is not added back)." }
            " 全国の認定者数 " span.en { "Certified persons nationally: " }
            @if let Some(cell) = national("n_certified") { span data-count={ "n_certified|00|" (as_of) } { (cell.display) } }
        }
        h2 { "推移 " span.en { "Over time" } }
        (chart)
        h2 { "都道府県別 " span.en { "By prefecture" } }
        p { "タイルを選ぶと都道府県のページへ。色は65歳以上人口のうち利用開始済み保険者の割合。 " span.en { "Choose a tile for the prefecture's page; colour: share of the 65+ population whose insurer is live." } }
        (map)
        p.legend {
            span.swatch.c-none {} "データなし no data " span.swatch.c0 {} "0% " span.swatch.c1 {} "<25% " span.swatch.c2 {} "25–49% "
            span.swatch.c3 {} "50–74% " span.swatch.c4 {} "≥75%"
        }
        h2 { "規模別の進捗 " span.en { "Large-insurer lag: live share by size class" } }
        table {
            thead { tr { th { "規模 " span.en { "size class" } } th { "保険者数 " span.en { "insurers" } } th { "利用開始 " span.en { "live" } } th { "割合 " span.en { "share (%)" } } } }
            tbody {
                @for (code, ja, en) in size_classes {
                    @let rows: Vec<_> = latest.iter().filter(|row| row.size_class_code == code).collect();
                    @let live = rows.iter().filter(|row| row.is_live).count();
                    tr {
                        td { (ja) " " span.en { (en) } }
                        td.num { (rows.len()) }
                        td.num data-size-live={ (code) } { (live) }
                        td.num { (percent(live as f64, rows.len() as f64)) }
                    }
                }
            }
        }
    };
    page("介護情報基盤 導入状況 | LTC information hub roll-out", "", body, as_of)
}

/// A funnel plot's data: the national proportion and one point per insurer of `rows` whose
/// two counts are both shown in `month` (None: no national value, or no month).
fn funnel(
    published: &Published,
    rows: &[&crate::Insurer],
    numerator: &str,
    denominator: &str,
    month: Option<u32>,
) -> Option<(f64, Vec<FunnelPoint>)> {
    let month = month?;
    let value = |indicator: &str, area: &str| published.month_cell(indicator, area, month)?.value;
    let national = value(numerator, "00")
        .zip(value(denominator, "00"))
        .filter(|(_, all)| *all > 0.0)
        .map(|(part, all)| part / all)?;
    let points = rows
        .iter()
        .filter_map(|row| {
            let part = value(numerator, &row.insurer_number)?;
            let all = value(denominator, &row.insurer_number)?;
            (all > 0.0).then(|| FunnelPoint {
                label: row.insurer_name.clone(),
                denominator: all,
                proportion: part / all,
            })
        })
        .collect();
    Some((national, points))
}

fn funnel_section(title: &str, funnel: Option<(f64, Vec<FunnelPoint>)>) -> Markup {
    html! {
        @if let Some((national, points)) = funnel {
            (funnel_plot(title, national, &points))
            p.note {
                "横軸は認定者数、線は全国値と95%・99.8%管理限界。両方の数が公表されている保険者のみ表示。 "
                span.en { "x: certified persons; lines: the national share and its 95% and 99.8% control limits. Only insurers with both counts shown are plotted." }
            }
        } @else {
            p { "全国値が公表されていません。 " span.en { "The national value is not shown." } }
        }
    }
}

const STATUS: [(&str, &str, &str); 3] = [
    ("1", "確定", "confirmed"),
    ("2", "日程調整中", "being arranged"),
    ("3", "未定", "not yet arranged"),
];

pub fn prefecture(published: &Published, prefecture: &Prefecture) -> String {
    let as_of = published.as_of();
    let code = format!("{:02}", prefecture.code);
    let rows: Vec<&crate::Insurer> = published
        .registry_at(as_of)
        .filter(|row| row.prefecture_code == code)
        .collect();
    let n_live = rows.iter().filter(|row| row.is_live).count();
    // Outcomes a year on: of the persons certified in the latest month the data has followed
    // for a year.
    let outcome_month = published.latest_month_with_value("n_certified_died_within_year", "00");
    let level_3_plus = funnel(published, &rows, "n_certified_level_3_plus", "n_certified", Some(as_of));
    let died = funnel(
        published,
        &rows,
        "n_certified_died_within_year",
        "n_certified",
        outcome_month,
    );
    let body = html! {
        h1 { (prefecture.name_ja) " " span.en { (prefecture.name_en) } }
        @if rows.is_empty() {
            p { "この都道府県の保険者はデータに含まれていません。 " span.en { "No insurer of this prefecture is in the data." } }
        } @else {
            p.big { strong data-headline="n_live" { (n_live) } " / " span data-headline="n_insurers" { (rows.len()) } " 保険者が利用開始 " span.en { "insurers live" } }
            table {
                thead {
                    tr {
                        th { "保険者 " span.en { "insurer" } }
                        th { "状況 " span.en { "status" } }
                        th { "開始予定 " span.en { "planned" } }
                        th { "利用開始 " span.en { "started" } }
                        th { "データ " span.en { "data flowing" } }
                        th { "認定者数 " span.en { "certified" } }
                        th { "要介護3以上(%) " span.en { "level 3–5 (%)" } }
                        th { "死亡(認定者千人あたり) " span.en { "deaths per 1,000 certified" } }
                        th { "閲覧同意率(%) " span.en { "consent (%)" } }
                        th { "1年以内死亡(%) " span.en { "died within a year (%)" } sup { "‡" } }
                        th { "1年以内施設入所(%) " span.en { "admitted to a facility within a year (%)" } sup { "‡" } }
                    }
                }
                tbody {
                    @for row in &rows {
                        tr data-insurer=(row.insurer_number) {
                            td { (row.insurer_name) " " span.code { (row.insurer_number) } }
                            td { @for (status, ja, en) in STATUS { @if status == row.status_code { (ja) " " span.en { (en) } } } }
                            td { (row.planned_start_month_key.map(month_label).unwrap_or_default()) }
                            td { (row.started_month_key.map(month_label).unwrap_or_default()) }
                            td {
                                @if !row.is_live { "―" } @else {
                                    @match row.is_data_flowing { Some(true) => "○", Some(false) => "×", None => (SUPPRESSED) }
                                }
                            }
                            (count(published, "n_certified", &row.insurer_number, as_of))
                            (rate(published, "certified_level_3_plus_pct", &row.insurer_number, as_of))
                            (rate(published, "deaths_per_1000_certified", &row.insurer_number, as_of))
                            (rate(published, "consent_pct", &row.insurer_number, as_of))
                            @match outcome_month {
                                Some(month) => {
                                    (rate(published, "died_within_year_pct", &row.insurer_number, month))
                                    (rate(published, "admitted_within_year_pct", &row.insurer_number, month))
                                }
                                None => { td.num { "…" } td.num { "…" } }
                            }
                        }
                    }
                }
            }
            p.note {
                (SUPPRESSED) " " (published.footnotes.get(SUPPRESSED).cloned().unwrap_or_default()) br;
                "* " (published.footnotes.get("is_unstable").cloned().unwrap_or_default()) br;
                @if let Some(note) = published.footnotes.get("…") { "… " (note) br; }
                "データ: ○ 受領中 ×前月の利用者数が想定より著しく少ない ― 未開始、または前月の利用者数が秘匿。 " span.en { "Data: ○ flowing, × the previous month's users far fewer than expected, ― not live, or the previous month's users suppressed." } br;
                @match outcome_month {
                    Some(month) => {
                        "‡ " (month_label(month)) "の認定者のうち、その後12か月以内に死亡／施設に入所した人の割合（粗率、年齢調整なし；施設入所は当月に施設サービスのない人が対象、分母は認定者全体）。 "
                        span.en { "‡ Of the persons certified in " (month_label(month)) ", the share who died / entered facility care in the 12 months after (crude, not age-adjusted; admission counts those without a facility service in the month, over all certified persons)." }
                    }
                    None => {
                        "‡ 1年間の追跡期間がまだデータにありません。 " span.en { "‡ No month has a year of follow-up in the data yet." }
                    }
                }
            }
            h2 { "要介護3以上の割合（ファネルプロット） " span.en { "Share at care level 3–5: funnel plot" } }
            (funnel_section("要介護3以上の割合 Share at care level 3–5", level_3_plus))
            h2 { "1年以内死亡割合（ファネルプロット） " span.en { "Died within a year: funnel plot" } }
            @if let Some(month) = outcome_month {
                p { (month_label(month)) "の認定者の1年後。 " span.en { "Persons certified in " (month_label(month)) ", a year on." } }
            }
            (funnel_section("1年以内死亡割合 Died within a year", died))
        }
    };
    page(
        &format!("{} {} | 介護情報基盤 導入状況", prefecture.name_ja, prefecture.name_en),
        "../",
        body,
        as_of,
    )
}

pub fn about(published: &Published) -> String {
    let as_of = published.as_of();
    let body = html! {
        h1 { "定義と秘匿基準 " span.en { "Definitions and suppression rules" } }
        p { "データ時点: " (month_label(as_of)) "（保険者台帳の基準年月）。公表表のダイジェスト " code { (published.digest) } }
        p.en { "Data as of the registry month above. Release digest (SHA-256 of the published cells) as shown." }
        h2 { "指標 " span.en { "Indicators" } }
        table {
            thead { tr { th { "名前 " span.en { "name" } } th { "項目 " } th.en { "definition" } th { "単位 " span.en { "unit" } } } }
            tbody {
                @for indicator in &published.indicators {
                    tr { td { code { (indicator.name) } } td { (indicator.ja) } td.en { (indicator.en) } td { (indicator.unit) } }
                }
                tr { td { code { "is_live" } } td { "利用開始済み" } td.en { "the insurer's published start date is on or before the month" } td { "insurer" } }
                tr { td { code { "coverage" } } td { "65歳以上人口カバー率" } td.en { "65+ population of live insurers / 65+ population of all insurers" } td { "%" } }
            }
        }
        h2 { "秘匿基準（平易な説明） " span.en { "Suppression rules in plain words" } }
        ul {
            li { "人数が1〜9のセルは表示しません（0は表示）。 " span.en { "A count of persons from 1 to 9 is not shown; 0 is." } }
            li { "市町村（保険者）: 人口2,000人未満は人数を一切表示せず、2万5千人未満は1〜19を表示しません。 " span.en { "For a municipality: under 2,000 people no counts at all; under 25,000 no count from 1 to 19." } }
            li { "事業所数・市町村数が1〜2のセルは表示しません。 " span.en { "A count of providers or municipalities of 1 or 2 is not shown." } }
            li { "合計や他の表から逆算できないよう、追加のセルも秘匿します（理由は区別しません）。 " span.en { "Further cells are hidden so that no hidden cell can be worked out from totals or other tables; which cells were hidden for which reason is not shown." } }
            li { "2つの数の差（認定者数−要介護3以上認定者数など）も人数であり、同じ基準で守ります。 " span.en { "The difference of two counts (persons certified minus those at level 3+, …) is a count of persons too, and is protected by the same rules." } }
            li { "秘匿したセルは「―」で示し、空欄や0にはしません。 " span.en { "A hidden cell shows as ―, never blank or 0." } }
            li { "率は分子と分母が共に表示される場合のみ表示し、分子が20未満なら * を付けます。 " span.en { "A rate is shown only where both its counts are, and marked * when its numerator is below 20." } }
        }
        h2 { "脚注 " span.en { "Footnotes" } }
        dl {
            @for (mark, note) in &published.footnotes {
                dt { (mark) } dd { (note) }
            }
        }
    };
    page("定義と秘匿基準 | Definitions and suppression rules", "", body, as_of)
}
