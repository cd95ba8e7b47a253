//! What the approvals API gives back, and the reads behind it: the to-do
//! list, the case query and a case's detail — each through the scope of
//! SPEC §8.1 ([`push_visible`]): city admins see every case; an approver the
//! cases of their organisation (and those under it) of the items or lines
//! they hold a grant for, and any case they have a task on. A case outside
//! is not found.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    auth::{
        Caller, Role,
        scope::{ScopeColumns, push_scope},
    },
    domain::{mask_id_number, mask_name},
    time::{to_china, today_in_china},
    workdays::Calendar,
};

/// The scope predicate over `approval_case c`.
pub fn push_visible(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    qb.push("(");
    push_scope(
        qb,
        &caller.scope(),
        ScopeColumns::organisation("c.organisation_id", None),
    );
    if caller.role == Role::Approver {
        qb.push(" AND (EXISTS (SELECT 1 FROM approval_grant g WHERE g.user_id = ")
            .push_bind(caller.user_id)
            .push(" AND (g.item_code = c.item_code OR g.business_line = c.business_line))")
            .push(" OR EXISTS (SELECT 1 FROM approval_task t WHERE t.case_id = c.case_id AND t.assignee_id = ")
            .push_bind(caller.user_id)
            .push("))");
    }
    qb.push(")");
}

