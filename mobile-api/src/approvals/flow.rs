//! The case engine (SPEC §8.3): a case moves between states only here, each
//! move in the caller's transaction with the case row locked, its trail
//! entry, audit entry and the tasks of the step it enters.
//!
//! - A step is entered in a new **round**: its tasks (one per user granted
//!   the step in the case's organisation) carry the round, and a decision is
//!   taken only on a task of the case's current round and step. A task of a
//!   step the case has left can therefore never be decided, and re-entering
//!   a step (after a return, a send-back) makes fresh tasks for everyone —
//!   none lost, none doubled.
//! - The first step is acceptance (受理): its `approve` accepts the case
//!   (acceptance number, the clock starts), its `reject` is 不予受理.
//! - `single`: deciding (or claiming) takes the step from the other
//!   assignees; `any`: the first decision decides; `all` (会签): the step
//!   passes when every assignee approved, and any other decision decides it.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use shared::{
    ApiError, AppState, codes,
    domain::AcceptanceNumber,
    time::{china, today_in_china},
    workdays::Calendar,
};

pub use super::decision::{Decision, DecisionKind};
use super::trail::{self, NewEntry};
use crate::approval_items::definition::{Definition, Step, StepMode};

shared::text_enum! {
    /// Where a case is (SPEC §8.3).
    pub enum CaseState {
        Submitted = "submitted",
        PreReviewed = "pre_reviewed",
        PreReviewFailed = "pre_review_failed",
        Accepted = "accepted",
        NotAccepted = "not_accepted",
        InReview = "in_review",
        Returned = "returned",
        Suspended = "suspended",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
        LicenceIssued = "licence_issued",
        Archived = "archived",
    }
}

impl CaseState {
    /// Decided, withdrawn or further: nothing more is decided on it.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            CaseState::PreReviewFailed
                | CaseState::NotAccepted
                | CaseState::Approved
                | CaseState::Rejected
                | CaseState::Withdrawn
                | CaseState::LicenceIssued
                | CaseState::Archived
        )
    }
}

/// A case as the engine needs it, locked.
#[derive(Debug, Clone)]
pub struct LockedCase {
    pub case_id: Uuid,
    pub item_code: String,
    pub business_line: String,
    pub organisation_id: Uuid,
    pub state: CaseState,
    pub step_index: Option<i32>,
    pub round: i32,
    pub accepted_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub paused_since: Option<NaiveDate>,
    pub definition: Definition,
}

impl LockedCase {
    /// Appends an entry to the case's trail (the row is locked).
    pub async fn record(
        &self,
        state: &AppState,
        conn: &mut PgConnection,
        entry: NewEntry<'_>,
    ) -> Result<i32, ApiError> {
        trail::append(state, conn, self.case_id, self.definition.sensitive, entry).await
    }

    pub fn step(&self) -> Option<&Step> {
        self.step_index
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.definition.steps.get(i))
    }
}

/// Locks the case and reads it with its item version's definition.
pub async fn lock(conn: &mut PgConnection, case_id: Uuid) -> Result<Option<LockedCase>, ApiError> {
    let row = sqlx::query!(
        r#"SELECT c.case_id, c.item_code, c.business_line, c.organisation_id, c.state, c.step_index,
                  c.round, c.accepted_on, c.deadline, c.paused_since,
                  v.definition AS "definition: sqlx::types::Json<Definition>"
           FROM approval_case c
           JOIN approval_item_version v ON v.item_id = c.item_id AND v.version = c.item_version
           WHERE c.case_id = $1
           FOR UPDATE OF c"#,
        case_id
    )
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(LockedCase {
        case_id: r.case_id,
        item_code: r.item_code,
        business_line: r.business_line,
        organisation_id: r.organisation_id,
        state: CaseState::from_text(&r.state)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown case state {}", r.state)))?,
        step_index: r.step_index,
        round: r.round,
        accepted_on: r.accepted_on,
        deadline: r.deadline,
        paused_since: r.paused_since,
        definition: r.definition.0,
    }))
}

/// The end of a China working day, as a due time.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("a real time"))
        .and_local_timezone(china())
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The users granted `step` of the case's item (by its code or its line) in
/// the case's organisation, in the step's department when it names one.
pub async fn candidates(
    conn: &mut PgConnection,
    case: &LockedCase,
    step: &Step,
) -> Result<Vec<Uuid>, sqlx::Error> {
    granted(
        conn,
        case.organisation_id,
        &case.item_code,
        &case.business_line,
        step,
    )
    .await
}

