//! Charts as inline SVG: a line chart of series over months, the 47-prefecture tile map and a
//! funnel plot. Plain strings, no script; numbers are formatted with a fixed precision so the
//! same release gives the same bytes.

use std::fmt::Write;

use maud::{Markup, PreEscaped};

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    maud::html! { (text) }.into_string()
}

/// An `<svg>` start tag with its accessible title.
fn open_svg(width: f64, height: f64, title: &str, class: &str) -> String {
    let title = escape(title);
    format!(
        r#"<svg class="{class}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{title}"><title>{title}</title>"#
    )
}

/// One line of a line chart.
pub struct Series<'a> {
    /// Legend.
    pub label: &'a str,
    /// CSS class of the line.
    pub class: &'a str,
    /// (YYYYMM, value).
    pub points: Vec<(u32, f64)>,
}

/// Months as positions 0..n (YYYYMM → month index).
fn month_index(month: u32) -> i64 {
    i64::from(month / 100) * 12 + i64::from(month % 100) - 1
}

/// A line chart over months with a horizontal target line.
pub fn line_chart(title: &str, series: &[Series], target: Option<(&str, f64)>) -> Markup {
    let (width, height, left, bottom, top, right) = (640.0, 260.0, 48.0, 28.0, 12.0, 150.0);
    let months: Vec<u32> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let (first, last) = (
        months.iter().map(|m| month_index(*m)).min().unwrap_or(0),
        months.iter().map(|m| month_index(*m)).max().unwrap_or(1),
    );
    let maximum = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(target.map(|t| t.1))
        .fold(1.0_f64, f64::max);
    let x = |month: u32| {
        left + (month_index(month) - first) as f64 / ((last - first).max(1)) as f64 * (width - left - right)
    };
    let y = |value: f64| top + (1.0 - value / maximum) * (height - top - bottom);
    let mut svg = open_svg(width, height, title, "");
    // Axes: 0 and the maximum; a tick each April.
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">0</text><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{}</text>"#,
        y(0.0),
        width - right,
        y(0.0),
        left - 4.0,
        y(0.0) + 4.0,
        left - 4.0,
        y(maximum) + 4.0,
        maximum.round()
    );
    for index in first..=last {
        if index % 12 == 3 {
            let month = (index / 12) as u32 * 100 + (index % 12) as u32 + 1;
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="middle">FY{}</text>"#,
                x(month),
                height - 8.0,
                index / 12
            );
        }
    }
    if let Some((label, value)) = target {
        let _ = write!(
            svg,
            r#"<line class="target" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            y(value),
            width - right,
            y(value),
            width - right + 6.0,
            y(value) + 4.0,
            escape(label)
        );
    }
    for (row, line) in series.iter().enumerate() {
        let points: Vec<String> = line
            .points
            .iter()
            .map(|(month, value)| format!("{:.1},{:.1}", x(*month), y(*value)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="{}" fill="none" points="{}"/><text x="{:.1}" y="{:.1}" class="legend {}">{}</text>"#,
            line.class,
            points.join(" "),
            width - right + 6.0,
            top + 14.0 + row as f64 * 16.0 + 40.0,
            line.class,
            escape(line.label)
        );
    }
    svg.push_str("</svg>");
    PreEscaped(svg)
}

/// Tile positions (row, column) by JIS code − 1: Hokkaido top right, Okinawa bottom left, the
/// main islands in between roughly where they lie.
pub const TILES: [(u8, u8); 47] = [
    (0, 12),
    (1, 12),
    (2, 12),
    (3, 12),
    (2, 11),
    (3, 11),
    (4, 12),
    (5, 11),
    (4, 11),
    (4, 10),
    (5, 10),
    (6, 11),
    (6, 10),
    (6, 9),
    (3, 10),
    (3, 9),
    (3, 8),
    (3, 7),
    (5, 9),
    (4, 9),
    (4, 8),
    (6, 8),
    (5, 8),
    (6, 7),
    (4, 7),
    (4, 6),
    (5, 6),
    (4, 5),
    (5, 7),
    (6, 6),
    (4, 4),
    (4, 3),
    (5, 5),
    (5, 4),
    (5, 3),
    (7, 5),
    (6, 5),
    (6, 4),
    (7, 4),
    (5, 2),
    (5, 1),
    (6, 1),
    (6, 2),
    (6, 3),
    (7, 3),
    (7, 2),
    (9, 0),
];

/// One tile: its code, short label, value (None: no insurer in the data) and link.
pub struct Tile {
    /// JIS code.
    pub code: u8,
    /// Short name.
    pub label: String,
    /// Coverage (%), None without insurers.
    pub value: Option<f64>,
    /// Link to the prefecture's page.
    pub href: String,
}

