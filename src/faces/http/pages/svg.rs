//! Drawing: a laid-out [`Picture`] as inline SVG (boxes, curved edges, project bands), and
//! the small charts the product and status pages use (daily bars, a burn line, a run strip).

use super::graph::{Layout, Picture, Role};
use maud::{Markup, html};

const COL_W: usize = 240;
const NODE_W: usize = 196;
const NODE_H: usize = 40;
const ROW_H: usize = 54;
const TOP: usize = 34;
const LEFT: usize = 16;

/// Shortens a label to `max` characters with "…".
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn at(layout: &Layout, v: usize) -> (usize, usize) {
    (LEFT + layout.layer[v] * COL_W, TOP + layout.row[v] * ROW_H)
}

/// The picture as an `<svg>`: `data-id` on each node's group, `data-from`/`data-to` on each
/// edge; a `More` node links to the list of what it hides (`#more-…`).
pub fn picture(p: &Picture, layout: &Layout, label: &str) -> Markup {
    let width = LEFT * 2 + layout.layers.max(1) * COL_W - (COL_W - NODE_W);
    let height = TOP + layout.rows.max(1) * ROW_H + 8;
    // Project bands: each layer's run of nodes of one group, labelled at its first band.
    let mut bands: Vec<(usize, usize, &str, bool)> = Vec::new();
    let mut labelled: Vec<&str> = Vec::new();
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); layout.layers];
    for v in 0..p.nodes.len() {
        cols[layout.layer[v]].push(v);
    }
    for col in &mut cols {
        col.sort_by_key(|v| layout.row[*v]);
        let mut i = 0;
        while i < col.len() {
            let g = p.nodes[col[i]].group.as_str();
            let mut j = i;
            while j + 1 < col.len() && p.nodes[col[j + 1]].group == g {
                j += 1;
            }
            // Labelled where the group first appears, and below another group.
            let named = !labelled.contains(&g) || i > 0;
            if !labelled.contains(&g) {
                labelled.push(g);
            }
            bands.push((
                col[i],
                layout.row[col[j]] - layout.row[col[i]] + 1,
                g,
                named,
            ));
            i = j + 1;
        }
    }
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="lineage" role="img" aria-label=(label)
            width=(width) height=(height) viewBox=(format!("0 0 {width} {height}")) {
            @for (first, rows, group, named) in &bands {
                @let (x, y) = at(layout, *first);
                @let gi = labelled.iter().position(|g| g == group).unwrap_or(0);
                rect class=(format!("band g{}", gi % 6)) x=(x - 6) y=(y - 6) width=(NODE_W + 12)
                    height=(rows * ROW_H - (ROW_H - NODE_H) + 12) rx="8" {}
                @if *named {
                    text class="band-label" x=(x - 2) y=(y - 10) { (clip(group, 30)) }
                }
            }
            @for e in &p.edges {
                @let (x1, y1) = at(layout, e.from);
                @let (x2, y2) = at(layout, e.to);
                @let (sx, sy, tx, ty) = (x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2);
                @let mid = (sx + tx) / 2;
                path class=(if e.path { "edge on-path" } else { "edge" })
                    data-from=(p.nodes[e.from].id) data-to=(p.nodes[e.to].id)
                    d=(format!("M{sx},{sy} C{mid},{sy} {mid},{ty} {tx},{ty}")) {}
            }
            @for (v, n) in p.nodes.iter().enumerate() {
                @let (x, y) = at(layout, v);
                @let body = html! {
                    g class=(format!("node {}", n.role.as_str())) data-id=(n.id) data-role=(n.role.as_str()) {
                        title { (n.id) @if !n.sub.is_empty() { " · " (n.sub) } }
                        rect x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="6" {}
                        text x=(x + 8) y=(y + 16) class="label" { (clip(&n.label, 28)) }
                        text x=(x + 8) y=(y + 32) class="sub" { (clip(&n.sub, 32)) }
                    }
                };
                @if n.role == Role::More {
                    a href=(format!("#{}", more_anchor(&n.id))) { (body) }
                } @else if let Some(href) = &n.href {
                    a href=(href) { (body) }
                } @else {
                    (body)
                }
            }
        }
    }
}

/// The anchor of the list a `More` node opens.
pub fn more_anchor(id: &str) -> String {
    id.replace(':', "-")
}

/// One bar per item, coloured by its class, each with a `<title>`: the 90-day rows and the
/// pass/fail strip of a check.
pub fn bars(items: &[(String, String)], label: &str) -> Markup {
    const W: usize = 6;
    const GAP: usize = 2;
    const H: usize = 28;
    let width = (items.len() * (W + GAP)).max(1);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="bars" role="img" aria-label=(label)
            width=(width) height=(H) viewBox=(format!("0 0 {width} {H}")) {
            @for (i, (class, title)) in items.iter().enumerate() {
                rect class=(format!("bar {class}")) x=(i * (W + GAP)) y="0" width=(W) height=(H) rx="1" {
                    title { (title) }
                }
            }
        }
    }
}

/// A line of `(x, y)` points (x and y in 0..=1) with a dashed limit at y = 1.
pub fn line(points: &[(f64, f64)], label: &str) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 140.0;
    const PAD: f64 = 24.0;
    let top = points.iter().map(|p| p.1).fold(1.0f64, f64::max) * 1.1;
    let xy = |x: f64, y: f64| {
        (
            PAD + x * (W - 2.0 * PAD),
            H - PAD - y / top * (H - 2.0 * PAD),
        )
    };
    let d: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            let (px, py) = xy(*x, *y);
            format!("{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" })
        })
        .collect();
    let (lx0, ly) = xy(0.0, 1.0);
    let (lx1, _) = xy(1.0, 1.0);
    let (_, base) = xy(0.0, 0.0);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="burn" role="img" aria-label=(label)
            width=(W) height=(H) viewBox=(format!("0 0 {W} {H}")) {
            line class="axis" x1=(PAD) y1=(base) x2=(W - PAD) y2=(base) {}
            line class="limit" x1=(lx0) y1=(ly) x2=(lx1) y2=(ly) {}
            text class="sub" x=(lx0 + 4.0) y=(ly - 4.0) { "budget spent" }
            path class="burn-line" d=(d.join(" ")) {}
        }
    }
}
