//! Line charts as inline SVG, drawn here rather than by a script: the report then opens
//! anywhere, offline, with nothing to run, nothing to break and nothing to inject into.

use std::fmt::Write as _;

use super::escape;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 32.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// One line of a chart.
pub(super) struct Series<'a> {
    /// Shown in the legend.
    pub name: &'a str,
    /// A CSS colour.
    pub colour: &'a str,
    /// (x, y) points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// How an axis labels its values.
pub(super) type Label = fn(f64) -> String;

/// A chart of `series` as an `<svg>` element, titled for screen readers.
pub(super) fn line_chart(title: &str, series: &[Series<'_>], x: Label, y: Label) -> String {
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut x_min, mut x_max, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY, 0.0_f64);
    for &(px, py) in points {
        x_min = x_min.min(px);
        x_max = x_max.max(px);
        y_max = y_max.max(py);
    }
    if !x_min.is_finite() {
        return format!(r#"<p class="empty">{}: no data</p>"#, escape(title));
    }
    if x_max <= x_min {
        x_max = x_min + 1.0;
    }
    let y_max = nice_ceiling(y_max);
    let scale_x = |v: f64| LEFT + (v - x_min) / (x_max - x_min) * (WIDTH - LEFT - RIGHT);
    let scale_y = |v: f64| HEIGHT - BOTTOM - v / y_max * (HEIGHT - TOP - BOTTOM);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    for i in 0..=4 {
        let v = y_max * f64::from(i) / 4.0;
        let py = scale_y(v);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            py + 4.0,
            escape(&y(v))
        );
    }
    // Whole steps where the range is small (seconds, nines), so no label repeats.
    let steps = (x_max - x_min).round().clamp(1.0, 6.0) as u32;
    for i in 0..=steps {
        let v = x_min + (x_max - x_min) * f64::from(i) / f64::from(steps);
        let px = scale_x(v);
        let _ = write!(
            svg,
            r#"<text class="tick" x="{px:.1}" y="{}" text-anchor="middle">{}</text>"#,
            HEIGHT - BOTTOM + 18.0,
            escape(&x(v))
        );
    }
    for s in series {
        let path: Vec<String> = s
            .points
            .iter()
            .map(|&(px, py)| format!("{:.1},{:.1}", scale_x(px), scale_y(py)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="line" fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            escape(s.colour),
            path.join(" "),
            escape(s.name)
        );
    }
    svg.push_str("</svg>");
    svg.push_str(&legend(series));
    svg
}

fn legend(series: &[Series<'_>]) -> String {
    let items: Vec<String> = series
        .iter()
        .map(|s| {
            format!(
                r#"<span class="key"><span class="swatch" style="background:{}"></span>{}</span>"#,
                escape(s.colour),
                escape(s.name)
            )
        })
        .collect();
    format!(r#"<div class="legend">{}</div>"#, items.join(""))
}

/// 1, 2 or 5 times a power of ten, at least `v` (1 for nothing).
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * power)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        let table = [
            (0.0, 1.0),
            (0.7, 1.0),
            (3.2, 5.0),
            (120.0, 200.0),
            (999.0, 1000.0),
        ];
        for (v, want) in table {
            assert!(
                (nice_ceiling(v) - want).abs() < 1e-9,
                "{v}: {}",
                nice_ceiling(v)
            );
        }
    }

    #[test]
    fn a_chart_is_svg_with_escaped_names_and_one_line_per_series() {
        let series = [Series {
            name: "<b>p99</b>",
            colour: "#c00",
            points: vec![(1.0, 5.0), (2.0, 7.0)],
        }];
        let svg = line_chart(
            "Latency & more",
            &series,
            |v| format!("{v:.0}s"),
            |v| format!("{v:.0}"),
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title>Latency &amp; more</title>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("&lt;b&gt;p99&lt;/b&gt;") && !svg.contains("<b>"));
        let empty = line_chart("x", &[], |v| v.to_string(), |v| v.to_string());
        assert!(empty.contains("no data"));
    }
}
