//! `/approvals/…` (SPEC §8.3–§8.4): intake from the platforms and the
//! window, the to-do list, claims and signed decisions, the case query,
//! a case's detail, its materials and its trail.

use chrono::NaiveDate;
use poem::{Request, RequestBody, web::Data};
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Path, Query},
    payload::{Attachment, AttachmentType, Json, ParsePayload, Payload, Response},
    registry::{MetaSchemaRef, Registry},
    types::multipart::Upload,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::{Approver, ApproverOrAdmin, Caller, otp},
    body::JsonBody,
    codes,
    paging::{Page, PageRequest},
    time::day_range,
    workdays::Calendar,
};

use super::{
    flow::{self, CaseState, Decision, DecisionKind},
    intake::{self, Received, Source},
    submission::{self, REQUEST_MAX_BYTES},
    trail,
    views::{self, CaseDetail, CaseSummary, Todo, TrailEntryView},
};

pub struct ApprovalsApi;

/// The header a platform names itself in.
pub const PLATFORM_HEADER: &str = "X-Yaojian-Platform";

/// A submission as it arrives: the multipart body's bytes (a platform's
/// signature covers them), at most [`REQUEST_MAX_BYTES`].
pub struct SubmissionBody {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The submission's parts, for the OpenAPI document.
#[derive(Debug, Multipart)]
#[allow(dead_code)]
struct SubmissionForm {
    /// JSON: `platform_case_id` (platform only), `item_code`, `division_code`,
    /// `applicant` {`kind` organisation|person, `name`, `uscc` | `id_number`,
    /// `contact`}, `form` {field code: value}, `materials` [{`code`,
    /// `file_name`, `sm3`}]. Each material's file is a part `material.{code}`.
    case: String,
    #[oai(rename = "material.{code}")]
    material: Option<Upload>,
}

impl Payload for SubmissionBody {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.type_() == "multipart" && m.subtype() == "form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        <SubmissionForm as Payload>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <SubmissionForm as Payload>::register(registry);
    }
}

impl ParsePayload for SubmissionBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let content_type = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = shared::body::read_limited(body, REQUEST_MAX_BYTES).await?;
        Ok(SubmissionBody {
            content_type,
            bytes,
        })
    }
}

poem_openapi::impl_apirequest_for_payload!(SubmissionBody,);

/// A platform's JSON request, as its bytes (the signature covers them),
/// parsed once the signature holds. At most 64 KiB.
pub struct SignedJson<T> {
    pub bytes: Vec<u8>,
    _of: std::marker::PhantomData<T>,
}

impl<T: poem_openapi::types::Type + Send + Sync> Payload for SignedJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.essence_str() == "application/json")
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: poem_openapi::types::Type + Send + Sync> ParsePayload for SignedJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = shared::body::read_limited(body, 64 * 1024).await?;
        Ok(SignedJson {
            bytes,
            _of: std::marker::PhantomData,
        })
    }
}

poem_openapi::impl_apirequest_for_payload!(SignedJson<T>, T: poem_openapi::types::Type + Send + Sync);

/// The applicant withdraws an application (撤回), through its platform.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub platform_case_id: String,
    /// Why, in the applicant's words (1–500 characters).
    pub reason: String,
}

/// What a submission is answered with.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CaseReceived {
    pub case_id: Uuid,
    /// `pre_reviewed` (waiting for acceptance) or, for an automatic filing, `approved`.
    pub state: String,
    pub acceptance_number: Option<String>,
    /// The platform sent this case before: this is the answer it had.
    pub replayed: bool,
}

impl From<Received> for CaseReceived {
    fn from(r: Received) -> Self {
        CaseReceived {
            case_id: r.case_id,
            state: r.state.as_str().to_owned(),
            acceptance_number: r.acceptance_number,
            replayed: r.replayed,
        }
    }
}

#[derive(ApiResponse)]
pub enum Submitted {
    /// Received (or, replayed, received before).
    #[oai(status = 201)]
    Created(Json<CaseReceived>),
}

