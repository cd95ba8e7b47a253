//! The demo's approval cases: three applications for 放射诊疗许可 (a city
//! item whose review is a countersign) received from the demo platform —
//! one waiting for acceptance, one accepted and with both reviewers, one
//! with the second reviewer only — so the to-do lists of `demo-accept`,
//! `demo-review1` and `demo-review2` have something in them. They go
//! through the intake and the engine like any case; decisions made here are
//! signed with the approvers' own keys (the one-time code is an HTTP step).
//! Idempotent: the platform's case ids are fixed, so a second run replays.

use serde_json::json;
use shared::{AppState, crypto::sm3_hex, workdays::Calendar};

use mobile_api::approvals::{
    flow::{self, CaseState, Decision, DecisionKind},
    intake::{self, Source},
    submission::{Applicant, ApplicantKind, CaseForm, File, MaterialEntry, Submission, detect},
};

use super::demo_id;

/// The platform demo cases arrive from (`scripts/run` configures it).
pub const PLATFORM: &str = "demo-ywtb";

const APPLICANTS: &[(&str, &str)] = &[
    ("武汉光谷口腔门诊部有限公司", "91110000600037341L"),
    ("武汉江汉影像诊断中心", "91512081MA62K0260E"),
    ("武汉市第九医院", "11100000MB0341032Y"),
];

fn pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

fn submission(n: usize, name: &str, uscc: &str) -> Submission {
    let codes = [
        "application",
        "business_licence",
        "shielding_report",
        "staff_list",
    ];
    let files: Vec<File> = codes
        .iter()
        .map(|code| {
            let bytes = pdf(&format!("{name} {code}"));
            File {
                code: (*code).to_owned(),
                file_name: format!("{code}.pdf"),
                sm3: sm3_hex(&bytes),
                detected: detect(&bytes),
                bytes,
            }
        })
        .collect();
    let materials = files
        .iter()
        .map(|f| MaterialEntry {
            code: f.code.clone(),
            file_name: f.file_name.clone(),
            sm3: Some(f.sm3.clone()),
        })
        .collect();
    let form = [
        ("uscc", json!(uscc)),
        ("contact_phone", json!("027-8588000{n}")),
        (
            "project",
            json!(["X射线影像诊断", "介入放射学", "核医学"][n % 3]),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Submission {
        case: CaseForm {
            platform_case_id: Some(format!("DEMO-FSZL-{}", n + 1)),
            item_code: "FSZL-XK".into(),
            division_code: None,
            applicant: Applicant {
                kind: ApplicantKind::Organisation,
                name: name.into(),
                uscc: Some(uscc.into()),
                id_number: None,
                contact: Some(format!("027-8588000{n}")),
            },
            form,
            materials,
        },
        files,
    }
}

/// Decides the open task of `user` on the case, if it has one.
async fn decide(
    state: &AppState,
    case_id: uuid::Uuid,
    user: uuid::Uuid,
    opinion: &str,
) -> anyhow::Result<()> {
    let mut tx = state.db.begin().await?;
    let task = sqlx::query_scalar!(
        "SELECT task_id FROM approval_task WHERE case_id = $1 AND assignee_id = $2 AND state IN ('open', 'claimed')",
        case_id,
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(task_id) = task else { return Ok(()) };
    let (_, task) = flow::task(&mut tx, task_id)
        .await?
        .expect("the task exists");
    let mut case = flow::lock(&mut tx, case_id)
        .await?
        .expect("the case exists");
    let calendar = Calendar::load(&mut tx).await?;
    let decision = Decision {
        kind: DecisionKind::Approve,
        opinion: Some(opinion.into()),
        supplement: vec![],
        to_step: None,
        to_user: None,
    };
    flow::decide(state, &mut tx, &calendar, &mut case, &task, user, &decision)
        .await
        .map_err(|e| anyhow::anyhow!("demo decision: {}", e.title))?;
    tx.commit().await?;
    Ok(())
}

pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    let accept = demo_id("approver-accept");
    let review1 = demo_id("approver-review1");
    for (n, (name, uscc)) in APPLICANTS.iter().enumerate() {
        let received =
            intake::receive(state, Source::Platform(PLATFORM), submission(n, name, uscc))
                .await
                .map_err(|e| anyhow::anyhow!("demo case {n}: {} {:?}", e.title, e.errors))?;
        if received.replayed || received.state != CaseState::PreReviewed {
            continue;
        }
        if n >= 1 {
            decide(
                state,
                received.case_id,
                accept,
                "材料齐全，符合法定形式，予以受理",
            )
            .await?;
        }
        if n >= 2 {
            decide(state, received.case_id, review1, "防护检测报告符合要求").await?;
        }
    }
    Ok(APPLICANTS.len())
}
