//! From joint angles to shapes: forward kinematics of a proportioned figure, the props
//! placed against it, and the movement arrow, all in body units with y pointing up and
//! the ground at 0.

use super::pose::{Arrow, FigureSpec, Pose, View};
use super::{P, Shape, Tone};

// Body proportions in body units (a standing figure is about 175 tall).
const HEAD_R: f32 = 10.5;
const NECK: f32 = 4.5;
const UPPER_TRUNK: f32 = 27.0;
const LOWER_TRUNK: f32 = 25.0;
const UPPER_ARM: f32 = 29.0;
const FOREARM: f32 = 25.0;
const HAND_R: f32 = 4.2;
const THIGH: f32 = 43.0;
const SHIN: f32 = 41.0;
const FOOT: f32 = 13.0;
const TORSO_W: f32 = 19.0;
const ARM_W: f32 = 8.0;
const LEG_W: f32 = 10.5;
const MAT: f32 = 2.5;
const ROLLER_R: f32 = 7.5;
const ARROW_W: f32 = 3.2;

/// Unit vector at `deg` degrees from straight down, turning toward the figure's front
/// (side view) or the right of the picture (front view).
fn dir(deg: f32) -> P {
    let r = deg.to_radians();
    P(r.sin(), -r.cos())
}

fn cos(deg: f32) -> f32 {
    deg.to_radians().cos()
}

fn angle(values: &[f32], i: usize) -> f32 {
    values.get(i).copied().unwrap_or(0.0)
}

/// Where the joints ended up; props and arrows are placed against these.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Joints {
    pub pelvis: P,
    pub mid: P,
    pub neck: P,
    pub head: P,
    /// Toward the face, for the nose and for what lies behind the head.
    pub face: P,
    pub upper_trunk_dir: f32,
    pub near_shoulder: P,
    pub near_elbow: P,
    pub near_hand: P,
    pub far_hand: P,
    pub near_knee: P,
    pub far_knee: P,
    pub near_foot: P,
    pub far_foot: P,
    pub near_ankle: P,
    pub far_ankle: P,
    pub far_hip: P,
}

impl Joints {
    pub(super) fn named(&self, name: &str) -> Option<P> {
        Some(match name {
            "head" => self.head,
            "back" => self.mid,
            "pelvis" => self.pelvis,
            "near-shoulder" => self.near_shoulder,
            "near-elbow" => self.near_elbow,
            "near-hand" => self.near_hand,
            "far-hand" => self.far_hand,
            "near-knee" => self.near_knee,
            "far-knee" => self.far_knee,
            "near-foot" => self.near_foot,
            "far-foot" => self.far_foot,
            _ => return None,
        })
    }

    fn mapped(mut self, f: &impl Fn(P) -> P) -> Self {
        for p in [
            &mut self.pelvis,
            &mut self.mid,
            &mut self.neck,
            &mut self.head,
            &mut self.near_shoulder,
            &mut self.near_elbow,
            &mut self.near_hand,
            &mut self.far_hand,
            &mut self.near_knee,
            &mut self.far_knee,
            &mut self.near_foot,
            &mut self.far_foot,
            &mut self.near_ankle,
            &mut self.far_ankle,
            &mut self.far_hip,
        ] {
            *p = f(*p);
        }
        self
    }

    fn shifted(self, d: P) -> Self {
        self.mapped(&|p| p + d)
    }
}

/// A posed figure before it is fitted into its frame.
pub(super) struct Posed {
    pub joints: Joints,
    /// Drawn in order: props behind, far limbs, body, near limbs, held props.
    pub shapes: Vec<Shape>,
    pub view: View,
}

/// A chair's leg, from the seat at height `seat` down to the floor.
fn chair_leg(x: f32, seat: f32) -> Shape {
    stroke(vec![P(x, seat), P(x, 0.0)], 3.0, Tone::PropEdge)
}

/// The visible edge of a wall seen side on, from the floor up to `top`.
fn wall_edge(x: f32, top: f32) -> Shape {
    stroke(vec![P(x, 0.0), P(x, top)], 1.2, Tone::PropEdge)
}

