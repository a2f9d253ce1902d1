//! What the library file says about a figure: the view, the joint angles, the props and
//! the movement arrow. Checked here so a typo in the data stops the build's tests, not a
//! patient's sheet.

use serde::Deserialize;

/// Where the figure is seen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    /// From the side, facing right: bends forward and back read best.
    Side,
    /// From the front: side bends, arm raises out to the side, head tilts.
    Front,
    /// From above, for a figure lying on the floor: knees dropping sideways, arms in a T.
    Top,
}

/// One key position of an exercise, as written in the library file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    /// "Start", "End", or the name of a key position.
    pub label: String,
    pub view: View,
    #[serde(default)]
    pub props: Vec<String>,
    /// `near-hand` (the joint's path to the other position), `spin:near-shoulder` (a circle
    /// around a joint) or `turn-left` / `turn-right` (a twist of the upper body).
    #[serde(default)]
    pub arrow: Option<String>,
    /// Two joints that both rest on the ground (hands and knees on all fours): the
    /// figure is tipped as a whole until they are level, then stood on them.
    #[serde(default)]
    pub rest_on: Vec<String>,
    pub pose: Pose,
}

/// Joint angles in degrees.
///
/// Side view: the figure faces right. `trunk` is the lean of the line from pelvis to neck
/// from upright (forward positive: 90 is face down, -90 face up); `spine` rounds the back
/// (positive) or arches it, half below the middle of the back and half above; `neck` nods the head. Arms are `[shoulder flexion, elbow flexion,
/// out to the side]`, legs `[hip flexion, knee flexion, ankle]` (ankle: toes up positive).
/// "Near" limbs are drawn dark, "far" ones light; a far limb left out copies the near one.
///
/// Front and top views: `trunk` leans sideways, `spine` bends sideways, `neck` tilts the
/// head, `twist` turns the shoulders, `bow` tips the trunk toward the viewer. Arms are
/// `[abduction, elbow turn, forward flexion]`, legs `[abduction, hip flexion, knee
/// flexion]`; "near" is the figure's side on the right of the picture.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pose {
    #[serde(default)]
    pub trunk: f32,
    #[serde(default)]
    pub spine: f32,
    #[serde(default)]
    pub neck: f32,
    #[serde(default)]
    pub twist: f32,
    #[serde(default)]
    pub bow: f32,
    /// Shoulder blades up (positive) or down, in body units.
    #[serde(default)]
    pub shrug: f32,
    /// Shoulder blades forward (positive) or drawn back, in body units.
    #[serde(default)]
    pub reach: f32,
    #[serde(default)]
    pub near_arm: Vec<f32>,
    #[serde(default)]
    pub far_arm: Option<Vec<f32>>,
    #[serde(default)]
    pub near_leg: Vec<f32>,
    #[serde(default)]
    pub far_leg: Option<Vec<f32>>,
}

/// Props a figure can use. Several are drawn differently by view (a chair seen from the
/// side has its backrest behind the figure; from the front, behind its shoulders).
pub const PROPS: &[&str] = &[
    "mat",
    "chair",
    "chair-sideways",
    "wall",
    "wall-beside",
    "doorway",
    "bench",
    "foam-roller",
    "towel",
    "resistance-band",
    "dumbbells",
    "massage-balls",
];

/// Joints an arrow may follow from one position to the other.
pub const ARROW_JOINTS: &[&str] = &[
    "head",
    "back",
    "pelvis",
    "near-shoulder",
    "near-elbow",
    "near-hand",
    "far-hand",
    "near-knee",
    "far-knee",
    "near-foot",
    "far-foot",
];