/// The active approvers of `organisation` granted `step` of the item `item_code`
/// (or of its business line `line`).
pub async fn granted(
    conn: &mut PgConnection,
    organisation: Uuid,
    item_code: &str,
    line: &str,
    step: &Step,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT u.user_id AS "user_id!"
           FROM app_user u
           JOIN department d ON d.department_id = u.department_id
           JOIN approval_grant g ON g.user_id = u.user_id
           WHERE u.role = 'approver' AND u.status = 'active'
             AND d.organisation_id = $1
             AND ($2::uuid IS NULL OR u.department_id = $2)
             AND g.step = $3 AND (g.item_code = $4 OR g.business_line = $5)
           ORDER BY 1"#,
        organisation,
        step.department_id,
        step.code,
        item_code,
        line
    )
    .fetch_all(conn)
    .await
}

/// Enters step `index` in a new round: the case's state becomes `state`,
/// and every candidate gets a task due at the step's limit (or the case's
/// deadline). Returns the tasks made.
pub async fn enter_step(
    conn: &mut PgConnection,
    calendar: &Calendar,
    case: &mut LockedCase,
    index: usize,
    state: CaseState,
) -> Result<Vec<(Uuid, Uuid)>, ApiError> {
    let step = case
        .definition
        .steps
        .get(index)
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("step {index} does not exist")))?;
    case.round += 1;
    case.step_index = Some(index as i32);
    case.state = state;
    let due = match step.days {
        Some(days) => Some(end_of(calendar.count_forward(today_in_china(), days).day)),
        None => case.deadline.map(end_of),
    };
    sqlx::query!(
        "UPDATE approval_case SET round = $2, step_index = $3, state = $4 WHERE case_id = $1",
        case.case_id,
        case.round,
        case.step_index,
        state.as_str()
    )
    .execute(&mut *conn)
    .await?;
    let users = candidates(conn, case, &step).await?;
    if users.is_empty() {
        // Nobody holds the grant: the case waits at the step, visible to
        // city admins as unassigned, until a grant is made and the step is
        // re-entered.
        tracing::warn!(case_id = %case.case_id, step = %step.code, "no approver holds the step's grant");
    }
    let ids: Vec<Uuid> = users.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query!(
        "INSERT INTO approval_task (task_id, case_id, round, step_index, step_code, step_name, mode, assignee_id, state, due_at)
         SELECT t, $2, $3, $4, $5, $6, $7, u, 'open', $8 FROM unnest($1::uuid[], $9::uuid[]) AS x(t, u)",
        &ids,
        case.case_id,
        case.round,
        index as i32,
        step.code,
        step.name,
        step.mode.as_str(),
        due,
        &users
    )
    .execute(&mut *conn)
    .await?;
    Ok(ids.into_iter().zip(users).collect())
}

/// Cancels the open tasks of the case's current round (but `except`).
async fn cancel_open(
    conn: &mut PgConnection,
    case: &LockedCase,
    except: Option<Uuid>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "UPDATE approval_task SET state = 'cancelled', decided_at = now()
         WHERE case_id = $1 AND round = $2 AND state IN ('open', 'claimed') AND task_id IS DISTINCT FROM $3",
        case.case_id,
        case.round,
        except
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Gives the case its acceptance number (unique: the organisation's counter
/// for the day is taken under its row lock) and starts its clock.
pub async fn accept(
    conn: &mut PgConnection,
    calendar: &Calendar,
    case: &mut LockedCase,
) -> Result<AcceptanceNumber, ApiError> {
    let today = today_in_china();
    let division = sqlx::query_scalar!(
        "SELECT division_code FROM organisation WHERE organisation_id = $1",
        case.organisation_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let seq = sqlx::query_scalar!(
        "INSERT INTO acceptance_counter (organisation_id, day, last) VALUES ($1, $2, 1)
         ON CONFLICT (organisation_id, day) DO UPDATE SET last = acceptance_counter.last + 1
         RETURNING last",
        case.organisation_id,
        today
    )
    .fetch_one(&mut *conn)
    .await?;
    let number = AcceptanceNumber::issue(&division, today, seq as u32)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("acceptance number: {e}")))?;
    let deadline = calendar.count_forward(today, case.definition.legal_days);
    sqlx::query!(
        "UPDATE approval_case SET acceptance_number = $2, accepted_on = $3, deadline = $4,
                deadline_provisional = $5, state = 'accepted'
         WHERE case_id = $1",
        case.case_id,
        number.as_str(),
        today,
        deadline.day,
        deadline.provisional
    )
    .execute(&mut *conn)
    .await?;
    case.accepted_on = Some(today);
    case.deadline = Some(deadline.day);
    case.state = CaseState::Accepted;
    Ok(number)
}

/// The case's acceptance number, once it has one.
pub async fn acceptance_number(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT acceptance_number FROM approval_case WHERE case_id = $1",
        case_id
    )
    .fetch_one(conn)
    .await
}

