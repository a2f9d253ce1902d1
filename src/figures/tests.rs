use super::*;
use crate::library;

fn all_drawings() -> Vec<(String, Vec<Drawing>)> {
    let lib = match library::load() {
        Ok(lib) => lib,
        Err(e) => panic!("built-in library should load: {e}"),
    };
    lib.exercise
        .iter()
        .map(|e| (e.slug.clone(), draw_exercise(&e.name, &e.figure)))
        .collect()
}

#[test]
fn every_built_in_exercise_has_at_least_two_drawn_positions() {
    let all = all_drawings();
    assert_eq!(all.len(), 36);
    for (slug, drawings) in &all {
        assert!(
            drawings.len() >= 2,
            "`{slug}` has {} figures",
            drawings.len()
        );
        for d in drawings {
            assert!(
                !d.label.trim().is_empty(),
                "`{slug}` has an unlabelled figure"
            );
            // A person: a head, a torso and limbs, not an empty frame.
            let body_shapes = d
                .shapes
                .iter()
                .filter(|s| match s {
                    Shape::Stroke { tone, .. } | Shape::Disc { tone, .. } => *tone == Tone::Body,
                    Shape::Polygon { fill, .. } => *fill == Tone::Body,
                })
                .count();
            assert!(body_shapes >= 4, "`{slug}` {} draws no figure", d.label);
            assert!(
                library::figures_for(slug).is_some_and(|f| f.svgs.len() == drawings.len()),
                "`{slug}` is missing from the drawn set"
            );
        }
    }
}

#[test]
fn no_figure_leaves_its_frame() {
    for (slug, drawings) in all_drawings() {
        for d in &drawings {
            for shape in &d.shapes {
                let b = shape.extent();
                assert!(
                    b.min.0 >= 0.0 && b.min.1 >= 0.0 && b.max.0 <= FRAME_W && b.max.1 <= FRAME_H,
                    "`{slug}` {}: {shape:?} reaches {b:?}, outside 0 0 {FRAME_W} {FRAME_H}",
                    d.label
                );
            }
        }
    }
}

#[test]
fn the_figure_fills_its_frame_rather_than_a_corner_of_it() {
    for (slug, drawings) in all_drawings() {
        let b = drawings
            .iter()
            .flat_map(|d| d.shapes.iter())
            .fold(Bounds::empty(), |b, s| b.union(s.extent()));
        let (w, h) = (b.max.0 - b.min.0, b.max.1 - b.min.1);
        assert!(
            w >= (FRAME_W - 2.0 * FRAME_MARGIN) * 0.98
                || h >= (FRAME_H - 2.0 * FRAME_MARGIN) * 0.98,
            "`{slug}` uses {w} × {h} of its frame"
        );
    }
}

#[test]
fn svg_is_well_formed_and_self_contained() {
    for (slug, drawings) in all_drawings() {
        for d in &drawings {
            let svg = svg(d);
            let doc = match roxmltree::Document::parse(&svg) {
                Ok(doc) => doc,
                Err(e) => panic!("`{slug}` {}: SVG does not parse: {e}", d.label),
            };
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(
                root.attribute("viewBox"),
                Some(format!("0 0 {FRAME_W} {FRAME_H}").as_str())
            );
            let title = root
                .children()
                .find(|n| n.is_element())
                .filter(|n| n.tag_name().name() == "title")
                .and_then(|n| n.text());
            assert_eq!(title, Some(d.title.as_str()), "`{slug}`: title first");
            for node in doc.descendants().filter(|n| n.is_element()) {
                let tag = node.tag_name().name();
                assert!(
                    ["svg", "title", "polyline", "polygon", "circle"].contains(&tag),
                    "`{slug}`: unexpected <{tag}>"
                );
                for attr in node.attributes() {
                    let name = attr.name().to_ascii_lowercase();
                    assert!(!name.starts_with("on"), "`{slug}`: event attribute {name}");
                    assert!(!name.contains("href"), "`{slug}`: reference {name}");
                    assert!(!attr.value().contains("url("), "`{slug}`: url() in {name}");
                }
            }
            assert!(!svg.contains("<script"));
        }
    }
}

#[test]
fn titles_are_escaped() {
    let spec = FigureSpec {
        label: "Start".into(),
        view: View::Side,
        props: vec![],
        arrow: None,
        rest_on: vec![],
        pose: Pose::default(),
    };
    let drawings = draw_exercise("Tom & Jerry <b>", &[spec.clone(), spec]);
    let svg = svg(&drawings[0]);
    assert!(
        svg.contains("<title>Tom &amp; Jerry &lt;b&gt;: Start</title>"),
        "{svg}"
    );
    assert!(roxmltree::Document::parse(&svg).is_ok());
}

#[test]
fn a_standing_figure_stands_on_the_floor_and_a_seated_one_on_its_chair_seat() {
    let standing = FigureSpec {
        label: "Stand".into(),
        view: View::Side,
        props: vec![],
        arrow: None,
        rest_on: vec![],
        pose: Pose::default(),
    };
    let posed = body::pose(&standing);
    let lowest = posed
        .shapes
        .iter()
        .fold(Bounds::empty(), |b, s| b.union(s.extent()))
        .min
        .1;
    assert!(lowest.abs() < 0.01, "feet at {lowest}, floor at 0");
    // Standing upright: the head is the highest point, the feet the lowest.
    assert!(posed.joints.head.1 > posed.joints.pelvis.1 + 40.0);

    let seated = FigureSpec {
        label: "Sit".into(),
        view: View::Side,
        props: vec!["chair".into()],
        arrow: None,
        rest_on: vec![],
        pose: Pose {
            near_leg: vec![90.0, 90.0, 0.0],
            ..Pose::default()
        },
    };
    let posed = body::pose(&seated);
    // The knee is level with the hip and the foot below the knee.
    assert!((posed.joints.near_knee.1 - posed.joints.pelvis.1).abs() < 0.5);
    assert!(posed.joints.near_knee.0 > posed.joints.pelvis.0 + 40.0);
    assert!(posed.joints.near_ankle.1 < posed.joints.near_knee.1 - 40.0);
}

#[test]
fn validation_refuses_impossible_angles_unknown_props_and_arrows() {
    let mut spec = FigureSpec {
        label: "Start".into(),
        view: View::Side,
        props: vec!["chair".into()],
        arrow: Some("near-hand".into()),
        rest_on: vec![],
        pose: Pose::default(),
    };
    assert_eq!(spec.validate(), Ok(()));
    spec.pose.near_leg = vec![0.0, 175.0];
    let err = spec.validate().err().unwrap_or_default();
    assert!(err.contains("knee flexion is 175"), "{err}");
    spec.pose.near_leg = vec![];
    spec.pose.far_arm = Some(vec![0.0, -20.0]);
    let err = spec.validate().err().unwrap_or_default();
    assert!(err.contains("far_arm: elbow flexion is -20"), "{err}");
    spec.pose.far_arm = None;
    spec.props.push("trampoline".into());
    let err = spec.validate().err().unwrap_or_default();
    assert!(err.contains("prop `trampoline`"), "{err}");
    spec.props.pop();
    spec.arrow = Some("left-ear".into());
    let err = spec.validate().err().unwrap_or_default();
    assert!(err.contains("arrow `left-ear`"), "{err}");
    spec.arrow = Some("spin:near-shoulder".into());
    assert_eq!(spec.validate(), Ok(()));
}
