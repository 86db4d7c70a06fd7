//! The grid map as inline SVG, drawn on the server: one path per grid coloured by the
//! medical group that serves it, a label per grid, the institutions as dots sized and
//! coloured by level (leads ringed), and a legend in HTML beside it.
//!
//! The projection is equirectangular with longitudes scaled by the cosine of the middle
//! latitude: over a city (tens of km) its distortion is far below a pixel's worth, and it
//! needs no projection library. Nothing is simplified: a city's grids have a few
//! thousand to some tens of thousands of vertices, which SVG draws without effort.

use super::{Overview, escape};
use crate::i18n::{Label, kind_name, level_name};
use geo_types::{LineString, MultiPolygon};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use yilian_domain::policy::Lang;
use yilian_domain::registry::Consortium;

/// Width of the drawing in SVG user units; the height follows the city's shape.
const MAP_WIDTH: f64 = 800.0;
/// Margin around the city, in user units.
const MAP_PAD: f64 = 12.0;
/// Fill of a grid no group serves.
const NO_GROUP_FILL: &str = "#e6e6e6";

/// Fills of the first medical groups: a qualitative palette (ColorBrewer Set3 without its
/// grey, which would read as "no group"), every colour light enough that black labels
/// keep a contrast above 7:1.
const GROUP_FILLS: [&str; 11] = [
    "#8dd3c7", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#bebada", "#fccde5", "#ffed6f",
    "#bc80bd", "#ccebc5", "#ffffb3",
];

/// Fill of the `k`-th medical group: the palette, then hues a golden angle apart, so
/// that a city with more groups than the palette still gets distinct neighbours.
fn group_fill(k: usize) -> String {
    match GROUP_FILLS.get(k) {
        Some(c) => (*c).to_owned(),
        None => {
            let hue = (k as f64 * 137.508) % 360.0;
            format!("hsl({hue:.0} 60% 78%)")
        }
    }
}

/// Dot radius and fill by level.
fn dot_style(level: u8) -> (f64, &'static str) {
    match level {
        3 => (5.5, "#9b1c31"),
        2 => (4.0, "#c4501b"),
        1 => (3.0, "#1f6aa5"),
        _ => (2.5, "#5c5c5c"),
    }
}

/// Lon/lat to SVG user units.
struct Projection {
    lon_min: f64,
    lat_max: f64,
    /// cos(middle latitude): a degree of longitude is this much of a degree of latitude.
    kx: f64,
    /// User units per degree of latitude.
    scale: f64,
    height: f64,
}

impl Projection {
    /// Fits the box `[lon_min, lon_max] × [lat_min, lat_max]` into [`MAP_WIDTH`].
    fn fit(lon_min: f64, lon_max: f64, lat_min: f64, lat_max: f64) -> Projection {
        let kx = ((lat_min + lat_max) / 2.0).to_radians().cos();
        let span = ((lon_max - lon_min) * kx).max(1e-9);
        let scale = (MAP_WIDTH - 2.0 * MAP_PAD) / span;
        let height = (lat_max - lat_min) * scale + 2.0 * MAP_PAD;
        Projection {
            lon_min,
            lat_max,
            kx,
            scale,
            height,
        }
    }
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            MAP_PAD + (lon - self.lon_min) * self.kx * self.scale,
            MAP_PAD + (self.lat_max - lat) * self.scale,
        )
    }
}

/// The bounding box of every ring of `shapes` and every point of `points`.
fn bounds<'a>(
    shapes: impl Iterator<Item = &'a MultiPolygon<f64>>,
    points: impl Iterator<Item = (f64, f64)>,
) -> Option<(f64, f64, f64, f64)> {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    let mut add = |x: f64, y: f64| {
        b = Some(match b {
            None => (x, x, y, y),
            Some((x0, x1, y0, y1)) => (x0.min(x), x1.max(x), y0.min(y), y1.max(y)),
        });
    };
    for mp in shapes {
        for p in &mp.0 {
            for c in &p.exterior().0 {
                add(c.x, c.y);
            }
        }
    }
    for (x, y) in points {
        add(x, y);
    }
    b
}

