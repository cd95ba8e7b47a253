//! A case comes in (SPEC §8.3): from a platform (`POST /approvals/intake`,
//! signed, idempotent on the platform's case id) or a window (`POST
//! /approvals/cases`). Both take the same submission and run the same
//! pre-review; the materials go to object storage (SM4-encrypted for a
//! sensitive item) before the one transaction that records the case, its
//! trail and its first tasks.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    auth::Caller,
    codes,
    crypto::sm3_hex,
    error::FieldError,
    storage::StorageError,
    time::today_in_china,
    workdays::Calendar,
};

use super::{
    flow::{self, CaseState},
    submission::{ApplicantKind, File, Submission, pre_review, review_applicant},
    trail::{self, NewEntry},
};
use crate::approval_items::definition::{Definition, HandlingLevel};

/// Where a case came from.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    Platform(&'a str),
    Window(&'a Caller),
}

/// The item a case is filed under: its current version.
pub struct Item {
    pub item_id: Uuid,
    pub version: i32,
    pub code: String,
    pub definition: Definition,
}

pub async fn current_item(conn: &mut PgConnection, code: &str) -> Result<Item, ApiError> {
    let r = sqlx::query!(
        r#"SELECT i.item_id, i.code, i.current_version, i.retired,
                  v.definition AS "definition: sqlx::types::Json<Definition>"
           FROM approval_item i
           JOIN approval_item_version v ON v.item_id = i.item_id AND v.version = i.current_version
           WHERE i.code = $1"#,
        code.trim()
    )
    .fetch_optional(conn)
    .await?;
    let Some(r) = r else {
        return Err(ApiError::of(codes::APPROVAL_ITEM_NOT_FOUND).field(
            "case.item_code",
            codes::APPROVAL_ITEM_NOT_FOUND,
            "没有该事项编码",
        ));
    };
    if r.retired {
        return Err(ApiError::of(codes::APPROVAL_ITEM_RETIRED).field(
            "case.item_code",
            codes::APPROVAL_ITEM_RETIRED,
            "该事项已停止受理",
        ));
    }
    Ok(Item {
        item_id: r.item_id,
        version: r.current_version,
        code: r.code,
        definition: r.definition.0,
    })
}

/// The organisation that handles a case of `definition` filed from
/// `division`: a district bureau for a district item (or a city item handed
/// down from a date already reached), else the city bureau.
async fn handling_organisation(
    conn: &mut PgConnection,
    definition: &Definition,
    division: Option<&str>,
) -> Result<Result<Uuid, FieldError>, sqlx::Error> {
    let devolved = definition
        .devolution
        .as_ref()
        .is_some_and(|d| d.from <= today_in_china());
    let district = definition.level == HandlingLevel::District || devolved;
    let division = division.map(str::trim).filter(|d| !d.is_empty());
    let district_org = match division {
        Some(d) => sqlx::query!(
            "SELECT organisation_id, parent_id FROM organisation WHERE district_code = $1",
            d
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.organisation_id, r.parent_id)),
        None => None,
    };
    if division.is_some() && district_org.is_none() {
        return Ok(Err(FieldError::new(
            "case.division_code",
            codes::DISTRICT_UNKNOWN,
            "没有该区",
        )));
    }
    if district {
        return Ok(match district_org {
            Some((org, _)) => Ok(org),
            None => Err(FieldError::new(
                "case.division_code",
                codes::REQUIRED,
                "区级事项须填写申请人所在区的区划代码",
            )),
        });
    }
    if let Some((_, Some(city))) = district_org {
        return Ok(Ok(city));
    }
    let cities = sqlx::query_scalar!("SELECT organisation_id FROM organisation WHERE kind = 'city' ORDER BY division_code LIMIT 2")
        .fetch_all(&mut *conn)
        .await?;
    Ok(match cities.as_slice() {
        [only] => Ok(*only),
        _ => Err(FieldError::new(
            "case.division_code",
            codes::REQUIRED,
            "请填写申请人所在区的区划代码",
        )),
    })
}

/// What the intake answers.
#[derive(Debug, Clone)]
pub struct Received {
    pub case_id: Uuid,
    pub state: CaseState,
    pub acceptance_number: Option<String>,
    /// A platform's case id seen before: this is the case it made.
    pub replayed: bool,
}

/// SM3 over the case part and the files' digests: what makes two deliveries
/// the same submission (an intake's, or a supplement's).
pub fn submission_digest<T: serde::Serialize>(sub: &Submission<T>) -> String {
    let files: Vec<_> = sub.files.iter().map(|f| json!([f.code, f.sm3])).collect();
    let case = serde_json::to_value(&sub.case).unwrap_or_default();
    sm3_hex(trail::canonical(&json!({ "case": case, "files": files })).as_bytes())
}