/// Ends the case with a decision.
async fn close(
    conn: &mut PgConnection,
    case: &mut LockedCase,
    state: CaseState,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE approval_case SET state = $2, step_index = NULL, decided_at = now() WHERE case_id = $1",
        case.case_id,
        state.as_str()
    )
    .execute(conn)
    .await?;
    case.state = state;
    case.step_index = None;
    Ok(())
}

/// Moves a case past its current step: the next one, or approved after the last.
pub async fn advance(
    state: &AppState,
    conn: &mut PgConnection,
    calendar: &Calendar,
    case: &mut LockedCase,
    actor: Option<Uuid>,
) -> Result<(), ApiError> {
    let index = case.step_index.unwrap_or(0) as usize;
    if index == 0 && case.accepted_on.is_none() {
        let number = accept(conn, calendar, case).await?;
        case.record(
            state,
            conn,
            NewEntry::new("accepted", actor)
                .at(case.definition.steps.first().map(|s| s.code.as_str()))
                .detail(json!({ "acceptance_number": number.as_str(), "deadline": case.deadline })),
        )
        .await?;
    }
    if index + 1 < case.definition.steps.len() {
        enter_step(conn, calendar, case, index + 1, CaseState::InReview).await?;
    } else {
        close(conn, case, CaseState::Approved).await?;
        case.record(state, conn, NewEntry::new("approved", actor))
            .await?;
    }
    Ok(())
}

/// An automatic filing (秒批) that passed pre-review: accepted and approved
/// at once, by the system, with its trail.
pub async fn approve_automatically(
    state: &AppState,
    conn: &mut PgConnection,
    calendar: &Calendar,
    case: &mut LockedCase,
) -> Result<(), ApiError> {
    let number = accept(conn, calendar, case).await?;
    case.record(
        state,
        conn,
        NewEntry::new("accepted", None)
            .detail(json!({ "acceptance_number": number.as_str(), "automatic": true })),
    )
    .await?;
    close(conn, case, CaseState::Approved).await?;
    case.record(
        state,
        conn,
        NewEntry::new("approved", None).detail(json!({ "automatic": true })),
    )
    .await?;
    Ok(())
}

pub struct TaskRow {
    pub task_id: Uuid,
    pub round: i32,
    pub step_index: i32,
    pub mode: String,
    pub assignee_id: Uuid,
    pub state: String,
}

pub async fn task(
    conn: &mut PgConnection,
    task_id: Uuid,
) -> Result<Option<(Uuid, TaskRow)>, sqlx::Error> {
    let r = sqlx::query!(
        "SELECT task_id, case_id, round, step_index, mode, assignee_id, state FROM approval_task WHERE task_id = $1",
        task_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(r.map(|r| {
        (
            r.case_id,
            TaskRow {
                task_id: r.task_id,
                round: r.round,
                step_index: r.step_index,
                mode: r.mode,
                assignee_id: r.assignee_id,
                state: r.state,
            },
        )
    }))
}

fn not_allowed(field: &str, message: &str) -> ApiError {
    ApiError::of(codes::DECISION_NOT_ALLOWED).field(
        field,
        codes::DECISION_NOT_ALLOWED,
        message.to_owned(),
    )
}

/// The task must be the caller's, of the case's current round, and still
/// open; else 409 `TASK_ALREADY_DECIDED` (a colleague was faster, or the
/// case moved on).
pub fn check_current(case: &LockedCase, task: &TaskRow) -> Result<(), ApiError> {
    let current = case.round == task.round && case.step_index == Some(task.step_index);
    let open = matches!(task.state.as_str(), "open" | "claimed");
    let decidable = matches!(case.state, CaseState::PreReviewed | CaseState::InReview);
    if !(current && open && decidable) {
        return Err(ApiError::of(codes::TASK_ALREADY_DECIDED));
    }
    Ok(())
}

/// Claims a `single` task: the colleagues' tasks of the step are cancelled,
/// and the trail says who took it. Claiming one's claimed task again
/// changes nothing. Returns the number of the `claimed` trail entry.
pub async fn claim(
    state: &AppState,
    conn: &mut PgConnection,
    case: &LockedCase,
    task: &TaskRow,
) -> Result<i32, ApiError> {
    check_current(case, task)?;
    if task.mode != StepMode::Single.as_str() {
        return Err(not_allowed("task_id", "只有单人办理的环节需要认领"));
    }
    if task.state == "claimed" {
        let seq = sqlx::query_scalar!(
            "SELECT seq FROM approval_trail WHERE case_id = $1 AND task_id = $2 AND action = 'claimed'",
            case.case_id,
            task.task_id
        )
        .fetch_one(&mut *conn)
        .await?;
        return Ok(seq);
    }
    sqlx::query!(
        "UPDATE approval_task SET state = 'claimed' WHERE task_id = $1",
        task.task_id
    )
    .execute(&mut *conn)
    .await?;
    cancel_open(conn, case, Some(task.task_id)).await?;
    let mut entry =
        NewEntry::new("claimed", Some(task.assignee_id)).at(case.step().map(|s| s.code.as_str()));
    entry.task_id = Some(task.task_id);
    case.record(state, conn, entry).await
}

/// What a decision did, for the answer.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub trail_seq: i32,
    pub state: CaseState,
}

