//! The outbox (SPEC §6): every synced change is written here in the same
//! transaction as the change itself, with one pending delivery per data centre
//! that takes the entity, so nothing is lost between the write and the sync.

use crate::{config::Config, db::Statement, group::Entity};

crate::text_enum! {
    /// What happened to the entity (`outbox.op`), as data centres receive it.
    pub enum Op {
        Create = "create",
        Update = "update",
        Delete = "delete",
    }
}

/// Records a change of `entity` `key` and queues it for every target that
/// takes it, as parts of the statement that writes the change.
pub fn push_record(stmt: &mut Statement<'_>, config: &Config, entity: &Entity, key: &str, op: Op) {
    let entity = entity.name;
    let targets: Vec<String> = config
        .sync_targets
        .iter()
        .filter(|t| t.entities.iter().any(|e| e == entity))
        .map(|t| t.name.clone())
        .collect();
    let (entity, key, op) = (entity.to_owned(), key.to_owned(), op.as_str());
    stmt.part("outbox_row", |qb| {
        qb.push("INSERT INTO outbox (entity, entity_key, op) VALUES (")
            .push_bind(entity)
            .push(", ")
            .push_bind(key)
            .push(", ")
            .push_bind(op)
            .push(") RETURNING outbox_id");
    });
    stmt.part("outbox_deliveries", |qb| {
        qb.push("INSERT INTO sync_delivery (target, outbox_id) SELECT t, o.outbox_id FROM outbox_row o, unnest(")
            .push_bind(targets)
            .push("::text[]) AS t");
    });
}