fn stroke(points: Vec<P>, width: f32, tone: Tone) -> Shape {
    Shape::Stroke {
        points,
        width,
        tone,
    }
}

fn rect(x0: f32, y0: f32, x1: f32, y1: f32, fill: Tone, edge: Option<Tone>) -> Shape {
    Shape::Polygon {
        points: vec![P(x0, y0), P(x1, y0), P(x1, y1), P(x0, y1)],
        fill,
        edge: edge.map(|t| (t, 1.2)),
    }
}

struct Limb {
    points: Vec<P>,
    hand_or_foot: P,
}

fn side_figure(pose: &Pose) -> (Joints, Vec<Shape>, Vec<Shape>, Vec<Shape>) {
    // The bend is shared by the lower and upper back, so a rounding back rises in the
    // middle while the line from pelvis to neck keeps the trunk's lean.
    let lower = 180.0 - pose.trunk + pose.spine / 2.0;
    let upper = lower - pose.spine;
    let nod = upper - pose.neck;
    let pelvis = P(0.0, 0.0);
    let mid = pelvis + dir(lower) * LOWER_TRUNK;
    let neck = mid + dir(upper) * UPPER_TRUNK;
    let forward = dir(upper - 90.0);
    let shoulder = neck - dir(upper) * 4.0 + dir(upper) * pose.shrug + forward * pose.reach;
    let head = neck + dir(nod) * (NECK + HEAD_R);
    let face = dir(nod - 90.0);

    let arm = |a: &[f32]| {
        let along = upper - 180.0 + angle(a, 0);
        let elbow = shoulder + dir(along) * (UPPER_ARM * cos(angle(a, 2)).max(0.15));
        let fore = along + angle(a, 1);
        let wrist = elbow + dir(fore) * FOREARM;
        Limb {
            points: vec![shoulder, elbow, wrist],
            hand_or_foot: wrist + dir(fore) * (HAND_R * 0.5),
        }
    };
    let leg = |l: &[f32]| {
        let thigh = lower - 180.0 + angle(l, 0);
        let knee = pelvis + dir(thigh) * THIGH;
        let shin = thigh - angle(l, 1);
        let ankle = knee + dir(shin) * SHIN;
        let foot = shin + 90.0 + angle(l, 2);
        let toe = ankle + dir(foot) * FOOT;
        Limb {
            points: vec![pelvis, knee, ankle, toe],
            hand_or_foot: toe,
        }
    };
    let near_arm = arm(&pose.near_arm);
    let far_arm = arm(pose.far_arm.as_deref().unwrap_or(&pose.near_arm));
    let near_leg = leg(&pose.near_leg);
    let far_leg = leg(pose.far_leg.as_deref().unwrap_or(&pose.near_leg));

    let far = vec![
        stroke(far_leg.points.clone(), LEG_W, Tone::Far),
        stroke(far_arm.points.clone(), ARM_W, Tone::Far),
        Shape::Disc {
            c: far_arm.hand_or_foot,
            r: HAND_R,
            tone: Tone::Far,
        },
    ];
    let body = vec![
        stroke(vec![pelvis, mid, neck], TORSO_W, Tone::Body),
        Shape::Disc {
            c: pelvis + dir(lower + 150.0) * 2.0,
            r: 10.5,
            tone: Tone::Body,
        },
        stroke(vec![neck, head], 7.5, Tone::Body),
        Shape::Disc {
            c: head,
            r: HEAD_R,
            tone: Tone::Body,
        },
        // The nose says which way the figure faces.
        Shape::Disc {
            c: head + face * (HEAD_R - 0.3) - dir(nod) * 1.5,
            r: 2.6,
            tone: Tone::Body,
        },
    ];
    let near = vec![
        stroke(near_leg.points.clone(), LEG_W, Tone::Body),
        stroke(near_arm.points.clone(), ARM_W, Tone::Outline),
        stroke(near_arm.points.clone(), ARM_W - 2.4, Tone::Body),
        Shape::Disc {
            c: near_arm.hand_or_foot,
            r: HAND_R,
            tone: Tone::Body,
        },
    ];
    let joints = Joints {
        pelvis,
        mid,
        neck,
        head,
        face,
        upper_trunk_dir: upper,
        near_shoulder: shoulder,
        near_elbow: near_arm.points[1],
        near_hand: near_arm.hand_or_foot,
        far_hand: far_arm.hand_or_foot,
        near_knee: near_leg.points[1],
        far_knee: far_leg.points[1],
        near_foot: near_leg.hand_or_foot,
        far_foot: far_leg.hand_or_foot,
        near_ankle: near_leg.points[2],
        far_ankle: far_leg.points[2],
        far_hip: pelvis,
    };
    (joints, far, body, near)
}

