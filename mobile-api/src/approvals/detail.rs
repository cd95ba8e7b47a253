//! A case's detail (`GET /approvals/cases/{id}`), read after the caller's
//! scope was checked.

use sqlx::PgConnection;
use uuid::Uuid;

use shared::{ApiError, AppState, auth::Caller, time::to_china, workdays::Calendar};

use super::views::{self, ApplicantView, CaseDetail, MaterialView, StepView, SummaryRow, TaskView};
use crate::approval_items::definition::Definition;

pub async fn load(
    state: &AppState,
    conn: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<Option<CaseDetail>, ApiError> {
    let mut qb = sqlx::QueryBuilder::new(views::SUMMARY_SELECT);
    qb.push(" WHERE c.case_id = ").push_bind(id);
    let Some(row): Option<SummaryRow> = qb.build_query_as().fetch_optional(&mut *conn).await?
    else {
        return Ok(None);
    };
    let more = sqlx::query!(
        r#"SELECT c.item_version, c.applicant_name_enc, c.applicant_id_enc, c.applicant_contact_enc, c.form_enc,
                  c.step_index, c.round, c.problems, c.paused_days,
                  v.definition AS "definition: sqlx::types::Json<Definition>"
           FROM approval_case c JOIN approval_item_version v ON v.item_id = c.item_id AND v.version = c.item_version
           WHERE c.case_id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let def = more.definition.0;
    let name = state
        .pii
        .decrypt(&more.applicant_name_enc, b"approval_case.applicant_name")
        .map_err(ApiError::internal)?;
    let contact = more
        .applicant_contact_enc
        .as_deref()
        .map(|b| state.pii.decrypt(b, b"approval_case.applicant_contact"))
        .transpose()
        .map_err(ApiError::internal)?;
    let applicant = ApplicantView {
        kind: row.applicant_kind.clone(),
        name: if row.applicant_kind == "person" {
            shared::domain::mask_name(&name)
        } else {
            name
        },
        uscc: row.applicant_uscc.clone(),
        id_number: views::masked_id(state, more.applicant_id_enc.as_deref())?,
        contact,
    };
    let form: serde_json::Value = serde_json::from_str(
        &state
            .pii
            .decrypt(&more.form_enc, b"approval_case.form")
            .map_err(ApiError::internal)?,
    )
    .map_err(ApiError::internal)?;
    let materials = sqlx::query!(
        "SELECT DISTINCT ON (code) code, revision, file_name, content_type, size_bytes, sm3, received_at
         FROM approval_material WHERE case_id = $1 ORDER BY code, revision DESC",
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|m| MaterialView {
        name: def.materials.iter().find(|d| d.code == m.code).map_or_else(|| m.code.clone(), |d| d.name.clone()),
        code: m.code,
        revision: m.revision,
        file_name: m.file_name,
        content_type: m.content_type,
        size_bytes: m.size_bytes,
        sm3: m.sm3,
        received_at: to_china(m.received_at),
    })
    .collect();
    let closed = row.decided_at.is_some();
    let steps = def
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let i = i as i32;
            let progress = match more.step_index {
                _ if closed => "done",
                Some(cur) if i < cur => "done",
                Some(cur) if i == cur => "current",
                _ => "pending",
            };
            StepView {
                index: i,
                code: s.code.clone(),
                name: s.name.clone(),
                mode: s.mode.as_str().to_owned(),
                progress: progress.to_owned(),
            }
        })
        .collect();
    let tasks: Vec<TaskView> = sqlx::query!(
        "SELECT t.task_id, t.step_code, t.assignee_id, u.display_name, t.state, t.decision, t.due_at, t.decided_at
         FROM approval_task t JOIN app_user u ON u.user_id = t.assignee_id
         WHERE t.case_id = $1 AND t.round = $2 ORDER BY t.created_at, t.task_id",
        id,
        more.round
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|t| TaskView {
        task_id: t.task_id,
        step_code: t.step_code,
        assignee_id: t.assignee_id,
        assignee_name: t.display_name,
        state: t.state,
        decision: t.decision,
        due_at: t.due_at.map(to_china),
        decided_at: t.decided_at.map(to_china),
    })
    .collect();
    let my_task_id = tasks
        .iter()
        .find(|t| t.assignee_id == caller.user_id && matches!(t.state.as_str(), "open" | "claimed"))
        .map(|t| t.task_id);
    let calendar = Calendar::load(conn).await?;
    Ok(Some(CaseDetail {
        summary: row.view(state, &calendar)?,
        item_version: more.item_version,
        applicant,
        form,
        materials,
        steps,
        tasks,
        my_task_id,
        problems: more.problems,
        paused_days: more.paused_days,
    }))
}