fn refused(problems: Vec<FieldError>) -> ApiError {
    let mut e = ApiError::of(codes::PRE_REVIEW_FAILED);
    e.errors = problems;
    e
}

async fn replay(
    conn: &mut PgConnection,
    platform: &str,
    external_id: &str,
    digest: &str,
) -> Result<Option<Received>, ApiError> {
    let Some(r) = sqlx::query!(
        "SELECT case_id, state, acceptance_number, submission_sm3, problems FROM approval_case WHERE platform = $1 AND external_id = $2",
        platform,
        external_id
    )
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    if r.submission_sm3 != digest {
        return Err(ApiError::of(codes::PLATFORM_CASE_CONFLICT).field(
            "case.platform_case_id",
            codes::PLATFORM_CASE_CONFLICT,
            "该编号已用于另一份申请；更正后的申请请使用新的办件编号",
        ));
    }
    if r.state == CaseState::PreReviewFailed.as_str() {
        let problems: Vec<FieldError> = r
            .problems
            .and_then(|p| serde_json::from_value(p).ok())
            .unwrap_or_default();
        return Err(refused(problems));
    }
    Ok(Some(Received {
        case_id: r.case_id,
        state: CaseState::from_text(&r.state).unwrap_or(CaseState::Submitted),
        acceptance_number: r.acceptance_number,
        replayed: true,
    }))
}

fn storage_error(e: StorageError) -> ApiError {
    match e {
        StorageError::NotFound => ApiError::of(codes::MATERIAL_NOT_FOUND),
        other => {
            ApiError::unavailable(codes::STORAGE_UNAVAILABLE, "文件存储暂时不可用，请稍后重试")
                .cause(anyhow::anyhow!("{other}"))
        }
    }
}

fn object_key(case_id: Uuid, code: &str, revision: i32) -> String {
    format!("approvals/{case_id}/{code}/{revision}")
}

fn material_aad(case_id: Uuid, code: &str, revision: i32) -> Vec<u8> {
    format!("approval_material:{case_id}:{code}:{revision}").into_bytes()
}

/// Stores the files of a submission (before the transaction that records
/// them: a failed transaction leaves only unreferenced objects).
pub async fn store_files_of(
    state: &AppState,
    case_id: Uuid,
    sensitive: bool,
    files: &[File],
    revision: i32,
) -> Result<(), ApiError> {
    for f in files {
        let key = object_key(case_id, &f.code, revision);
        let bytes = if sensitive {
            state
                .pii
                .encrypt_bytes(&f.bytes, &material_aad(case_id, &f.code, revision))
        } else {
            f.bytes.clone()
        };
        state
            .storage
            .put(&key, bytes)
            .await
            .map_err(storage_error)?;
    }
    Ok(())
}

