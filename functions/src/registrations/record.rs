//! Recording a sale: one transaction holds the idempotency claim, the rules
//! that need the database (window, multi-pharmacy), the registration, its
//! items, its outbox row, its alerts and its audit entry — or, when a rule
//! refuses, the refused attempt, its alert and audit entry. Nothing is ever
//! half-written.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    audit::{self, Actor, Entry},
    auth::Caller,
    domain::{Gtin, ResidentIdNumber},
    idempotency::{self, Begin, Claim, IdempotencyKey},
    time::today_in_china,
};

use super::{
    api::{NewRegistration, Registration, view},
    repo::{self, Counter, NewAlert},
    rules::{self, AlertKind, Line, Refusal, WindowOutcome},
};
use crate::{
    drugs::repo as drugs,
    scans::identity::{self, Identity, Method, Source, parse_name},
};

pub const AAD_BUYER_ID: &[u8] = b"registration.buyer_id";
pub const AAD_BUYER_NAME: &[u8] = b"registration.buyer_name";
const MAX_ITEMS: usize = 20;
const MAX_QUANTITY: u32 = 100;

/// Keyed blind index of an ID number, for equality lookups.
pub fn buyer_index(state: &AppState, id: &ResidentIdNumber) -> Vec<u8> {
    state.pii.blind_index("buyer_id", id.as_str()).to_vec()
}

struct ParsedItem {
    barcode: Gtin,
    quantity: u32,
    batch_no: Option<String>,
    trace_code: Option<String>,
}

fn optional_text(v: Option<String>, field: String, max: usize) -> Result<Option<String>, ApiError> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if let Some(s) = &v
        && (s.chars().count() > max || s.chars().any(char::is_control))
    {
        return Err(
            ApiError::bad_request("VALIDATION_FAILED", "请求内容格式不正确").field(
                field,
                "INVALID_VALUE",
                format!("最多 {max} 个字符，不能含控制字符"),
            ),
        );
    }
    Ok(v)
}

/// Input checks that need no database: shape of items, barcodes, lengths.
fn parse_items(body: &mut NewRegistration) -> Result<Vec<ParsedItem>, ApiError> {
    if body.items.is_empty() || body.items.len() > MAX_ITEMS {
        return Err(
            ApiError::bad_request("VALIDATION_FAILED", "请添加 1–20 个药品").field(
                "items",
                "INVALID_LENGTH",
                "请添加 1–20 个药品",
            ),
        );
    }
    let mut out = Vec::with_capacity(body.items.len());
    for (i, item) in std::mem::take(&mut body.items).into_iter().enumerate() {
        let barcode = Gtin::parse(&item.barcode).map_err(|e| {
            let err: ApiError = e.into();
            err.field(
                format!("items[{i}].barcode"),
                "BARCODE_INVALID",
                "条形码校验位错误，请重新扫描",
            )
        })?;
        if item.quantity == 0 || item.quantity > MAX_QUANTITY {
            return Err(
                ApiError::bad_request("VALIDATION_FAILED", "数量不正确").field(
                    format!("items[{i}].quantity"),
                    "INVALID_VALUE",
                    "数量应为 1–100",
                ),
            );
        }
        out.push(ParsedItem {
            barcode,
            quantity: item.quantity,
            batch_no: optional_text(item.batch_no, format!("items[{i}].batch_no"), 64)?,
            trace_code: optional_text(item.trace_code, format!("items[{i}].trace_code"), 128)?,
        });
    }
    Ok(out)
}

async fn identity_of(
    state: &AppState,
    caller: &Caller,
    body: &NewRegistration,
) -> Result<Identity, ApiError> {
    match (&body.scan_token, &body.buyer) {
        (Some(token), None) => identity::load(state, caller.user_id, token.trim()).await,
        (None, Some(b)) => Ok(Identity {
            id_number: ResidentIdNumber::parse(&b.id_number).map_err(|e| {
                let err: ApiError = e.into();
                let code = err.code.clone();
                err.field("buyer.id_number", code, "身份证号码不正确，请核对")
            })?,
            name: parse_name(&b.name)
                .map_err(|e| e.field("buyer.name", "NAME_INVALID", "姓名格式不正确"))?,
            source: Source::Manual,
            method: Method::Manual,
            card_expired: false,
        }),
        _ => Err(ApiError::bad_request(
            "VALIDATION_FAILED",
            "请扫描购买人证件，或手工填写购买人姓名和身份证号",
        )
        .field("scan_token", "BUYER_REQUIRED", "scan_token 与 buyer 二选一")),
    }
}

