//! The applicant's supplement (补正) of a returned case, from its platform:
//! the form values that change and the materials handed in again (a new
//! revision each). Pre-review runs on the case as it will be; then the clock
//! runs again and the step it was returned at gets fresh tasks. A platform
//! repeating a supplement that was taken gets the same answer.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use shared::{
    ApiError, AppState,
    audit::{Action, Entry, Stream},
    codes,
    workdays::Calendar,
};

use super::{
    flow::{self, CaseState},
    intake::{self, Received},
    submission::{FileFacts, Submission, SupplementForm, review_files, review_form},
    trail,
};
use crate::approval_items::definition::MaterialType;

fn type_of(content_type: &str) -> Option<MaterialType> {
    [
        MaterialType::Pdf,
        MaterialType::Jpeg,
        MaterialType::Png,
        MaterialType::Ofd,
    ]
    .into_iter()
    .find(|t| t.content_type() == content_type)
}

pub async fn receive(
    state: &AppState,
    platform: &str,
    sub: Submission<SupplementForm>,
) -> Result<Received, ApiError> {
    let digest = intake::submission_digest(&sub);
    let mut tx = state.db.begin().await?;
    let case_id = sqlx::query_scalar!(
        "SELECT case_id FROM approval_case WHERE platform = $1 AND external_id = $2",
        platform,
        sub.case.platform_case_id.trim()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::of(codes::APPROVAL_CASE_NOT_FOUND))?;
    let mut case = flow::lock(&mut tx, case_id)
        .await?
        .ok_or_else(|| ApiError::of(codes::APPROVAL_CASE_NOT_FOUND))?;
    if case.state != CaseState::Returned {
        let taken = sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM approval_trail WHERE case_id = $1 AND action = 'supplemented' AND detail->>'submission_sm3' = $2",
            case_id,
            digest
        )
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            let number = flow::acceptance_number(&mut tx, case_id).await?;
            return Ok(Received {
                case_id,
                state: case.state,
                acceptance_number: number,
                replayed: true,
            });
        }
        return Err(ApiError::of(codes::CASE_NOT_RETURNED));
    }
    let def = case.definition.clone();

    // The case as it will be: the form with the changes, the materials on
    // record with the new ones in their place.
    let form_blob = sqlx::query_scalar!(
        "SELECT form_enc FROM approval_case WHERE case_id = $1",
        case_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut form: BTreeMap<String, Value> = serde_json::from_str(
        &state
            .pii
            .decrypt(&form_blob, b"approval_case.form")
            .map_err(ApiError::internal)?,
    )
    .map_err(ApiError::internal)?;
    form.extend(sub.case.form.clone());
    let (form, mut problems) = review_form(&def, &form);
    let on_record = sqlx::query!(
        "SELECT DISTINCT ON (code) code, revision, file_name, content_type, size_bytes FROM approval_material
         WHERE case_id = $1 ORDER BY code, revision DESC",
        case_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let received: Vec<FileFacts> = sub.files.iter().map(|f| f.facts()).collect();
    let mut all = received.clone();
    for r in &on_record {
        if !received.iter().any(|f| f.code == r.code) {
            all.push(FileFacts {
                code: &r.code,
                file_name: &r.file_name,
                size: r.size_bytes as u64,
                detected: type_of(&r.content_type),
            });
        }
    }
    problems.extend(review_files(&def, &received, &all));
    if !problems.is_empty() {
        let mut e = ApiError::of(codes::PRE_REVIEW_FAILED);
        e.errors = problems;
        return Err(e);
    }

    // A new revision per material handed in again.
    let mut revisions = Vec::new();
    for f in &sub.files {
        let last = on_record
            .iter()
            .find(|r| r.code == f.code)
            .map_or(0, |r| r.revision);
        revisions.push(last + 1);
    }
    for (f, rev) in sub.files.iter().zip(&revisions) {
        let one = std::slice::from_ref(f);
        intake::store_files_of(state, case_id, def.sensitive, one, *rev).await?;
        intake::record_files_of(&mut tx, case_id, def.sensitive, one, *rev).await?;
    }
    let form_text = trail::canonical(&serde_json::to_value(&form).map_err(ApiError::internal)?);
    sqlx::query!(
        "UPDATE approval_case SET form_enc = $2 WHERE case_id = $1",
        case_id,
        state.pii.encrypt(&form_text, b"approval_case.form")
    )
    .execute(&mut *tx)
    .await?;
    let calendar = Calendar::load(&mut tx).await?;
    let materials: Vec<_> = sub
        .files
        .iter()
        .zip(&revisions)
        .map(|(f, r)| json!({ "code": f.code, "revision": r, "sm3": f.sm3 }))
        .collect();
    let fields: Vec<&String> = sub.case.form.keys().collect();
    flow::resume_after_supplement(
        state,
        &mut tx,
        &calendar,
        &mut case,
        json!({
            "platform": platform, "materials": materials, "fields": fields, "submission_sm3": digest
        }),
    )
    .await?;
    Entry::system(Action::ApprovalSupplement)
        .on(Stream::Organisation(case.organisation_id))
        .object(case_id)
        .detail(json!({ "materials": sub.files.len(), "fields": sub.case.form.len() }))
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