/// The movement arrow drawn on a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrow {
    /// From the joint's place here toward its place in the neighbouring position.
    Path(&'static str),
    /// A circle around the joint.
    Spin(&'static str),
    /// The upper body turning; `true` turns toward the right of the picture.
    Turn(bool),
}

impl Arrow {
    pub fn parse(text: &str) -> Option<Arrow> {
        let joint = |name: &str| ARROW_JOINTS.iter().copied().find(|j| *j == name);
        match text {
            "turn-left" => Some(Arrow::Turn(false)),
            "turn-right" => Some(Arrow::Turn(true)),
            _ => match text.strip_prefix("spin:") {
                Some(name) => joint(name).map(Arrow::Spin),
                None => joint(text).map(Arrow::Path),
            },
        }
    }
}

/// Inclusive range of one angle, with what it is called in an error.
struct Limit {
    name: &'static str,
    lo: f32,
    hi: f32,
}

const fn limit(name: &'static str, lo: f32, hi: f32) -> Limit {
    Limit { name, lo, hi }
}

// Ranges a body can reach (a little beyond textbook active range: the stretches
// are passive). The trunk's lean is its place in the room, so it may lie either way.
const SIDE_TRUNK: [Limit; 3] = [
    limit("trunk", -135.0, 135.0),
    limit("spine", -50.0, 60.0),
    limit("neck", -60.0, 70.0),
];
const SIDE_ARM: [Limit; 3] = [
    limit("shoulder flexion", -70.0, 185.0),
    limit("elbow flexion", 0.0, 155.0),
    limit("shoulder abduction", 0.0, 90.0),
];
const SIDE_LEG: [Limit; 3] = [
    limit("hip flexion", -35.0, 155.0),
    limit("knee flexion", 0.0, 160.0),
    limit("ankle", -80.0, 30.0),
];
const FRONT_TRUNK: [Limit; 5] = [
    limit("trunk", -95.0, 95.0),
    limit("spine side bend", -45.0, 45.0),
    limit("neck tilt", -50.0, 50.0),
    limit("twist", -70.0, 70.0),
    limit("bow", 0.0, 80.0),
];
const FRONT_ARM: [Limit; 3] = [
    limit("shoulder abduction", -60.0, 185.0),
    limit("elbow turn", -180.0, 180.0),
    limit("shoulder flexion", 0.0, 180.0),
];
const FRONT_LEG: [Limit; 3] = [
    limit("hip abduction", -50.0, 60.0),
    limit("hip flexion", 0.0, 155.0),
    limit("knee flexion", 0.0, 160.0),
];

fn check(limit: &Limit, value: f32) -> Result<(), String> {
    if !value.is_finite() || value < limit.lo || value > limit.hi {
        return Err(format!(
            "{} is {value}, must be between {} and {}",
            limit.name, limit.lo, limit.hi
        ));
    }
    Ok(())
}

fn check_limb(which: &str, values: &[f32], limits: &[Limit; 3]) -> Result<(), String> {
    if values.len() > 3 {
        return Err(format!("{which} has {} angles, at most 3", values.len()));
    }
    for (value, limit) in values.iter().zip(limits) {
        check(limit, *value).map_err(|e| format!("{which}: {e}"))?;
    }
    Ok(())
}

impl FigureSpec {
    /// Checks angles against anatomical limits, and props and the arrow against the lists.
    pub fn validate(&self) -> Result<(), String> {
        if self.label.trim().is_empty() {
            return Err("a figure has an empty label".into());
        }
        let p = &self.pose;
        let (trunk, arm, leg): (&[Limit], _, _) = match self.view {
            View::Side => (&SIDE_TRUNK, &SIDE_ARM, &SIDE_LEG),
            View::Front | View::Top => (&FRONT_TRUNK, &FRONT_ARM, &FRONT_LEG),
        };
        for (limit, value) in trunk.iter().zip([p.trunk, p.spine, p.neck, p.twist, p.bow]) {
            check(limit, value).map_err(|e| format!("figure `{}`: {e}", self.label))?;
        }
        for (name, value) in [("shrug", p.shrug), ("reach", p.reach)] {
            check(&limit(name, -5.0, 6.0), value)
                .map_err(|e| format!("figure `{}`: {e}", self.label))?;
        }
        let limbs = [
            ("near_arm", Some(&p.near_arm), arm),
            ("far_arm", p.far_arm.as_ref(), arm),
            ("near_leg", Some(&p.near_leg), leg),
            ("far_leg", p.far_leg.as_ref(), leg),
        ];
        for (which, values, limits) in limbs {
            if let Some(values) = values {
                check_limb(which, values, limits)
                    .map_err(|e| format!("figure `{}`: {e}", self.label))?;
            }
        }
        let mut seen = Vec::new();
        for prop in &self.props {
            if !PROPS.contains(&prop.as_str()) {
                return Err(format!(
                    "figure `{}`: prop `{prop}` is not one of: {}",
                    self.label,
                    PROPS.join(", ")
                ));
            }
            if seen.contains(&prop) {
                return Err(format!(
                    "figure `{}`: prop `{prop}` is listed twice",
                    self.label
                ));
            }
            seen.push(prop);
        }
        if !self.rest_on.is_empty()
            && (self.rest_on.len() != 2
                || self
                    .rest_on
                    .iter()
                    .any(|j| !ARROW_JOINTS.contains(&j.as_str())))
        {
            return Err(format!(
                "figure `{}`: rest_on names two joints from: {}",
                self.label,
                ARROW_JOINTS.join(", ")
            ));
        }
        if let Some(arrow) = &self.arrow
            && Arrow::parse(arrow).is_none()
        {
            return Err(format!(
                "figure `{}`: arrow `{arrow}` is not a joint ({}), spin:JOINT, turn-left or turn-right",
                self.label,
                ARROW_JOINTS.join(", ")
            ));
        }
        Ok(())
    }
}