/// Registers a sale, or refuses it with the rule's code (recording the refusal).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    mut body: NewRegistration,
) -> Result<Registration, ApiError> {
    let hash = idempotency::request_hash(&body);
    let pharmacy_id = caller.pharmacy_id.ok_or_else(ApiError::forbidden)?;
    let scan_token = body.scan_token.clone();

    let mut tx = state.db.begin().await?;
    let claim = match idempotency::begin(&mut tx, caller.user_id, key, &hash).await? {
        Begin::Replay(stored) => {
            tx.rollback().await?;
            return if stored.status == 201 {
                serde_json::from_value(stored.body).map_err(ApiError::internal)
            } else {
                Err(stored.into_error())
            };
        }
        Begin::Fresh(c) => Some(c),
        Begin::NoKey => None,
    };

    let items = parse_items(&mut body)?;
    let prescription_no = optional_text(body.prescription_no.take(), "prescription_no".into(), 64)?;
    let identity = identity_of(state, caller, &body).await?;
    let counter = repo::counter(&mut tx, caller.user_id, pharmacy_id)
        .await?
        .ok_or_else(|| {
            ApiError::forbidden()
                .with_code("NOT_PHARMACY_MEMBER", "您已不是本药店的店员，请联系店长")
        })?;
    let index = buyer_index(state, &identity.id_number);
    let ctx = Refused {
        caller,
        counter: &counter,
        index: &index,
        claim: claim.as_ref(),
    };
    if counter.pharmacy_status != "active" {
        return ctx.refuse(tx, Refusal::PharmacySuspended).await;
    }

    // Resolve the catalogue.
    let barcodes: Vec<String> = items
        .iter()
        .map(|i| i.barcode.as_str().to_owned())
        .collect();
    let found: HashMap<String, drugs::DrugRow> = drugs::by_barcodes(&mut tx, &barcodes)
        .await?
        .into_iter()
        .map(|d| (d.barcode.clone(), d))
        .collect();
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Some(drug) = found.get(item.barcode.as_str()) else {
            let err = ApiError::unprocessable(
                "DRUG_NOT_FOUND",
                "目录中没有该药品，请核对条形码或联系管理员录入",
            )
            .field(
                format!("items[{i}].barcode"),
                "DRUG_NOT_FOUND",
                "目录中没有该药品",
            );
            return ctx
                .refuse_with(tx, err, "DRUG_NOT_FOUND", json!({ "line": i }), None)
                .await;
        };
        lines.push(Line {
            drug: drug.clone(),
            quantity: item.quantity,
            batch_no: item.batch_no,
            trace_code: item.trace_code,
        });
    }

    let sale_date = today_in_china();
    if let Err(refusal) = rules::check_sale(
        &state.config.policy,
        &identity.id_number,
        sale_date,
        &lines,
        prescription_no.as_deref(),
    ) {
        return ctx.refuse(tx, refusal).await;
    }

    // The window rule, serialised per buyer across instances.
    repo::lock_buyer(&mut tx, &index).await?;
    let policy = &state.config.policy;
    let already = repo::packages_in_window(&mut tx, &index, policy.window_days).await?;
    let total = rules::total_packages(&lines);
    let mut alerts: Vec<(AlertKind, serde_json::Value)> = Vec::new();
    match rules::check_window(policy, already, total) {
        WindowOutcome::Within => {}
        WindowOutcome::ExceededBlock(refusal) => return ctx.refuse(tx, refusal).await,
        WindowOutcome::ExceededAlert(refusal) => {
            alerts.push((AlertKind::WindowLimit, refusal.detail()))
        }
    }

    let registration_id = Uuid::now_v7();
    let now = Utc::now();
    let buyer_id_enc = state.pii.encrypt(identity.id_number.as_str(), AAD_BUYER_ID);
    let buyer_name_enc = state.pii.encrypt(&identity.name, AAD_BUYER_NAME);
    sqlx::query(
        "INSERT INTO registration (registration_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, buyer_id_enc,
             buyer_name_enc, source, method, prescription_no, total_packages, needs_review, client_time, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(registration_id)
    .bind(pharmacy_id)
    .bind(&counter.district_code)
    .bind(caller.user_id)
    .bind(&index)
    .bind(&buyer_id_enc)
    .bind(&buyer_name_enc)
    .bind(identity.source.as_str())
    .bind(identity.method.as_str())
    .bind(&prescription_no)
    .bind(total as i32)
    .bind(identity.method == Method::Manual)
    .bind(body.client_time.map(|t| t.with_timezone(&Utc)))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    insert_items(&mut tx, registration_id, &lines).await?;
    shared::outbox::record(
        &mut tx,
        &state.config,
        "registration",
        &registration_id.to_string(),
        "create",
    )
    .await?;

    // Same buyer at several pharmacies within 24 h.
    let pharmacies = repo::pharmacies_in_last_day(&mut tx, &index).await?;
    if pharmacies >= i64::from(policy.multi_pharmacy_threshold)
        && !repo::recent_alert(&mut tx, &index, AlertKind::MultiPharmacy.as_str()).await?
    {
        alerts.push((
            AlertKind::MultiPharmacy,
            json!({ "pharmacies": pharmacies }),
        ));
    }
    for (kind, detail) in &alerts {
        repo::insert_alert(
            &mut tx,
            NewAlert {
                kind: kind.as_str(),
                district_code: &counter.district_code,
                pharmacy_id,
                buyer_id_index: Some(&index),
                registration_id: Some(registration_id),
                refused_attempt_id: None,
                detail: detail.clone(),
            },
        )
        .await?;
    }
    audit::append(
        &mut tx,
        Entry {
            stream: format!("pharmacy:{pharmacy_id}"),
            actor: Actor::from(caller),
            action: "registration.create",
            object_type: "registration",
            object_id: Some(registration_id.to_string()),
            detail: json!({ "packages": total, "lines": lines.len(), "source": identity.source.as_str(),
                            "alerts": alerts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>() }),
        },
    )
    .await?;

    let items = lines
        .iter()
        .enumerate()
        .map(|(i, l)| repo::ItemRow {
            registration_id,
            line_no: i as i16,
            barcode: l.drug.barcode.clone(),
            drug_name: l.drug.name.clone(),
            strength: l.drug.strength.clone(),
            manufacturer: l.drug.manufacturer.clone(),
            package_unit: l.drug.package_unit.clone(),
            quantity: l.quantity as i32,
            batch_no: l.batch_no.clone(),
            trace_code: l.trace_code.clone(),
        })
        .collect();
    let row = repo::RegistrationRow {
        registration_id,
        pharmacy_id,
        pharmacy_name: counter.pharmacy_name.clone(),
        district_code: counter.district_code.clone(),
        clerk_user_id: caller.user_id,
        buyer_id_enc,
        buyer_name_enc,
        source: identity.source.as_str().to_owned(),
        method: identity.method.as_str().to_owned(),
        prescription_no,
        total_packages: total as i32,
        needs_review: identity.method == Method::Manual,
        client_time: body.client_time.map(|t| t.with_timezone(&Utc)),
        created_at: now,
    };
    let registration = view(
        state,
        row,
        items,
        alerts.iter().map(|(k, _)| k.as_str().to_owned()).collect(),
    )?;
    if let Some(claim) = &claim {
        let body = serde_json::to_value(&registration).map_err(ApiError::internal)?;
        idempotency::complete(&mut tx, claim, 201, &body).await?;
    }
    tx.commit().await?;
    if let Some(token) = scan_token {
        // The identity served its sale; a second sale needs a new scan.
        let _ = identity::forget(state, token.trim()).await;
    }
    tracing::info!(registration_id = %registration_id, packages = total, "sale registered");
    Ok(registration)
}