/// The path data of a multipolygon, every ring closed; holes cut by `fill-rule: evenodd`.
fn path_data(p: &Projection, mp: &MultiPolygon<f64>) -> String {
    let mut d = String::new();
    let mut ring = |ls: &LineString<f64>| {
        for (k, c) in ls.0.iter().enumerate() {
            let (x, y) = p.xy(c.x, c.y);
            let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { 'M' } else { 'L' });
        }
        d.push('Z');
    };
    for poly in &mp.0 {
        ring(poly.exterior());
        for hole in poly.interiors() {
            ring(hole);
        }
    }
    d
}

/// Largest label font, in user units.
const LABEL_SIZE_MAX: f64 = 13.0;
/// Smallest label font: below this a label is unreadable anyway.
const LABEL_SIZE_MIN: f64 = 7.0;

/// Where to put a grid's label and how large: the area centroid of its largest part's
/// outer ring (the mean of the vertices when the ring has no area), in user units, and a
/// font size that fits `chars` characters into the part's width, so that the labels of
/// small inner-city grids do not run into each other.
fn label_at(p: &Projection, mp: &MultiPolygon<f64>, chars: usize) -> Option<(f64, f64, f64)> {
    let mut best: Option<(f64, f64, f64, f64)> = None;
    for poly in &mp.0 {
        let pts: Vec<(f64, f64)> = poly.exterior().0.iter().map(|c| p.xy(c.x, c.y)).collect();
        if pts.is_empty() {
            continue;
        }
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for w in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let cross = x0 * y1 - x1 * y0;
            a += cross;
            cx += (x0 + x1) * cross;
            cy += (y0 + y1) * cross;
        }
        let (x, y) = if a.abs() > 1e-9 {
            (cx / (3.0 * a), cy / (3.0 * a))
        } else {
            let n = pts.len() as f64;
            (
                pts.iter().map(|q| q.0).sum::<f64>() / n,
                pts.iter().map(|q| q.1).sum::<f64>() / n,
            )
        };
        let (lo, hi) = pts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), q| {
            (lo.min(q.0), hi.max(q.0))
        });
        if best.is_none_or(|b| a.abs() > b.0) {
            best = Some((a.abs(), x, y, hi - lo));
        }
    }
    best.map(|(_, x, y, width)| {
        // a CJK glyph is about one em wide; keep a little margin on each side
        let size = (0.85 * width / chars.max(1) as f64).clamp(LABEL_SIZE_MIN, LABEL_SIZE_MAX);
        (x, y, size)
    })
}

