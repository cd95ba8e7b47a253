//! Recording a sale: one transaction holds the idempotency claim, the rules
//! that need the database (window, multi-pharmacy), the registration, its
//! items, its outbox row, its alerts and its audit entry — or, when a rule
//! refuses, the refused attempt, its alert and audit entry. Nothing is ever
//! half-written.

use shared::codes::{self, Code};
use std::collections::HashMap;

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use shared::{
    ApiError, AppState,
    alerts::{self, AlertKind},
    audit::{Action, Entry, Head, Stream},
    auth::Caller,
    db::Statement,
    domain::{Gtin, ResidentIdNumber},
    idempotency::{self, Claim, Claimed, IdempotencyKey},
    sales::{
        Identity, Method, Registration, Source, buyer,
        identity::{self, parse_name},
        read, view,
    },
    time::today_in_china,
};

use super::{
    input::NewRegistration,
    repo::{self, Counter, SaleQuery},
    rules::{self, Line, Refusal, WindowOutcome},
};
use crate::drugs::repo as drugs;

const MAX_ITEMS: usize = 20;
const MAX_QUANTITY: u32 = 100;

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
            ApiError::bad_request(codes::VALIDATION_FAILED, "请求内容格式不正确").field(
                field,
                codes::INVALID_VALUE,
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
            ApiError::bad_request(codes::VALIDATION_FAILED, "请添加 1–20 个药品").field(
                "items",
                codes::INVALID_LENGTH,
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
                codes::BARCODE_INVALID,
                "条形码校验位错误，请重新扫描",
            )
        })?;
        if item.quantity == 0 || item.quantity > MAX_QUANTITY {
            return Err(
                ApiError::bad_request(codes::VALIDATION_FAILED, "数量不正确").field(
                    format!("items[{i}].quantity"),
                    codes::INVALID_VALUE,
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
                ApiError::at_field(e, "buyer.id_number", Some("身份证号码不正确，请核对"))
            })?,
            name: parse_name(&b.name)
                .map_err(|e| e.field("buyer.name", codes::NAME_INVALID, "姓名格式不正确"))?,
            source: Source::Manual,
            method: Method::Manual,
            card_expired: false,
        }),
        _ => Err(ApiError::bad_request(
            codes::VALIDATION_FAILED,
            "请扫描购买人证件，或手工填写购买人姓名和身份证号",
        )
        .field(
            "scan_token",
            codes::BUYER_REQUIRED,
            "scan_token 与 buyer 二选一",
        )),
    }
}

/// What the request says, checked without the database.
struct Input {
    items: Vec<ParsedItem>,
    prescription_no: Option<String>,
    identity: Identity,
}

async fn parse_input(
    state: &AppState,
    caller: &Caller,
    body: &mut NewRegistration,
) -> Result<Input, ApiError> {
    let items = parse_items(body)?;
    let prescription_no = optional_text(body.prescription_no.take(), "prescription_no".into(), 64)?;
    let identity = identity_of(state, caller, body).await?;
    Ok(Input {
        items,
        prescription_no,
        identity,
    })
}