async fn insert_items(
    conn: &mut PgConnection,
    registration_id: Uuid,
    lines: &[Line],
) -> Result<(), sqlx::Error> {
    let mut qb = sqlx::QueryBuilder::new(
        "INSERT INTO registration_item (registration_id, line_no, drug_id, barcode, quantity, batch_no, trace_code) ",
    );
    qb.push_values(lines.iter().enumerate(), |mut b, (i, l)| {
        b.push_bind(registration_id)
            .push_bind(i as i16)
            .push_bind(l.drug.drug_id)
            .push_bind(&l.drug.barcode)
            .push_bind(l.quantity as i32)
            .push_bind(&l.batch_no)
            .push_bind(&l.trace_code);
    });
    qb.build().execute(conn).await.map(|_| ())
}

/// What a refusal records: the attempt (apart from sales), its alert, an
/// audit entry and the idempotent answer, then commits and returns the error.
struct Refused<'a> {
    caller: &'a Caller,
    counter: &'a Counter,
    index: &'a [u8],
    claim: Option<&'a Claim>,
}

impl Refused<'_> {
    async fn refuse<T>(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        refusal: Refusal,
    ) -> Result<T, ApiError> {
        self.refuse_with(
            tx,
            refusal.to_error(),
            refusal.code(),
            refusal.detail(),
            refusal.alert(),
        )
        .await
    }

    async fn refuse_with<T>(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        err: ApiError,
        code: &str,
        detail: serde_json::Value,
        alert: Option<AlertKind>,
    ) -> Result<T, ApiError> {
        let attempt_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO refused_attempt (refused_attempt_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, code, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(attempt_id)
        .bind(self.counter.pharmacy_id)
        .bind(&self.counter.district_code)
        .bind(self.caller.user_id)
        .bind(self.index)
        .bind(code)
        .bind(&detail)
        .execute(&mut *tx)
        .await?;
        if let Some(kind) = alert {
            repo::insert_alert(
                &mut tx,
                NewAlert {
                    kind: kind.as_str(),
                    district_code: &self.counter.district_code,
                    pharmacy_id: self.counter.pharmacy_id,
                    buyer_id_index: Some(self.index),
                    registration_id: None,
                    refused_attempt_id: Some(attempt_id),
                    detail: detail.clone(),
                },
            )
            .await?;
        }
        audit::append(
            &mut tx,
            Entry {
                stream: format!("pharmacy:{}", self.counter.pharmacy_id),
                actor: Actor::from(self.caller),
                action: "registration.refused",
                object_type: "refused_attempt",
                object_id: Some(attempt_id.to_string()),
                detail: json!({ "code": code }),
            },
        )
        .await?;
        if let Some(claim) = self.claim {
            idempotency::complete_with_error(&mut tx, claim, &err).await?;
        }
        tx.commit().await?;
        tracing::info!(code, "sale refused");
        Err(err)
    }
}

/// Rows → responses: items and alerts in two queries for the whole page.
pub async fn load_views(
    state: &AppState,
    rows: Vec<repo::RegistrationRow>,
) -> Result<Vec<Registration>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.registration_id).collect();
    let mut conn = state.db.acquire().await?;
    let mut items: HashMap<Uuid, Vec<repo::ItemRow>> = HashMap::new();
    for i in repo::items(&mut conn, &ids).await? {
        items.entry(i.registration_id).or_default().push(i);
    }
    let mut alerts: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (id, kind) in repo::alert_kinds(&mut conn, &ids).await? {
        alerts.entry(id).or_default().push(kind);
    }
    drop(conn);
    rows.into_iter()
        .map(|r| {
            let id = r.registration_id;
            view(
                state,
                r,
                items.remove(&id).unwrap_or_default(),
                alerts.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}