/// Records the files' rows.
pub async fn record_files_of(
    conn: &mut PgConnection,
    case_id: Uuid,
    sensitive: bool,
    files: &[File],
    revision: i32,
) -> Result<(), sqlx::Error> {
    for f in files {
        let content_type = f
            .detected
            .map_or("application/octet-stream", |t| t.content_type());
        sqlx::query!(
            "INSERT INTO approval_material (case_id, code, revision, file_name, content_type, size_bytes, sm3, object_key, encrypted)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            case_id,
            f.code,
            revision,
            f.file_name,
            content_type,
            f.bytes.len() as i64,
            f.sm3,
            object_key(case_id, &f.code, revision),
            sensitive
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A material's file as stored, decrypted.
pub async fn read_file(
    state: &AppState,
    case_id: Uuid,
    code: &str,
    revision: i32,
    encrypted: bool,
) -> Result<Vec<u8>, ApiError> {
    let bytes = state
        .storage
        .get(&object_key(case_id, code, revision))
        .await
        .map_err(storage_error)?;
    if encrypted {
        state
            .pii
            .decrypt_bytes(&bytes, &material_aad(case_id, code, revision))
            .map_err(ApiError::internal)
    } else {
        Ok(bytes)
    }
}

/// Receives a submission: pre-review, then the case, its files, its trail
/// and its first step — or 422 `PRE_REVIEW_FAILED` with every reason (a
/// platform's case is then recorded as `pre_review_failed`, so the same
/// case id answers the same).
pub async fn receive(
    state: &AppState,
    source: Source<'_>,
    sub: Submission,
) -> Result<Received, ApiError> {
    let digest = submission_digest(&sub);
    let (platform, external_id) = match &source {
        Source::Platform(name) => {
            let id = sub
                .case
                .platform_case_id
                .as_deref()
                .map(str::trim)
                .filter(|i| (1..=64).contains(&i.len()));
            let Some(id) = id else {
                return Err(ApiError::of(codes::REQUIRED)
                    .with_title("缺少平台办件编号")
                    .field(
                        "case.platform_case_id",
                        codes::REQUIRED,
                        "请提供平台办件编号（1–64 位）",
                    ));
            };
            (Some(*name), Some(id.to_owned()))
        }
        Source::Window(_) => (None, None),
    };
    let mut conn = state.db.acquire().await?;
    if let (Some(p), Some(id)) = (platform, &external_id)
        && let Some(r) = replay(&mut conn, p, id, &digest).await?
    {
        return Ok(r);
    }
    let item = current_item(&mut conn, &sub.case.item_code).await?;
    let def = &item.definition;
    let organisation =
        handling_organisation(&mut conn, def, sub.case.division_code.as_deref()).await?;
    let reviewed = pre_review(def, &sub);
    let (organisation, reviewed) = match (organisation, reviewed) {
        (Ok(o), Ok(r)) => (o, r),
        (o, r) => {
            let resolved = o.as_ref().ok().copied();
            let mut problems = o.err().into_iter().collect::<Vec<_>>();
            problems.extend(r.err().unwrap_or_default());
            if let (Some(p), Some(id)) = (platform, &external_id) {
                let failed = Failed {
                    item: &item,
                    platform: p,
                    external_id: id,
                    digest: &digest,
                    organisation: resolved,
                };
                record_failed(state, &mut conn, failed, &sub, &problems).await?;
            }
            return Err(refused(problems));
        }
    };
    if let Source::Window(caller) = &source {
        // Typed in at a window by someone who accepts this item here.
        let acceptors = match def.steps.first() {
            Some(step) => {
                flow::granted(
                    &mut conn,
                    organisation,
                    &item.code,
                    &def.business_line,
                    step,
                )
                .await?
            }
            None => Vec::new(),
        };
        if !acceptors.contains(&caller.user_id) {
            return Err(ApiError::forbidden().with_title("您没有在本机构受理该事项的授权"));
        }
    }
    drop(conn);

    let case_id = Uuid::now_v7();
    store_files_of(state, case_id, def.sensitive, &sub.files, 1).await?;

    let mut tx = state.db.begin().await?;
    if let (Some(p), Some(id)) = (platform, &external_id) {
        // Two deliveries of one case at once: the second waits, then replays.
        sqlx::query!(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            format!("approval_case:{p}:{id}")
        )
        .fetch_one(&mut *tx)
        .await?;
        if let Some(r) = replay(&mut tx, p, id, &digest).await? {
            return Ok(r);
        }
    }
    let a = &reviewed.applicant;
    let created_by = match &source {
        Source::Window(c) => Some(c.user_id),
        Source::Platform(_) => None,
    };
    let form_text =
        trail::canonical(&serde_json::to_value(&reviewed.form).map_err(ApiError::internal)?);
    sqlx::query!(
        "INSERT INTO approval_case (case_id, item_id, item_version, item_code, business_line, organisation_id, source,
                                    platform, external_id, submission_sm3, applicant_kind, applicant_name_enc, applicant_name_idx,
                                    applicant_uscc, applicant_id_enc, applicant_id_idx, applicant_contact_enc, form_enc,
                                    state, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'submitted', $19)",
        case_id,
        item.item_id,
        item.version,
        item.code,
        def.business_line,
        organisation,
        if platform.is_some() { "platform" } else { "window" },
        platform,
        external_id,
        digest,
        match a.kind { ApplicantKind::Organisation => "organisation", ApplicantKind::Person => "person" },
        state.pii.encrypt(&a.name, b"approval_case.applicant_name"),
        &state.pii.blind_index("approval_case.applicant_name", &a.name)[..],
        a.uscc,
        a.id_number.as_ref().map(|n| state.pii.encrypt(n, b"approval_case.applicant_id")),
        a.id_number.as_ref().map(|n| state.pii.blind_index("approval_case.applicant_id", n).to_vec()),
        a.contact.as_ref().map(|c| state.pii.encrypt(c, b"approval_case.applicant_contact")),
        state.pii.encrypt(&form_text, b"approval_case.form"),
        created_by
    )
    .execute(&mut *tx)
    .await?;
    record_files_of(&mut tx, case_id, def.sensitive, &sub.files, 1).await?;
    let materials: Vec<_> = sub
        .files
        .iter()
        .map(|f| json!({ "code": f.code, "sm3": f.sm3 }))
        .collect();
    trail::append(state, &mut tx, case_id, def.sensitive, NewEntry::new("submitted", created_by).detail(json!({ "source": if platform.is_some() { "platform" } else { "window" }, "platform": platform,
                         "item_version": item.version, "materials": materials, "submission_sm3": digest })))
    .await?;
    trail::append(
        state,
        &mut tx,
        case_id,
        def.sensitive,
        NewEntry::new("pre_reviewed", None).detail(json!({ "passed": true })),
    )
    .await?;
    let calendar = Calendar::load(&mut tx).await?;
    let mut case = flow::lock(&mut tx, case_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("case vanished")))?;
    if def.automatic {
        flow::approve_automatically(state, &mut tx, &calendar, &mut case).await?;
    } else {
        flow::enter_step(&mut tx, &calendar, &mut case, 0, CaseState::PreReviewed).await?;
    }
    let entry = match &source {
        Source::Window(c) => Entry::by(c, Action::ApprovalCaseSubmit),
        Source::Platform(_) => Entry::system(Action::ApprovalCaseSubmit),
    };
    entry
        .on(Stream::Organisation(organisation))
        .object(case_id)
        .detail(json!({ "item": item.code, "version": item.version, "platform": platform, "state": case.state.as_str() }))
        .append(&mut tx)
        .await?;
    let number = flow::acceptance_number(&mut tx, case_id).await?;
    tx.commit().await?;
    Ok(Received {
        case_id,
        state: case.state,
        acceptance_number: number,
        replayed: false,
    })
}

/// Which platform case failed pre-review, and where it was to be handled
/// (`None`: the submission did not say; the city's bureau keeps it).
struct Failed<'a> {
    item: &'a Item,
    platform: &'a str,
    external_id: &'a str,
    digest: &'a str,
    organisation: Option<Uuid>,
}