/// Registers a sale, or refuses it with the rule's code (recording the refusal).
///
/// The transaction is six round trips whatever the sale holds: begin, claim
/// the idempotency key, lock the buyer, read every fact the rules need (one
/// statement), write everything the sale leaves (one statement), commit.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    mut body: NewRegistration,
) -> Result<Registration, ApiError> {
    let hash = idempotency::request_hash(&body);
    let pharmacy_id = caller.pharmacy_id.ok_or_else(ApiError::forbidden)?;
    let scan_token = body.scan_token.clone();
    // Checked before the transaction, answered after the claim: a replay of
    // an earlier answer wins over a scan token that its sale used up.
    let input = parse_input(state, caller, &mut body).await;

    let mut tx = state.db.begin().await?;
    let claim = match idempotency::claim(&mut tx, &state.pii, caller.user_id, key, &hash).await? {
        Claimed::Replayed(answer) => {
            tx.rollback().await?;
            return answer;
        }
        Claimed::Fresh(claim) => claim,
    };
    let Input {
        items,
        prescription_no,
        identity,
    } = input?;

    // The window rule, serialised per buyer across instances.
    let index = buyer::index(state, &identity.id_number);
    repo::lock_buyer(&mut tx, &index).await?;
    let policy = &state.config.policy;
    let stream = Stream::Pharmacy(pharmacy_id).to_string();
    let facts = repo::sale_facts(
        &mut tx,
        SaleQuery {
            user_id: caller.user_id,
            pharmacy_id,
            buyer_index: &index,
            window_days: policy.window_days,
            barcodes: items
                .iter()
                .map(|i| i.barcode.as_str().to_owned())
                .collect(),
            stream: &stream,
        },
    )
    .await?;
    let counter = facts.counter.ok_or_else(|| {
        ApiError::forbidden().with_code(
            codes::NOT_PHARMACY_MEMBER,
            "您已不是本药店的店员，请联系店长",
        )
    })?;
    let ctx = Refused {
        caller,
        counter: &counter,
        index: &index,
        claim: claim.as_ref(),
        head: &facts.head,
    };
    if counter.pharmacy_status != shared::domain::PharmacyStatus::Active {
        return ctx.refuse(tx, Refusal::PharmacySuspended).await;
    }

    // Resolve the catalogue.
    let found: HashMap<&str, &drugs::DrugRow> = facts
        .drugs
        .iter()
        .map(|d| (d.barcode.as_str(), d))
        .collect();
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Some(drug) = found.get(item.barcode.as_str()) else {
            let err = ApiError::unprocessable(
                codes::DRUG_NOT_FOUND,
                "目录中没有该药品，请核对条形码或联系管理员录入",
            )
            .field(
                format!("items[{i}].barcode"),
                codes::DRUG_NOT_FOUND,
                "目录中没有该药品",
            );
            return ctx
                .refuse_with(tx, err, codes::DRUG_NOT_FOUND, json!({ "line": i }), None)
                .await;
        };
        lines.push(Line {
            drug: (*drug).clone(),
            quantity: item.quantity,
            batch_no: item.batch_no,
            trace_code: item.trace_code,
        });
    }

    let sale_date = today_in_china();
    if let Err(refusal) = rules::check_sale(
        policy,
        &identity.id_number,
        sale_date,
        &lines,
        prescription_no.as_deref(),
    ) {
        return ctx.refuse(tx, refusal).await;
    }

    let total = rules::total_packages(&lines);
    let mut alerts: Vec<(AlertKind, serde_json::Value)> = Vec::new();
    match rules::check_window(policy, facts.window_packages, total) {
        WindowOutcome::Within => {}
        WindowOutcome::ExceededBlock(refusal) => return ctx.refuse(tx, refusal).await,
        WindowOutcome::ExceededAlert(refusal) => {
            alerts.push((AlertKind::WindowLimit, refusal.detail()))
        }
    }
    // Same buyer at several pharmacies within 24 h, this sale included.
    let pharmacies = facts.day_pharmacies + i64::from(!facts.day_here);
    if pharmacies >= i64::from(policy.multi_pharmacy_threshold) && !facts.multi_alerted {
        alerts.push((
            AlertKind::MultiPharmacy,
            json!({ "pharmacies": pharmacies }),
        ));
    }

    let registration_id = Uuid::now_v7();
    let now = Utc::now();
    let client_time = body.client_time.map(|t| t.with_timezone(&Utc));
    let needs_review = identity.method == Method::Manual;
    let row = read::RegistrationRow {
        registration_id,
        pharmacy_id,
        pharmacy_name: counter.pharmacy_name.clone(),
        district_code: counter.district_code.clone(),
        clerk_user_id: caller.user_id,
        buyer_id_enc: state
            .pii
            .encrypt(identity.id_number.as_str(), buyer::AAD_ID),
        buyer_name_enc: state.pii.encrypt(&identity.name, buyer::AAD_NAME),
        source: identity.source,
        method: identity.method,
        prescription_no,
        total_packages: total as i32,
        needs_review,
        client_time,
        created_at: now,
    };

    let mut stmt = Statement::new();
    push_registration(&mut stmt, &row, &index, &lines);
    alerts::push_raise(
        &mut stmt,
        &counter.district_code,
        pharmacy_id,
        &index,
        Some(registration_id),
        None,
        alerts.clone(),
    );
    shared::outbox::push_record(
        &mut stmt,
        &state.config,
        &super::payload::REGISTRATION,
        &registration_id.to_string(),
        shared::outbox::Op::Create,
    );
    Entry::by(caller, Action::RegistrationCreate)
        .on(Stream::Pharmacy(pharmacy_id))
        .object(registration_id)
        .detail(
            json!({ "packages": total, "lines": lines.len(), "source": identity.source.as_str(),
                        "alerts": alerts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>() }),
        )
        .seal(&facts.head)
        .push_parts(&mut stmt);

    let items = lines
        .iter()
        .enumerate()
        .map(|(i, l)| read::ItemRow {
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
    let registration = view::view(
        state,
        row,
        items,
        alerts.iter().map(|(k, _)| k.as_str().to_owned()).collect(),
    )?;
    if let Some(claim) = &claim {
        let body = serde_json::to_value(&registration).map_err(ApiError::internal)?;
        claim.push_complete(&mut stmt, 201, body);
    }
    stmt.execute(&mut tx).await?;
    tx.commit().await?;
    if let Some(token) = scan_token {
        // The identity served its sale; a second sale needs a new scan.
        let _ = identity::forget(state, token.trim()).await;
    }
    tracing::info!(registration_id = %registration_id, packages = total, "sale registered");
    Ok(registration)
}

/// The registration and its items as parts of the sale's statement.
fn push_registration(
    stmt: &mut Statement<'_>,
    row: &read::RegistrationRow,
    index: &[u8],
    lines: &[Line],
) {
    let row = row.clone();
    let index = index.to_vec();
    stmt.part("registration_row", |qb| {
        qb.push(
            "INSERT INTO registration (registration_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, buyer_id_enc,
                 buyer_name_enc, source, method, prescription_no, total_packages, needs_review, client_time, created_at) VALUES (",
        );
        qb.separated(", ")
            .push_bind(row.registration_id)
            .push_bind(row.pharmacy_id)
            .push_bind(row.district_code)
            .push_bind(row.clerk_user_id)
            .push_bind(index)
            .push_bind(row.buyer_id_enc)
            .push_bind(row.buyer_name_enc)
            .push_bind(row.source)
            .push_bind(row.method)
            .push_bind(row.prescription_no)
            .push_bind(row.total_packages)
            .push_bind(row.needs_review)
            .push_bind(row.client_time)
            .push_bind(row.created_at);
        qb.push(") RETURNING registration_id");
    });
    let line_no: Vec<i16> = (0..lines.len() as i16).collect();
    let drug_id: Vec<Uuid> = lines.iter().map(|l| l.drug.drug_id).collect();
    let barcode: Vec<String> = lines.iter().map(|l| l.drug.barcode.clone()).collect();
    let quantity: Vec<i32> = lines.iter().map(|l| l.quantity as i32).collect();
    let batch_no: Vec<Option<String>> = lines.iter().map(|l| l.batch_no.clone()).collect();
    let trace_code: Vec<Option<String>> = lines.iter().map(|l| l.trace_code.clone()).collect();
    stmt.part("registration_items", |qb| {
        qb.push(
            "INSERT INTO registration_item (registration_id, line_no, drug_id, barcode, quantity, batch_no, trace_code)
             SELECT r.registration_id, i.* FROM registration_row r, unnest(",
        )
        .push_bind(line_no)
        .push("::int2[], ")
        .push_bind(drug_id)
        .push("::uuid[], ")
        .push_bind(barcode)
        .push("::text[], ")
        .push_bind(quantity)
        .push("::int4[], ")
        .push_bind(batch_no)
        .push("::text[], ")
        .push_bind(trace_code)
        .push("::text[]) AS i");
    });
}

/// What a refusal records: the attempt (apart from sales), its alert, an
/// audit entry and the idempotent answer — one statement — then commits and
/// returns the error.
struct Refused<'a> {
    caller: &'a Caller,
    counter: &'a Counter,
    index: &'a [u8],
    claim: Option<&'a Claim>,
    head: &'a Head,
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
        code: Code,
        detail: serde_json::Value,
        alert: Option<AlertKind>,
    ) -> Result<T, ApiError> {
        let attempt_id = Uuid::now_v7();
        let mut stmt = Statement::new();
        let (pharmacy_id, district) =
            (self.counter.pharmacy_id, self.counter.district_code.clone());
        let (clerk, index, code_owned, detail_row) = (
            self.caller.user_id,
            self.index.to_vec(),
            code.code.to_owned(),
            detail.clone(),
        );
        stmt.part("refused_row", |qb| {
            qb.push(
                "INSERT INTO refused_attempt (refused_attempt_id, pharmacy_id, district_code, clerk_user_id, buyer_id_index, code, detail) VALUES (",
            );
            qb.separated(", ")
                .push_bind(attempt_id)
                .push_bind(pharmacy_id)
                .push_bind(district)
                .push_bind(clerk)
                .push_bind(index)
                .push_bind(code_owned)
                .push_bind(detail_row);
            qb.push(")");
        });
        alerts::push_raise(
            &mut stmt,
            &self.counter.district_code,
            pharmacy_id,
            self.index,
            None,
            Some(attempt_id),
            alert.map(|k| (k, detail.clone())).into_iter().collect(),
        );
        Entry::by(self.caller, Action::RegistrationRefused)
            .on(Stream::Pharmacy(self.counter.pharmacy_id))
            .object(attempt_id)
            .detail(json!({ "code": code.code }))
            .seal(self.head)
            .push_parts(&mut stmt);
        if let Some(claim) = self.claim {
            claim.push_refusal(&mut stmt, &err)?;
        }
        stmt.execute(&mut tx).await?;
        tx.commit().await?;
        tracing::info!(code = code.code, "sale refused");
        Err(err)
    }
}