/// Decides `task` (already checked to be the caller's). One transaction:
/// the task, the colleagues' tasks, the case's move, the next tasks and
/// the signed trail entry.
pub async fn decide(
    state: &AppState,
    conn: &mut PgConnection,
    calendar: &Calendar,
    case: &mut LockedCase,
    task: &TaskRow,
    actor: Uuid,
    decision: &Decision,
) -> Result<Outcome, ApiError> {
    check_current(case, task)?;
    let index = task.step_index as usize;
    let step = case
        .step()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("case at no step")))?;
    let opinion = decision
        .opinion
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    if matches!(
        decision.kind,
        DecisionKind::Reject | DecisionKind::Return | DecisionKind::SendBack
    ) && opinion.is_none()
    {
        return Err(ApiError::of(codes::OPINION_REQUIRED).field(
            "opinion",
            codes::OPINION_REQUIRED,
            "请填写意见（不予许可、退回补正、回退须写明理由）",
        ));
    }
    let mut detail = json!({ "decision": decision.kind.as_str(), "round": task.round });

    // Validate the decision's own arguments before anything changes.
    let mut send_back_to = None;
    let mut transfer_to = None;
    match decision.kind {
        DecisionKind::Return => {
            let known = |c: &String| {
                case.definition.materials.iter().any(|m| &m.code == c)
                    || case.definition.fields.iter().any(|f| &f.code == c)
            };
            if decision.supplement.is_empty() {
                return Err(not_allowed("supplement", "请列出需要补正的材料或表单项"));
            }
            if let Some(c) = decision.supplement.iter().find(|c| !known(c)) {
                return Err(not_allowed(
                    "supplement",
                    &format!("事项没有材料或表单项 {c}"),
                ));
            }
            detail["supplement"] = json!(decision.supplement);
        }
        DecisionKind::SendBack => {
            let target = decision
                .to_step
                .as_deref()
                .and_then(|c| case.definition.steps.iter().position(|s| s.code == c));
            match target {
                Some(t) if t >= 1 && t < index => send_back_to = Some(t),
                _ => return Err(not_allowed("to_step", "只能回退到本环节之前的审查环节")),
            }
            detail["to_step"] = json!(decision.to_step);
        }
        DecisionKind::Transfer => {
            let Some(to) = decision.to_user.filter(|u| *u != actor) else {
                return Err(not_allowed("to_user", "请选择转办给哪位同事"));
            };
            if !candidates(conn, case, &step).await?.contains(&to) {
                return Err(not_allowed("to_user", "该同事没有本环节的授权"));
            }
            let has_task = sqlx::query_scalar!(
                "SELECT count(*) AS \"n!\" FROM approval_task WHERE case_id = $1 AND round = $2 AND assignee_id = $3 AND state IN ('open', 'claimed')",
                case.case_id, case.round, to
            )
            .fetch_one(&mut *conn)
            .await?;
            if has_task > 0 {
                return Err(not_allowed("to_user", "该同事已有本环节的待办"));
            }
            transfer_to = Some(to);
            detail["to_user"] = json!(to);
        }
        DecisionKind::Approve | DecisionKind::Reject => {}
    }

    sqlx::query!(
        "UPDATE approval_task SET state = 'done', decision = $2, decided_at = now() WHERE task_id = $1",
        task.task_id,
        decision.kind.as_str()
    )
    .execute(&mut *conn)
    .await?;
    let seq = case
        .record(
            state,
            conn,
            NewEntry {
                action: decision.kind.as_str(),
                step: Some(&step.code),
                task_id: Some(task.task_id),
                actor: Some(actor),
                opinion,
                detail,
                signed_by_actor: true,
            },
        )
        .await?;

    match decision.kind {
        DecisionKind::Approve => {
            let countersign_left = if task.mode == StepMode::All.as_str() {
                sqlx::query_scalar!(
                    "SELECT count(*) AS \"n!\" FROM approval_task WHERE case_id = $1 AND round = $2 AND state IN ('open', 'claimed')",
                    case.case_id,
                    case.round
                )
                .fetch_one(&mut *conn)
                .await?
            } else {
                cancel_open(conn, case, None).await?;
                0
            };
            if countersign_left == 0 {
                advance(state, conn, calendar, case, Some(actor)).await?;
            }
        }
        DecisionKind::Reject => {
            cancel_open(conn, case, None).await?;
            let end = if case.accepted_on.is_none() {
                CaseState::NotAccepted
            } else {
                CaseState::Rejected
            };
            close(conn, case, end).await?;
        }
        DecisionKind::Return => {
            cancel_open(conn, case, None).await?;
            sqlx::query!(
                "UPDATE approval_case SET state = 'returned', paused_since = $2 WHERE case_id = $1",
                case.case_id,
                today_in_china()
            )
            .execute(&mut *conn)
            .await?;
            case.state = CaseState::Returned;
        }
        DecisionKind::SendBack => {
            cancel_open(conn, case, None).await?;
            let to = send_back_to.expect("checked above");
            enter_step(conn, calendar, case, to, CaseState::InReview).await?;
        }
        DecisionKind::Transfer => {
            let to = transfer_to.expect("checked above");
            sqlx::query!(
                "INSERT INTO approval_task (task_id, case_id, round, step_index, step_code, step_name, mode, assignee_id, state, due_at)
                 SELECT $2, case_id, round, step_index, step_code, step_name, mode, $3, 'open', due_at FROM approval_task WHERE task_id = $1",
                task.task_id,
                Uuid::now_v7(),
                to
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(Outcome {
        trail_seq: seq,
        state: case.state,
    })
}

/// The applicant's supplement (补正) reached us: the clock runs again, moved
/// on by the working days it stood still, and the step the case was
/// returned at is entered again with fresh tasks.
pub async fn resume_after_supplement(
    state: &AppState,
    conn: &mut PgConnection,
    calendar: &Calendar,
    case: &mut LockedCase,
    detail: Value,
) -> Result<(), ApiError> {
    if case.state != CaseState::Returned {
        return Err(ApiError::of(codes::CASE_NOT_RETURNED));
    }
    let today = today_in_china();
    let paused = case
        .paused_since
        .map_or(0, |since| calendar.working_days_between(since, today));
    let deadline = case.deadline.map(|d| calendar.count_forward(d, paused));
    sqlx::query!(
        "UPDATE approval_case SET paused_since = NULL, paused_days = paused_days + $2,
                deadline = coalesce($3, deadline), deadline_provisional = deadline_provisional OR $4
         WHERE case_id = $1",
        case.case_id,
        paused as i32,
        deadline.map(|d| d.day),
        deadline.is_some_and(|d| d.provisional)
    )
    .execute(&mut *conn)
    .await?;
    case.deadline = deadline.map(|d| d.day).or(case.deadline);
    case.paused_since = None;
    let index = case.step_index.unwrap_or(0) as usize;
    let back_to = if case.accepted_on.is_some() {
        CaseState::InReview
    } else {
        CaseState::PreReviewed
    };
    case.record(
        state,
        conn,
        NewEntry::new("supplemented", None)
            .at(case.step().map(|s| s.code.as_str()))
            .detail(detail),
    )
    .await?;
    enter_step(conn, calendar, case, index, back_to).await?;
    Ok(())
}

/// The applicant withdraws (撤回) an application not yet decided: the open
/// tasks are cancelled and the case ends as `withdrawn`, with the reason
/// they gave in its trail.
pub async fn withdraw(
    state: &AppState,
    conn: &mut PgConnection,
    case: &mut LockedCase,
    reason: &str,
    detail: Value,
) -> Result<(), ApiError> {
    if case.state.is_closed() {
        return Err(ApiError::of(codes::CASE_CLOSED));
    }
    cancel_open(conn, case, None).await?;
    close(conn, case, CaseState::Withdrawn).await?;
    case.record(
        state,
        conn,
        NewEntry::new("withdrawn", None)
            .opinion(Some(reason))
            .detail(detail),
    )
    .await?;
    Ok(())
}