/// A platform's case that failed pre-review, kept with its reasons and no
/// files, so the same case id answers the same.
async fn record_failed(
    state: &AppState,
    conn: &mut PgConnection,
    failed: Failed<'_>,
    sub: &Submission,
    problems: &[FieldError],
) -> Result<(), ApiError> {
    let Failed {
        item,
        platform,
        external_id,
        digest,
        organisation,
    } = failed;
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("approval_case:{platform}:{external_id}")
    )
    .fetch_one(&mut *tx)
    .await?;
    let there = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM approval_case WHERE platform = $1 AND external_id = $2",
        platform,
        external_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if there > 0 {
        // A concurrent delivery of the same case recorded it first.
        return Ok(());
    }
    let organisation = match organisation {
        Some(o) => o,
        None => sqlx::query_scalar!(
            "SELECT organisation_id FROM organisation WHERE kind = 'city' ORDER BY division_code LIMIT 1"
        )
        .fetch_one(&mut *tx)
        .await?,
    };
    // Only identifiers that parsed are kept; one that did not is stored
    // empty (the columns require one per kind of applicant).
    let (applicant, _) = review_applicant(&sub.case.applicant);
    let name = applicant.name.as_str();
    let (kind, uscc, id_enc) = match applicant.kind {
        ApplicantKind::Organisation => (
            "organisation",
            Some(applicant.uscc.clone().unwrap_or_default()),
            None,
        ),
        ApplicantKind::Person => (
            "person",
            None,
            Some(state.pii.encrypt(
                applicant.id_number.as_deref().unwrap_or_default(),
                b"approval_case.applicant_id",
            )),
        ),
    };
    let case_id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO approval_case (case_id, item_id, item_version, item_code, business_line, organisation_id, source,
                                    platform, external_id, submission_sm3, applicant_kind, applicant_name_enc, applicant_name_idx,
                                    applicant_uscc, applicant_id_enc, form_enc, state, problems, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'platform', $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pre_review_failed', $16, now())",
        case_id,
        item.item_id,
        item.version,
        item.code,
        item.definition.business_line,
        organisation,
        platform,
        external_id,
        digest,
        kind,
        state.pii.encrypt(name, b"approval_case.applicant_name"),
        &state.pii.blind_index("approval_case.applicant_name", name)[..],
        uscc,
        id_enc,
        state.pii.encrypt("{}", b"approval_case.form"),
        serde_json::to_value(problems).map_err(ApiError::internal)?
    )
    .execute(&mut *tx)
    .await?;
    trail::append(
        state,
        &mut tx,
        case_id,
        item.definition.sensitive,
        NewEntry::new("pre_review_failed", None).detail(
            json!({ "platform": platform, "problems": problems.len(), "submission_sm3": digest }),
        ),
    )
    .await?;
    Entry::system(Action::ApprovalCaseSubmit)
        .on(Stream::Organisation(organisation))
        .object(case_id)
        .detail(json!({ "item": item.code, "platform": platform, "state": "pre_review_failed" }))
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