fn front_figure(pose: &Pose) -> (Joints, Vec<Shape>, Vec<Shape>, Vec<Shape>) {
    let lower = 180.0 - pose.trunk;
    let upper = lower - pose.spine;
    let tilt = upper - pose.neck;
    let toward = cos(pose.bow);
    let pelvis = P(0.0, 0.0);
    let mid = pelvis + dir(lower) * (LOWER_TRUNK * toward);
    let neck = mid + dir(upper) * (UPPER_TRUNK * toward);
    let side_u = dir(upper - 90.0);
    let side_l = dir(lower - 90.0);
    let half = 15.0 * cos(pose.twist).max(0.4);
    let top = neck - dir(upper) * 4.0 + dir(upper) * pose.shrug;
    let shoulders = [top + side_u * half, top - side_u * half];
    let hips = [pelvis + side_l * 8.0, pelvis - side_l * 8.0];
    let head = neck + dir(tilt) * (NECK + HEAD_R);

    // side = 1 for the limb on the right of the picture, -1 for the other.
    let arm = |a: &[f32], side: f32, shoulder: P| {
        let along = upper - 180.0 + side * angle(a, 0);
        let length = UPPER_ARM * cos(angle(a, 2));
        let length = if length.abs() < UPPER_ARM * 0.2 {
            UPPER_ARM * 0.2
        } else {
            length
        };
        let elbow = shoulder + dir(along) * length;
        let fore = along + side * angle(a, 1);
        let wrist = elbow + dir(fore) * FOREARM;
        Limb {
            points: vec![shoulder, elbow, wrist],
            hand_or_foot: wrist + dir(fore) * (HAND_R * 0.5),
        }
    };
    let leg = |l: &[f32], side: f32, hip: P| {
        let along = lower - 180.0 + side * angle(l, 0);
        let thigh = cos(angle(l, 1));
        let thigh = if thigh.abs() < 0.12 { 0.12 } else { thigh };
        let knee = hip + dir(along) * (THIGH * thigh);
        let ankle = knee + dir(along) * (SHIN * cos(angle(l, 1) - angle(l, 2)));
        let toe = ankle + dir(along + side * 75.0) * 7.0;
        Limb {
            points: vec![hip, knee, ankle, toe],
            hand_or_foot: toe,
        }
    };
    let near_arm = arm(&pose.near_arm, 1.0, shoulders[0]);
    let far_arm = arm(
        pose.far_arm.as_deref().unwrap_or(&pose.near_arm),
        -1.0,
        shoulders[1],
    );
    let near_spec = &pose.near_leg;
    let far_spec = pose.far_leg.as_deref().unwrap_or(&pose.near_leg);
    let near_leg = leg(near_spec, 1.0, hips[0]);
    let far_leg = leg(far_spec, -1.0, hips[1]);

    let waist = dir(((lower + upper) / 2.0) - 90.0);
    let torso = vec![
        hips[1] - side_l * 2.5,
        hips[0] + side_l * 2.5,
        mid + waist * 10.5,
        shoulders[0] + side_u * 1.5 - dir(upper) * 1.5,
        shoulders[1] - side_u * 1.5 - dir(upper) * 1.5,
        mid - waist * 10.5,
    ];
    let mut far = vec![
        stroke(far_leg.points.clone(), LEG_W, Tone::Body),
        stroke(near_leg.points.clone(), LEG_W, Tone::Body),
    ];
    // A thigh pointing at the viewer shows as its knee: a seated figure then reads as
    // seated, not as standing in front of its chair.
    for (limb, spec) in [(&far_leg, far_spec), (&near_leg, near_spec)] {
        if angle(spec, 1) >= 60.0 {
            far.push(Shape::Disc {
                c: limb.points[1],
                r: LEG_W * 0.75,
                tone: Tone::Body,
            });
        }
    }
    let body = vec![
        Shape::Polygon {
            points: torso,
            fill: Tone::Body,
            edge: Some((Tone::Body, 5.0)),
        },
        stroke(vec![neck, head], 7.5, Tone::Body),
        Shape::Disc {
            c: head,
            r: HEAD_R,
            tone: Tone::Body,
        },
    ];
    let mut near = Vec::new();
    for limb in [&far_arm, &near_arm] {
        // A light edge keeps an arm readable where it crosses the body.
        near.push(stroke(limb.points.clone(), ARM_W, Tone::Outline));
        near.push(stroke(limb.points.clone(), ARM_W - 2.4, Tone::Body));
        near.push(Shape::Disc {
            c: limb.hand_or_foot,
            r: HAND_R,
            tone: Tone::Body,
        });
    }
    let joints = Joints {
        pelvis,
        mid,
        neck,
        head,
        face: dir(tilt - 90.0),
        upper_trunk_dir: upper,
        near_shoulder: shoulders[0],
        near_elbow: near_arm.points[1],
        near_hand: near_arm.hand_or_foot,
        far_hand: far_arm.hand_or_foot,
        near_knee: near_leg.points[1],
        far_knee: far_leg.points[1],
        near_foot: near_leg.hand_or_foot,
        far_foot: far_leg.hand_or_foot,
        near_ankle: near_leg.points[2],
        far_ankle: far_leg.points[2],
        far_hip: hips[1],
    };
    (joints, far, body, near)
}