/// A decision on a task.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve` (at the first step: 受理), `reject` (at the first step: 不予受理),
    /// `return` (退回补正), `send_back` (回退), `transfer` (转办).
    pub decision: String,
    /// Required for `reject`, `return` and `send_back`.
    pub opinion: Option<String>,
    /// The one-time code sent by `POST /approvals/otp`.
    pub otp: String,
    /// `return`: the material or form-field codes to supplement.
    pub supplement: Option<Vec<String>>,
    /// `send_back`: the earlier step's code.
    pub to_step: Option<String>,
    /// `transfer`: the colleague holding the step's grant.
    pub to_user: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct DecisionMade {
    pub case_id: Uuid,
    /// The case's state after the decision.
    pub state: String,
    /// The signed trail entry it made.
    pub trail_seq: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
pub struct OtpSent {
    /// The phone it went to, masked.
    pub phone: String,
    pub expires_in: u64,
}

fn case_not_found() -> ApiError {
    ApiError::of(codes::APPROVAL_CASE_NOT_FOUND)
}

fn task_not_found() -> ApiError {
    ApiError::of(codes::TASK_NOT_FOUND)
}

/// A platform's request, verified: the platform it came from.
async fn platform_of<'a>(
    state: &'a AppState,
    req: &Request,
    body: &[u8],
) -> Result<&'a str, ApiError> {
    let name = req
        .headers()
        .get(PLATFORM_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    let Some(p) = state
        .config
        .approval_platforms
        .iter()
        .find(|p| p.name == name)
    else {
        return Err(ApiError::of(codes::SIGNATURE_INVALID));
    };
    shared::inbound::verify(
        state,
        &format!("platform:{}", p.name),
        p.key.expose_secret().as_bytes(),
        req.headers(),
        body,
    )
    .await?;
    Ok(&p.name)
}

fn text_field(v: Option<String>, field: &str, max: usize) -> Result<Option<String>, ApiError> {
    v.map(|s| shared::body::text(&s, field, max)).transpose()
}

fn decision_of(body: &DecisionRequest) -> Result<Decision, ApiError> {
    let kind = DecisionKind::from_text(body.decision.trim()).ok_or_else(|| {
        ApiError::of(codes::DECISION_NOT_ALLOWED).field(
            "decision",
            codes::NOT_ALLOWED,
            "处理方式应为 approve、reject、return、send_back 或 transfer",
        )
    })?;
    let supplement = body.supplement.clone().unwrap_or_default();
    if supplement.len() > 100 {
        return Err(ApiError::of(codes::TOO_MANY).field(
            "supplement",
            codes::TOO_MANY,
            "最多 100 项",
        ));
    }
    Ok(Decision {
        kind,
        opinion: text_field(body.opinion.clone(), "opinion", 2000)?,
        supplement: supplement
            .into_iter()
            .map(|s| s.trim().to_owned())
            .collect(),
        to_step: body.to_step.clone(),
        to_user: body.to_user,
    })
}