/// The colour class of a coverage percentage.
pub fn coverage_class(value: Option<f64>) -> &'static str {
    match value {
        None => "c-none",
        Some(v) if v <= 0.0 => "c0",
        Some(v) if v < 25.0 => "c1",
        Some(v) if v < 50.0 => "c2",
        Some(v) if v < 75.0 => "c3",
        Some(_) => "c4",
    }
}

/// The tile map; every tile links to its prefecture's page.
pub fn tile_map(title: &str, tiles: &[Tile]) -> Markup {
    let size = 46.0;
    let mut svg = open_svg(13.0 * size, 10.0 * size, title, "tiles");
    for tile in tiles {
        let (row, column) = TILES[usize::from(tile.code) - 1];
        let (x, y) = (f64::from(column) * size, f64::from(row) * size);
        let shown = tile.value.map_or("―".to_string(), |v| format!("{v:.0}%"));
        let _ = write!(
            svg,
            r#"<a href="{}" data-prefecture="{:02}"><rect class="{}" x="{x:.0}" y="{y:.0}" width="{:.0}" height="{:.0}" rx="4"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" text-anchor="middle" class="tile-label">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" class="tile-value">{}</text></a>"#,
            escape(&tile.href),
            tile.code,
            coverage_class(tile.value),
            size - 3.0,
            size - 3.0,
            escape(&tile.label),
            shown,
            x + (size - 3.0) / 2.0,
            y + 18.0,
            escape(&tile.label),
            x + (size - 3.0) / 2.0,
            y + 34.0,
            shown
        );
    }
    svg.push_str("</svg>");
    PreEscaped(svg)
}

/// A point of a funnel plot: a label, the denominator and the proportion (0–1).
pub struct FunnelPoint {
    /// Hover label.
    pub label: String,
    /// Denominator (x).
    pub denominator: f64,
    /// Proportion, 0–1 (y).
    pub proportion: f64,
}

/// A funnel plot of proportions against their denominators, with the national proportion and
/// its 95 % and 99.8 % control limits (binomial, normal approximation).
pub fn funnel_plot(title: &str, national: f64, points: &[FunnelPoint]) -> Markup {
    let (width, height, left, bottom, top, right) = (640.0, 300.0, 48.0, 32.0, 12.0, 12.0);
    let largest = points.iter().map(|p| p.denominator).fold(10.0_f64, f64::max) * 1.05;
    let x = |n: f64| left + n / largest * (width - left - right);
    let y = |p: f64| top + (1.0 - p) * (height - top - bottom);
    let mut svg = open_svg(width, height, title, "");
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{:.1}"/>"#,
        y(0.0),
        width - right,
        y(0.0),
        y(0.0)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{:.0}%</text>"#,
            left - 4.0,
            y(tick) + 4.0,
            tick * 100.0
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">n = {:.0}</text>"#,
        width - right,
        height - 6.0,
        largest
    );
    let _ = write!(
        svg,
        r#"<line class="target" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        y(national),
        width - right,
        y(national)
    );
    for (z, class) in [(1.96, "limit95"), (3.09, "limit998")] {
        for sign in [-1.0, 1.0] {
            let points: Vec<String> = (1..=60)
                .map(|step| {
                    let n = largest * f64::from(step) / 60.0;
                    let limit = (national + sign * z * (national * (1.0 - national) / n).sqrt()).clamp(0.0, 1.0);
                    format!("{:.1},{:.1}", x(n), y(limit))
                })
                .collect();
            let _ = write!(
                svg,
                r#"<polyline class="{class}" fill="none" points="{}"/>"#,
                points.join(" ")
            );
        }
    }
    for point in points {
        let _ = write!(
            svg,
            r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="4"><title>{}: {:.1}% (n = {:.0})</title></circle>"#,
            x(point.denominator),
            y(point.proportion),
            escape(&point.label),
            point.proportion * 100.0,
            point.denominator
        );
    }
    svg.push_str("</svg>");
    PreEscaped(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefecture_has_its_own_tile_hokkaido_top_right_okinawa_bottom_left() {
        let mut positions = TILES.to_vec();
        positions.sort_unstable();
        positions.dedup();
        assert_eq!(positions.len(), 47);
        let (rows, columns) = (
            TILES.iter().map(|t| t.0).max().unwrap(),
            TILES.iter().map(|t| t.1).max().unwrap(),
        );
        assert_eq!(TILES[0], (0, columns));
        assert_eq!(TILES[46], (rows, 0));
    }
}