/// Whether `caller` may see case `id`.
pub async fn visible(
    conn: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM approval_case c WHERE c.case_id = ");
    qb.push_bind(id).push(" AND ");
    push_visible(&mut qb, caller);
    let n: i64 = qb.build_query_scalar().fetch_one(conn).await?;
    Ok(n > 0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    /// Due within 24 hours.
    DueSoon,
    OnTime,
}

fn urgency(due: Option<DateTime<Utc>>) -> Urgency {
    match due {
        Some(d) if d < Utc::now() => Urgency::Overdue,
        Some(d) if d < Utc::now() + chrono::Duration::hours(24) => Urgency::DueSoon,
        _ => Urgency::OnTime,
    }
}

/// A task on the to-do list.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TodoTask {
    pub task_id: Uuid,
    pub case_id: Uuid,
    pub acceptance_number: Option<String>,
    pub item_code: String,
    pub item_name: String,
    /// Masked for a person.
    pub applicant_name: String,
    pub step_code: String,
    pub step_name: String,
    /// `single`, `all` (会签) or `any` (或签).
    pub mode: String,
    /// `open`, or `claimed` (a `single` task taken).
    pub state: String,
    pub due_at: Option<DateTime<FixedOffset>>,
    pub urgency: Urgency,
    pub case_deadline: Option<NaiveDate>,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct Todo {
    /// Overdue first, then by due time.
    pub items: Vec<TodoTask>,
    pub total: i64,
    pub overdue: i64,
    pub due_soon: i64,
}

#[derive(FromRow)]
struct TodoRow {
    task_id: Uuid,
    case_id: Uuid,
    acceptance_number: Option<String>,
    item_code: String,
    item_name: String,
    applicant_kind: String,
    applicant_name_enc: Vec<u8>,
    step_code: String,
    step_name: String,
    mode: String,
    state: String,
    due_at: Option<DateTime<Utc>>,
    deadline: Option<NaiveDate>,
    created_at: DateTime<Utc>,
}

/// The applicant's name as a list shows it: in full for an organisation,
/// masked for a person.
pub fn applicant_name(state: &AppState, kind: &str, blob: &[u8]) -> Result<String, ApiError> {
    let name = state
        .pii
        .decrypt(blob, b"approval_case.applicant_name")
        .map_err(ApiError::internal)?;
    Ok(if kind == "person" {
        mask_name(&name)
    } else {
        name
    })
}

pub async fn todo(
    state: &AppState,
    conn: &mut PgConnection,
    caller: &Caller,
    limit: i64,
    offset: i64,
) -> Result<Todo, ApiError> {
    let counts = sqlx::query!(
        r#"SELECT count(*) AS "total!",
                  count(*) FILTER (WHERE due_at < now()) AS "overdue!",
                  count(*) FILTER (WHERE due_at >= now() AND due_at < now() + interval '24 hours') AS "due_soon!"
           FROM approval_task WHERE assignee_id = $1 AND state IN ('open', 'claimed')"#,
        caller.user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query_as!(
        TodoRow,
        r#"SELECT t.task_id, t.case_id, c.acceptance_number, c.item_code,
                  v.definition->>'name' AS "item_name!", c.applicant_kind, c.applicant_name_enc,
                  t.step_code, t.step_name, t.mode, t.state, t.due_at, c.deadline, t.created_at
           FROM approval_task t
           JOIN approval_case c ON c.case_id = t.case_id
           JOIN approval_item_version v ON v.item_id = c.item_id AND v.version = c.item_version
           WHERE t.assignee_id = $1 AND t.state IN ('open', 'claimed')
           ORDER BY (t.due_at < now()) DESC NULLS LAST, t.due_at NULLS LAST, t.created_at
           LIMIT $2 OFFSET $3"#,
        caller.user_id,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(TodoTask {
                applicant_name: applicant_name(state, &r.applicant_kind, &r.applicant_name_enc)?,
                task_id: r.task_id,
                case_id: r.case_id,
                acceptance_number: r.acceptance_number,
                item_code: r.item_code,
                item_name: r.item_name,
                step_code: r.step_code,
                step_name: r.step_name,
                mode: r.mode,
                state: r.state,
                urgency: urgency(r.due_at),
                due_at: r.due_at.map(to_china),
                case_deadline: r.deadline,
                created_at: to_china(r.created_at),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Todo {
        items,
        total: counts.total,
        overdue: counts.overdue,
        due_soon: counts.due_soon,
    })
}

/// A case in a list.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CaseSummary {
    pub id: Uuid,
    pub acceptance_number: Option<String>,
    pub item_code: String,
    pub item_name: String,
    pub business_line: String,
    pub state: String,
    /// `platform`, `window` or `national`.
    pub source: String,
    pub applicant_kind: String,
    /// In full for an organisation, masked for a person.
    pub applicant_name: String,
    pub applicant_uscc: Option<String>,
    pub organisation_id: Uuid,
    pub submitted_at: DateTime<FixedOffset>,
    pub accepted_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    /// The deadline counted a year whose holidays are not on record yet.
    pub deadline_provisional: bool,
    /// Working days to the deadline (negative: overdue); none once decided.
    pub working_days_left: Option<i32>,
    pub decided_at: Option<DateTime<FixedOffset>>,
}

#[derive(FromRow)]
pub struct SummaryRow {
    pub case_id: Uuid,
    pub acceptance_number: Option<String>,
    pub item_code: String,
    pub item_name: String,
    pub business_line: String,
    pub state: String,
    pub source: String,
    pub applicant_kind: String,
    pub applicant_name_enc: Vec<u8>,
    pub applicant_uscc: Option<String>,
    pub organisation_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub accepted_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub deadline_provisional: bool,
    pub paused_since: Option<NaiveDate>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub const SUMMARY_SELECT: &str = "SELECT c.case_id, c.acceptance_number, c.item_code, v.definition->>'name' AS item_name, c.business_line, c.state, c.source, c.applicant_kind, c.applicant_name_enc, c.applicant_uscc, c.organisation_id, c.submitted_at, c.accepted_on, c.deadline, c.deadline_provisional, c.paused_since, c.decided_at FROM approval_case c JOIN approval_item_version v ON v.item_id = c.item_id AND v.version = c.item_version";

/// Working days from today to `deadline`, counted on the clock: a paused
/// case's clock stands at the day it paused.
pub fn days_left(calendar: &Calendar, deadline: NaiveDate, paused_since: Option<NaiveDate>) -> i32 {
    let now = paused_since.unwrap_or_else(today_in_china);
    if deadline >= now {
        calendar.working_days_between(now, deadline) as i32
    } else {
        -(calendar.working_days_between(deadline, now) as i32)
    }
}

impl SummaryRow {
    pub fn view(self, state: &AppState, calendar: &Calendar) -> Result<CaseSummary, ApiError> {
        let open = self.decided_at.is_none()
            && !matches!(self.state.as_str(), "withdrawn" | "pre_review_failed");
        Ok(CaseSummary {
            applicant_name: applicant_name(state, &self.applicant_kind, &self.applicant_name_enc)?,
            working_days_left: self
                .deadline
                .filter(|_| open)
                .map(|d| days_left(calendar, d, self.paused_since)),
            id: self.case_id,
            acceptance_number: self.acceptance_number,
            item_code: self.item_code,
            item_name: self.item_name,
            business_line: self.business_line,
            state: self.state,
            source: self.source,
            applicant_kind: self.applicant_kind,
            applicant_uscc: self.applicant_uscc,
            organisation_id: self.organisation_id,
            submitted_at: to_china(self.submitted_at),
            accepted_on: self.accepted_on,
            deadline: self.deadline,
            deadline_provisional: self.deadline_provisional,
            decided_at: self.decided_at.map(to_china),
        })
    }
}

/// The applicant as a case's detail shows it.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicantView {
    pub kind: String,
    pub name: String,
    pub uscc: Option<String>,
    /// Masked.
    pub id_number: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct MaterialView {
    pub code: String,
    pub name: String,
    /// 1 with the application, more with each supplement; the latest is given.
    pub revision: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sm3: String,
    pub received_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct StepView {
    pub index: i32,
    pub code: String,
    pub name: String,
    pub mode: String,
    /// `done`, `current` or `pending`.
    pub progress: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TaskView {
    pub task_id: Uuid,
    pub step_code: String,
    pub assignee_id: Uuid,
    pub assignee_name: String,
    pub state: String,
    pub decision: Option<String>,
    pub due_at: Option<DateTime<FixedOffset>>,
    pub decided_at: Option<DateTime<FixedOffset>>,
}

/// A case with everything an approver decides on.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CaseDetail {
    #[oai(flatten)]
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub item_version: i32,
    pub applicant: ApplicantView,
    /// The form's values by field code.
    pub form: Value,
    pub materials: Vec<MaterialView>,
    pub steps: Vec<StepView>,
    /// The tasks of the step under way.
    pub tasks: Vec<TaskView>,
    /// The caller's own open task on it, if any.
    pub my_task_id: Option<Uuid>,
    /// Why pre-review failed (a decision's reasons are its trail entries' opinions).
    pub problems: Option<Value>,
    pub paused_days: i32,
}

/// A trail entry as given back: `signed` verbatim, with its signature and key.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TrailEntryView {
    pub seq: i32,
    pub action: String,
    pub step_code: Option<String>,
    pub task_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub opinion: Option<String>,
    pub detail: Value,
    /// The canonical JSON that was signed, byte for byte.
    pub signed: String,
    /// SM2 signature, hex `r‖s`, user id `1234567812345678`.
    pub signature: String,
    /// The signer's public key, hex uncompressed point `04‖x‖y`.
    pub public_key: String,
    /// SM3(signed ‖ signature): the next entry's `prev_hash`.
    pub hash: String,
}

pub fn masked_id(state: &AppState, blob: Option<&[u8]>) -> Result<Option<String>, ApiError> {
    blob.map(|b| {
        state
            .pii
            .decrypt(b, b"approval_case.applicant_id")
            .map(|n| mask_id_number(&n))
            .map_err(ApiError::internal)
    })
    .transpose()
}