#[OpenApi]
impl ApprovalsApi {
    /// A case from an online service platform (一网通办): multipart, signed
    /// with the platform's key; idempotent on the platform's case id
    #[oai(
        path = "/approvals/intake",
        method = "post",
        operation_id = "approval_intake"
    )]
    #[tracing::instrument(name = "approvals.intake", skip_all)]
    async fn intake(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: SubmissionBody,
    ) -> Result<Submitted, ApiError> {
        let platform = platform_of(&state, req, &body.bytes).await?;
        let sub: submission::Submission =
            submission::parse(&body.content_type, body.bytes, true).await?;
        let received = intake::receive(&state, Source::Platform(platform), sub).await?;
        Ok(Submitted::Created(Json(received.into())))
    }

    /// The applicant's supplement (补正) of a returned case, from its platform:
    /// the listed materials and form fields; the case resumes at its step
    #[oai(
        path = "/approvals/intake/supplement",
        method = "post",
        operation_id = "approval_intake_supplement"
    )]
    #[tracing::instrument(name = "approvals.supplement", skip_all)]
    async fn supplement(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: SubmissionBody,
    ) -> Result<Json<CaseReceived>, ApiError> {
        let platform = platform_of(&state, req, &body.bytes).await?;
        let sub = submission::parse(&body.content_type, body.bytes, true).await?;
        let received = super::supplement::receive(&state, platform, sub).await?;
        Ok(Json(received.into()))
    }

    /// The applicant withdraws a case not yet decided, through its platform
    /// (signed JSON); a repeated withdrawal answers the same
    #[oai(
        path = "/approvals/intake/withdraw",
        method = "post",
        operation_id = "approval_intake_withdraw"
    )]
    #[tracing::instrument(name = "approvals.withdraw", skip_all)]
    async fn withdraw(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: SignedJson<WithdrawRequest>,
    ) -> Result<Json<CaseReceived>, ApiError> {
        let platform = platform_of(&state, req, &body.bytes).await?;
        let request: WithdrawRequest = shared::body::parse_json(&body.bytes)?;
        let reason = shared::body::text(&request.reason, "reason", 500)?;
        let mut tx = state.db.begin().await?;
        let case_id = sqlx::query_scalar!(
            "SELECT case_id FROM approval_case WHERE platform = $1 AND external_id = $2",
            platform,
            request.platform_case_id.trim()
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(case_not_found)?;
        let mut case = flow::lock(&mut tx, case_id)
            .await?
            .ok_or_else(case_not_found)?;
        let replayed = case.state == CaseState::Withdrawn;
        if !replayed {
            flow::withdraw(
                &state,
                &mut tx,
                &mut case,
                &reason,
                json!({ "platform": platform }),
            )
            .await?;
            Entry::system(Action::ApprovalWithdraw)
                .on(Stream::Organisation(case.organisation_id))
                .object(case_id)
                .append(&mut tx)
                .await?;
        }
        let number = flow::acceptance_number(&mut tx, case_id).await?;
        tx.commit().await?;
        Ok(Json(CaseReceived {
            case_id,
            state: case.state.as_str().to_owned(),
            acceptance_number: number,
            replayed,
        }))
    }

    /// A case typed in at a service window by a user granted the item's
    /// acceptance step (multipart, as the platform's)
    #[oai(
        path = "/approvals/cases",
        method = "post",
        operation_id = "approval_case_create"
    )]
    #[tracing::instrument(name = "approvals.window", skip_all)]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: Approver,
        body: SubmissionBody,
    ) -> Result<Submitted, ApiError> {
        let sub: submission::Submission =
            submission::parse(&body.content_type, body.bytes, false).await?;
        if sub.case.platform_case_id.is_some() {
            return Err(ApiError::of(codes::UNKNOWN_FIELD).field(
                "case.platform_case_id",
                codes::UNKNOWN_FIELD,
                "窗口收件没有平台办件编号",
            ));
        }
        let received = intake::receive(&state, Source::Window(&auth.0), sub).await?;
        Ok(Submitted::Created(Json(received.into())))
    }

    /// The caller's to-do list: overdue first, then by due time, with counts
    #[oai(
        path = "/approvals/tasks",
        method = "get",
        operation_id = "approval_tasks"
    )]
    async fn tasks(
        &self,
        state: Data<&AppState>,
        auth: Approver,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Todo>, ApiError> {
        let p = PageRequest::new(page.0, page_size.0);
        let mut conn = state.db.acquire().await?;
        Ok(Json(
            views::todo(&state, &mut conn, &auth.0, p.limit(), p.offset()).await?,
        ))
    }

    /// Claim a `single` task: the step's other assignees lose it
    #[oai(
        path = "/approvals/tasks/:id/claim",
        method = "post",
        operation_id = "approval_task_claim"
    )]
    #[tracing::instrument(name = "approvals.claim", skip_all)]
    async fn claim(
        &self,
        state: Data<&AppState>,
        auth: Approver,
        id: Path<Uuid>,
    ) -> Result<Json<DecisionMade>, ApiError> {
        let mut tx = state.db.begin().await?;
        let (case_id, task) = own_task(&mut tx, &auth.0, id.0).await?;
        let case = flow::lock(&mut tx, case_id)
            .await?
            .ok_or_else(task_not_found)?;
        let trail_seq = flow::claim(&state, &mut tx, &case, &task).await?;
        Entry::by(&auth.0, Action::ApprovalTaskClaim)
            .on(Stream::Organisation(case.organisation_id))
            .object(task.task_id)
            .detail(json!({ "case_id": case_id }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Json(DecisionMade {
            case_id,
            state: case.state.as_str().to_owned(),
            trail_seq,
        }))
    }

    /// Send a one-time code to the caller's phone, to sign a decision with
    #[oai(
        path = "/approvals/otp",
        method = "post",
        operation_id = "approval_otp"
    )]
    #[tracing::instrument(name = "approvals.otp", skip_all)]
    async fn send_otp(
        &self,
        state: Data<&AppState>,
        auth: Approver,
    ) -> Result<Json<OtpSent>, ApiError> {
        let phone = sqlx::query_scalar!(
            "SELECT phone FROM app_user WHERE user_id = $1",
            auth.user_id
        )
        .fetch_one(&state.db)
        .await?
        .map(|p| p.trim().to_owned())
        .filter(|p| p.len() >= 5)
        .ok_or_else(|| ApiError::of(codes::PHONE_MISSING))?;
        otp::send(
            &state,
            auth.user_id,
            &phone,
            otp::Purpose::ApprovalSignature,
        )
        .await?;
        Entry::by(&auth.0, Action::ApprovalOtpSend)
            .object(auth.user_id)
            .append_alone(&state.db)
            .await?;
        // By characters: a phone is free text an admin typed.
        let chars: Vec<char> = phone.chars().collect();
        let keep = |r: std::ops::Range<usize>| chars[r].iter().collect::<String>();
        let masked = format!(
            "{}****{}",
            keep(0..3.min(chars.len())),
            keep(chars.len().saturating_sub(4)..chars.len())
        );
        Ok(Json(OtpSent {
            phone: masked,
            expires_in: otp::TTL_SECS,
        }))
    }

    /// Decide a task, signed with the caller's key after the one-time code:
    /// 409 `TASK_ALREADY_DECIDED` when a colleague was faster or the case moved on
    #[oai(
        path = "/approvals/tasks/:id/decision",
        method = "post",
        operation_id = "approval_task_decide"
    )]
    #[tracing::instrument(name = "approvals.decide", skip_all)]
    async fn decide(
        &self,
        state: Data<&AppState>,
        auth: Approver,
        id: Path<Uuid>,
        body: JsonBody<DecisionRequest>,
    ) -> Result<Json<DecisionMade>, ApiError> {
        let decision = decision_of(&body)?;
        {
            // Not the caller's task: not found, before a code is spent on it.
            let mut conn = state.db.acquire().await?;
            own_task(&mut conn, &auth.0, id.0).await?;
        }
        otp::check(
            &state,
            auth.user_id,
            otp::Purpose::ApprovalSignature,
            &body.otp,
        )
        .await?;
        let mut tx = state.db.begin().await?;
        let (case_id, task) = own_task(&mut tx, &auth.0, id.0).await?;
        let mut case = flow::lock(&mut tx, case_id)
            .await?
            .ok_or_else(task_not_found)?;
        let calendar = Calendar::load(&mut tx).await?;
        let outcome = flow::decide(
            &state,
            &mut tx,
            &calendar,
            &mut case,
            &task,
            auth.user_id,
            &decision,
        )
        .await?;
        Entry::by(&auth.0, Action::ApprovalDecide)
            .on(Stream::Organisation(case.organisation_id))
            .object(case_id)
            .detail(json!({ "task_id": task.task_id, "decision": decision.kind.as_str(), "trail_seq": outcome.trail_seq, "state": outcome.state.as_str() }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Json(DecisionMade {
            case_id,
            state: outcome.state.as_str().to_owned(),
            trail_seq: outcome.trail_seq,
        }))
    }

    /// Query cases in the caller's scope: by acceptance number, applicant
    /// (name or USCC), item, business line, state, submission dates, overdue
    #[oai(
        path = "/approvals/cases",
        method = "get",
        operation_id = "approval_cases"
    )]
    async fn cases(
        &self,
        state: Data<&AppState>,
        auth: ApproverOrAdmin,
        acceptance_number: Query<Option<String>>,
        /// The applicant's full name or USCC (exact).
        applicant: Query<Option<String>>,
        item_code: Query<Option<String>>,
        business_line: Query<Option<String>>,
        #[oai(name = "state")] case_state: Query<Option<String>>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        /// Only open cases past their deadline.
        overdue: Query<Option<bool>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<u32>,
        >,
    ) -> Result<Json<Page<CaseSummary>>, ApiError> {
        let p = PageRequest::new(page.0, page_size.0);
        let (from_t, to_t) = day_range(from.0, to.0)?;
        if let Some(s) = case_state.0.as_deref()
            && CaseState::from_text(s).is_none()
        {
            return Err(
                ApiError::bad_request(codes::INVALID_PARAMETER, "办件状态不正确").field(
                    "state",
                    codes::NOT_ALLOWED,
                    "不认识的办件状态",
                ),
            );
        }
        let filters = |qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>| {
            qb.push(" WHERE ");
            views::push_visible(qb, &auth.0);
            if let Some(n) = acceptance_number
                .0
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                qb.push(" AND c.acceptance_number = ")
                    .push_bind(n.to_ascii_uppercase());
            }
            if let Some(a) = applicant
                .0
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                qb.push(" AND (c.applicant_uscc = ")
                    .push_bind(a.to_ascii_uppercase())
                    .push(" OR c.applicant_name_idx = ")
                    .push_bind(
                        state
                            .pii
                            .blind_index("approval_case.applicant_name", a)
                            .to_vec(),
                    )
                    .push(")");
            }
            if let Some(i) = item_code.0.as_deref().filter(|s| !s.is_empty()) {
                qb.push(" AND c.item_code = ").push_bind(i.to_owned());
            }
            if let Some(l) = business_line.0.as_deref().filter(|s| !s.is_empty()) {
                qb.push(" AND c.business_line = ").push_bind(l.to_owned());
            }
            if let Some(s) = case_state.0.as_deref() {
                qb.push(" AND c.state = ").push_bind(s.to_owned());
            }
            if let Some(f) = from_t {
                qb.push(" AND c.submitted_at >= ").push_bind(f);
            }
            if let Some(t) = to_t {
                qb.push(" AND c.submitted_at < ").push_bind(t);
            }
            if overdue.0 == Some(true) {
                qb.push(" AND c.decided_at IS NULL AND c.deadline < ")
                    .push_bind(shared::time::today_in_china());
            }
        };
        let mut conn = state.db.acquire().await?;
        let mut count = sqlx::QueryBuilder::new("SELECT count(*) FROM approval_case c");
        filters(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
        let mut qb = sqlx::QueryBuilder::new(views::SUMMARY_SELECT);
        filters(&mut qb);
        qb.push(" ORDER BY c.submitted_at DESC, c.case_id DESC LIMIT ")
            .push_bind(p.limit())
            .push(" OFFSET ")
            .push_bind(p.offset());
        let rows: Vec<views::SummaryRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
        let calendar = Calendar::load(&mut conn).await?;
        let items = rows
            .into_iter()
            .map(|r| r.view(&state, &calendar))
            .collect::<Result<Vec<_>, _>>()?;
        if applicant.0.is_some() {
            Entry::by(&auth.0, Action::ApprovalCaseView)
                .detail(json!({ "query": "applicant", "results": total }))
                .append_alone(&state.db)
                .await?;
        }
        Ok(Json(Page::new(items, total, p)))
    }

    /// One case: applicant, form, materials, steps, the current tasks, time left
    #[oai(
        path = "/approvals/cases/:id",
        method = "get",
        operation_id = "approval_case"
    )]
    async fn case(
        &self,
        state: Data<&AppState>,
        auth: ApproverOrAdmin,
        id: Path<Uuid>,
    ) -> Result<Json<CaseDetail>, ApiError> {
        let mut conn = state.db.acquire().await?;
        if !views::visible(&mut conn, &auth.0, id.0).await? {
            return Err(case_not_found());
        }
        let detail = super::detail::load(&state, &mut conn, &auth.0, id.0)
            .await?
            .ok_or_else(case_not_found)?;
        if detail.applicant.kind == "person" {
            Entry::by(&auth.0, Action::ApprovalCaseView)
                .on(Stream::Organisation(detail.summary.organisation_id))
                .object(id.0)
                .append_alone(&state.db)
                .await?;
        }
        Ok(Json(detail))
    }

    /// A material's file (its latest revision); the view is a trail entry
    #[oai(
        path = "/approvals/cases/:id/materials/:code",
        method = "get",
        operation_id = "approval_case_material"
    )]
    #[tracing::instrument(name = "approvals.material", skip_all)]
    async fn material(
        &self,
        state: Data<&AppState>,
        auth: ApproverOrAdmin,
        id: Path<Uuid>,
        code: Path<String>,
    ) -> Result<Response<Attachment<Vec<u8>>>, ApiError> {
        let mut tx = state.db.begin().await?;
        if !views::visible(&mut tx, &auth.0, id.0).await? {
            return Err(case_not_found());
        }
        let case = flow::lock(&mut tx, id.0)
            .await?
            .ok_or_else(case_not_found)?;
        let m = sqlx::query!(
            "SELECT revision, file_name, content_type, sm3, encrypted FROM approval_material
             WHERE case_id = $1 AND code = $2 ORDER BY revision DESC LIMIT 1",
            id.0,
            code.0
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::of(codes::MATERIAL_NOT_FOUND))?;
        let bytes = intake::read_file(&state, id.0, &code.0, m.revision, m.encrypted).await?;
        case.record(
            &state,
            &mut tx,
            trail::NewEntry::new("material_viewed", Some(auth.user_id))
                .at(case.step().map(|s| s.code.as_str()))
                .detail(json!({ "material": code.0, "revision": m.revision, "sm3": m.sm3 })),
        )
        .await?;
        Entry::by(&auth.0, Action::ApprovalMaterialView)
            .on(Stream::Organisation(case.organisation_id))
            .object(id.0)
            .detail(json!({ "material": code.0, "revision": m.revision }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Response::new(
            Attachment::new(bytes)
                .attachment_type(AttachmentType::Inline)
                .filename(m.file_name),
        )
        .header("content-type", m.content_type)
        .header("x-content-sm3", m.sm3)
        .header("cache-control", "private, no-store"))
    }

    /// The case's trail: every entry with the signed text, its SM2 signature and the signer's key
    #[oai(
        path = "/approvals/cases/:id/trail",
        method = "get",
        operation_id = "approval_case_trail"
    )]
    async fn trail(
        &self,
        state: Data<&AppState>,
        auth: ApproverOrAdmin,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<TrailEntryView>>, ApiError> {
        let mut conn = state.db.acquire().await?;
        if !views::visible(&mut conn, &auth.0, id.0).await? {
            return Err(case_not_found());
        }
        let entries = trail::entries(&mut conn, id.0).await?;
        let views = entries
            .into_iter()
            .map(|e| {
                Ok(TrailEntryView {
                    opinion: e.opinion(&state)?,
                    seq: e.seq,
                    action: e.action,
                    step_code: e.step_code,
                    task_id: e.task_id,
                    actor_id: e.actor_id,
                    actor_name: e.actor_name,
                    at: shared::time::to_china(e.at),
                    detail: e.detail,
                    signed: e.signed,
                    signature: e.signature,
                    public_key: e.public_key,
                    hash: e.hash,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Json(views))
    }
}

/// The caller's task and its case (404 for anyone else's).
async fn own_task(
    conn: &mut sqlx::PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<(Uuid, flow::TaskRow), ApiError> {
    match flow::task(conn, id).await? {
        Some((case_id, t)) if t.assignee_id == caller.user_id => Ok((case_id, t)),
        _ => Err(task_not_found()),
    }
}