/// Poses the figure, stands it on the ground (or on a mat) and places its props.
pub(super) fn pose(spec: &FigureSpec) -> Posed {
    let (joints, far, body, near) = match spec.view {
        View::Side => side_figure(&spec.pose),
        View::Front | View::Top => front_figure(&spec.pose),
    };
    let has = |prop: &str| spec.props.iter().any(|p| p == prop);
    let (joints, far, body, near) = match rest_level(spec, &joints) {
        Some(turn) => {
            let (sin, cos) = turn.sin_cos();
            let rotate = move |p: P| P(p.0 * cos - p.1 * sin, p.0 * sin + p.1 * cos);
            let turned = |shapes: Vec<Shape>| -> Vec<Shape> {
                shapes.into_iter().map(|s| s.map(&rotate, 1.0)).collect()
            };
            // The face direction turns too; it is a direction, so no shift applies.
            let mut joints = joints.mapped(&rotate);
            joints.face = rotate(joints.face);
            joints.upper_trunk_dir += turn.to_degrees();
            (joints, turned(far), turned(body), turned(near))
        }
        None => (joints, far, body, near),
    };
    let figure_box = super::bounds(far.iter().chain(&body).chain(&near));
    let ground = if has("mat") && spec.view != View::Top {
        MAT
    } else {
        0.0
    };
    let lift = if spec.view == View::Top {
        P(0.0, 0.0)
    } else {
        P(0.0, ground - figure_box.min.1)
    };
    let shift =
        |shapes: Vec<Shape>| -> Vec<Shape> { shapes.into_iter().map(|s| s.moved(lift)).collect() };
    let (far, body, near) = (shift(far), shift(body), shift(near));
    let joints = joints.shifted(lift);
    let b = super::bounds(far.iter().chain(&body).chain(&near));
    let (min, max) = (b.min, b.max);

    let mut behind = Vec::new();
    let mut held = Vec::new();
    let j = &joints;
    for prop in &spec.props {
        match (prop.as_str(), spec.view) {
            ("mat", View::Top) => behind.push(rect(
                min.0 - 8.0,
                min.1 - 8.0,
                max.0 + 8.0,
                max.1 + 8.0,
                Tone::Mat,
                None,
            )),
            ("mat", _) => behind.push(rect(min.0 - 8.0, 0.0, max.0 + 8.0, MAT, Tone::Mat, None)),
            ("wall", View::Side) => {
                let x = min.0;
                behind.push(rect(x - 8.0, 0.0, x, max.1 + 14.0, Tone::Wall, None));
                behind.push(wall_edge(x, max.1 + 14.0));
            }
            ("wall", _) => {
                behind.push(rect(
                    min.0 - 16.0,
                    0.0,
                    max.0 + 16.0,
                    max.1 + 12.0,
                    Tone::Wall,
                    None,
                ));
                // The skirting board says "wall" rather than "panel".
                behind.push(rect(min.0 - 16.0, 0.0, max.0 + 16.0, 5.0, Tone::Prop, None));
            }
            ("wall-beside", _) => {
                let x = max.0;
                behind.push(rect(x, 0.0, x + 8.0, max.1 + 14.0, Tone::Wall, None));
                behind.push(wall_edge(x, max.1 + 14.0));
            }
            ("doorway", View::Side) => {
                let x = (j.near_elbow.0 + j.near_hand.0) / 2.0;
                behind.push(rect(
                    x - 5.0,
                    0.0,
                    x + 5.0,
                    max.1 + 14.0,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
                behind.push(rect(
                    x - 5.0,
                    max.1 + 14.0,
                    x + 5.0,
                    max.1 + 22.0,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
            }
            ("doorway", _) => {
                let (x0, x1, top) = (min.0, max.0, max.1 + 12.0);
                behind.push(rect(
                    x0 - 9.0,
                    0.0,
                    x0,
                    top,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
                behind.push(rect(
                    x1,
                    0.0,
                    x1 + 9.0,
                    top,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
                behind.push(rect(
                    x0 - 9.0,
                    top,
                    x1 + 9.0,
                    top + 8.0,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
            }
            ("chair", View::Side) => {
                let seat = j.pelvis.1 - 10.0;
                let (x0, x1) = (j.pelvis.0 - 14.0, j.pelvis.0 + 24.0);
                behind.push(chair_leg(x0 + 2.0, seat));
                behind.push(chair_leg(x1 - 2.0, seat));
                behind.push(stroke(
                    vec![P(x0 + 1.5, seat), P(x0 - 1.5, seat + 36.0)],
                    3.0,
                    Tone::PropEdge,
                ));
                behind.push(rect(
                    x0 - 4.0,
                    seat + 22.0,
                    x0 + 1.5,
                    seat + 37.0,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
                behind.push(rect(
                    x0,
                    seat - 4.0,
                    x1,
                    seat,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
            }
            ("chair", _) => {
                let seat = j.pelvis.1 - 9.0;
                let x = j.pelvis.0;
                behind.push(rect(
                    x - 19.0,
                    seat,
                    x + 19.0,
                    seat + 42.0,
                    Tone::Wall,
                    Some(Tone::PropEdge),
                ));
                behind.push(chair_leg(x - 20.0, seat));
                behind.push(chair_leg(x + 20.0, seat));
                behind.push(rect(
                    x - 24.0,
                    seat - 4.0,
                    x + 24.0,
                    seat,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
            }
            ("chair-sideways", _) => {
                let seat = j.pelvis.1 - 9.0;
                let x = j.pelvis.0;
                behind.push(stroke(
                    vec![P(x - 18.0, seat), P(x - 18.0, 0.0)],
                    3.0,
                    Tone::PropEdge,
                ));
                behind.push(chair_leg(x + 20.0, seat));
                behind.push(rect(
                    x + 18.0,
                    seat,
                    x + 24.0,
                    seat + 40.0,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
                behind.push(rect(
                    x - 22.0,
                    seat - 4.0,
                    x + 24.0,
                    seat,
                    Tone::Prop,
                    Some(Tone::PropEdge),
                ));
            }
            ("bench", _) => {
                let top = j.near_elbow.1 - ARM_W / 2.0;
                let x = j.near_elbow.0;
                if top > 8.0 {
                    behind.push(stroke(
                        vec![P(x - 6.0, top), P(x - 6.0, 0.0)],
                        3.0,
                        Tone::PropEdge,
                    ));
                    behind.push(stroke(
                        vec![P(x + 26.0, top), P(x + 26.0, 0.0)],
                        3.0,
                        Tone::PropEdge,
                    ));
                    behind.push(rect(
                        x - 10.0,
                        top - 6.0,
                        x + 30.0,
                        top,
                        Tone::Prop,
                        Some(Tone::PropEdge),
                    ));
                }
            }
            ("foam-roller", View::Top) => {
                let y = j.far_hip.1 + 30.0;
                let (x0, x1) = (j.pelvis.0 - 48.0, j.pelvis.0 - 4.0);
                behind.push(stroke(vec![P(x0, y), P(x1, y)], 14.0, Tone::PropEdge));
                behind.push(stroke(vec![P(x0, y), P(x1, y)], 11.6, Tone::Prop));
            }
            ("foam-roller", _) => {
                let at = j.mid + dir(j.upper_trunk_dir) * (UPPER_TRUNK * 0.4);
                behind.push(Shape::Polygon {
                    points: circle(P(at.0, ROLLER_R + ground), ROLLER_R),
                    fill: Tone::Prop,
                    edge: Some((Tone::PropEdge, 1.4)),
                });
            }
            ("massage-balls", _) => {
                let x = j.mid.0;
                for (dx, tone) in [(2.5, Tone::PropEdge), (0.0, Tone::Prop)] {
                    behind.push(Shape::Disc {
                        c: P(x + dx, ground + 4.2),
                        r: 4.2,
                        tone,
                    });
                }
            }
            ("towel", _) => {
                let near_head = |p: P| (p - j.head).len() < HEAD_R * 2.8;
                let points = if near_head(j.near_hand) && near_head(j.far_hand) {
                    let behind_head = j.head - j.face * (HEAD_R + 2.0);
                    vec![j.near_hand, behind_head, j.far_hand]
                } else {
                    vec![j.near_hand, j.far_hand]
                };
                held.push(stroke(points, 4.5, Tone::Towel));
            }
            ("resistance-band", _) => {
                let y = ground + 1.0;
                held.push(stroke(
                    vec![
                        j.near_hand,
                        P(j.near_ankle.0, y),
                        P(j.far_ankle.0, y),
                        j.far_hand,
                    ],
                    1.8,
                    Tone::Band,
                ));
            }
            ("dumbbells", View::Side) => {
                for hand in [j.far_hand, j.near_hand] {
                    held.push(Shape::Disc {
                        c: hand,
                        r: 5.5,
                        tone: Tone::PropEdge,
                    });
                    held.push(Shape::Disc {
                        c: hand,
                        r: 2.8,
                        tone: Tone::Prop,
                    });
                }
            }
            ("dumbbells", _) => {
                for hand in [j.far_hand, j.near_hand] {
                    held.push(stroke(
                        vec![hand - P(6.5, 0.0), hand + P(6.5, 0.0)],
                        2.4,
                        Tone::PropEdge,
                    ));
                    for end in [-6.5, 6.5] {
                        held.push(rect(
                            hand.0 + end - 1.8,
                            hand.1 - 4.5,
                            hand.0 + end + 1.8,
                            hand.1 + 4.5,
                            Tone::PropEdge,
                            None,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let mut shapes = behind;
    shapes.extend(far);
    shapes.extend(body);
    shapes.extend(near);
    shapes.extend(held);
    Posed {
        joints,
        shapes,
        view: spec.view,
    }
}

/// The turn (radians, counter-clockwise) that levels the two joints the figure rests on.
fn rest_level(spec: &FigureSpec, joints: &Joints) -> Option<f32> {
    let [a, b] = spec.rest_on.as_slice() else {
        return None;
    };
    let (a, b) = (joints.named(a)?, joints.named(b)?);
    let d = b - a;
    if d.0.abs() < 1.0 {
        return None;
    }
    Some(-(d.1 / d.0).atan())
}

/// A circle as a polygon (the PDF draws it from the same points).
pub(super) fn circle(c: P, r: f32) -> Vec<P> {
    (0..20)
        .map(|i| {
            let a = (i as f32) * std::f32::consts::TAU / 20.0;
            P(c.0 + r * a.cos(), c.1 + r * a.sin())
        })
        .collect()
}

fn arrow_head(tip: P, from: P) -> Shape {
    let d = tip - from;
    let len = d.len().max(0.001);
    let u = P(d.0 / len, d.1 / len);
    let n = P(-u.1, u.0);
    let base = tip - u * 8.0;
    Shape::Polygon {
        points: vec![tip + u * 1.5, base + n * 4.8, base - n * 4.8],
        fill: Tone::Arrow,
        edge: None,
    }
}

fn arrow_along(points: Vec<P>) -> Vec<Shape> {
    let n = points.len();
    if n < 2 {
        return Vec::new();
    }
    let tip = points[n - 1];
    let from = points[n - 2];
    // Stop the shaft short of the tip so the head's point stays sharp.
    let mut shaft = points;
    let d = tip - from;
    let len = d.len().max(0.001);
    if let Some(last) = shaft.last_mut() {
        *last = tip - P(d.0 / len, d.1 / len) * 5.0;
    }
    vec![stroke(shaft, ARROW_W, Tone::Arrow), arrow_head(tip, from)]
}

/// The movement arrow for `here`, pointing toward `other` (the neighbouring position).
pub(super) fn arrow(arrow: Arrow, here: &Posed, other: Option<&Posed>) -> Vec<Shape> {
    let j = &here.joints;
    match arrow {
        Arrow::Path(name) => {
            let Some(other) = other.filter(|o| o.view == here.view) else {
                return Vec::new();
            };
            let (Some(a), Some(b)) = (j.named(name), other.joints.named(name)) else {
                return Vec::new();
            };
            let d = b - a;
            let len = d.len();
            if len < 4.0 {
                return Vec::new();
            }
            let mut normal = P(-d.1 / len, d.0 / len);
            let centre = (j.mid + j.pelvis) * 0.5;
            if (centre - a).dot(normal) > 0.0 {
                normal = normal * -1.0;
            }
            let off = normal * 9.0;
            let (start, end) = (a + d * 0.1 + off, a + d * 0.9 + off);
            let control = (start + end) * 0.5 + normal * (len * 0.18);
            let points = (0..=12)
                .map(|i| {
                    let t = i as f32 / 12.0;
                    start * ((1.0 - t) * (1.0 - t))
                        + control * (2.0 * t * (1.0 - t))
                        + end * (t * t)
                })
                .collect();
            arrow_along(points)
        }
        Arrow::Spin(name) => {
            let Some(c) = j.named(name) else {
                return Vec::new();
            };
            let r = 13.0;
            let points = (0..=16)
                .map(|i| {
                    let a = (40.0 + 270.0 * i as f32 / 16.0).to_radians();
                    P(c.0 + r * a.cos(), c.1 + r * a.sin())
                })
                .collect();
            arrow_along(points)
        }
        Arrow::Turn(rightward) => {
            let c = j.mid + dir(j.upper_trunk_dir) * (UPPER_TRUNK * 0.55);
            let (rx, ry) = (27.0, 8.0);
            let points: Vec<P> = (0..=16)
                .map(|i| {
                    let t = i as f32 / 16.0;
                    let a = if rightward {
                        200.0 + 150.0 * t
                    } else {
                        340.0 - 150.0 * t
                    };
                    let a = a.to_radians();
                    P(c.0 + rx * a.cos(), c.1 + ry * a.sin())
                })
                .collect();
            arrow_along(points)
        }
    }
}