/// Writes the map section: heading, SVG and legend.
pub(super) fn render(out: &mut String, v: &Overview<'_>) {
    let lang = v.lang;
    let t = |l: Label| l.text(lang);
    let _ = write!(
        out,
        "<section class=\"map\" aria-labelledby=\"map-h\">\n<h2 id=\"map-h\">{}</h2>\n",
        t(Label::MapHeading)
    );
    let grids: Vec<_> = v
        .reg
        .grids
        .iter()
        .filter(|g| g.validity.contains(v.day))
        .collect();
    let located = || {
        v.reg
            .institutions
            .iter()
            .filter_map(|i| i.location.map(|l| (i, l)))
    };
    let Some((x0, x1, y0, y1)) = bounds(
        grids.iter().map(|g| &g.geometry),
        located().map(|(_, l)| (l.lon(), l.lat())),
    ) else {
        let _ = write!(
            out,
            "<p class=\"muted\">{}</p>\n</section>\n",
            t(Label::NoGrids)
        );
        return;
    };
    let proj = Projection::fit(x0, x1, y0, y1);

    // the groups that colour the map: grid consortia, in id order
    let groups: Vec<&Consortium> = v
        .reg
        .consortia
        .iter()
        .filter(|c| c.kind.serves_grid() && c.grid_id.is_some())
        .collect();
    let fill_of: BTreeMap<&str, String> = groups
        .iter()
        .enumerate()
        .map(|(k, c)| (c.id.as_str(), group_fill(k)))
        .collect();
    let leads: BTreeSet<&str> = v.reg.consortia.iter().map(|c| c.lead.as_str()).collect();

    let _ = write!(
        out,
        "<svg class=\"grid-map\" viewBox=\"0 0 {MAP_WIDTH:.0} {h:.0}\" role=\"img\" aria-labelledby=\"map-title map-desc\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <title id=\"map-title\">{title}</title>\n<desc id=\"map-desc\">{desc}</desc>\n<g class=\"grids\">\n",
        h = proj.height,
        title = t(Label::MapHeading),
        desc = t(Label::MapDescription),
    );
    for g in &grids {
        let group = crate::dto::registry::grid_group(v.reg, &g.id);
        let fill = group
            .and_then(|c| fill_of.get(c.id.as_str()))
            .map_or(NO_GROUP_FILL, String::as_str);
        let residents = v.residents_per_grid.get(&g.id).copied().unwrap_or(0);
        let group_name = group.map_or_else(|| t(Label::NoGroup).to_owned(), |c| c.name.clone());
        let title = match lang {
            Lang::Zh => format!(
                "{}（{}）· {} · {} {residents}",
                g.name,
                g.id,
                group_name,
                t(Label::Residents)
            ),
            Lang::En => format!(
                "{} ({}) · {} · {} {residents}",
                g.name,
                g.id,
                group_name,
                t(Label::Residents)
            ),
        };
        let _ = writeln!(
            out,
            "<path class=\"grid\" data-grid=\"{id}\" fill=\"{fill}\" d=\"{d}\"><title>{title}</title></path>",
            id = escape(g.id.as_str()),
            d = path_data(&proj, &g.geometry),
            title = escape(&title),
        );
    }
    out.push_str("</g>\n<g class=\"institutions\">\n");
    let mut dots: Vec<_> = located().collect();
    // lower levels first, so tier-3 hospitals are drawn on top
    dots.sort_by_key(|(i, _)| (i.level, i.id.clone()));
    for (i, at) in dots {
        let (r, fill) = dot_style(i.level.get());
        let (x, y) = proj.xy(at.lon(), at.lat());
        let lead = leads.contains(i.id.as_str());
        let title = match (lang, lead) {
            (Lang::Zh, false) => format!(
                "{}（{}，{}）",
                i.name,
                kind_name(i.kind, lang),
                level_name(i.level.get(), lang)
            ),
            (Lang::Zh, true) => format!(
                "{}（{}，{}，{}）",
                i.name,
                kind_name(i.kind, lang),
                level_name(i.level.get(), lang),
                t(Label::LeadHospital)
            ),
            (Lang::En, false) => format!(
                "{} ({}, {})",
                i.name,
                kind_name(i.kind, lang),
                level_name(i.level.get(), lang)
            ),
            (Lang::En, true) => format!(
                "{} ({}, {}, {})",
                i.name,
                kind_name(i.kind, lang),
                level_name(i.level.get(), lang),
                t(Label::LeadHospital).to_lowercase()
            ),
        };
        let _ = write!(
            out,
            "<g class=\"inst level-{}{}\">",
            i.level.get(),
            if lead { " lead" } else { "" }
        );
        if lead {
            let _ = write!(
                out,
                "<circle class=\"lead-ring\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\"/>",
                r + 2.5
            );
        }
        let _ = writeln!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{fill}\"/><title>{}</title></g>",
            escape(&title)
        );
    }
    out.push_str("</g>\n<g class=\"labels\" aria-hidden=\"true\">\n");
    for g in &grids {
        if let Some((x, y, size)) = label_at(&proj, &g.geometry, g.name.chars().count()) {
            let _ = writeln!(
                out,
                "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size:.1}\" text-anchor=\"middle\">{}</text>",
                escape(&g.name)
            );
        }
    }
    out.push_str("</g>\n</svg>\n");
    legend(out, v, &groups, &fill_of);
    out.push_str("</section>\n");
}

/// The legend: the medical groups with their colours, the levels, the lead mark.
fn legend(
    out: &mut String,
    v: &Overview<'_>,
    groups: &[&Consortium],
    fill_of: &BTreeMap<&str, String>,
) {
    let lang = v.lang;
    let t = |l: Label| l.text(lang);
    let _ = write!(
        out,
        "<div class=\"legend\" role=\"group\" aria-labelledby=\"legend-h\">\n<h3 id=\"legend-h\">{}</h3>\n<h4>{}</h4>\n<ul class=\"groups\">\n",
        t(Label::Legend),
        t(Label::MedicalGroups)
    );
    for c in groups {
        let fill = fill_of
            .get(c.id.as_str())
            .map_or(NO_GROUP_FILL, String::as_str);
        let grid = c
            .grid_id
            .as_ref()
            .and_then(|g| v.reg.grid(g))
            .map_or_else(String::new, |g| g.name.clone());
        let _ = writeln!(
            out,
            "<li><span class=\"swatch\" style=\"background:{fill}\"></span>{} <span class=\"muted\">{}</span></li>",
            escape(&c.name),
            escape(&grid)
        );
    }
    let _ = writeln!(
        out,
        "<li><span class=\"swatch\" style=\"background:{NO_GROUP_FILL}\"></span>{}</li>",
        t(Label::NoGroup)
    );
    let _ = write!(
        out,
        "</ul>\n<h4>{}</h4>\n<ul class=\"levels\">\n",
        t(Label::Levels)
    );
    for level in [3u8, 2, 1, 0] {
        let (r, fill) = dot_style(level);
        let _ = writeln!(
            out,
            "<li><svg class=\"dot\" viewBox=\"0 0 16 16\" aria-hidden=\"true\"><circle cx=\"8\" cy=\"8\" r=\"{r}\" fill=\"{fill}\"/></svg>{}</li>",
            level_name(level, lang)
        );
    }
    let _ = write!(
        out,
        "<li><svg class=\"dot\" viewBox=\"0 0 16 16\" aria-hidden=\"true\"><circle class=\"lead-ring\" cx=\"8\" cy=\"8\" r=\"6.5\"/>\
         <circle cx=\"8\" cy=\"8\" r=\"3.5\" fill=\"{}\"/></svg>{}</li>\n</ul>\n</div>\n",
        dot_style(3).1,
        t(Label::LeadHospital)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn projection_keeps_north_up_and_scales_longitude() {
        let p = Projection::fit(106.0, 107.0, 29.0, 30.0);
        let (x0, y0) = p.xy(106.0, 30.0);
        let (x1, y1) = p.xy(107.0, 29.0);
        assert!((x0 - MAP_PAD).abs() < 1e-9 && (y0 - MAP_PAD).abs() < 1e-9);
        assert!((x1 - (MAP_WIDTH - MAP_PAD)).abs() < 1e-9);
        // a degree of longitude at 29.5° is cos(29.5°) ≈ 0.87 of a degree of latitude
        let ratio = (x1 - x0) / (y1 - y0);
        assert!((ratio - 29.5f64.to_radians().cos()).abs() < 1e-9);
    }

    #[test]
    fn square_label_sits_in_the_middle() {
        let p = Projection::fit(0.0, 1.0, 0.0, 1.0);
        let mp = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)],
        ]);
        let (x, y, size) = label_at(&p, &mp, 6).expect("a point");
        let (cx, cy) = p.xy(0.5, 0.5);
        assert!((x - cx).abs() < 1e-6 && (y - cy).abs() < 1e-6);
        assert!(
            (size - LABEL_SIZE_MAX).abs() < 1e-9,
            "a wide grid gets the full size"
        );
        let (_, _, tiny) = label_at(&p, &mp, 500).expect("a point");
        assert!((tiny - LABEL_SIZE_MIN).abs() < 1e-9);
        assert!(path_data(&p, &mp).starts_with('M') && path_data(&p, &mp).ends_with('Z'));
    }
}
